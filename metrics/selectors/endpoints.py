"""The per-endpoint figures that the API and the pages share (API.md GET /endpoints/)."""

from datetime import date

from django.conf import settings
from django.utils import timezone

from metrics.models import PoolSnapshot
from metrics.selectors.ignores import ignore_rates
from metrics.selectors.toolcall_stats import bucket_figures, endpoint_stats, model_comparisons
from providers.models import Endpoint, LLMModel
from providers.visibility import Viewer


def latest_snapshot(model: LLMModel) -> PoolSnapshot | None:
    return (
        PoolSnapshot.objects.filter(model=model).order_by("-sequence")
        .prefetch_related("verdicts").first()
    )


def exacto_of(verdict) -> dict | None:
    """API.md `exacto` object of one stored verdict."""
    if verdict is None:
        return None
    return {
        "tier": verdict.tier,
        "member": verdict.member,
        "forced": verdict.forced or None,
        "rules": verdict.detail.get("rules", {}),
        "failed": verdict.failed,
    }


def model_endpoints(
    model: LLMModel, viewer: Viewer, *, days: int | None = None, today: date | None = None
) -> list[dict]:
    days = days or settings.EXACTO_WINDOW_DAYS
    today = today or timezone.now().date()
    endpoints = list(
        Endpoint.objects.filter(model=model).select_related("provider", "model")
        .order_by("provider__slug", "quantization")
    )
    stats = endpoint_stats(endpoints, viewer, days=days, today=today)
    comparisons = model_comparisons(stats)
    windows = {
        pk: (s.window_start, s.window_end) if s.window_end else None for pk, s in stats.items()
    }
    ignores = ignore_rates(model, endpoints, windows)
    snapshot = latest_snapshot(model)
    verdicts = {v.endpoint_id: v for v in snapshot.verdicts.all()} if snapshot else {}
    rows = []
    for endpoint in endpoints:
        s = stats[endpoint.pk]
        tool_calls = {"window_days": days, **s.total.figures()}
        rows.append({
            "model": model.slug,
            "provider": endpoint.provider.slug,
            "quantization": endpoint.quantization,
            "reference": endpoint.is_reference,
            "in_rotation": endpoint.in_rotation,
            "rotation_status": endpoint.rotation_status,
            "tool_calls": tool_calls,
            "ignore_rate": ignores[endpoint.pk]["ignore_rate"],
            "exacto": exacto_of(verdicts.get(endpoint.pk)),
            # Extensions beyond API.md v1:
            "window": {
                "start": s.window_start.isoformat() if s.window_start else None,
                "end": s.window_end.isoformat() if s.window_end else None,
            },
            "published_until": (
                endpoint.published_until.isoformat() if endpoint.published_until else None
            ),
            "private": viewer.sees_private(endpoint),
            "ignores": ignores[endpoint.pk],
            "buckets": bucket_figures(s),
            **comparisons[endpoint.pk],
            "_endpoint": endpoint,
        })
    return rows
