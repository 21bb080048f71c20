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

from django.conf import settings
from django.db import connection
from django.utils import timezone

from metrics.models import (
    ROLLUP_COUNTS,
    AvailabilityRollup,
    EventKey,
    FailureSample,
    IgnoreState,
    SpeedRollup,
    ToolCallDayTotal,
    ToolCallRollup,
    UserActivity,
)
from metrics.selectors import app_matched
from providers.models import Endpoint

# Rows per VALUES statement on SQLite: keeps parameter counts under its limit.
CHUNK = 500
# Advisory locks serialising daily-total refreshes (refresh_day_totals): our lock space and
# the number of slots endpoints are spread over.
TOTALS_LOCK_SPACE = 0x45584354
TOTALS_LOCK_SLOTS = 128


def _json_scalar(value: object) -> str:
    """Dates and times in a JSON row, as PostgreSQL reads them back (ISO 8601)."""
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def _pick(index: int, pg_type: str) -> str:
    """Column `index` of a JSON row as `pg_type`: text as such, JSON as JSON (null: NULL)."""
    if pg_type == "jsonb":
        return f"NULLIF((r->{index})::jsonb, 'null')"
    return f"(r->>{index})::{pg_type}"


def _insert(table: str, columns: Sequence[str], pg_types: Sequence[str], rows: list[tuple],
            suffix: str, *, returning: bool = False) -> list[tuple]:
    """INSERT many rows with an ON CONFLICT `suffix`; returns RETURNING rows if asked."""
    found: list[tuple] = []
    column_list = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One JSON document of rows: psycopg adapts array parameters element by element
            # in Python (a third of a batch's database time), json.dumps is C.
            picks = ", ".join(_pick(i, t) for i, t in enumerate(pg_types))
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


def _array_literal(values: Iterable[int | date]) -> str:
    """A PostgreSQL array literal ('{1,2,3}') of integers or dates, which need no quoting."""
    return "{" + ",".join(map(str, values)) + "}"


