"""Speed and availability figures per endpoint, merged from daily rollup rows in SQL
(METHODOLOGY §10, API.md 1.1 `performance`).

Each function is a fixed number of queries whatever the number of endpoints or days:
rows are summed per endpoint × bucket (× day) by the database, and quantiles are read
from the merged buckets in one pass. The publication filter is the tool-call one
(`toolcall_stats.viewer_windows`): a public reader sees published days only, and of those only
rows of a generation already published (late arrivals wait for the next publication, §8).
"""

import hashlib
from datetime import date

from django.conf import settings
from django.db import connection
from django.utils import timezone

from metrics.choices import RequestStatus
from metrics.histogram import value_of
from metrics.models import AvailabilityRollup, SpeedRollup
from metrics.public_cache import remembered
from metrics.selectors.app_matched import group_key
from metrics.selectors.toolcall_stats import viewer_windows, window_conditions
from metrics.speed import Metric, performance
from providers.models import Endpoint
from providers.visibility import Viewer

METRICS = (Metric.LATENCY, Metric.TTFT, Metric.THROUGHPUT)
STATUSES = ((RequestStatus.OK, "ok"), (RequestStatus.ERROR, "errors"), (RequestStatus.TIMEOUT, "timeouts"))


def _sums(model, windows, group: tuple[str, ...], columns: tuple[str, ...]) -> list[tuple]:
    """SUM(columns) GROUP BY group over each endpoint's window, in one statement (the
    window and publication conditions of toolcall_stats: ids as one array on PostgreSQL)."""
    where, params = window_conditions(windows)
    keys = ", ".join(f"r.{g}" for g in group)
    sums = ", ".join(f"SUM(r.{c})" for c in columns)
    sql = (f"SELECT {keys}, {sums} FROM {model._meta.db_table} r "  # noqa: S608
           f"JOIN {Endpoint._meta.db_table} e ON e.id = r.endpoint_id "
           f"WHERE {where} GROUP BY {keys}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def endpoint_performance(
    endpoints: list[Endpoint], viewer: Viewer, *, days: int | None = None,
    today: date | None = None,
) -> dict[int, dict]:
    """API.md `performance` per endpoint over the viewer's window, in two queries."""
    days = days or settings.EXACTO_WINDOW_DAYS
    today = today or timezone.now().date()
    windows = viewer_windows(endpoints, viewer, days, today)
    hists: dict[int, dict] = {e.pk: {m: {} for m in METRICS} for e in endpoints}
    statuses: dict[int, dict] = {e.pk: {} for e in endpoints}
    if windows:
        for endpoint_id, bucket, *counts in _sums(SpeedRollup, windows,
                                                  ("endpoint_id", "bucket"), METRICS):
            for metric, n in zip(METRICS, counts, strict=True):
                if n:
                    hists[endpoint_id][metric][bucket] = int(n)
        for endpoint_id, *counts in _sums(AvailabilityRollup, windows, ("endpoint_id",),
                                          tuple(c for _, c in STATUSES)):
            statuses[endpoint_id] = {s: int(n or 0) for (s, _), n in zip(STATUSES, counts,
                                                                         strict=True)}
    return {pk: performance(days, hists[pk], statuses[pk]) for pk in hists}


def daily_performance(
    endpoints: list[Endpoint], viewer: Viewer, *, days: int = 30, today: date | None = None,
) -> dict[int, dict[date, dict]]:
    """Per endpoint and day with speed data, that day's `performance` (window_days 1)."""
    today = today or timezone.now().date()
    windows = viewer_windows(endpoints, viewer, days, today)
    hists: dict[int, dict] = {e.pk: {} for e in endpoints}
    statuses: dict[int, dict] = {e.pk: {} for e in endpoints}
    if windows:
        for endpoint_id, day, bucket, *counts in _sums(
                SpeedRollup, windows, ("endpoint_id", "day", "bucket"), METRICS):
            by_metric = hists[endpoint_id].setdefault(_day(day), {m: {} for m in METRICS})
            for metric, n in zip(METRICS, counts, strict=True):
                if n:
                    by_metric[metric][bucket] = int(n)
        for endpoint_id, day, *counts in _sums(AvailabilityRollup, windows,
                                               ("endpoint_id", "day"),
                                               tuple(c for _, c in STATUSES)):
            statuses[endpoint_id][_day(day)] = {
                s: int(n or 0) for (s, _), n in zip(STATUSES, counts, strict=True)}
    return {
        pk: {day: performance(1, hists[pk].get(day, {}), statuses[pk].get(day, {}))
             for day in sorted(set(hists[pk]) | set(statuses[pk]))}
        for pk in hists
    }


# Days of the daily p50 throughput chart: two windows; a month of histograms (~20 rows
# per endpoint and day) would double the model page's heaviest query for little.
DAILY_DAYS = 14
# Bumped when the series' computation changes, so cached series of older code are not read.
THROUGHPUT_FORMULA = 1


def daily_throughput(
    endpoints: list[Endpoint], viewer: Viewer, *, days: int = DAILY_DAYS,
    today: date | None = None,
) -> dict[int, list[tuple[date, float]]]:
    """Per endpoint, (day, p50 throughput) for each day with throughput data, one query.

    The median is found in SQL (a running sum over each day's buckets, window functions
    on both PostgreSQL and SQLite): a month of a model's histograms never leaves the
    database, only one bucket per endpoint and day. Nearest rank, as histogram.quantile:
    the first bucket whose running count reaches half the day's count.
    """
    today = today or timezone.now().date()
    windows = viewer_windows(endpoints, viewer, days, today)
    # A published-only reader's series depends only on the endpoints' windows and
    # publications (published speed rows are never rewritten: late events go to the next
    # generation), so it is kept in the cache under their key; other readers compute it.
    # The key names the endpoints too: those without a window are in the answer, not in it.
    key = group_key(endpoints, windows, today)
    ids = ",".join(str(pk) for pk in sorted(e.pk for e in endpoints))
    memo = key and hashlib.sha256(f"{THROUGHPUT_FORMULA}:{days}:{key}:{ids}".encode())
    return remembered(memo and f"exacto:daily-throughput:{memo.hexdigest()}",
                      lambda: _daily_throughput(endpoints, windows))


def _daily_throughput(endpoints: list[Endpoint], windows: dict
                      ) -> dict[int, list[tuple[date, float]]]:
    out: dict[int, list[tuple[date, float]]] = {e.pk: [] for e in endpoints}
    if not windows:
        return out
    where, params = window_conditions(windows)
    table = SpeedRollup._meta.db_table
    endpoints = Endpoint._meta.db_table
    sql = f"""
        SELECT endpoint_id, day, MIN(bucket) FROM (
            SELECT endpoint_id, day, bucket,
                   SUM(n) OVER (PARTITION BY endpoint_id, day ORDER BY bucket
                                ROWS UNBOUNDED PRECEDING) AS running,
                   SUM(n) OVER (PARTITION BY endpoint_id, day) AS total
            FROM (SELECT r.endpoint_id, r.day, r.bucket, SUM(r.throughput) AS n
                  FROM {table} r JOIN {endpoints} e ON e.id = r.endpoint_id
                  WHERE r.throughput > 0 AND ({where})
                  GROUP BY r.endpoint_id, r.day, r.bucket) AS buckets
        ) AS days WHERE 2 * running >= total
        GROUP BY endpoint_id, day ORDER BY endpoint_id, day
    """  # noqa: S608 - identifiers are ours; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for endpoint_id, day, bucket in cursor.fetchall():
            out[endpoint_id].append((_day(day), round(value_of(bucket), 3)))
    return out


