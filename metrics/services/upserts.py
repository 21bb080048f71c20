"""Concurrency-safe writes shared by the ingestion services.

`INSERT … ON CONFLICT` works the same on PostgreSQL and SQLite (3.35+), so many web
workers can ingest at once without lost increments or double-counted events. Rows are
written in sorted order so concurrent batches take row locks in one order (no deadlock).

On PostgreSQL the rows travel as one JSON document (`json_array_elements`), or as one
array literal per column through `unnest(...)` for integer counts: the statement text
stays short and fixed, where a VALUES list of thousands of placeholders costs more to
build and convert than to execute. SQLite gets the VALUES list.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from django.db import connection
from django.utils import timezone

from metrics.models import (
    AvailabilityRollup,
    EventKey,
    IgnoreState,
    SpeedRollup,
    ToolCallRollup,
    UserActivity,
)
from providers.models import Endpoint

# Rows per VALUES statement on SQLite: keeps parameter counts under its limit.
CHUNK = 500


def _json_scalar(value: object) -> str:
    """Dates and times in a JSON row, as PostgreSQL reads them back (ISO 8601)."""
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def _insert(table: str, columns: Sequence[str], pg_types: Sequence[str], rows: list[tuple],
            suffix: str, *, returning: bool = False) -> list[tuple]:
    """INSERT many rows with an ON CONFLICT `suffix`; returns RETURNING rows if asked."""
    found: list[tuple] = []
    column_list = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One JSON document of rows: psycopg adapts array parameters element by element
            # in Python (a third of a batch's database time), json.dumps is C.
            picks = ", ".join(f"(r->>{i})::{t}" for i, t in enumerate(pg_types))
            cursor.execute(
                f"INSERT INTO {table} ({column_list}) "  # noqa: S608 - identifiers are ours
                f"SELECT {picks} FROM json_array_elements(%s::json) AS r {suffix}",
                [json.dumps(rows, default=_json_scalar)],
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
    """Adds (latency, ttft, throughput) counts to rows keyed by
    (endpoint_id, day, bucket, generation) (§10)."""
    _add_counts(SpeedRollup._meta.db_table, ("endpoint_id", "day", "bucket", "generation"),
                ("bigint", "date", "smallint", "bigint"), ("latency", "ttft", "throughput"),
                deltas)


def increment_availability(deltas: Mapping[tuple, Sequence[int]]) -> None:
    """Adds (ok, errors, timeouts) counts to rows keyed by (endpoint_id, day, generation)."""
    _add_counts(AvailabilityRollup._meta.db_table, ("endpoint_id", "day", "generation"),
                ("bigint", "date", "bigint"), ("ok", "errors", "timeouts"), deltas)


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


def upsert_ignore_states(rows: list[tuple]) -> None:
    """Sets (user_hash, provider_id, model_id, scope, ignoring, as_of) states, one row per
    user × provider × scope; a stored state newer than the row's `as_of` is kept (§5)."""
    if not rows:
        return
    table = IgnoreState._meta.db_table
    _insert(
        table, ("user_hash", "provider_id", "model_id", "scope", "ignoring", "as_of"),
        ("text", "bigint", "bigint", "text", "boolean", "timestamptz"),
        sorted(rows, key=lambda r: (r[0], r[1], r[3])),
        "ON CONFLICT (user_hash, provider_id, scope) DO UPDATE SET "
        f"ignoring = excluded.ignoring, as_of = excluded.as_of WHERE {table}.as_of <= excluded.as_of",
    )
