"""Concurrency-safe writes shared by the ingestion services.

`INSERT … ON CONFLICT` works the same on PostgreSQL and SQLite (3.35+), so many web
workers can ingest at once without lost increments or double-counted events. Rows are
written in sorted order so concurrent batches take row locks in one order (no deadlock).

On PostgreSQL the rows travel as one array per column through `unnest(...)`: the
statement text stays short and fixed, where a VALUES list of thousands of placeholders
costs more to build and convert than to execute. SQLite gets the VALUES list.
"""

from collections.abc import Iterable, Mapping, Sequence

from django.db import connection
from django.utils import timezone

from metrics.models import (
    AvailabilityRollup,
    EventKey,
    SpeedRollup,
    ToolCallRollup,
    UserActivity,
)

# Rows per VALUES statement on SQLite: keeps parameter counts under its limit.
CHUNK = 500


def _insert(table: str, columns: Sequence[str], pg_types: Sequence[str], rows: list[tuple],
            suffix: str, *, returning: bool = False) -> list[tuple]:
    """INSERT many rows with an ON CONFLICT `suffix`; returns RETURNING rows if asked."""
    found: list[tuple] = []
    column_list = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{t}[]" for t in pg_types)
            cursor.execute(
                f"INSERT INTO {table} ({column_list}) SELECT * FROM unnest({arrays}) {suffix}",  # noqa: S608
                [list(column) for column in zip(*rows, strict=True)],
            )
            return cursor.fetchall() if returning else found
        placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.execute(
                f"INSERT INTO {table} ({column_list}) "  # noqa: S608
                f"VALUES {', '.join([placeholder] * len(chunk))} {suffix}",
                [value for row in chunk for value in row],
            )
            if returning:
                found.extend(cursor.fetchall())
    return found


def claim_event_keys(kind: str, keys: Iterable[str]) -> set[str]:
    """Stores idempotency keys; returns those that were new (not stored before)."""
    # Sorted: concurrent batches sharing ids take the unique-index locks in one order.
    unique = sorted(set(keys))
    if not unique:
        return set()
    now = timezone.now()
    rows = _insert(
        EventKey._meta.db_table, ("kind", "key", "received_at"),
        ("text", "text", "timestamptz"), [(kind, key, now) for key in unique],
        "ON CONFLICT (kind, key) DO NOTHING RETURNING key", returning=True,
    )
    return {row[0] for row in rows}


def increment_rollups(deltas: Mapping[tuple, Mapping[str, int]], fields: tuple[str, ...]) -> None:
    """Adds counts to daily rollups keyed by (endpoint_id, app, bucket, day)."""
    if not deltas:
        return
    table = ToolCallRollup._meta.db_table
    updates = ", ".join(f"{f} = {table}.{f} + excluded.{f}" for f in fields)
    rows = [
        (*key, *(int(deltas[key].get(f, 0)) for f in fields))
        for key in sorted(deltas, key=lambda k: (k[0], k[1], k[2], k[3]))
    ]
    _insert(
        table, ("endpoint_id", "app", "bucket", "day", *fields),
        ("bigint", "text", "text", "date", *(["bigint"] * len(fields))), rows,
        f"ON CONFLICT (endpoint_id, app, bucket, day) DO UPDATE SET {updates}",
    )


def _add_counts(table: str, key: tuple[str, ...], key_types: tuple[str, ...],
                counts: tuple[str, ...], deltas: Mapping[tuple, Sequence[int]]) -> None:
    """Upserts rows of integer counts keyed by integers and dates, adding to stored counts.

    On PostgreSQL each column travels as one array literal built here ('{1,2,3}'): every
    value is an integer or a date, so no quoting is needed, and psycopg's per-element
    list adaptation (the larger client cost for rows this narrow) is skipped.
    """
    if not deltas:
        return
    rows = [(*k, *deltas[k]) for k in sorted(deltas)]
    columns = (*key, *counts)
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    suffix = f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    if connection.vendor != "postgresql":
        _insert(table, columns, (), rows, suffix)
        return
    literals = ["{" + ",".join(map(str, column)) + "}" for column in zip(*rows, strict=True)]
    arrays = ", ".join(f"%s::{t}[]" for t in (*key_types, *(["bigint"] * len(counts))))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - identifiers are ours
            f"SELECT * FROM unnest({arrays}) {suffix}",
            literals,
        )


def increment_speed_rollups(deltas: Mapping[tuple, Sequence[int]]) -> None:
    """Adds (latency, ttft, throughput) counts to rows keyed by (endpoint_id, day, bucket)."""
    _add_counts(SpeedRollup._meta.db_table, ("endpoint_id", "day", "bucket"),
                ("bigint", "date", "smallint"), ("latency", "ttft", "throughput"), deltas)


def increment_availability(deltas: Mapping[tuple, Sequence[int]]) -> None:
    """Adds (ok, errors, timeouts) counts to rows keyed by (endpoint_id, day) (§10)."""
    _add_counts(AvailabilityRollup._meta.db_table, ("endpoint_id", "day"), ("bigint", "date"),
                ("ok", "errors", "timeouts"), deltas)


def record_user_activity(rows: set[tuple[int, str, object]]) -> None:
    """Marks (model_id, user_hash, day) as active; repeated marks are no-ops."""
    if not rows:
        return
    _insert(
        UserActivity._meta.db_table, ("model_id", "user_hash", "day"),
        ("bigint", "text", "date"), sorted(rows, key=lambda r: (r[0], r[1], r[2])),
        "ON CONFLICT (model_id, user_hash, day) DO NOTHING",
    )
