"""Speed and availability figures per endpoint, merged from daily rollup rows in SQL
(METHODOLOGY §10, API.md 1.1 `performance`).

Each function is a fixed number of queries whatever the number of endpoints or days:
rows are summed per endpoint × bucket (× day) by the database, and quantiles are read
from the merged buckets in one pass. The publication filter is the tool-call one
(`toolcall_stats._windows`): a public reader sees published days only (§8).
"""

from collections import defaultdict
from datetime import date

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from metrics.histogram import quantile
from metrics.models import AvailabilityRollup, SpeedRollup
from metrics.selectors.toolcall_stats import _windows
from metrics.speed import Metric, Status, performance
from providers.models import Endpoint
from providers.visibility import Viewer

METRICS = (Metric.LATENCY, Metric.TTFT, Metric.THROUGHPUT)
STATUSES = ((Status.OK, "ok"), (Status.ERROR, "errors"), (Status.TIMEOUT, "timeouts"))


def _condition(windows: dict[int, tuple[date, date]]) -> Q:
    by_window: dict[tuple[date, date], list[int]] = defaultdict(list)
    for endpoint_id, window in windows.items():
        by_window[window].append(endpoint_id)
    # One condition per distinct window (usually one), as toolcall_stats does.
    condition = Q()
    for (start, end), ids in sorted(by_window.items()):
        condition |= Q(endpoint_id__in=sorted(ids), day__range=(start, end))
    return condition


def _sums(model, windows, group: tuple[str, ...], columns: tuple[str, ...]):
    return (model.objects.filter(_condition(windows)).order_by().values_list(*group)
            .annotate(*(Sum(c) for c in columns)))


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def endpoint_performance(
    endpoints: list[Endpoint], viewer: Viewer, *, days: int | None = None,
    today: date | None = None,
) -> dict[int, dict]:
    """API.md `performance` per endpoint over the viewer's window, in two queries."""
    days = days or settings.EXACTO_WINDOW_DAYS
    today = today or timezone.now().date()
    windows = _windows(endpoints, viewer, days, today)
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
    windows = _windows(endpoints, viewer, days, today)
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


def daily_throughput(
    endpoints: list[Endpoint], viewer: Viewer, *, days: int = 30, today: date | None = None,
) -> dict[int, list[tuple[date, float]]]:
    """Per endpoint, (day, p50 throughput) for each day with throughput data, one query."""
    today = today or timezone.now().date()
    windows = _windows(endpoints, viewer, days, today)
    merged: dict[int, dict[date, dict[int, int]]] = {e.pk: defaultdict(dict) for e in endpoints}
    if windows:
        rows = (SpeedRollup.objects.filter(_condition(windows), throughput__gt=0).order_by()
                .values_list("endpoint_id", "day", "bucket", "throughput"))
        for endpoint_id, day, bucket, n in rows:
            merged[endpoint_id][_day(day)][bucket] = n
    return {
        pk: [(day, round(quantile(hist, 0.5), 3)) for day, hist in sorted(by_day.items())]
        for pk, by_day in merged.items()
    }
