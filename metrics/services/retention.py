"""Expiry of unbounded-growth rows (docs/design.md "past one PostgreSQL", docs/operations.md).

Failure samples and idempotency keys are not needed forever: a sample older than the
retention has been seen, and a gateway resends a batch within minutes, not months (an event
id resent after its key expired would count again). Rollups, their daily totals, the speed
and availability rollups and the daily user activity (ignore rates' denominators, §5, read
over the same windows) are kept `EXACTO_ROLLUP_RETENTION_DAYS`, longer than any read of
them reaches back; on PostgreSQL whole monthly rollup partitions are dropped.
"""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from metrics.models import (
    AvailabilityRollup,
    EventKey,
    FailureSample,
    SpeedRollup,
    ToolCallDayTotal,
    ToolCallRollup,
    UserActivity,
)
from metrics.services import partitions
from metrics.services.upserts import TOTALS_LOCK_SLOTS, TOTALS_LOCK_SPACE

logger = logging.getLogger(__name__)

# Serialises rollup expiry runs: our advisory lock space, the first key past the slots of
# refresh_day_totals.
RETENTION_LOCK = (TOTALS_LOCK_SPACE, TOTALS_LOCK_SLOTS)


def expire_old_rows(now=None) -> dict[str, int]:
    now = now or timezone.now()
    samples_before = now.date() - timedelta(days=settings.EXACTO_FAILURE_SAMPLE_RETENTION_DAYS)
    keys_before = now - timedelta(days=settings.EXACTO_EVENT_KEY_RETENTION_DAYS)
    samples, _ = FailureSample.objects.filter(day__lt=samples_before).delete()
    keys, _ = EventKey.objects.filter(received_at__lt=keys_before).delete()
    return {"failure_samples": samples, "event_keys": keys}


def rollup_cutoff(today: date) -> date:
    """The first day rollups keep. Never a day ingestion still writes to (§9: events up to
    EXACTO_EVENT_MAX_AGE_DAYS old), so a batch never adds to a day being expired."""
    days = max(settings.EXACTO_ROLLUP_RETENTION_DAYS, settings.EXACTO_EVENT_MAX_AGE_DAYS + 1)
    return today - timedelta(days=days)


def _expire_rollups_postgresql(cutoff: date) -> tuple[int, int]:
    """Deletes the rows before `cutoff` of the partitions straddling it and of DEFAULT, then
    drops the partitions wholly before it; returns (rows, partitions dropped)."""
    with connection.cursor() as cursor:
        if not partitions.is_partitioned(cursor):
            cursor.execute(f"DELETE FROM {partitions.TABLE} WHERE day < %s", [cutoff])  # noqa: S608
            return cursor.rowcount, 0
        drop, trim = partitions.split_at(partitions.partitions(cursor), cutoff)
        rows = 0
        for name in trim:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(name)} "  # noqa: S608
                           "WHERE day < %s", [cutoff])
            rows += cursor.rowcount
        counts = {}
        for name in drop:  # counted before the first DETACH locks the table (no batch writes there)
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608
            counts[name] = cursor.fetchone()[0]
        for name, count in counts.items():
            partitions.drop_partition(cursor, name)
            logger.info("rollup retention: dropped partition %s (%d rows, cutoff %s)",
                        name, count, cutoff)
            rows += count
    return rows, len(drop)


@transaction.atomic
def expire_old_rollups(today: date | None = None) -> dict[str, int]:
    """Removes the rollups of days before the cutoff and, in the same transaction, those
    days' daily totals (no total outlives its rollups: docs/decisions.md "Daily totals"),
    speed and availability rollups and user activity. Idempotent; concurrent runs queue on
    an advisory lock."""
    cutoff = rollup_cutoff(today or timezone.now().date())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # a second run waits, then finds nothing left
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", RETENTION_LOCK)
    before = {"day__lt": cutoff}
    totals, _ = ToolCallDayTotal.objects.filter(**before).delete()
    speed, _ = SpeedRollup.objects.filter(**before).delete()
    availability, _ = AvailabilityRollup.objects.filter(**before).delete()
    activity, _ = UserActivity.objects.filter(**before).delete()
    if connection.vendor == "postgresql":
        rollups, dropped = _expire_rollups_postgresql(cutoff)  # last: DETACH locks the table
    else:
        (rollups, _), dropped = ToolCallRollup.objects.filter(**before).delete(), 0
    result = {"rollups": rollups, "rollup_partitions": dropped, "day_totals": totals,
              "speed_rollups": speed, "availability_rollups": availability,
              "user_activity": activity}
    if any(result.values()):
        logger.info("rollup retention before %s: %s", cutoff, result)
    return result
