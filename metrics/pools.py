"""The exacto pool of a model: six rules, three tiers, overrides, fallback
(METHODOLOGY.md §7, with §10's availability rule and throughput ordering).

Pure Python (docs/style.md "Pure core"): a service gathers each endpoint's capped
figures, calls ``judge_pool`` and stores ``verdict_to_dict`` of every verdict
as the snapshot; ``diff_pools`` turns two snapshots into the history of who
entered or left and by which rule. Every rule is evaluated for every
endpoint, even when an earlier one already failed, so the stored snapshot
always explains all six.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from metrics.choices import OverrideAction, PoolChangeKind, Tier
from metrics.stats import Range, median, normal_range, rate, wilson_interval


class Rule(StrEnum):
    # Order matters: it is the order of METHODOLOGY.md §7 and of every
    # "failed" list we store and show.
    ROTATION = "rotation"
    DATA = "data"
    ACCURACY = "accuracy"
    PROPENSITY = "propensity"
    IGNORES = "ignores"
    AVAILABILITY = "availability"  # rule 6, METHODOLOGY.md §10


@dataclass(frozen=True)
class PoolSettings:
    """The §7 knobs, with the defaults METHODOLOGY.md states."""

    min_calls: float = 200
    min_propensity_requests: float = 100
    accuracy_margin: float = 0.005
    propensity_k: float = 3.0
    propensity_scale: float = 1.4826
    propensity_min_halfwidth: float = 0.05
    ignore_median_factor: float = 2.0
    ignore_floor: float = 0.01
    # §10: rule 6 and the throughput ordering inside the pool.
    min_status_requests: float = 100
    min_uptime_upper: float = 0.95
    throughput_margin: float = 0.005


@dataclass(frozen=True)
class EndpointFigures:
    """One endpoint's window figures; counts are capped (METHODOLOGY.md §4)."""

    key: str
    provider: str
    quantization: str
    in_rotation: bool
    rotation_status: str
    is_reference: bool
    calls: float
    correct: float
    propensity_requests: float
    propensity_with_calls: float
    ignore_rate: float | None
    override: OverrideAction | None = None
    override_reason: str = ""
    # §10: status-reporting requests and ok ones in the window; p50 throughput.
    status_requests: float = 0
    ok_requests: float = 0
    throughput_p50: float | None = None


@dataclass(frozen=True)
class RuleVerdict:
    """One rule's outcome with a human-readable reason and its figures."""

    rule: Rule
    passed: bool
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EndpointVerdict:
    """Everything the pool decided about one endpoint, and why."""

    key: str
    provider: str
    quantization: str
    tier: Tier
    member: bool
    forced: OverrideAction | None
    override_reason: str
    rules: dict[Rule, RuleVerdict]
    failed: tuple[Rule, ...]
    accuracy: float | None
    accuracy_ci95: tuple[float, float] | None
    propensity: float | None
    ignore_rate: float | None
    # True only for the endpoint returned alone because no endpoint qualified.
    fallback: bool = False
    throughput_p50: float | None = None
    # Why a member sits where it does in the pool (§10 throughput ordering).
    order: str = ""


@dataclass(frozen=True)
class PoolResult:
    """A model's judged endpoints and the resulting pool."""

    verdicts: tuple[EndpointVerdict, ...]
    pool: tuple[str, ...]
    fallback: bool
    best_lower_bound: float | None
    best_endpoint: str | None
    propensity_range: Range | None
    ignore_threshold: float
    # The keys of the endpoints the propensity range rests on (propensity_sources), in
    # the order judged.
    propensity_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class PoolTransition:
    """One endpoint entering or leaving the pool between two snapshots."""

    key: str
    change: PoolChangeKind
    rules: tuple[str, ...]
    reason: str


def _pct(x: float) -> str:
    # Rates are shown as percentages with one decimal, as on the dashboard.
    return f"{100 * x:.1f}%"


def _num(x: float) -> str:
    return f"{x:g}"


