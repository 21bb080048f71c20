"""Exacto pool recompute (METHODOLOGY §7): figures → pure rules → snapshot, verdicts, diff.

A recompute locks the model's row, so concurrent recomputes (beat, admin, command)
queue up instead of writing two snapshots with the same sequence.
"""

import dataclasses
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from metrics.models import PoolChange, PoolOverride, PoolSnapshot, PoolVerdict
from metrics.pools import (
    EndpointFigures,
    Override,
    PoolResult,
    PoolSettings,
    diff_pools,
    has_enough_data,
    judge_pool,
    verdict_to_dict,
)
from metrics.selectors.ignores import ignore_rates
from metrics.selectors.toolcall_stats import endpoint_stats
from providers.choices import ApprovalStatus
from providers.models import Endpoint, LLMModel
from providers.visibility import Viewer


def pool_settings() -> PoolSettings:
    return PoolSettings(
        min_calls=settings.EXACTO_POOL_MIN_CALLS,
        min_propensity_requests=settings.EXACTO_POOL_MIN_PROPENSITY_REQUESTS,
        accuracy_margin=settings.EXACTO_POOL_ACCURACY_MARGIN,
        propensity_k=settings.EXACTO_POOL_PROPENSITY_MAD_K,
        propensity_min_halfwidth=settings.EXACTO_POOL_PROPENSITY_MIN_HALFWIDTH,
        ignore_median_factor=settings.EXACTO_POOL_IGNORE_MEDIAN_FACTOR,
        ignore_floor=settings.EXACTO_POOL_IGNORE_FLOOR,
    )


def model_figures(
    model: LLMModel, endpoints: list[Endpoint], today=None, *, stats=None, overrides=None,
    ignores=None,
) -> list[EndpointFigures]:
    """Plain figures of every endpoint: all data, published or not (pools route traffic now).

    `stats` and `overrides` may be preloaded for many models at once (recompute_all);
    `stats` and `ignores` of the public view give the published judgement (published_pools).
    """
    if stats is None:
        stats = endpoint_stats(endpoints, Viewer.everything(), today=today)
    if ignores is None:
        windows = {e.pk: (stats[e.pk].window_start, stats[e.pk].window_end) for e in endpoints}
        ignores = ignore_rates(model, endpoints, windows)
    if overrides is None:
        overrides = {o.endpoint_id: o
                     for o in PoolOverride.objects.filter(endpoint__in=endpoints)}
    figures = []
    for endpoint in endpoints:
        capped = stats[endpoint.pk].total.capped
        override = overrides.get(endpoint.pk)
        figures.append(EndpointFigures(
            key=str(endpoint.pk), provider=endpoint.provider.slug,
            quantization=endpoint.quantization, in_rotation=endpoint.in_rotation,
            rotation_status=endpoint.rotation_status, is_reference=endpoint.is_reference,
            calls=capped["calls"], correct=capped["valid"] + capped["unchecked"],
            propensity_requests=capped["propensity_requests"],
            propensity_with_calls=capped["propensity_requests_with_calls"],
            ignore_rate=ignores[endpoint.pk]["ignore_rate"],
            override=Override(override.action) if override else None,
            override_reason=override.reason if override else "",
        ))
    return figures


def _shared_figures(result: PoolResult, figures: list[EndpointFigures]) -> dict:
    band = result.propensity_range
    settings_ = pool_settings()
    return {
        "best_lower_bound": result.best_lower_bound,
        "best_endpoint": result.best_endpoint,
        "propensity_range": dataclasses.asdict(band) if band else None,
        "ignore_threshold": result.ignore_threshold,
        "pool": list(result.pool),
        # Whose figures each shared threshold rests on (METHODOLOGY §8): a provider sees a
        # threshold's value only when all of them are its own endpoints.
        "sources": {
            "accuracy": [result.best_endpoint] if result.best_endpoint else [],
            "propensity": [f.key for f in figures if has_enough_data(f, settings_)
                           and f.propensity_requests > 0] if band else [],
            "ignores": [f.key for f in figures if f.ignore_rate is not None],
        },
    }


@transaction.atomic
def recompute_model(
    model: LLMModel, *, trigger: str, now: datetime | None = None, today=None,
    stats=None, overrides=None,
) -> PoolSnapshot:
    now = now or timezone.now()
    # The row lock serialises recomputes of one model across workers (PostgreSQL);
    # SQLite's single writer (IMMEDIATE transactions) does the same there.
    model = LLMModel.objects.select_for_update().get(pk=model.pk)
    # Pending models and providers are neither judged nor shape the model's figures (§9).
    endpoints = list(Endpoint.objects.filter(model=model).approved().select_related("provider"))
    if stats is not None and any(e.pk not in stats for e in endpoints):
        stats = None  # an endpoint registered since the preload: measure afresh
    figures = model_figures(model, endpoints, today=today, stats=stats, overrides=overrides)
    result = judge_pool(figures, pool_settings())
    previous = PoolSnapshot.objects.filter(model=model).order_by("-sequence").first()
    previous_state = None
    if previous is not None:
        previous_state = {
            str(v.endpoint_id): {"member": v.member, "failed": v.failed,
                                 "forced": v.forced or None,
                                 "fallback": v.detail.get("fallback", False)}
            for v in previous.verdicts.all()
        }
    snapshot = PoolSnapshot.objects.create(
        model=model, sequence=(previous.sequence + 1) if previous else 1, computed_at=now,
        trigger=trigger, fallback=result.fallback, figures=_shared_figures(result, figures),
    )
    position = {key: i for i, key in enumerate(result.pool)}
    PoolVerdict.objects.bulk_create([
        PoolVerdict(
            snapshot=snapshot, endpoint_id=int(v.key), tier=v.tier.value, member=v.member,
            position=position.get(v.key), forced=v.forced.value if v.forced else "",
            failed=[r.value for r in v.failed], detail=verdict_to_dict(v),
            accuracy_lower=v.accuracy_ci95[0] if v.accuracy_ci95 else None,
        )
        for v in result.verdicts
    ])
    endpoint_ids = {e.pk for e in endpoints}
    changes = [
        PoolChange(snapshot=snapshot, endpoint_id=int(c.key), change=c.change,
                   rules=list(c.rules), reason=c.reason)
        for c in diff_pools(previous_state, result) if int(c.key) in endpoint_ids
    ]
    if changes:
        PoolChange.objects.bulk_create(changes)
    return snapshot


def recompute_all(*, trigger: str, progress=None) -> list[PoolSnapshot]:
    """Every model; figures of all endpoints are read in one query up front."""
    endpoints = list(Endpoint.objects.all())
    stats = endpoint_stats(endpoints, Viewer.everything())
    overrides = {o.endpoint_id: o for o in PoolOverride.objects.all()}
    snapshots = []
    for model in LLMModel.objects.filter(status=ApprovalStatus.APPROVED).order_by("slug"):
        snapshots.append(recompute_model(model, trigger=trigger, stats=stats,
                                         overrides=overrides))
        if progress is not None:
            progress.update(1)
    return snapshots