def claim_event_keys(kind: str, scope: str, keys: Iterable[str]) -> set[str]:
    """Stores idempotency keys of one sender (`scope`, e.g. "key:12"); returns those that
    were new for it. Ids are scoped per API key (METHODOLOGY §9); keys stored before
    scoping (scope "") still count as seen for every sender until they expire."""
    # Sorted: concurrent batches sharing ids take the unique-index locks in one order.
    unique = sorted(set(keys))
    if not unique:
        return set()
    now = timezone.now()
    table = EventKey._meta.db_table
    if connection.vendor == "postgresql":
        # One statement, the keys as one JSON array (json.dumps is C; a `key IN (...)` of
        # 1,000 parameters was composed and quoted by psycopg in Python, per key).
        legacy = (f"WHERE NOT EXISTS (SELECT 1 FROM {table} l WHERE l.kind = %s "  # noqa: S608
                  "AND l.scope = '' AND l.key = e.key) ") if scope else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (kind, scope, key, received_at) "  # noqa: S608
                "SELECT %s, %s, e.key, %s FROM json_array_elements_text(%s::json) "
                f"WITH ORDINALITY AS e(key, n) {legacy}ORDER BY e.n "
                "ON CONFLICT (kind, scope, key) DO NOTHING RETURNING key",
                [kind, scope, now, json.dumps(unique), *([kind] if scope else [])],
            )
            return {row[0] for row in cursor.fetchall()}
    legacy = set(EventKey.objects.filter(kind=kind, scope="", key__in=unique)
                 .values_list("key", flat=True)) if scope else set()
    unique = [key for key in unique if key not in legacy]
    if not unique:
        return set()
    rows = _insert(
        table, ("kind", "scope", "key", "received_at"),
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


def day_totals_sql(rollups: str, totals: str, keys: str | None, cap: int) -> str:
    """INSERT … SELECT recomputing ToolCallDayTotal rows from rollups (one statement).

    For each (endpoint, day, generation g) present in `rollups` — restricted, when `keys`
    names a CTE `k(endpoint_id, day, min_gen)`, to those keys and to g >= min_gen — the
    sums over apps of every row of that endpoint and day with generation <= g, raw and
    capped: each app-day scaled by min(1, cap / its requests of generations <= g) (§4).
    The cap is written into the statement (an integer setting): no parameters of its own.
    Plain SQL for PostgreSQL and SQLite (the migration's backfill uses it too)."""
    key_join = (f"JOIN {keys} k ON k.endpoint_id = r.endpoint_id AND k.day = r.day "
                "AND r.generation >= k.min_gen") if keys else ""
    columns = ", ".join((*ROLLUP_COUNTS, *(f"capped_{f}" for f in ROLLUP_COUNTS)))
    raw = ", ".join(f"SUM(x.{f})" for f in ROLLUP_COUNTS)
    cap = int(cap)
    factor = f"CASE WHEN x.app_requests > {cap} THEN {cap} * 1.0 / x.app_requests ELSE 1.0 END"
    capped = ", ".join(f"SUM(x.{f} * {factor})" for f in ROLLUP_COUNTS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in ("cap", *columns.split(", ")))
    # The app-day's requests come from a window function, not a join back: no plan for it
    # can degrade into comparing every row with every other.
    return f"""
        cuts AS (SELECT DISTINCT r.endpoint_id, r.day, r.generation AS cut
                 FROM {rollups} r {key_join}),
        x AS (SELECT c.cut, r.*,
                     SUM(r.requests_with_tools) OVER (
                         PARTITION BY r.endpoint_id, r.day, c.cut, r.app) AS app_requests
              FROM cuts c JOIN {rollups} r ON r.endpoint_id = c.endpoint_id
              AND r.day = c.day AND r.generation <= c.cut)
        INSERT INTO {totals} (endpoint_id, day, bucket, generation, cap, {columns})
        SELECT x.endpoint_id, x.day, x.bucket, x.cut, {cap}, {raw}, {capped}
        FROM x WHERE 1 = 1
        GROUP BY x.endpoint_id, x.day, x.bucket, x.cut
        ON CONFLICT (endpoint_id, day, bucket, generation) DO UPDATE SET {updates}
    """  # noqa: S608 - identifiers are ours


def next_generation_sql(totals: str, keys: str | None) -> str:
    """UPDATE setting each daily total's `next_generation` (the next cut of its endpoint and
    day, NULL for the newest) where it changed — restricted to the endpoint-days of `keys`
    (a CTE `k(endpoint_id, day, …)`) when given. No parameters."""
    key_join = f"JOIN {keys} k ON k.endpoint_id = t.endpoint_id AND k.day = t.day" if keys else ""
    return f"""
        UPDATE {totals} SET next_generation = n.next
        FROM (SELECT endpoint_id, day, generation,
                     LEAD(generation) OVER (PARTITION BY endpoint_id, day
                                            ORDER BY generation) AS next
              FROM (SELECT DISTINCT t.endpoint_id, t.day, t.generation
                    FROM {totals} t {key_join}) AS cuts) AS n
        WHERE {totals}.endpoint_id = n.endpoint_id AND {totals}.day = n.day
          AND {totals}.generation = n.generation
          AND (({totals}.next_generation IS NULL) <> (n.next IS NULL)
               OR {totals}.next_generation <> n.next)
    """  # noqa: S608 - identifiers are ours


def refresh_day_totals(keys: Iterable[tuple[int, date, int]]) -> None:
    """Recomputes the daily totals of (endpoint_id, day) from generation `min_gen` up, in
    one statement, after rollups of those keys were written at generations >= min_gen.

    Ingestion writes `publication + 1`, the newest generation, so it rewrites one
    cumulative row per key and bucket. On PostgreSQL concurrent batches of an endpoint
    serialise on a transaction-scoped advisory lock taken here, after their own rollup
    upserts: the statement then runs after any earlier batch of that endpoint committed, so
    it sums that batch's rows too (a batch that commits later recomputes after us; READ
    COMMITTED takes a snapshot per statement). The lock is held only from here to commit,
    so call this last in the transaction; SQLite serialises writers anyway."""
    merged: dict[tuple[int, date], int] = {}
    for endpoint_id, day, generation in keys:
        key = (endpoint_id, day)
        merged[key] = min(generation, merged.get(key, generation))
    if not merged:
        return
    ordered = sorted(merged)
    cap = settings.EXACTO_APP_DAILY_CAP
    rollups, totals = ToolCallRollup._meta.db_table, ToolCallDayTotal._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids = [k[0] for k in ordered]
            days = [k[1] for k in ordered]
            # Per endpoint slot, not per key: a bounded number of locks per transaction
            # (they share PostgreSQL's lock table), at the price of rare false sharing.
            slots = sorted({endpoint_id % TOTALS_LOCK_SLOTS for endpoint_id in ids})
            cursor.execute("SELECT pg_advisory_xact_lock(%s, slot) FROM unnest(%s::int[]) slot",
                           [TOTALS_LOCK_SPACE, _array_literal(slots)])
            keys = ("WITH k(endpoint_id, day, min_gen) AS (SELECT * FROM unnest("
                    "%s::bigint[], %s::date[], %s::bigint[]))")
            # Array literals: psycopg adapts a list parameter element by element in Python.
            arrays = [_array_literal(ids), _array_literal(days),
                      _array_literal([merged[k] for k in ordered])]
            cursor.execute(keys + ", " + day_totals_sql(rollups, totals, "k", cap), arrays)
            cursor.execute(keys + " " + next_generation_sql(totals, "k"), arrays)
            return
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            keys = f"WITH k(endpoint_id, day, min_gen) AS (VALUES {values})"
            params = [v for key in chunk for v in (key[0], key[1], merged[key])]
            cursor.execute(keys + ", " + day_totals_sql(rollups, totals, "k", cap), params)
            cursor.execute(keys + " " + next_generation_sql(totals, "k"), params)


def rebuild_day_totals(endpoint_ids: Iterable[int] | None = None) -> None:
    """Rewrites every daily total (of the given endpoints) from the rollups: for rollups
    written outside ingestion (bulk loads, fixtures, repairs) and after deleting rollups."""
    rollups, totals = ToolCallRollup._meta.db_table, ToolCallDayTotal._meta.db_table
    removed = ToolCallDayTotal.objects.all()
    keys = None
    if endpoint_ids is not None:
        ids = sorted(set(endpoint_ids))
        removed = removed.filter(endpoint_id__in=ids)
        keys = (f"(SELECT DISTINCT endpoint_id, day, 0 AS min_gen FROM {rollups} "  # noqa: S608
                f"WHERE endpoint_id IN ({', '.join(map(str, map(int, ids))) or 'NULL'}))")
    removed.delete()
    cap = settings.EXACTO_APP_DAILY_CAP
    with connection.cursor() as cursor:
        cursor.execute("WITH " + day_totals_sql(rollups, totals, keys, cap))
        cursor.execute(next_generation_sql(totals, keys))
    # Rollups changed outside ingestion may be published ones: stored figures read from them
    # are no longer known to hold.
    app_matched.forget(None if endpoint_ids is None else ids)


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
    literals = [_array_literal(column) for column in zip(*rows, strict=True)]
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


def insert_failure_samples(rows: list[dict]) -> None:
    """Stores FailureSample rows (field name -> value, the same fields in each): on
    PostgreSQL in one statement of JSON rows, skipping the ORM's per-value adaptation."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        FailureSample.objects.bulk_create([FailureSample(**row) for row in rows])
        return
    columns = tuple(rows[0])
    types = {field.attname: ("jsonb" if field.get_internal_type() == "JSONField"
                             else field.db_type(connection)) for field in FailureSample._meta.fields}
    _insert(FailureSample._meta.db_table, columns, [types[c] for c in columns],
            [tuple(row.values()) for row in rows], "")


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