def has_enough_data(e: EndpointFigures, settings: PoolSettings) -> bool:
    """Rule 2's test, also used to pick who shapes the model's figures (§7)."""
    # One source of truth with rule 2, so "enough data" never means two things.
    return data_rule(e, settings).passed


def rotation_rule(e: EndpointFigures) -> RuleVerdict:
    """§7 rule 1: in rotation, not held by a benchmark nor removed by an admin."""
    if e.in_rotation:
        reason = f"in rotation ({e.rotation_status})"
    else:
        reason = f"not in rotation ({e.rotation_status})"
    return RuleVerdict(Rule.ROTATION, e.in_rotation, reason, {"in_rotation": e.in_rotation})


def data_rule(e: EndpointFigures, settings: PoolSettings) -> RuleVerdict:
    """§7 rule 2: at least 200 calls and 100 propensity-eligible requests, capped."""
    calls_ok = e.calls >= settings.min_calls
    requests_ok = e.propensity_requests >= settings.min_propensity_requests
    reason = (
        f"{_num(e.calls)} calls {'≥' if calls_ok else '<'} {_num(settings.min_calls)} and "
        f"{_num(e.propensity_requests)} propensity requests "
        f"{'≥' if requests_ok else '<'} {_num(settings.min_propensity_requests)}"
    )
    figures = {
        "calls": e.calls,
        "min_calls": settings.min_calls,
        "propensity_requests": e.propensity_requests,
        "min_propensity_requests": settings.min_propensity_requests,
    }
    return RuleVerdict(Rule.DATA, calls_ok and requests_ok, reason, figures)


def best_by_lower_bound(
    endpoints: Sequence[EndpointFigures],
    intervals: Mapping[str, tuple[float, float] | None],
    settings: PoolSettings,
) -> tuple[str, float] | None:
    """§7 rule 3's "best": highest accuracy lower bound among endpoints with
    enough data, whether or not in rotation. Ties go to the smaller key so
    the choice is stable between recomputes."""
    candidates = [
        (e.key, interval[0])
        for e in endpoints
        if has_enough_data(e, settings) and (interval := intervals[e.key]) is not None
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (-c[1], c[0]))


def accuracy_rule(
    interval: tuple[float, float] | None,
    best: tuple[str, float] | None,
    margin: float,
) -> RuleVerdict:
    """§7 rule 3: accuracy's 95% upper bound ≥ the best's 95% lower bound − margin.

    Passes when there is nothing to compare: an endpoint with no calls has
    no interval (and fails rule 2, so it is unverified rather than
    deranked), and with no best no endpoint can be shown to lag.
    """
    if interval is None:
        return RuleVerdict(Rule.ACCURACY, True, "no data to judge", {"upper95": None})
    if best is None:
        return RuleVerdict(
            Rule.ACCURACY,
            True,
            "no endpoint has enough data to name a best",
            {"upper95": interval[1], "best_lower95": None},
        )
    best_key, best_lower = best
    threshold = best_lower - margin
    passed = interval[1] >= threshold
    reason = (
        f"upper 95% bound {_pct(interval[1])} {'≥' if passed else '<'} "
        f"{_pct(threshold)} = best lower bound {_pct(best_lower)} "
        f"− {_pct(margin)}"
    )
    figures = {
        "lower95": interval[0],
        "upper95": interval[1],
        "best_lower95": best_lower,
        "best_endpoint": best_key,
        "margin": margin,
        "threshold": threshold,
    }
    return RuleVerdict(Rule.ACCURACY, passed, reason, figures)


def propensity_sources(endpoints: Sequence[EndpointFigures], settings: PoolSettings
                       ) -> list[tuple[EndpointFigures, float]]:
    """(endpoint, propensity) of the endpoints §7 rule 4's range rests on: enough data and
    requests where the model may choose."""
    return [
        (e, p)
        for e in endpoints
        if has_enough_data(e, settings)
        and (p := rate(e.propensity_with_calls, e.propensity_requests)) is not None
    ]


