"""Published pools (issue 18): the §7 judgement of a model on its published figures alone.

Taken at every publication, so that the open data (day rows, ignore counts, rotation,
settings) holds every input of the latest one and anyone can recompute its verdicts.
Routing keeps its own snapshots on all data (services.pools); this never routes.
"""

import dataclasses
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from metrics.models import PublishedPool
from metrics.pools import judge_pool
from metrics.selectors.ignores import ignore_rates
from metrics.selectors.speed_stats import endpoint_performance
from metrics.selectors.toolcall_stats import endpoint_stats
from metrics.services.pools import model_figures, pool_settings
from providers.models import Endpoint, LLMModel
from providers.visibility import Viewer


def settings_in_force() -> dict:
    """The settings a published judgement rests on (§4 window and cap, §7 rules)."""
    return {
        "window_days": settings.EXACTO_WINDOW_DAYS,
        "app_daily_cap": settings.EXACTO_APP_DAILY_CAP,
        **dataclasses.asdict(pool_settings()),
    }


def _label(endpoint: Endpoint) -> str:
    return f"{endpoint.provider.slug}:{endpoint.quantization}" if endpoint.quantization \
        else endpoint.provider.slug


@transaction.atomic
def record_published_pool(model: LLMModel, *, now: datetime | None = None) -> PublishedPool:
    now = now or timezone.now()
    # Serialises with routing recomputes and other publications of the same model.
    model = LLMModel.objects.select_for_update().get(pk=model.pk)
    # The endpoints a routing recompute judges: pending ones are neither public nor judged.
    endpoints = list(Endpoint.objects.filter(model=model).approved().select_related("provider")
                     .order_by("provider__slug", "quantization"))
    stats = endpoint_stats(endpoints, Viewer.public(), today=now.date())
    windows = {e.pk: (stats[e.pk].window_start, stats[e.pk].window_end)
               for e in endpoints if stats[e.pk].window_end is not None}
    ignores = ignore_rates(model, endpoints, windows)
    speed = endpoint_performance(endpoints, Viewer.public(), today=now.date())
    figures = model_figures(model, endpoints, stats=stats, ignores=ignores, speed=speed)
    result = judge_pool(figures, pool_settings())
    by_key = {str(e.pk): e for e in endpoints}
    position = {key: i for i, key in enumerate(result.pool)}
    inputs = {f.key: f for f in figures}
    verdicts = []
    for v in result.verdicts:
        endpoint, f = by_key[v.key], inputs[v.key]
        window = stats[endpoint.pk]
        verdicts.append({
            "endpoint_key": v.key, "provider": endpoint.provider.slug,
            "quantization": endpoint.quantization, "reference": endpoint.is_reference,
            "rotation_status": endpoint.rotation_status, "in_rotation": endpoint.in_rotation,
            "forced": v.forced.value if v.forced else None,
            "window_start": window.window_start.isoformat() if window.window_start else None,
            "window_end": window.window_end.isoformat() if window.window_end else None,
            "capped_calls": f.calls, "capped_correct": f.correct,
            "capped_propensity_requests": f.propensity_requests,
            "capped_propensity_requests_with_calls": f.propensity_with_calls,
            "ignoring_users": ignores[endpoint.pk]["ignoring_users"],
            "active_users": ignores[endpoint.pk]["active_users"],
            "ignore_rate": v.ignore_rate,
            "accuracy": v.accuracy,
            "accuracy_ci95_low": v.accuracy_ci95[0] if v.accuracy_ci95 else None,
            "accuracy_ci95_high": v.accuracy_ci95[1] if v.accuracy_ci95 else None,
            "propensity": v.propensity,
            "tier": v.tier.value, "member": v.member, "fallback": v.fallback,
            "position": position.get(v.key),
            "failed": [rule.value for rule in v.failed],
            "status_requests": f.status_requests, "ok_requests": f.ok_requests,
            "throughput_p50": f.throughput_p50,
        })
    band = result.propensity_range
    best = by_key.get(result.best_endpoint) if result.best_endpoint else None
    shared = {
        "best_lower_bound": result.best_lower_bound,
        "best_endpoint_key": result.best_endpoint,
        "best_endpoint": _label(best) if best else None,
        "propensity_range": dataclasses.asdict(band) if band else None,
        "ignore_threshold": result.ignore_threshold,
        "fallback": result.fallback,
        "pool_keys": list(result.pool),
        "pool": [_label(by_key[key]) for key in result.pool],
    }
    previous = PublishedPool.objects.filter(model=model).order_by("-sequence").first()
    return PublishedPool.objects.create(
        model=model, sequence=(previous.sequence + 1) if previous else 1, computed_at=now,
        settings=settings_in_force(), figures=shared, verdicts=verdicts,
    )


def record_published_pools(models, *, now: datetime | None = None) -> list[PublishedPool]:
    """One published judgement per model (after a publication touched its endpoints)."""
    return [record_published_pool(model, now=now) for model in models]
