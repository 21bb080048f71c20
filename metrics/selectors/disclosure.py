"""Which thresholds a viewer may read with their values (METHODOLOGY §8).

Pools and the benchmark range rule judge on all data, published or not (routing acts at
once). A provider sees the verdicts on its own endpoints and the rules; a threshold's value
only where it rests on published figures or on the provider's own endpoints. Where it rests
on another endpoint's unpublished figures, the value is for admins only: the reference
endpoint is public, so quoting its unpublished run would name whose figure it is.
"""

from collections.abc import Iterable

from django.db.models import Q

from metrics.choices import RotationActor
from metrics.models import BenchmarkRun, PoolChange, PoolSnapshot, PoolVerdict
from metrics.pools import Rule
from providers.choices import RotationStatus
from providers.models import Endpoint
from providers.visibility import Viewer

# Pool rules whose threshold comes from the model's other endpoints (§7 rules 3–5).
SHARED_RULES = (Rule.ACCURACY, Rule.PROPENSITY, Rule.IGNORES)
HIDDEN = "shown to admins only: it rests on other endpoints' unpublished figures"


def _owners(endpoint_ids: Iterable) -> dict[int, int]:
    ids = {int(e) for e in endpoint_ids}
    if not ids:
        return {}
    return dict(Endpoint.objects.filter(pk__in=ids).values_list("pk", "provider_id"))


class Disclosure:
    """Per page: which of a snapshot's shared thresholds this viewer may read."""

    def __init__(self, viewer: Viewer, snapshots: Iterable[PoolSnapshot | None]):
        self.viewer = viewer
        self.snapshots = [s for s in snapshots if s is not None]
        if viewer.is_admin or not viewer.provider_ids:
            self._owner = {}
        else:
            self._owner = _owners(key for s in self.snapshots
                                  for keys in (s.figures.get("sources") or {}).values()
                                  for key in keys)

    def rule_visible(self, snapshot: PoolSnapshot | None, rule: str) -> bool:
        """May this viewer read the value of `rule`'s threshold in `snapshot`?"""
        if self.viewer.is_admin:
            return True
        if snapshot is None or not self.viewer.provider_ids:
            return False
        sources = (snapshot.figures.get("sources") or {}).get(rule)
        if sources is None:  # a snapshot from before sources were recorded
            return False
        return all(self._owner.get(int(key)) in self.viewer.provider_ids for key in sources)

    def band(self, snapshot: PoolSnapshot | None) -> dict | None:
        """The propensity band, when this viewer may read it."""
        if snapshot is None or not self.rule_visible(snapshot, "propensity"):
            return None
        return snapshot.figures.get("propensity_range")

    def verdict(self, snapshot: PoolSnapshot | None, endpoint: Endpoint,
                verdict: PoolVerdict | None) -> dict | None:
        """`endpoint`'s stored verdict's detail as this viewer may read it; None when it may
        not read the verdict's reasons at all (another provider's endpoint, the public)."""
        if verdict is None or not self.viewer.sees_reasons(endpoint):
            return None
        detail = verdict.detail
        if detail is None or self.viewer.is_admin:
            return detail
        reasons = dict(detail.get("reasons", {}))
        figures = dict(detail.get("figures", {}))
        for rule in SHARED_RULES:
            if rule in reasons and not self.rule_visible(snapshot, rule):
                reasons[rule] = _redacted_reason(rule, detail)
                figures.pop(rule, None)
        return {**detail, "reasons": reasons, "figures": figures}

    def change_reason(self, change: PoolChange) -> str:
        """A pool change's reason as this viewer may read it ("" when not at all)."""
        if not self.viewer.sees_reasons(change.endpoint):
            return ""
        if self.viewer.is_admin:
            return change.reason
        hidden = [r for r in change.rules if r in SHARED_RULES
                  and not self.rule_visible(change.snapshot, r)]
        if not hidden:
            return change.reason
        return (f"{change.change} by rule {', '.join(change.rules)}; the threshold of "
                f"{', '.join(hidden)} is {HIDDEN}")


def _redacted_reason(rule: str, detail: dict) -> str:
    passed = detail.get("rules", {}).get(rule)
    verdict = "passes" if passed else "fails"
    own = (detail.get("figures") or {}).get(rule) or {}
    if rule == Rule.ACCURACY and own.get("upper95") is not None:
        mine = f"upper 95% bound {100 * own['upper95']:.1f}%"
        what = "the best endpoint's lower bound minus the margin"
    elif rule == Rule.PROPENSITY and own.get("propensity") is not None:
        mine = f"propensity {100 * own['propensity']:.1f}%"
        what = "the model's normal band"
    elif rule == Rule.IGNORES and own.get("ignore_rate") is not None:
        mine = f"ignore rate {100 * own['ignore_rate']:.1f}%"
        what = "max(2 × the model's median ignore rate, 1%)"
    else:
        return f"{verdict}; the threshold's value is {HIDDEN}"
    return f"{mine} {verdict} against {what}; that threshold's value is {HIDDEN}"


def rotation_log(viewer: Viewer, provider_id: int, events: list) -> list:
    """Rotation events of one provider's endpoints with `visible_reason`: a benchmark rule's
    reference value only where this viewer may read it (its own or published runs)."""
    if viewer.is_admin:
        for event in events:
            event.visible_reason = event.reason
        return events
    basis = [r for e in events for v in (e.figures or {}).get("verdicts", [])
             for r in v.get("basis_runs", [])]
    visible = visible_basis_runs(provider_id, basis)
    for event in events:
        verdicts = (event.figures or {}).get("verdicts")
        if event.actor == RotationActor.BENCHMARK_RULE and verdicts is not None:
            event.visible_reason = provider_reason(provider_id, event.new_status,
                                                   verdicts, visible=visible)
        else:
            event.visible_reason = event.reason
    return events


def provider_reason(provider_id: int, status: str, verdicts: list[dict],
                    visible: set[int] | None = None) -> str:
    """A rotation reason as a provider may read it: each verdict's threshold and reference
    value only when every run the reference rests on is the provider's own or published;
    otherwise the verdict and the rule (METHODOLOGY §8). `visible`: preloaded
    `visible_basis_runs`."""
    if visible is None:
        visible = visible_basis_runs(provider_id, [r for v in verdicts
                                                   for r in v.get("basis_runs", [])])
    parts = []
    for v in verdicts:
        basis = v.get("basis_runs")
        if basis is not None and all(r in visible for r in basis) and v.get("reason"):
            parts.append(v["reason"])
            continue
        verdict = "in range" if v["in_range"] else "below the acceptable range"
        parts.append(f"{v['benchmark']}: score {round(v['score'], 3)} {verdict} of the "
                     f"model's {v['kind']} (the threshold rests on other endpoints' "
                     "unpublished runs; its value is shown once they are published)")
    head = {RotationStatus.BENCHMARK_HOLD: "out of range: ",
            RotationStatus.ACTIVE: "in range: "}.get(status, "")
    return head + "; ".join(parts) if parts else "no benchmark runs to judge"


def visible_basis_runs(provider_id: int, run_ids: Iterable[int]) -> set[int]:
    """The runs among `run_ids` a provider may see the figures of: its own, or published."""
    ids = set(run_ids)
    if not ids:
        return set()
    return set(BenchmarkRun.objects.filter(pk__in=ids).filter(
        Q(published_at__isnull=False) | Q(endpoint__provider_id=provider_id)
    ).values_list("pk", flat=True))