def propensity_range(endpoints: Sequence[EndpointFigures], settings: PoolSettings) -> Range | None:
    """§7 rule 4's normal range, from endpoints with enough data.

    Centred on the reference endpoint's propensity when a reference endpoint
    has enough data, else on the median. None when no endpoint qualifies.
    """
    return _range_of(propensity_sources(endpoints, settings), settings)


def _range_of(qualified: Sequence[tuple[EndpointFigures, float]], settings: PoolSettings
              ) -> Range | None:
    references = sorted((e.key, p) for e, p in qualified if e.is_reference)
    # A model should have one reference; the smallest key keeps the choice
    # stable if data ever says otherwise.
    centre = references[0][1] if references else None
    return normal_range(
        [p for _, p in qualified],
        centre=centre,
        k=settings.propensity_k,
        scale=settings.propensity_scale,
        min_halfwidth=settings.propensity_min_halfwidth,
    )


def propensity_rule(propensity: float | None, normal: Range | None) -> RuleVerdict:
    """§7 rule 4: propensity within the model's normal range (inclusive).

    Passes when it cannot be judged: no eligible requests, or no range
    because no endpoint has enough data.
    """
    if propensity is None:
        return RuleVerdict(
            Rule.PROPENSITY, True, "no propensity-eligible requests", {"propensity": None}
        )
    if normal is None:
        return RuleVerdict(
            Rule.PROPENSITY,
            True,
            "no endpoint has enough data to set a normal range",
            {"propensity": propensity},
        )
    passed = normal.low <= propensity <= normal.high
    reason = (
        f"propensity {_pct(propensity)} {'within' if passed else 'outside'} "
        f"{_pct(normal.low)}–{_pct(normal.high)} "
        f"({normal.centre_kind} {_pct(normal.centre)} ± {_pct(normal.halfwidth)})"
    )
    figures = {
        "propensity": propensity,
        "low": normal.low,
        "high": normal.high,
        "centre": normal.centre,
        "centre_kind": normal.centre_kind,
        "halfwidth": normal.halfwidth,
    }
    return RuleVerdict(Rule.PROPENSITY, passed, reason, figures)


def ignore_threshold(endpoints: Sequence[EndpointFigures], settings: PoolSettings) -> float:
    """§7 rule 5's limit: max(2 × the model's median ignore rate, 1%).

    The median is over endpoints with a known rate; with none, the floor.
    """
    mid = median(e.ignore_rate for e in endpoints if e.ignore_rate is not None)
    if mid is None:
        return settings.ignore_floor
    return max(settings.ignore_median_factor * mid, settings.ignore_floor)


def ignores_rule(
    ignore_rate: float | None, threshold: float, settings: PoolSettings
) -> RuleVerdict:
    """§7 rule 5: ignore rate at most the threshold; an unknown rate passes."""
    if ignore_rate is None:
        return RuleVerdict(Rule.IGNORES, True, "no users sent tool requests", {"ignore_rate": None})
    passed = ignore_rate <= threshold
    reason = (
        f"ignore rate {_pct(ignore_rate)} {'≤' if passed else '>'} threshold "
        f"{_pct(threshold)} = max({_num(settings.ignore_median_factor)} × model median, "
        f"{_pct(settings.ignore_floor)})"
    )
    figures = {
        "ignore_rate": ignore_rate,
        "threshold": threshold,
        "median_factor": settings.ignore_median_factor,
        "floor": settings.ignore_floor,
    }
    return RuleVerdict(Rule.IGNORES, passed, reason, figures)


