"""Open data: published tool-call figures per model × provider × day (public viewer only)."""

from providers.models import Endpoint, LLMModel
from providers.visibility import Viewer

from .speed_stats import daily_performance
from .toolcall_stats import Counts, daily_figures

EXPORT_COLUMNS = [
    "day", "model", "provider", "quantization", "calls", "valid", "unchecked", "invalid_json",
    "unknown_tool", "schema_mismatch", "accuracy", "accuracy_ci95_low", "accuracy_ci95_high",
    "requests_with_tools", "errored_requests", "request_error_rate", "propensity_requests",
    "propensity_requests_with_calls", "propensity",
    # Speed and availability of the day (METHODOLOGY §10, API.md 1.1 `performance`).
    "requests", "ok", "errors", "timeouts", "uptime", "uptime_ci95_low", "uptime_ci95_high",
    "latency_ms_p50", "latency_ms_p90", "ttft_ms_p50", "ttft_ms_p90", "throughput_tps_p50",
    "throughput_tps_p90",
]
SPEED_COLUMNS = EXPORT_COLUMNS[EXPORT_COLUMNS.index("requests"):]


def daily_export_rows(model: LLMModel | None, *, days: int = 30) -> list[dict]:
    """Always the public view: an export is published data, whoever downloads it."""
    endpoints = list(
        Endpoint.objects.approved().select_related("model", "provider")
        .filter(**({"model": model} if model else {}))
        .order_by("model__slug", "provider__slug", "quantization")
    )
    daily = daily_figures(endpoints, Viewer.public(), days=days)
    speed = daily_performance(endpoints, Viewer.public(), days=days)
    empty = Counts().figures()
    rows = []
    for endpoint in endpoints:
        tool_days = dict(daily[endpoint.pk])
        # A day may have speed figures only (every request failed): it gets a row too.
        for day in sorted(set(tool_days) | set(speed[endpoint.pk])):
            f = tool_days.get(day, empty)
            ci = f["accuracy_ci95"] or [None, None]
            perf = speed[endpoint.pk].get(day)
            rows.append({
                "day": day.isoformat(), "model": endpoint.model.slug,
                "provider": endpoint.provider.slug, "quantization": endpoint.quantization,
                **{k: f[k] for k in (
                    "calls", "valid", "unchecked", "invalid_json", "unknown_tool",
                    "schema_mismatch", "accuracy", "requests_with_tools", "errored_requests",
                    "request_error_rate", "propensity_requests",
                    "propensity_requests_with_calls", "propensity")},
                "accuracy_ci95_low": ci[0], "accuracy_ci95_high": ci[1],
                **_speed_columns(perf),
            })
    return rows


def _speed_columns(perf: dict | None) -> dict:
    if perf is None:
        return dict.fromkeys(SPEED_COLUMNS)
    low, high = perf["uptime_ci95"] or (None, None)
    return {**{k: perf.get(k) for k in SPEED_COLUMNS}, "uptime_ci95_low": low,
            "uptime_ci95_high": high}
