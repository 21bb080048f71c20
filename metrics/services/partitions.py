"""Monthly partitions of the tool-call rollups, on PostgreSQL only (docs/operations.md).

Migration 0012 makes `metrics_toolcallrollup` a table partitioned by range of `day`, one
partition a month plus a DEFAULT one, so no row is ever refused. Django still sees the same
model: the primary key is `(id, day)` in the database (a partitioned table's keys contain the
partition key) and `id` alone in the ORM, which never looks rollups up by id; the unique key
of ingestion's `ON CONFLICT` already contains `day`. SQLite keeps the plain table.
"""

import re
from datetime import date

from django.db import connection
from django.utils import timezone

TABLE = "metrics_toolcallrollup"
# Partitions are created this far ahead: a month's partition cannot be created once the
# DEFAULT partition holds rows of that month, and events are never dated this far ahead (§9).
MONTHS_AHEAD = 2
# A partition's bounds as pg_get_expr(relpartbound) spells them: FOR VALUES FROM ('…') TO ('…').
_BOUND = re.compile(r"(FROM|TO) \('(\d{4}-\d{2}-\d{2})'\)")


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def months(first: date, last: date) -> list[date]:
    """The first days of every month from `first`'s to `last`'s."""
    month, out = first.replace(day=1), []
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out


def partition_sql(month: date) -> str:
    return (f"CREATE TABLE IF NOT EXISTS {TABLE}_{month:%Y%m} PARTITION OF {TABLE} "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')")


def is_partitioned(cursor) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE relname = %s", [TABLE])
    row = cursor.fetchone()
    return row is not None and row[0] == "p"


def ensure_rollup_partitions(today: date | None = None) -> int:
    """Creates this month's partition and the next MONTHS_AHEAD ones where missing (the daily
    retention task calls it); returns how many were created. No-op on SQLite."""
    if connection.vendor != "postgresql":
        return 0
    today = today or timezone.now().date()
    last = today.replace(day=1)
    for _ in range(MONTHS_AHEAD):
        last = next_month(last)
    wanted = months(today, last)
    created = 0
    with connection.cursor() as cursor:
        if not is_partitioned(cursor):
            return 0
        for month in wanted:
            cursor.execute("SELECT 1 FROM pg_class WHERE relname = %s",
                           [f"{TABLE}_{month:%Y%m}"])
            if cursor.fetchone() is None:
                cursor.execute(partition_sql(month))
                created += 1
    return created


def partitions(cursor) -> list[tuple[str, date | None, date | None]]:
    """Every partition attached to the rollups: (name, first day, end day exclusive); None
    for an open side (MINVALUE, MAXVALUE) and both for the DEFAULT partition."""
    cursor.execute("SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                   "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass "
                   "ORDER BY c.relname", [TABLE])
    out = []
    for name, bound in cursor.fetchall():
        sides = {side: date.fromisoformat(day) for side, day in _BOUND.findall(bound)}
        out.append((name, sides.get("FROM"), sides.get("TO")))
    return out


def split_at(found: list[tuple[str, date | None, date | None]], cutoff: date
             ) -> tuple[list[str], list[str]]:
    """(partitions to drop, partitions to delete rows from) for a retention keeping the days
    from `cutoff` on: dropped are those whose every day is before it (end <= cutoff); rows
    are deleted from those holding days on both sides, and from DEFAULT, which is never
    dropped. Partitions wholly inside the retention are in neither list."""
    drop = [name for name, _, end in found if end is not None and end <= cutoff]
    trim = [name for name, first, end in found
            if name not in drop and (first is None or first < cutoff)]
    return drop, trim


def drop_partition(cursor, name: str) -> None:
    """Detaches then drops one partition. DETACH takes an ACCESS EXCLUSIVE lock on the
    rollups until the transaction ends: call it last in the transaction."""
    quoted = connection.ops.quote_name(name)
    cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {quoted}")
    cursor.execute(f"DROP TABLE {quoted}")