def availability_rule(e: EndpointFigures, settings: PoolSettings) -> RuleVerdict:
    """§10 rule 6: with enough status-reporting requests, the uptime's 95% upper bound
    must reach the minimum. Fewer requests pass: too few to judge."""
    interval = wilson_interval(e.ok_requests, e.status_requests)
    uptime = rate(e.ok_requests, e.status_requests)
    figures = {
        "requests": e.status_requests,
        "ok": e.ok_requests,
        "min_requests": settings.min_status_requests,
        "uptime": uptime,
        "upper95": interval[1] if interval else None,
        "min_upper95": settings.min_uptime_upper,
    }
    if e.status_requests < settings.min_status_requests:
        reason = (f"{_num(e.status_requests)} status-reporting requests < "
                  f"{_num(settings.min_status_requests)}: too few to judge")
        return RuleVerdict(Rule.AVAILABILITY, True, reason, figures)
    assert interval is not None and uptime is not None  # status_requests > 0 here
    passed = interval[1] >= settings.min_uptime_upper
    reason = (
        f"uptime {_pct(uptime)} (upper 95% bound {_pct(interval[1])} "
        f"{'≥' if passed else '<'} {_pct(settings.min_uptime_upper)}) over "
        f"{_num(e.status_requests)} requests"
    )
    return RuleVerdict(Rule.AVAILABILITY, passed, reason, figures)


def tier_for(failed: Sequence[Rule]) -> Tier:
    """§7 tiers: verified passes all; unverified fails only rule 2; else deranked."""
    if not failed:
        return Tier.VERIFIED
    if tuple(failed) == (Rule.DATA,):
        return Tier.UNVERIFIED
    return Tier.DERANKED


def is_member(tier: Tier, override: OverrideAction | None) -> bool:
    """§7: admin overrides win over the rules; otherwise only verified is in."""
    if override == OverrideAction.FORCE_IN:
        return True
    if override == OverrideAction.FORCE_OUT:
        return False
    return tier == Tier.VERIFIED


def _lower_bound_order(lower: float | None, key: str) -> tuple[bool, float, str]:
    # Highest lower bound first, endpoints without one last, key breaks ties
    # so that equal figures never reshuffle the pool between recomputes.
    return (lower is None, -(lower or 0.0), key)


def choose_fallback(verdicts: Sequence[EndpointVerdict]) -> tuple[str, ...]:
    """§7 and API.md 1.1: when the pool would be empty, the best in-rotation endpoint by
    accuracy lower bound, never one forced out. When no such endpoint has any calls there
    is no "best": every in-rotation endpoint not forced out (a router gets a list while
    endpoints are in rotation). Empty only when none is in rotation."""
    eligible = [v for v in verdicts
                if v.rules[Rule.ROTATION].passed and v.forced != OverrideAction.FORCE_OUT]
    measured = [(v.accuracy_ci95[0], v.key) for v in eligible if v.accuracy_ci95 is not None]
    if measured:
        return (min(measured, key=lambda c: _lower_bound_order(*c))[1],)
    return tuple(sorted(v.key for v in eligible))


def judge_pool(
    endpoints: Sequence[EndpointFigures], settings: PoolSettings = PoolSettings()
) -> PoolResult:
    """Judge every endpoint of one model on the five rules and build the pool (§7)."""
    intervals = {e.key: wilson_interval(e.correct, e.calls) for e in endpoints}
    best = best_by_lower_bound(endpoints, intervals, settings)
    sources = propensity_sources(endpoints, settings)
    normal = _range_of(sources, settings)
    threshold = ignore_threshold(endpoints, settings)

    verdicts: list[EndpointVerdict] = []
    for e in endpoints:
        propensity = rate(e.propensity_with_calls, e.propensity_requests)
        rules = {
            Rule.ROTATION: rotation_rule(e),
            Rule.DATA: data_rule(e, settings),
            Rule.ACCURACY: accuracy_rule(intervals[e.key], best, settings.accuracy_margin),
            Rule.PROPENSITY: propensity_rule(propensity, normal),
            Rule.IGNORES: ignores_rule(e.ignore_rate, threshold, settings),
            Rule.AVAILABILITY: availability_rule(e, settings),
        }
        failed = tuple(rule for rule in Rule if not rules[rule].passed)
        tier = tier_for(failed)
        verdicts.append(
            EndpointVerdict(
                key=e.key,
                provider=e.provider,
                quantization=e.quantization,
                tier=tier,
                member=is_member(tier, e.override),
                forced=e.override,
                override_reason=e.override_reason,
                rules=rules,
                failed=failed,
                accuracy=rate(e.correct, e.calls),
                accuracy_ci95=intervals[e.key],
                propensity=propensity,
                ignore_rate=e.ignore_rate,
                throughput_p50=e.throughput_p50,
            )
        )

    fallback = False
    if not any(v.member for v in verdicts):
        chosen = choose_fallback(verdicts)
        if chosen:
            fallback = True
            verdicts = [
                replace(v, member=True, fallback=True) if v.key in chosen else v for v in verdicts
            ]

    members, orders = order_pool([v for v in verdicts if v.member], settings)
    verdicts = [replace(v, order=orders[v.key]) if v.key in orders else v for v in verdicts]
    return PoolResult(
        verdicts=tuple(verdicts),
        pool=tuple(v.key for v in members),
        fallback=fallback,
        best_lower_bound=best[1] if best else None,
        best_endpoint=best[0] if best else None,
        propensity_range=normal,
        ignore_threshold=threshold,
        propensity_sources=tuple(e.key for e, _ in sources),
    )


