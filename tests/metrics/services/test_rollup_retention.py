"""Rollups, their daily totals and the speed and availability rollups expire after
EXACTO_ROLLUP_RETENTION_DAYS (docs/operations.md, Scaling path 4): on PostgreSQL whole monthly
partitions before the cutoff are dropped and the rest deleted; on SQLite rows are deleted."""

from datetime import date, timedelta

import pytest
from django.db import connection

from metrics.api.admin_views import ShareIn
from metrics.api.serializers import EndpointsQueryIn
from metrics.models import (
    AvailabilityRollup,
    SpeedRollup,
    ToolCallDayTotal,
    ToolCallRollup,
    UserActivity,
)
from metrics.selectors.exports import export_scope
from metrics.services.partitions import TABLE, partition_sql
from metrics.services.retention import expire_old_rollups, rollup_cutoff
from metrics.services.upserts import rebuild_day_totals
from metrics.tasks import expire_rows
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db

TODAY = date(2031, 6, 15)


@pytest.fixture
def retention(settings):
    settings.EXACTO_ROLLUP_RETENTION_DAYS = 100
    settings.EXACTO_EVENT_MAX_AGE_DAYS = 90
    cutoff = TODAY - timedelta(days=100)
    assert cutoff == date(2031, 3, 7)
    return cutoff


def _rollup(endpoint, day, calls, app=""):
    ToolCallRollup.objects.create(endpoint=endpoint, app=app, bucket="simple", day=day,
                                  requests_with_tools=calls, calls=calls, valid=calls)
    SpeedRollup.objects.get_or_create(endpoint=endpoint, day=day, bucket=3,
                                      defaults={"latency": calls})
    AvailabilityRollup.objects.get_or_create(endpoint=endpoint, day=day, defaults={"ok": calls})
    UserActivity.objects.get_or_create(model_id=endpoint.model_id, user_hash="u" * 64, day=day)


def _rows(model, since: date | None = None) -> set:
    rows = model.objects.filter(day__gte=since) if since else model.objects.all()
    return {tuple(sorted((k, v) for k, v in row.items() if k != "id")) for row in rows.values()}


def _totals_are_the_rollups_sums() -> None:
    """What refresh kept equals a rebuild from the surviving rollups: no total outlives them."""
    stored = _rows(ToolCallDayTotal)
    rebuild_day_totals()
    assert _rows(ToolCallDayTotal) == stored


def test_the_cutoff_keeps_the_setting_and_never_reaches_days_ingestion_writes(settings):
    settings.EXACTO_EVENT_MAX_AGE_DAYS = 90
    settings.EXACTO_ROLLUP_RETENTION_DAYS = 731
    assert rollup_cutoff(TODAY) == TODAY - timedelta(days=731)
    settings.EXACTO_ROLLUP_RETENTION_DAYS = 10
    assert rollup_cutoff(TODAY) == TODAY - timedelta(days=91)


def test_the_default_outlasts_the_longest_read_back_from_the_oldest_embargoed_day():
    from django.conf import settings as defaults  # the environment's, not a test's override

    longest = max(EndpointsQueryIn().fields["days"].max_value, export_scope(None, "99999")[1])
    lag = ShareIn().fields["embargo_days"].max_value  # published_until trails today this much
    first_day_read = TODAY - timedelta(days=lag) - timedelta(days=longest - 1)
    assert defaults.EXACTO_ROLLUP_RETENTION_DAYS == 731
    assert rollup_cutoff(TODAY) <= first_day_read


def test_rows_before_the_cutoff_go_with_their_totals(retention):
    first, second = EndpointFactory(), EndpointFactory()
    for endpoint in (first, second):
        for day in (retention - timedelta(days=30), retention - timedelta(days=1),
                    retention, TODAY):
            _rollup(endpoint, day, 3, app="a")
            _rollup(endpoint, day, 9, app="b")
    rebuild_day_totals()
    kept = {model: _rows(model, retention)
            for model in (ToolCallRollup, ToolCallDayTotal, SpeedRollup, AvailabilityRollup,
                          UserActivity)}
    _constraints_checked()

    result = expire_old_rollups(TODAY)

    assert (result["rollups"], result["day_totals"]) == (8, 4)  # 2 endpoints × 2 days × apps
    assert (result["speed_rollups"], result["availability_rollups"]) == (4, 4)
    assert result["user_activity"] == 4  # 2 models × 2 days
    for model, rows in kept.items():
        assert _rows(model) == rows, model.__name__
    assert sorted(set(ToolCallRollup.objects.values_list("day", flat=True))) == [retention, TODAY]
    _totals_are_the_rollups_sums()
    assert expire_old_rollups(TODAY) == {"rollups": 0, "rollup_partitions": 0, "day_totals": 0,
                                         "speed_rollups": 0, "availability_rollups": 0,
                                         "user_activity": 0}


