"""The per-endpoint figures that the API and the pages share (API.md GET /endpoints/).

Every function here issues a fixed number of queries per call, whatever the number of
models, endpoints or days.
"""

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from metrics.models import PoolSnapshot, PoolVerdict
from metrics.selectors import app_matched
from metrics.selectors.ignores import ignore_rates_of_models
from metrics.selectors.speed_stats import endpoint_performance
from metrics.selectors.toolcall_stats import (
    EndpointStats,
    app_matched_figures,
    bucket_figures,
    endpoint_stats,
    model_comparisons,
    stats_in_windows,
    viewer_windows,
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


@dataclass(frozen=True)
class EndpointRow:
    """One endpoint's figures as one viewer may read them (API.md GET /endpoints/): the
    fields are the API's keys, in its order. Unpublished days are already left out for a
    viewer who may not see them (`private` says whether they are in)."""

    model: str
    provider: str
    quantization: str
    reference: bool
    in_rotation: bool
    rotation_status: str
    tool_calls: dict
    ignore_rate: float | None
    exacto: dict | None
    performance: dict
    # Extensions beyond API.md v1:
    window: dict
    published_until: str | None
    private: bool
    ignores: dict
    buckets: dict
    status: dict
    # Comparisons with the model's other endpoints (§3, §4): None when not computed (a
    # single endpoint's registration answer), and then absent from `as_dict`.
    bucket_mix_tvd: float | None = None
    bucket_mix_flag: bool | None = None
    app_matched: dict | None = None

    def as_dict(self) -> dict:
        """The API's JSON object (the comparisons only where they were computed)."""
        out = {f.name: getattr(self, f.name) for f in fields(EndpointRow)}
        if self.app_matched is None:
            for name in COMPARISONS:
                del out[name]
        return out


COMPARISONS = ("bucket_mix_tvd", "bucket_mix_flag", "app_matched")


def _row(endpoint: Endpoint, stats: EndpointStats, days: int, ignores: dict, verdict,
         viewer: Viewer, performance: dict, comparison: dict | None) -> EndpointRow:
    return EndpointRow(
        model=endpoint.model.slug,
        provider=endpoint.provider.slug,
        quantization=endpoint.quantization,
        reference=endpoint.is_reference,
        in_rotation=endpoint.in_rotation,
        rotation_status=endpoint.rotation_status,
        tool_calls={"window_days": days, **stats.total.figures()},
        ignore_rate=ignores["ignore_rate"],
        exacto=exacto_of(verdict),
        performance=performance,
        window={
            "start": stats.window_start.isoformat() if stats.window_start else None,
            "end": stats.window_end.isoformat() if stats.window_end else None,
        },
        published_until=(
            endpoint.published_until.isoformat() if endpoint.published_until else None
        ),
        private=viewer.sees_unpublished(endpoint),
        ignores=ignores,
        buckets=bucket_figures(stats),
        status={"model": endpoint.model.status, "provider": endpoint.provider.status},
        **(comparison or {}),
    )


@dataclass(frozen=True)
class Rows:
    """Rows of some endpoints, with what the pages read beside them: the endpoints in the
    same order, the stored verdicts and each model's latest snapshot."""

    rows: list[EndpointRow]
    endpoints: list[Endpoint]
    verdicts: dict[int, PoolVerdict]
    snapshots: dict[int, PoolSnapshot]

    def pairs(self):
        return zip(self.endpoints, self.rows, strict=True)


def endpoint_rows(
    endpoints: list[Endpoint], viewer: Viewer, *, days: int | None = None,
    today: date | None = None, peers: list[Endpoint] | None = None,
) -> Rows:
    """Rows of `endpoints` as `viewer` may read them. With `peers` (their models' other
    endpoints, not listed), each row carries the §3/§4 comparisons with its model's others."""
    days = days or settings.EXACTO_WINDOW_DAYS
    today = today or timezone.now().date()
    if peers is None:
        stats, comparisons = endpoint_stats(endpoints, viewer, days=days, today=today), {}
    else:
        stats, comparisons = _compared(endpoints, peers, viewer, days, today)
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
        _row(e, stats[e.pk], days, ignores[e.pk], verdicts.get(e.pk), viewer, performance[e.pk],
             comparisons.get(e.pk))
        for e in endpoints
    ]
    return Rows(rows, endpoints, verdicts, snapshots)


