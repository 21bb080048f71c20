"""Open data: published tool-call figures per model × provider × day (public viewer only)."""

from providers.models import Endpoint, LLMModel
from providers.visibility import Viewer

from .toolcall_stats import daily_figures

EXPORT_COLUMNS = [
    "day", "model", "provider", "quantization", "calls", "valid", "unchecked", "invalid_json",
    "unknown_tool", "schema_mismatch", "accuracy", "accuracy_ci95_low", "accuracy_ci95_high",
    "requests_with_tools", "errored_requests", "request_error_rate", "propensity_requests",
    "propensity_requests_with_calls", "propensity",
]


def daily_export_rows(model: LLMModel | None, *, days: int = 30) -> list[dict]:
    """Always the public view: an export is published data, whoever downloads it."""
    endpoints = list(
        Endpoint.objects.approved().select_related("model", "provider")
        .filter(**({"model": model} if model else {}))
        .order_by("model__slug", "provider__slug", "quantization")
    )
    daily = daily_figures(endpoints, Viewer.public(), days=days)
    rows = []
    for endpoint in endpoints:
        for day, f in daily[endpoint.pk]:
            ci = f["accuracy_ci95"] or [None, None]
            rows.append({
                "day": day.isoformat(), "model": endpoint.model.slug,
                "provider": endpoint.provider.slug, "quantization": endpoint.quantization,
                **{k: f[k] for k in (
                    "calls", "valid", "unchecked", "invalid_json", "unknown_tool",
                    "schema_mismatch", "accuracy", "requests_with_tools", "errored_requests",
                    "request_error_rate", "propensity_requests",
                    "propensity_requests_with_calls", "propensity")},
                "accuracy_ci95_low": ci[0], "accuracy_ci95_high": ci[1],
            })
    return rows