def order_pool(
    members: Sequence[EndpointVerdict], settings: PoolSettings
) -> tuple[list[EndpointVerdict], dict[str, str]]:
    """§7 order with §10's refinement, and why each member sits where it does.

    By accuracy lower bound, highest first; but the members whose lower bound is within
    the margin (0.5 points) of the top member's go first, ordered by p50 throughput
    (highest first) where known, then the unknown ones by lower bound.
    """
    def lower(v: EndpointVerdict) -> float | None:
        return v.accuracy_ci95[0] if v.accuracy_ci95 else None

    by_bound = sorted(members, key=lambda v: _lower_bound_order(lower(v), v.key))
    top = lower(by_bound[0]) if by_bound else None
    if top is None:
        return by_bound, {v.key: "by accuracy lower bound" for v in by_bound}
    floor = top - settings.throughput_margin
    near = [v for v in by_bound if (b := lower(v)) is not None and b >= floor]
    near_keys = {v.key for v in near}
    rest = [v for v in by_bound if v.key not in near_keys]
    fast = sorted((v for v in near if v.throughput_p50 is not None),
                  key=lambda v: (-(v.throughput_p50 or 0.0), v.key))
    unknown = [v for v in near if v.throughput_p50 is None]
    orders = {}
    # Only the endpoint's own figure is quoted: the top bound may rest on another
    # endpoint's unpublished figures (§8, metrics/selectors/disclosure.py).
    margin = f"{_num(round(100 * settings.throughput_margin, 6))} points"
    for v in fast:
        orders[v.key] = (f"by p50 throughput {v.throughput_p50:.0f} tokens/s: accuracy lower "
                         f"bound within {margin} of the pool's top")
    for v in unknown:
        orders[v.key] = (f"after the measured ones: accuracy lower bound within {margin} of "
                         f"the pool's top, throughput unknown")
    for v in rest:
        orders[v.key] = "by accuracy lower bound"
    return [*fast, *unknown, *rest], orders


_RULE_NAMES = {rule: rule.value for rule in Rule}


def verdict_to_dict(v: EndpointVerdict) -> dict[str, Any]:
    """JSON-serialisable form of a verdict: the snapshot row and the API's
    ``exacto`` object (API.md), with reasons and figures for every rule."""
    # Each rule's name is read once: Enum.value is a Python-level property, and a full
    # recompute turns 10,000s of verdicts into dicts.
    rules = [(_RULE_NAMES[rule], verdict) for rule, verdict in v.rules.items()]
    return {
        "key": v.key,
        "tier": v.tier.value,
        "member": v.member,
        "forced": v.forced.value if v.forced else None,
        "override_reason": v.override_reason,
        "fallback": v.fallback,
        "rules": {name: verdict.passed for name, verdict in rules},
        "failed": [_RULE_NAMES[rule] for rule in v.failed],
        "reasons": {name: verdict.reason for name, verdict in rules},
        # The rule's own figures, not a copy: nothing mutates them, and a recompute
        # serialises this dict at once.
        "figures": {name: verdict.figures for name, verdict in rules},
        "accuracy": v.accuracy,
        "accuracy_ci95": list(v.accuracy_ci95) if v.accuracy_ci95 else None,
        "propensity": v.propensity,
        "ignore_rate": v.ignore_rate,
        "throughput_p50": v.throughput_p50,
        "order": v.order,
    }


