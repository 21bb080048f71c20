"""Concurrency-safe writes shared by the ingestion services.

`INSERT … ON CONFLICT` works the same on PostgreSQL and SQLite (3.35+), so many web
workers can ingest at once without lost increments or double-counted events.
"""

from collections.abc import Iterable, Mapping

from django.db import connection
from django.utils import timezone

from metrics.models import EventKey, ToolCallRollup, UserActivity

# Rows per statement: keeps parameter counts under SQLite's and PostgreSQL's limits.
CHUNK = 500


def _chunks(rows: list, size: int = CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def claim_event_keys(kind: str, keys: Iterable[str]) -> set[str]:
    """Stores idempotency keys; returns those that were new (not stored before)."""
    # Sorted: concurrent batches sharing ids take the unique-index locks in one order.
    unique = sorted(set(keys))
    if not unique:
        return set()
    table = EventKey._meta.db_table
    now = timezone.now()
    new: set[str] = set()
    with connection.cursor() as cursor:
        for chunk in _chunks(unique):
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            params = [p for key in chunk for p in (kind, key, now)]
            cursor.execute(
                f"INSERT INTO {table} (kind, key, received_at) VALUES {values} "  # noqa: S608
                "ON CONFLICT (kind, key) DO NOTHING RETURNING key",
                params,
            )
            new.update(row[0] for row in cursor.fetchall())
    return new


def increment_rollups(deltas: Mapping[tuple, Mapping[str, int]], fields: tuple[str, ...]) -> None:
    """Adds counts to daily rollups keyed by (endpoint_id, app, bucket, day)."""
    if not deltas:
        return
    table = ToolCallRollup._meta.db_table
    columns = ("endpoint_id", "app", "bucket", "day", *fields)
    updates = ", ".join(f"{f} = {table}.{f} + excluded.{f}" for f in fields)
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # Sorted keys: concurrent batches lock rows in the same order and cannot deadlock.
    rows = [
        (*key, *(int(deltas[key].get(f, 0)) for f in fields))
        for key in sorted(deltas, key=lambda k: (k[0], k[1], k[2], k[3]))
    ]
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, 200):
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
                f"VALUES {', '.join([placeholder] * len(chunk))} "
                f"ON CONFLICT (endpoint_id, app, bucket, day) DO UPDATE SET {updates}",
                [v for row in chunk for v in row],
            )


def record_user_activity(rows: set[tuple[int, str, object]]) -> None:
    """Marks (model_id, user_hash, day) as active; repeated marks are no-ops."""
    if not rows:
        return
    table = UserActivity._meta.db_table
    with connection.cursor() as cursor:
        for chunk in _chunks(sorted(rows, key=lambda r: (r[0], r[1], r[2]))):
            cursor.execute(
                f"INSERT INTO {table} (model_id, user_hash, day) "  # noqa: S608
                f"VALUES {', '.join(['(%s, %s, %s)'] * len(chunk))} "
                "ON CONFLICT (model_id, user_hash, day) DO NOTHING",
                [v for row in chunk for v in row],
            )
