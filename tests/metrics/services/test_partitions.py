"""PostgreSQL only: rollups partitioned by month keep the ORM, ingestion's upserts and the
daily totals working; the daily task creates partitions ahead (docs/operations.md)."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from metrics.models import ToolCallDayTotal, ToolCallRollup
from metrics.services.ingest_tool_calls import ingest_tool_calls
from metrics.services.partitions import TABLE, ensure_rollup_partitions
from tests.factories import EndpointFactory
from tests.metrics.api.helpers import MODEL, PROVIDER, good, now_iso

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgresql,  # partitioning is PostgreSQL's; the SQLite pass deselects these
]


def _partition_of(day: date) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE day = %s",  # noqa: S608
                       [day])
        return cursor.fetchone()[0]


def test_ingestion_upserts_into_the_month_partition():
    EndpointFactory(provider__slug=PROVIDER, model__slug=MODEL)
    created = now_iso(-timedelta(minutes=1))
    today = timezone.now().date()
    assert ingest_tool_calls([good("a", created=created)], source="test").accepted == 1
    assert ingest_tool_calls([good("b", created=created)], source="test").accepted == 1
    row = ToolCallRollup.objects.get()  # one row: the second batch's ON CONFLICT added to it
    assert (row.calls, row.valid) == (2, 2)
    assert _partition_of(today) == f"{TABLE}_{today:%Y%m}"
    assert ToolCallDayTotal.objects.get().calls == 2


def test_a_day_without_its_partition_lands_in_the_default_one():
    endpoint = EndpointFactory()
    ToolCallRollup.objects.create(endpoint=endpoint, bucket="simple", day=date(2001, 1, 1),
                                  calls=3, valid=3)
    assert _partition_of(date(2001, 1, 1)) == f"{TABLE}_default"


def test_the_daily_task_creates_the_next_months_once():
    assert ensure_rollup_partitions(date(2031, 11, 15)) == 3  # November to January
    assert ensure_rollup_partitions(date(2031, 11, 16)) == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE %s "
                       "ORDER BY relname", [f"{TABLE}_20%"])
        names = [r[0] for r in cursor.fetchall()]
    assert [f"{TABLE}_203111", f"{TABLE}_203112", f"{TABLE}_203201"] == [
        n for n in names if n >= f"{TABLE}_2031"]