def _was_fallback(snapshot: Mapping[str, Any]) -> bool:
    # Older snapshots may lack the flag: a member that was neither forced
    # nor passing everything can only have been there as the fallback.
    if "fallback" in snapshot:
        return bool(snapshot["fallback"])
    return (
        bool(snapshot.get("member")) and not snapshot.get("forced") and bool(snapshot.get("failed"))
    )


def diff_pools(
    previous: Mapping[str, Mapping[str, Any]] | None, current: PoolResult
) -> list[PoolTransition]:
    """Who entered or left the pool since the previous snapshot (§7 history).

    ``previous`` maps endpoint key to its stored ``verdict_to_dict`` (at
    least ``member``, ``failed`` and ``forced``); None means no earlier
    snapshot, so every member "entered". For an endpoint that left, the
    rules are the override, the end of its fallback, or the rules it fails
    now; for one that entered, the rules that failed before and pass now,
    plus "override" or "fallback" when that is how it got in. Sorted by key.
    """
    before = previous or {}
    now = {v.key: v for v in current.verdicts}
    changes: list[PoolTransition] = []
    for key in sorted(set(before) | set(now)):
        old = before.get(key, {})
        was_member = bool(old.get("member", False))
        verdict = now.get(key)
        is_now_member = verdict.member if verdict else False
        if was_member == is_now_member:
            continue
        old_failed = [str(r) for r in old.get("failed", [])]
        if is_now_member:
            assert verdict is not None
            changes.append(_entered(key, verdict, old_failed, previous is None))
        else:
            changes.append(_left(key, verdict, old))
    return changes


def _override_note(action: str, why: str) -> str:
    return f"{action} by an admin: {why}" if why else f"{action} by an admin"


def _entered(
    key: str, verdict: EndpointVerdict, old_failed: Sequence[str], first: bool
) -> PoolTransition:
    now_failed = {r.value for r in verdict.failed}
    rules = [r for r in old_failed if r not in now_failed]
    notes = ["now passes " + ", ".join(rules)] if rules else []
    if verdict.forced == OverrideAction.FORCE_IN:
        rules.append("override")
        notes.append(_override_note("forced in", verdict.override_reason))
    if verdict.fallback:
        rules.append("fallback")
        notes.append("returned alone as the fallback, no endpoint qualified")
    if first and not notes:
        notes.append("first snapshot")
    if not notes:
        notes.append(f"now {verdict.tier.value}")
    return PoolTransition(key=key, change=PoolChangeKind.ENTERED, rules=tuple(rules), reason="; ".join(notes))


def _left(key: str, verdict: EndpointVerdict | None, old: Mapping[str, Any]) -> PoolTransition:
    if verdict is None:
        return PoolTransition(key=key, change=PoolChangeKind.LEFT, rules=(),
                              reason="endpoint no longer listed")
    failed = tuple(r.value for r in verdict.failed)
    if verdict.forced == OverrideAction.FORCE_OUT:
        reason = _override_note("forced out", verdict.override_reason)
        return PoolTransition(key=key, change=PoolChangeKind.LEFT, rules=("override",), reason=reason)
    if _was_fallback(old):
        reason = "no longer the fallback"
        if failed:
            reason += "; still fails " + ", ".join(failed)
        return PoolTransition(key=key, change=PoolChangeKind.LEFT, rules=("fallback",), reason=reason)
    # Not forced out and not a former fallback, so it is no longer verified:
    # at least one rule fails now, and those rules are why it left.
    reason = "fails " + "; ".join(verdict.rules[r].reason for r in verdict.failed)
    if old.get("forced") == OverrideAction.FORCE_IN.value:
        reason = "force-in lifted; " + reason
    return PoolTransition(key=key, change=PoolChangeKind.LEFT, rules=failed, reason=reason)