def test_the_daily_task_reports_raw_rows_and_rollups(settings):
    result = expire_rows()
    assert set(result) == {"failure_samples", "event_keys", "rollups", "rollup_partitions",
                           "day_totals", "speed_rollups", "availability_rollups",
                           "user_activity"}


# --- PostgreSQL: monthly partitions ----------------------------------------------------------


def _constraints_checked() -> None:
    """Runs the deferred foreign-key checks of the rows written so far: PostgreSQL refuses to
    DETACH a partition with pending trigger events, which only a test writing rollups in the
    retention's own transaction has."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _partitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c "
                       "ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass", [TABLE])
        return {row[0] for row in cursor.fetchall()}


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE %s", [f"{TABLE}_%"])
        return {row[0] for row in cursor.fetchall()}


def _partition_of(day: date) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT tableoid::regclass::text FROM {TABLE} "  # noqa: S608
                       "WHERE day = %s", [day])
        return cursor.fetchone()[0]


@pytest.mark.postgresql
def test_partitions_before_the_cutoff_are_dropped_the_straddling_one_trimmed(retention):
    with connection.cursor() as cursor:
        for month in (date(2031, 1, 1), date(2031, 2, 1), date(2031, 3, 1), date(2031, 4, 1)):
            cursor.execute(partition_sql(month))
    endpoint = EndpointFactory()
    days = {
        date(2031, 1, 10): f"{TABLE}_203101",  # dropped
        date(2031, 2, 28): f"{TABLE}_203102",  # dropped: its last day is before the cutoff
        date(2031, 3, 6): f"{TABLE}_203103",  # March straddles: this row is deleted …
        retention: f"{TABLE}_203103",  # … and this one, the first day kept, stays
        date(2031, 4, 30): f"{TABLE}_203104",  # untouched
        date(2001, 1, 1): f"{TABLE}_default",  # no partition: DEFAULT, deleted by DELETE
        date(2031, 5, 20): f"{TABLE}_default",  # DEFAULT too, inside the window: kept
    }
    for day in days:
        _rollup(endpoint, day, 4, app="a")
        _rollup(endpoint, day, 2, app="b")
    assert {day: _partition_of(day) for day in days} == days
    rebuild_day_totals()
    kept = {model: _rows(model, retention)
            for model in (ToolCallRollup, ToolCallDayTotal, SpeedRollup, AvailabilityRollup,
                          UserActivity)}
    # The test database's own partitions (the months around the day it was migrated) are
    # before 2031's cutoff as well: they go too, and are counted.
    older = {name for name in _partitions() if name[-6:].isdigit() and name[-6:] < "203101"}
    _constraints_checked()

    result = expire_old_rollups(TODAY)

    gone = {f"{TABLE}_203101", f"{TABLE}_203102", *older}
    assert result == {"rollups": 8, "rollup_partitions": len(gone), "day_totals": 4,
                      "speed_rollups": 4, "availability_rollups": 4, "user_activity": 4}
    assert not gone & _tables()  # detached and dropped, not left behind as plain tables
    assert {f"{TABLE}_203103", f"{TABLE}_203104", f"{TABLE}_default"} <= _partitions()
    for model, rows in kept.items():
        assert _rows(model) == rows, model.__name__
    assert sorted(set(ToolCallRollup.objects.values_list("day", flat=True))) == [
        retention, date(2031, 4, 30), date(2031, 5, 20)]
    _totals_are_the_rollups_sums()
    # Idempotent: a second run finds nothing, and ingestion's table still takes rows.
    assert expire_old_rollups(TODAY)["rollups"] == 0
    _rollup(endpoint, date(2031, 3, 8), 1)
    assert _partition_of(date(2031, 3, 8)) == f"{TABLE}_203103"


@pytest.mark.postgresql
def test_a_run_waits_for_one_in_progress(retention):
    """A run holding the retention lock (another worker's transaction) makes a second wait:
    here it gives up after lock_timeout instead, and has removed nothing."""
    import psycopg
    from django.db.utils import OperationalError

    from metrics.services.retention import RETENTION_LOCK

    endpoint = EndpointFactory()
    _rollup(endpoint, date(2001, 1, 1), 1)
    _constraints_checked()
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"],
                         password=db["PASSWORD"], dbname=db["NAME"], autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", RETENTION_LOCK)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '300ms'")
        with pytest.raises(OperationalError, match="lock timeout"):
            expire_old_rollups(TODAY)
    assert ToolCallRollup.objects.filter(day=date(2001, 1, 1)).exists()