def _compared(endpoints: list[Endpoint], peers: list[Endpoint], viewer: Viewer, days: int,
              today: date) -> tuple[dict[int, EndpointStats], dict[int, dict]]:
    """Stats of `endpoints` and, per endpoint, its §3/§4 comparisons with its model's other
    endpoints (listed or among `peers`). The figures of endpoints and peers come from one
    query; the per-app rows of §4 only for models whose app-matched figures are not stored
    under this reader's key (metrics.selectors.app_matched)."""
    everyone = [*endpoints, *peers]
    windows = viewer_windows(everyone, viewer, days, today)
    groups: dict[int, list[Endpoint]] = defaultdict(list)
    for endpoint in everyone:
        groups[endpoint.model_id].append(endpoint)
    keys = {model_id: app_matched.group_key(group, windows, today)
            for model_id, group in groups.items()}
    found = app_matched.stored(keys)
    stats = stats_in_windows(everyone, windows, apps={
        e.pk for model_id, group in groups.items() if model_id not in found for e in group})
    comparisons: dict[int, dict] = {}
    computed = {}
    for model_id, group in groups.items():
        group_stats = {e.pk: stats[e.pk] for e in group}
        matched = found.get(model_id)
        if matched is None:
            matched = app_matched_figures(group_stats)
            if keys[model_id] is not None:
                computed[model_id] = (keys[model_id], matched)
        comparisons.update(model_comparisons(group_stats, matched))
    app_matched.store(computed)
    return stats, comparisons


def model_endpoints(
    model: LLMModel, viewer: Viewer, *, days: int | None = None, today: date | None = None
) -> Rows:
    """Every endpoint of a model the viewer may know of, with the figures that compare it
    to the others (§3, §4), and the model's latest pool snapshot."""
    endpoints = list(
        viewer.endpoints(Endpoint.objects.filter(model=model)).select_related("provider", "model")
        .order_by("provider__slug", "quantization")
    )
    return endpoint_rows(endpoints, viewer, days=days, today=today, peers=[])


def provider_endpoints(provider: Provider, viewer: Viewer) -> Rows:
    """The provider's endpoints across models, and the latest snapshot of each model."""
    endpoints = list(
        viewer.endpoints(Endpoint.objects.filter(provider=provider))
        .select_related("provider", "model").order_by("model__slug", "quantization")
    )
    # Its models' other endpoints, compared with in one more query whatever their number.
    peers = list(
        Endpoint.objects.filter(model_id__in={e.model_id for e in endpoints})
        .exclude(provider=provider).select_related("provider", "model")
    )
    return endpoint_rows(endpoints, viewer, peers=peers)


@dataclass(frozen=True)
class PoolMember:
    provider: str
    tier: str
    accuracy: float | None  # as this viewer may see it


@dataclass(frozen=True)
class HomeCard:
    model: LLMModel
    endpoints: int
    pool: list[PoolMember]  # in routing order
    spread: tuple[float, float] | None  # lowest and highest provider accuracy
    snapshot: PoolSnapshot | None


def home_cards(viewer: Viewer) -> list[HomeCard]:
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
        cards.append(HomeCard(
            model=model,
            endpoints=len(by_model[model.pk]),
            pool=[PoolMember(provider_of.get(v.endpoint_id, "?"), v.tier,
                             accuracy.get(v.endpoint_id)) for v in members],
            spread=(min(known), max(known)) if known else None,
            snapshot=snapshot,
        ))
    return cards
