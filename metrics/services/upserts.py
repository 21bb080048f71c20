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

from metrics.models import EventKey, ToolCallRollup, UserActivity
from providers.models import Endpoint

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


def claim_event_keys(kind: str, scope: str, keys: Iterable[str]) -> set[str]:
    """Stores idempotency keys of one sender (`scope`, e.g. "key:12"); returns those that
    were new for it. Ids are scoped per API key (METHODOLOGY §9); keys stored before
    scoping (scope "") still count as seen for every sender until they expire."""
    # Sorted: concurrent batches sharing ids take the unique-index locks in one order.
    unique = sorted(set(keys))
    if not unique:
        return set()
    legacy = set(EventKey.objects.filter(kind=kind, scope="", key__in=unique)
                 .values_list("key", flat=True)) if scope else set()
    unique = [key for key in unique if key not in legacy]
    if not unique:
        return set()
    now = timezone.now()
    rows = _insert(
        EventKey._meta.db_table, ("kind", "scope", "key", "received_at"),
        ("text", "text", "text", "timestamptz"), [(kind, scope, key, now) for key in unique],
        "ON CONFLICT (kind, scope, key) DO NOTHING RETURNING key", returning=True,
    )
    return {row[0] for row in rows}


def increment_rollups(deltas: Mapping[tuple, Mapping[str, int]], fields: tuple[str, ...]) -> None:
    """Adds counts to daily rollups keyed by (endpoint_id, app, bucket, day, generation).

    `generation` is the publication that will make the counts public (METHODOLOGY §8; see
    ToolCallRollup)."""
    if not deltas:
        return
    table = ToolCallRollup._meta.db_table
    updates = ", ".join(f"{f} = {table}.{f} + excluded.{f}" for f in fields)
    rows = [
        (*key, *(int(deltas[key].get(f, 0)) for f in fields))
        for key in sorted(deltas, key=lambda k: (k[0], k[1], k[2], k[3], k[4]))
    ]
    _insert(
        table, ("endpoint_id", "app", "bucket", "day", "generation", *fields),
        ("bigint", "text", "text", "date", "bigint", *(["bigint"] * len(fields))), rows,
        f"ON CONFLICT (endpoint_id, app, bucket, day, generation) DO UPDATE SET {updates}",
    )


def lock_publications(endpoint_ids: Iterable[int]) -> dict[int, int]:
    """Each endpoint's publication count, read under a shared row lock held until the
    transaction ends: a concurrent publish (which updates the row) waits for this batch's
    commit, so counts written with `publication + 1` can never become public at ingest
    (METHODOLOGY §8). Concurrent batches share the lock. SQLite serialises writers anyway."""
    ids = sorted(set(endpoint_ids))
    if not ids:
        return {}
    table = Endpoint._meta.db_table
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, publication FROM {table} WHERE id IN "  # noqa: S608
            f"({', '.join(['%s'] * len(ids))}) ORDER BY id{lock}", ids,
        )
        return dict(cursor.fetchall())


def record_user_activity(rows: set[tuple[int, str, object]]) -> None:
    """Marks (model_id, user_hash, day) as active; repeated marks are no-ops."""
    if not rows:
        return
    _insert(
        UserActivity._meta.db_table, ("model_id", "user_hash", "day"),
        ("bigint", "text", "date"), sorted(rows, key=lambda r: (r[0], r[1], r[2])),
        "ON CONFLICT (model_id, user_hash, day) DO NOTHING",
    )
