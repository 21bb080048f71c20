"""Speed and availability figures per endpoint, merged from daily histogram rows in SQL
(METHODOLOGY §10, API.md 1.1 `performance`).

Each function is one query whatever the number of endpoints or days: rows are summed
per endpoint × metric × bucket (× day) by the database, and quantiles are read from the
merged buckets in one pass. The publication filter is the tool-call one
(`toolcall_stats._windows`): a public reader sees published days only (§8).
"""

from collections import defaultdict
from datetime import date

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from metrics.histogram import quantile
from metrics.models import SpeedRollup
from metrics.selectors.toolcall_stats import _windows
from metrics.speed import Metric, performance
from providers.models import Endpoint
from providers.visibility import Viewer


def _rows(windows: dict[int, tuple[date, date]], group: tuple[str, ...],
          metrics: tuple[str, ...] | None = None):
    by_window: dict[tuple[date, date], list[int]] = defaultdict(list)
    for endpoint_id, window in windows.items():
        by_window[window].append(endpoint_id)
    # One condition per distinct window (usually one), as toolcall_stats does.
    condition = Q()
    for (start, end), ids in sorted(by_window.items()):
        condition |= Q(endpoint_id__in=sorted(ids), day__range=(start, end))
    query = SpeedRollup.objects.filter(condition)
    if metrics is not None:
        query = query.filter(metric__in=metrics)
    return query.order_by().values_list(*group).annotate(n=Sum("count"))


def endpoint_performance(
    endpoints: list[Endpoint], viewer: Viewer, *, days: int | None = None,
    today: date | None = None,
) -> dict[int, dict]:
    """API.md `performance` per endpoint over the viewer's window, in one query."""
    days = days or settings.EXACTO_WINDOW_DAYS
    today = today or timezone.now().date()
    windows = _windows(endpoints, viewer, days, today)
    merged: dict[int, dict[str, dict[int, int]]] = {e.pk: defaultdict(dict) for e in endpoints}
    if windows:
        for endpoint_id, metric, bucket, n in _rows(windows, ("endpoint_id", "metric", "bucket")):
            merged[endpoint_id][metric][bucket] = int(n)
    return {pk: performance(days, hists) for pk, hists in merged.items()}


def daily_performance(
    endpoints: list[Endpoint], viewer: Viewer, *, days: int = 30, today: date | None = None,
    metrics: tuple[str, ...] | None = None,
) -> dict[int, dict[date, dict]]:
    """Per endpoint and day with speed data, that day's `performance` (window_days 1)."""
    today = today or timezone.now().date()
    windows = _windows(endpoints, viewer, days, today)
    merged: dict[int, dict[date, dict]] = {e.pk: {} for e in endpoints}
    if not windows:
        return merged
    for endpoint_id, day, metric, bucket, n in _rows(
            windows, ("endpoint_id", "day", "metric", "bucket"), metrics):
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        merged[endpoint_id].setdefault(day, defaultdict(dict))[metric][bucket] = int(n)
    return {
        pk: {day: performance(1, hists) for day, hists in sorted(by_day.items())}
        for pk, by_day in merged.items()
    }


def daily_throughput(
    endpoints: list[Endpoint], viewer: Viewer, *, days: int = 30, today: date | None = None,
) -> dict[int, list[tuple[date, float]]]:
    """Per endpoint, (day, p50 throughput) for each day with throughput data."""
    today = today or timezone.now().date()
    windows = _windows(endpoints, viewer, days, today)
    merged: dict[int, dict[date, dict[int, int]]] = {e.pk: defaultdict(dict) for e in endpoints}
    if windows:
        for endpoint_id, day, bucket, n in _rows(
                windows, ("endpoint_id", "day", "bucket"), (Metric.THROUGHPUT.value,)):
            day = day if isinstance(day, date) else date.fromisoformat(str(day))
            merged[endpoint_id][day][bucket] = int(n)
    return {
        pk: [(day, round(quantile(hist, 0.5), 3)) for day, hist in sorted(by_day.items())]
        for pk, by_day in merged.items()
    }
