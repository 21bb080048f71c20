"""The routing answer (API.md GET /route/), read from the latest stored pool snapshot.

Public: it names providers, tiers and failed rules, never the figures behind them
(those may not be published yet).
"""

from metrics.choices import OverrideAction
from metrics.models import PoolSnapshot
from providers.choices import RotationStatus
from providers.models import Endpoint, LLMModel

EXACTO = "exacto"


def parse_route_model(value: str) -> tuple[str, str | None]:
    """'author/name:exacto' → ('author/name', 'exacto'); no suffix → (slug, None)."""
    slug, _, variant = value.partition(":")
    return slug, variant or None


def route(model: LLMModel, variant: str | None) -> dict:
    if variant == EXACTO:
        return _exacto_route(model)
    # Pending providers are never routed (METHODOLOGY §9).
    endpoints = (
        Endpoint.objects.filter(model=model, rotation_status=RotationStatus.ACTIVE).approved()
        .select_related("provider").order_by("provider__slug", "quantization")
    )
    return {
        "model": model.slug, "variant": None, "computed_at": None, "fallback": False,
        "providers": [_entry(e) for e in endpoints], "excluded": [],
    }


def _entry(endpoint: Endpoint, tier: str | None = None, forced: bool = False) -> dict:
    return {"provider": endpoint.provider.slug, "routing_name": endpoint.provider.routing,
            "quantization": endpoint.quantization, "tier": tier, "forced": forced}


def _exacto_route(model: LLMModel) -> dict:
    snapshot = PoolSnapshot.objects.filter(model=model).order_by("-sequence").first()
    if snapshot is None:
        # API.md 1.1: no pool yet → the in-rotation endpoints as a fallback, unjudged
        # (no figures yet to rank them by), never an empty list while some are in rotation.
        in_rotation = (Endpoint.objects.filter(model=model, rotation_status=RotationStatus.ACTIVE)
                       .approved()
                       .select_related("provider").order_by("provider__slug", "quantization"))
        providers = [_entry(e) for e in in_rotation]
        return {"model": model.slug, "variant": EXACTO, "computed_at": None,
                "fallback": bool(providers), "providers": providers, "excluded": []}
    verdicts = list(snapshot.verdicts.select_related("endpoint__provider"))
    members = sorted((v for v in verdicts if v.member),
                     key=lambda v: (v.position is None, v.position or 0))
    return {
        "model": model.slug,
        "variant": EXACTO,
        "computed_at": snapshot.checked_at.isoformat(),  # the last recompute (API.md 1.1)
        "fallback": snapshot.fallback,
        "providers": [_entry(v.endpoint, v.tier, v.forced == OverrideAction.FORCE_IN)
                      for v in members],
        "excluded": [
            {"provider": v.endpoint.provider.slug, "quantization": v.endpoint.quantization,
             "tier": v.tier, "failed": v.failed or (["override"] if v.forced else []),
             "forced": v.forced == OverrideAction.FORCE_OUT}
            for v in sorted(verdicts, key=lambda v: (v.endpoint.provider.slug,
                                                     v.endpoint.quantization))
            if not v.member
        ],
    }
