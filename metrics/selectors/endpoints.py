"""The per-endpoint figures that the API and the pages share (API.md GET /endpoints/).

Every function here issues a fixed number of queries per call, whatever the number of
models, endpoints or days.
"""

from collections import defaultdict
from datetime import date

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from metrics.models import PoolSnapshot, PoolVerdict
from metrics.selectors.ignores import ignore_rates_of_models
from metrics.selectors.speed_stats import endpoint_performance
from metrics.selectors.toolcall_stats import (
    EndpointStats,
    bucket_figures,
    endpoint_stats,
    model_comparisons,
)
from providers.models import Endpoint, LLMModel, Provider
from providers.visibility import Viewer


def latest_snapshots(model_ids) -> dict[int, PoolSnapshot]:
    """The newest snapshot of each model, with its verdicts, in two queries."""
    newest = PoolSnapshot.objects.filter(model_id=OuterRef("model_id")).order_by("-sequence")
    snapshots = (
        PoolSnapshot.objects.filter(model_id__in=list(model_ids))
        .filter(sequence=Subquery(newest.values("sequence")[:1]))
        .prefetch_related("verdicts")
    )
    return {s.model_id: s for s in snapshots}


def exacto_of(verdict: PoolVerdict | None) -> dict | None:
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


def _row(endpoint: Endpoint, stats: EndpointStats, days: int, ignores: dict, verdict,
         viewer: Viewer, performance: dict) -> dict:
    return {
        "model": endpoint.model.slug,
        "provider": endpoint.provider.slug,
        "quantization": endpoint.quantization,
        "reference": endpoint.is_reference,
        "in_rotation": endpoint.in_rotation,
        "rotation_status": endpoint.rotation_status,
        "tool_calls": {"window_days": days, **stats.total.figures()},
        "ignore_rate": ignores["ignore_rate"],
        "exacto": exacto_of(verdict),
        "performance": performance,
        # Extensions beyond API.md v1:
        "window": {
            "start": stats.window_start.isoformat() if stats.window_start else None,
            "end": stats.window_end.isoformat() if stats.window_end else None,
        },
        "published_until": (
            endpoint.published_until.isoformat() if endpoint.published_until else None
        ),
        "private": viewer.sees_private(endpoint),
        "ignores": ignores,
        "buckets": bucket_figures(stats),
        "status": {"model": endpoint.model.status, "provider": endpoint.provider.status},
        # For pages (not the API): the objects behind the row.
        "_endpoint": endpoint,
        "_verdict": verdict,
    }


def endpoint_rows(
    endpoints: list[Endpoint], viewer: Viewer, *, days: int | None = None,
    today: date | None = None, apps: bool = False,
) -> tuple[list[dict], dict[int, EndpointStats], dict[int, PoolSnapshot]]:
    """`apps`: also read per-app figures, for callers that compare endpoints (§4)."""
    days = days or settings.EXACTO_WINDOW_DAYS
    today = today or timezone.now().date()
    stats = endpoint_stats(endpoints, viewer, days=days, today=today, apps=apps)
    by_model: dict[int, list[Endpoint]] = defaultdict(list)
    for endpoint in endpoints:
        by_model[endpoint.model_id].append(endpoint)
    windows = {
        e.pk: (stats[e.pk].window_start, stats[e.pk].window_end)
        if stats[e.pk].window_end else None for e in endpoints
    }
    ignores = ignore_rates_of_models(by_model, windows)
    snapshots = latest_snapshots(by_model)
    verdicts = {v.endpoint_id: v for s in snapshots.values() for v in s.verdicts.all()}
    performance = endpoint_performance(endpoints, viewer, days=days, today=today)
    rows = [
        _row(e, stats[e.pk], days, ignores[e.pk], verdicts.get(e.pk), viewer, performance[e.pk])
        for e in endpoints
    ]
    return rows, stats, snapshots


def model_endpoints(
    model: LLMModel, viewer: Viewer, *, days: int | None = None, today: date | None = None
) -> tuple[list[dict], PoolSnapshot | None]:
    """Every endpoint of a model, with the figures that compare it to the others (§3, §4),
    and the model's latest pool snapshot."""
    endpoints = list(
        viewer.endpoints(Endpoint.objects.filter(model=model)).select_related("provider", "model")
        .order_by("provider__slug", "quantization")
    )
    rows, stats, snapshots = endpoint_rows(endpoints, viewer, days=days, today=today, apps=True)
    comparisons = model_comparisons(stats)
    for row in rows:
        row.update(comparisons[row["_endpoint"].pk])
    return rows, snapshots.get(model.pk)


def provider_endpoints(
    provider: Provider, viewer: Viewer
) -> tuple[list[dict], dict[int, PoolSnapshot]]:
    """The provider's endpoints across models, and the latest snapshot of each model."""
    endpoints = list(
        viewer.endpoints(Endpoint.objects.filter(provider=provider))
        .select_related("provider", "model").order_by("model__slug", "quantization")
    )
    rows, stats, snapshots = endpoint_rows(endpoints, viewer, apps=True)
    # §3/§4 comparisons (bucket-mix flag, app-matched accuracy) are against the model's
    # other endpoints: their figures come in one more query, whatever their number.
    peers = list(
        Endpoint.objects.filter(model_id__in={e.model_id for e in endpoints})
        .exclude(provider=provider).select_related("provider", "model")
    )
    peer_stats = endpoint_stats(peers, viewer, apps=True) if peers else {}
    by_model: dict[int, dict[int, EndpointStats]] = defaultdict(dict)
    for endpoint in endpoints:
        by_model[endpoint.model_id][endpoint.pk] = stats[endpoint.pk]
    for endpoint in peers:
        by_model[endpoint.model_id][endpoint.pk] = peer_stats[endpoint.pk]
    comparisons: dict[int, dict] = {}
    for group in by_model.values():
        comparisons.update(model_comparisons(group))
    for row in rows:
        row.update(comparisons[row["_endpoint"].pk])
    return rows, snapshots


def public_row(row: dict) -> dict:
    """A row as the API serves it: without the page-only objects."""
    return {key: value for key, value in row.items() if not key.startswith("_")}


def home_cards(viewer: Viewer) -> list[dict]:
    """Per model: endpoint count, accuracy spread, pool and last recompute, in fixed queries."""
    models = list(viewer.models(LLMModel.objects.order_by("slug")))
    endpoints = list(viewer.endpoints(Endpoint.objects.select_related("provider", "model")))
    stats = endpoint_stats(endpoints, viewer)
    snapshots = latest_snapshots([m.pk for m in models])
    by_model: dict[int, list[Endpoint]] = defaultdict(list)
    for endpoint in endpoints:
        by_model[endpoint.model_id].append(endpoint)
    cards = []
    for model in models:
        accuracy = {e.pk: stats[e.pk].total.figures()["accuracy"] for e in by_model[model.pk]}
        known = [a for a in accuracy.values() if a is not None]
        snapshot = snapshots.get(model.pk)
        members = sorted((v for v in snapshot.verdicts.all() if v.member),
                         key=lambda v: (v.position is None, v.position or 0)) if snapshot else []
        provider_of = {e.pk: e.provider.slug for e in by_model[model.pk]}
        cards.append({
            "model": model,
            "endpoints": len(by_model[model.pk]),
            "pool": [{"provider": provider_of.get(v.endpoint_id, "?"), "tier": v.tier,
                      "tool_calls": {"accuracy": accuracy.get(v.endpoint_id)}}
                     for v in members],
            "spread": (min(known), max(known)) if known else None,
            "snapshot": snapshot,
        })
    return cards
