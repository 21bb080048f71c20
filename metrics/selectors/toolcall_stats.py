"""Tool-call figures per endpoint, computed in SQL over daily rollups (METHODOLOGY §1–§4).

The cost depends on endpoints × apps × buckets × days in the window, never on the
number of raw events. Each endpoint has its own window end, so the publication
filter (providers.visibility) is applied here and nowhere else.
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from metrics.choices import FAILURE_OUTCOMES, Bucket
from metrics.models import ROLLUP_COUNTS, ToolCallDayTotal, ToolCallRollup
from metrics.stats import app_matched_delta, rate, total_variation, wilson_interval
from providers.models import Endpoint
from providers.visibility import Viewer

# What the per-app figures hold (§4's app-matched accuracy): the other counts stay 0.
APP_COUNTS = ("calls", "valid", "unchecked")


@dataclass
class Counts:
    raw: dict = field(default_factory=lambda: dict.fromkeys(ROLLUP_COUNTS, 0))
    capped: dict = field(default_factory=lambda: dict.fromkeys(ROLLUP_COUNTS, 0.0))

    def add(self, raw: dict, capped: dict) -> None:
        for name in ROLLUP_COUNTS:
            self.raw[name] += raw[name]
            self.capped[name] += capped[name]

    def figures(self) -> dict:
        """API.md `tool_calls` fields: raw counts, rates and interval on capped counts."""
        raw, cap = self.raw, self.capped
        correct = cap["valid"] + cap["unchecked"]
        interval = wilson_interval(correct, cap["calls"])
        return {
            **{name: raw[name] for name in (
                "calls", "valid", "unchecked", "invalid_json", "unknown_tool", "schema_mismatch",
                "other", "requests_with_tools", "errored_requests",
            )},
            "accuracy": rate(correct, cap["calls"]),
            "accuracy_ci95": list(interval) if interval else None,
            "request_error_rate": rate(cap["errored_requests"], cap["requests_with_tools"]),
            "request_error_rate_ci95": _interval(
                cap["errored_requests"], cap["requests_with_tools"]
            ),
            "propensity_requests": raw["propensity_requests"],
            "propensity_requests_with_calls": raw["propensity_requests_with_calls"],
            "propensity": rate(cap["propensity_requests_with_calls"], cap["propensity_requests"]),
            "propensity_ci95": _interval(
                cap["propensity_requests_with_calls"], cap["propensity_requests"]
            ),
            "failure_rates": {
                name: rate(cap[name], cap["calls"]) for name in FAILURE_OUTCOMES
            },
            # §4: every rate carries its interval; flat fields, one pair per failure mode.
            **{f"{name}_rate": rate(cap[name], cap["calls"]) for name in FAILURE_OUTCOMES},
            **{f"{name}_rate_ci95": _interval(cap[name], cap["calls"])
               for name in FAILURE_OUTCOMES},
            "capped": {name: round(value, 3) for name, value in cap.items()},
        }


def _interval(successes: float, n: float):
    interval = wilson_interval(successes, n)
    return list(interval) if interval else None


@dataclass
class EndpointStats:
    endpoint_id: int
    window_start: date | None
    window_end: date | None
    total: Counts = field(default_factory=Counts)
    buckets: dict = field(default_factory=lambda: defaultdict(Counts))
    # Filled only when asked for (endpoint_stats(apps=True)), with APP_COUNTS only.
    apps: dict = field(default_factory=lambda: defaultdict(Counts))

    @property
    def capped_correct(self) -> float:
        return self.total.capped["valid"] + self.total.capped["unchecked"]


def viewer_windows(endpoints, viewer: Viewer, days: int, today: date
                   ) -> dict[int, tuple[date, date, bool]]:
    """Per endpoint: (first day, last day, published rows only)."""
    windows = {}
    for endpoint in endpoints:
        end = viewer.last_visible_day(endpoint, today)
        if end is not None:
            windows[endpoint.pk] = (end - timedelta(days=days - 1), end,
                                    not viewer.sees_unpublished(endpoint))
    return windows


def endpoint_stats(
    endpoints: list[Endpoint], viewer: Viewer, *, days: int | None = None,
    today: date | None = None, apps: bool | Collection[int] = False, buckets: bool = True,
) -> dict[int, EndpointStats]:
    """Windowed, capped figures per endpoint, per bucket (unless `buckets` is false: the
    pools judge totals only) and per app when `apps` (true, or the ids of the endpoints that
    need them: only §4's app-matched comparison does; they cost a row per app) — in one
    query."""
    days = days or settings.EXACTO_WINDOW_DAYS
    today = today or timezone.now().date()
    return stats_in_windows(endpoints, viewer_windows(endpoints, viewer, days, today),
                            apps=apps, buckets=buckets)


def stats_in_windows(
    endpoints: list[Endpoint], windows: dict[int, tuple[date, date, bool]], *,
    apps: bool | Collection[int] = False, buckets: bool = True,
) -> dict[int, EndpointStats]:
    """endpoint_stats over windows already found (viewer_windows)."""
    result = {
        e.pk: EndpointStats(e.pk, *windows.get(e.pk, (None, None, True))[:2]) for e in endpoints
    }
    if not windows:
        return result
    n = len(ROLLUP_COUNTS)
    by = ("bucket",) if buckets else ()
    app_windows = (windows if apps is True
                   else {pk: w for pk, w in windows.items() if pk in apps} if apps else {})
    for row in _query(windows, settings.EXACTO_APP_DAILY_CAP, by=by, app_windows=app_windows):
        kind, endpoint_id = row[0], row[1]
        values = row[2 + len(by):] if kind == "total" else row[3:]
        raw = dict(zip(ROLLUP_COUNTS, values[:n], strict=True))
        capped = dict(zip(ROLLUP_COUNTS, (float(v) for v in values[n:]), strict=True))
        stats = result[endpoint_id]
        if kind == "app":
            stats.apps[row[2]].add(raw, capped)
            continue
        stats.total.add(raw, capped)
        if buckets:
            stats.buckets[row[2]].add(raw, capped)
    return result


def window_conditions(windows: dict[int, tuple[date, date, bool]], *,
                      cumulative: bool = False) -> tuple[str, list]:
    """SQL over `r` (a rollup table) joined to `e` (endpoints) selecting each endpoint's
    window; a published-only window also drops generations not yet published (§8). With
    `cumulative`, `r` is ToolCallDayTotal and the condition keeps the one cumulative row
    per endpoint, day and bucket that the reader may see.

    One condition per distinct window (usually one): a branch per endpoint would make
    PostgreSQL plan thousands of ORs when all endpoints are read at once. On PostgreSQL the
    ids travel as one array literal (no per-id placeholder to convert)."""
    by_window: dict[tuple[date, date, bool], list[int]] = defaultdict(list)
    for endpoint_id, window in windows.items():
        by_window[window].append(endpoint_id)
    clauses, params = [], []
    for (start, end, published_only), ids in sorted(by_window.items()):
        if cumulative and published_only:
            generation = (" AND r.generation <= e.publication AND (r.next_generation IS NULL"
                          " OR r.next_generation > e.publication)")
        elif cumulative:
            generation = " AND r.next_generation IS NULL"
        else:
            generation = " AND r.generation <= e.publication" if published_only else ""
        if connection.vendor == "postgresql":
            members = "= ANY(%s::bigint[])"
            params.append("{" + ",".join(map(str, sorted(ids))) + "}")
        else:
            members = f"IN ({', '.join(['%s'] * len(ids))})"
            params += sorted(ids)
        clauses.append(f"(r.endpoint_id {members} AND r.day BETWEEN %s AND %s{generation})")
        params += [start, end]
    return " OR ".join(clauses), params


def _query(windows: dict[int, tuple[date, date, bool]], cap: int, by: tuple[str, ...],
           app_windows: dict[int, tuple[date, date, bool]] | None = None) -> list[tuple]:
    """Rows (kind, endpoint_id, *by, raw sums…, capped sums…) of the window figures.

    Sums come from the daily totals (ToolCallDayTotal: one row per endpoint × day × bucket,
    whatever the number of apps), the one cumulative row per day the reader may see (a
    published-only window stops at `publication`, §8). An endpoint with a day whose totals
    were computed under another cap setting is summed from its rollups instead (a second
    query, only then), so figures always follow the current cap. Rows of kind "app" add the
    sums per endpoint × app from the rollups (§4's app-matched figure) of `app_windows`."""
    totals, endpoints = ToolCallDayTotal._meta.db_table, Endpoint._meta.db_table
    conditions, window_params = window_conditions(windows, cumulative=True)
    sums = ", ".join([*(f"CAST(SUM(r.{f}) AS BIGINT)" for f in ROLLUP_COUNTS),
                      *(f"CAST(SUM(r.capped_{f}) AS DOUBLE PRECISION)" for f in ROLLUP_COUNTS)])
    group = "".join(f", r.{column}" for column in by)
    sql = (f"SELECT 'total', r.endpoint_id{group}, {sums}, "  # noqa: S608
           f"SUM(CASE WHEN r.cap = %s THEN 0 ELSE 1 END) "
           f"FROM {totals} r JOIN {endpoints} e ON e.id = r.endpoint_id WHERE {conditions} "
           f"GROUP BY r.endpoint_id{group}")
    params = [cap, *window_params]
    if app_windows:
        # §4's app-matched figure needs each app's capped correct and calls only: summed per
        # app-day first (the cap factor applies to an app-day's sums alike), then per app, in
        # floating point (numeric arithmetic and a join back cost more than reading rows).
        rollups = ToolCallRollup._meta.db_table
        rollup_conditions, rollup_params = window_conditions(app_windows)
        day_sums = ", ".join(f"SUM(r.{name}) AS {name}" for name in APP_COUNTS)
        raw_by_app = dict.fromkeys(ROLLUP_COUNTS, "0")
        capped_by_app = dict.fromkeys(ROLLUP_COUNTS, "0")
        for name in APP_COUNTS:
            # BIGINT as in the totals' branch: the union's column type is the raw counts' type
            # (else PostgreSQL's NUMERIC, and the charts' JSON wrote the counts as strings).
            raw_by_app[name] = f"CAST(SUM({name}) AS BIGINT)"
            capped_by_app[name] = f"SUM({name} * factor)"
        app_sums = ", ".join([*raw_by_app.values(), *capped_by_app.values()])
        sql = f"""WITH wa AS (
            SELECT r.endpoint_id, r.app, r.day, {day_sums},
                   CASE WHEN SUM(r.requests_with_tools) > %s
                        THEN CAST(%s AS DOUBLE PRECISION) / SUM(r.requests_with_tools)
                        ELSE 1.0 END AS factor
            FROM {rollups} r JOIN {endpoints} e ON e.id = r.endpoint_id
            WHERE {rollup_conditions} GROUP BY r.endpoint_id, r.app, r.day)
            {sql} UNION ALL SELECT 'app', endpoint_id, app, {app_sums}, 0
            FROM wa GROUP BY endpoint_id, app"""  # noqa: S608
        params = [cap, cap, *rollup_params, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    stale = {row[1] for row in rows if row[-1]}
    rows = [row[:-1] for row in rows if row[0] == "app" or row[1] not in stale]
    if stale:
        rows += [("total", *row) for row in
                 _rollup_query({pk: windows[pk] for pk in stale}, cap, by)]
    return rows


def _rollup_query(windows: dict[int, tuple[date, date, bool]], cap: int, by: tuple[str, ...]):
    """Sums per endpoint × `by` straight from the rollups; capped sums scale each app-day by
    min(1, cap/requests). For totals computed under another cap (see _query)."""
    table = ToolCallRollup._meta.db_table
    endpoints = Endpoint._meta.db_table
    conditions, params = window_conditions(windows)
    raw_sums = ", ".join(f"SUM(r.{f})" for f in ROLLUP_COUNTS)
    capped_sums = ", ".join(f"SUM(r.{f} * f.factor)" for f in ROLLUP_COUNTS)
    group = "".join(f", r.{column}" for column in by)
    sql = f"""
        WITH w AS (SELECT r.* FROM {table} r JOIN {endpoints} e ON e.id = r.endpoint_id
                   WHERE {conditions}),
        f AS (
            SELECT endpoint_id, app, day,
                   CASE WHEN SUM(requests_with_tools) > %s
                        THEN %s * 1.0 / SUM(requests_with_tools) ELSE 1.0 END AS factor
            FROM w GROUP BY endpoint_id, app, day
        )
        SELECT r.endpoint_id{group}, {raw_sums}, {capped_sums}
        FROM w r JOIN f ON f.endpoint_id = r.endpoint_id AND f.app = r.app AND f.day = r.day
        GROUP BY r.endpoint_id{group}
    """  # noqa: S608 - identifiers are ours; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, cap, cap])
        return cursor.fetchall()


def bucket_mix(stats: EndpointStats) -> dict[str, float]:
    return {bucket: counts.capped["calls"] for bucket, counts in stats.buckets.items()}


def app_matched_figures(stats_by_endpoint: dict[int, EndpointStats]) -> dict[int, dict]:
    """§4's app-matched accuracy of each of one model's endpoints (API.md `app_matched`),
    from their per-app figures; endpoints without one are left out."""
    per_app = {
        str(endpoint_id): {
            app: (c.capped["valid"] + c.capped["unchecked"], c.capped["calls"])
            for app, c in stats.apps.items() if c.capped["calls"] > 0
        }
        for endpoint_id, stats in stats_by_endpoint.items()
    }
    return {int(endpoint_id): {"accuracy_delta": m.delta, "apps": m.apps, "weight": m.weight}
            for endpoint_id, m in app_matched_delta(per_app).items()}


# What app_matched_delta gives an endpoint without shared apps.
NO_APP_MATCHED = {"accuracy_delta": None, "apps": 0, "weight": 0.0}


def model_comparisons(stats_by_endpoint: dict[int, EndpointStats],
                      app_matched: dict[int, dict]) -> dict[int, dict]:
    """Extra figures that compare an endpoint with its model's others (§3, §4);
    `app_matched`: app_matched_figures of the same endpoints (or stored ones)."""
    model_mix: dict[str, float] = defaultdict(float)
    for stats in stats_by_endpoint.values():
        for bucket, calls in bucket_mix(stats).items():
            model_mix[bucket] += calls
    out = {}
    for endpoint_id, stats in stats_by_endpoint.items():
        tvd = total_variation(bucket_mix(stats), model_mix) if stats.total.raw["calls"] else None
        matched = app_matched.get(endpoint_id, NO_APP_MATCHED)
        out[endpoint_id] = {
            "bucket_mix_tvd": tvd,
            "bucket_mix_flag": tvd is not None and tvd > settings.EXACTO_BUCKET_MIX_TVD_FLAG,
            # In API.md's key order (stored figures come back in jsonb's).
            "app_matched": {name: matched[name] for name in NO_APP_MATCHED},
        }
    return out


def bucket_figures(stats: EndpointStats) -> dict:
    return {
        bucket.value: stats.buckets[bucket.value].figures()
        if bucket.value in stats.buckets else Counts().figures()
        for bucket in Bucket
    }


def daily_counts(
    endpoints: list[Endpoint], viewer: Viewer, *, days: int = 30, today: date | None = None,
    by_bucket: bool = False,
) -> dict[int, list[tuple]]:
    """Per endpoint, (day, Counts) — or (day, bucket, Counts) — for each day with data.

    The same query and publication window as the window figures, so open data summed
    over a window gives the public figures exactly as served.
    """
    today = today or timezone.now().date()
    windows = viewer_windows(endpoints, viewer, days, today)
    out: dict[int, list] = {e.pk: [] for e in endpoints}
    if not windows:
        return out
    by = ("day", "bucket") if by_bucket else ("day",)
    first = 1 + len(by)
    n = len(ROLLUP_COUNTS)
    for _, *row in _query(windows, settings.EXACTO_APP_DAILY_CAP, by=by):
        counts = Counts()
        counts.add(dict(zip(ROLLUP_COUNTS, row[first : first + n], strict=True)),
                   dict(zip(ROLLUP_COUNTS, (float(v) for v in row[first + n :]), strict=True)))
        day = row[1] if isinstance(row[1], date) else date.fromisoformat(str(row[1]))
        out[row[0]].append((day, *row[2:first], counts))
    for series in out.values():
        series.sort(key=lambda item: item[:-1])
    return out


def daily_accuracy(
    endpoints: list[Endpoint], viewer: Viewer, *, days: int = 30, today: date | None = None
) -> dict[int, list[tuple[date, float | None]]]:
    """Per endpoint, (day, accuracy) for each day with data: accuracy over time, the one
    daily figure the pages draw (Counts.figures' accuracy, without the other figures and
    intervals it computes)."""
    today = today or timezone.now().date()
    windows = viewer_windows(endpoints, viewer, days, today)
    out: dict[int, list] = {e.pk: [] for e in endpoints}
    if not windows:
        return out
    # Rows are (kind, endpoint_id, day, raw sums…, capped sums…).
    capped = 3 + len(ROLLUP_COUNTS)
    calls, valid, unchecked = (capped + ROLLUP_COUNTS.index(name)
                               for name in ("calls", "valid", "unchecked"))
    for row in _query(windows, settings.EXACTO_APP_DAILY_CAP, by=("day",)):
        day = row[2] if isinstance(row[2], date) else date.fromisoformat(str(row[2]))
        out[row[1]].append(
            (day, rate(float(row[valid]) + float(row[unchecked]), float(row[calls]))))
    for series in out.values():
        series.sort(key=lambda item: item[0])
    return out
