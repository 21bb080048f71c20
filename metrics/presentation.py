"""What the pages say about each endpoint, in words and in order (DASHBOARD.md). Pure.

The stored verdicts are computed on all data (routing acts now) and their reasons may quote
unpublished figures, so public readers get the pool rules re-applied to the figures they can
see: the same rules (metrics.pools.judge_pool) over the published window, which gives the
accuracy bar and the propensity band drawn on the public charts.
"""

from collections.abc import Sequence
from datetime import datetime

from metrics.choices import FAILURE_OUTCOMES, OverrideAction, Tier
from metrics.pools import EndpointFigures, PoolResult, PoolSettings, Rule, judge_pool
from metrics.rotation_rules import (
    Reference,
    RunFigure,
    range_check,
    reference_for,
    standard_error,
)

TIER_ORDER = {Tier.VERIFIED: 0, Tier.UNVERIFIED: 1, Tier.DERANKED: 2, None: 3}


def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f}%"


def interval(values: Sequence[float] | None) -> str:
    if not values:
        return "—"
    return f"{100 * values[0]:.1f}–{100 * values[1]:.1f}%"


def visible_figures(rows: list) -> list[EndpointFigures]:
    """The pool rules' inputs from the rows a reader sees (capped counts, §4)."""
    figures = []
    for i, row in enumerate(rows):
        capped = row.tool_calls.get("capped") or {}
        figures.append(EndpointFigures(
            key=str(i), provider=row.provider, quantization=row.quantization,
            in_rotation=row.in_rotation, rotation_status=row.rotation_status,
            is_reference=row.reference, calls=capped.get("calls", 0.0),
            correct=capped.get("valid", 0.0) + capped.get("unchecked", 0.0),
            propensity_requests=capped.get("propensity_requests", 0.0),
            propensity_with_calls=capped.get("propensity_requests_with_calls", 0.0),
            ignore_rate=row.ignore_rate,
        ))
    return figures


def visible_judgement(rows: list, settings: PoolSettings) -> PoolResult:
    return judge_pool(visible_figures(rows), settings)


def accuracy_bar(judgement: PoolResult, settings: PoolSettings) -> float | None:
    """Rule 3's bar: an endpoint whose upper bound is below it is deranked."""
    if judgement.best_lower_bound is None:
        return None
    return judgement.best_lower_bound - settings.accuracy_margin


def sort_rows(rows: list) -> list:
    """Tier, then accuracy lower bound (highest first), then provider (DASHBOARD.md)."""
    def key(row):
        tier = (row.exacto or {}).get("tier")
        ci = row.tool_calls.get("accuracy_ci95")
        return (TIER_ORDER.get(tier, 3), -(ci[0]) if ci else 1.0, row.provider,
                row.quantization)
    return sorted(rows, key=key)


ROTATION_WORDS = {
    "benchmark_hold": "held by the benchmark range rule",
    "admin_removed": "removed from rotation by an admin",
}


def deciding_rule(row, judgement: PoolResult, settings: PoolSettings) -> str:
    """The rule that decided this endpoint's tier, in words, with the figures the reader
    may see (the tier and failed rules are the stored verdict's; bar and band are
    `judgement`'s, from the same visible figures as the row)."""
    exacto = row.exacto
    if exacto is None:
        return "not judged yet: the pool has not been computed since this endpoint appeared"
    if exacto.get("forced") == OverrideAction.FORCE_IN:
        return "forced into the pool by an admin"
    if exacto.get("forced") == OverrideAction.FORCE_OUT:
        return "forced out of the pool by an admin"
    failed = exacto.get("failed") or []
    if not failed:
        return "passes all five rules"
    words = [_failed_rule_words(rule, row, judgement, settings) for rule in failed]
    text = "; ".join(words)
    if exacto.get("member"):
        text = f"fallback member (no provider passes every rule); {text}"
    return text[0].upper() + text[1:]


def _failed_rule_words(rule: str, row, judgement: PoolResult,
                       settings: PoolSettings) -> str:
    """Why `row` fails `rule`, with the figures the reader may see."""
    tc = row.tool_calls
    if rule == Rule.ROTATION:
        return ROTATION_WORDS.get(row.rotation_status, "not in rotation")
    if rule == Rule.DATA:
        return (f"too little data: {tc['calls']:,} calls in the window "
                f"(needs {settings.min_calls:,})" if tc["calls"]
                else "no tool calls in the window yet")
    if rule == Rule.ACCURACY:
        bar = accuracy_bar(judgement, settings)
        ci = tc.get("accuracy_ci95")
        if bar is None or not ci:
            return "accuracy below the best provider's"
        return (f"accuracy {pct(tc['accuracy'])} ({interval(ci)}) is below the "
                f"pool's bar of {pct(bar)}")
    if rule == Rule.PROPENSITY:
        band = judgement.propensity_range
        if band is None or tc.get("propensity") is None:
            return "calls tools unusually often or rarely"
        return (f"calls tools on {pct(tc['propensity'])} of requests, outside "
                f"the normal band {pct(band.low)}–{pct(band.high)}")
    if rule == Rule.IGNORES:
        threshold = judgement.ignore_threshold
        return (f"ignored by {pct(row.ignore_rate)} of active users "
                f"(limit {pct(threshold)})" if threshold is not None
                else "ignored by too many users")
    return str(rule)


def deciding_words(row, verdict: dict | None, judgement: PoolResult,
                   settings: PoolSettings) -> str:
    """Readers given the stored verdict (`verdict`: the endpoint's provider, admins) get its
    own reasons; others the rules applied to the figures they see."""
    exacto = row.exacto or {}
    reasons = (verdict or {}).get("reasons") or {}
    failed = exacto.get("failed") or []
    if verdict is not None and failed and not exacto.get("forced") and all(reasons.get(r) for r in failed):
        text = "; ".join(f"{rule}: {reasons[rule]}" for rule in failed)
        if exacto.get("member"):
            text = f"fallback member (no provider passes every rule); {text}"
        return text[0].upper() + text[1:]
    return deciding_rule(row, judgement, settings)


def _position(value: float, low: float, high: float) -> float:
    return max(0.0, min(100.0, 100 * (value - low) / (high - low)))


def table_bars(rows: list, band) -> list[dict]:
    """Inline bars of the providers table, one per row, as CSS percentages on scales shared
    by all rows: accuracy interval on [lowest lower bound, 100%], failure mix on [0, worst
    total], propensity on [0, 100%] with the normal band behind the marker."""
    lows = [r.tool_calls["accuracy_ci95"][0] for r in rows if r.tool_calls.get("accuracy_ci95")]
    floor = max(0.0, min(lows) - 0.01) if lows else 0.0
    totals = [sum(r.tool_calls["failure_rates"][m] or 0 for m in FAILURE_OUTCOMES) for r in rows
              if r.tool_calls["calls"]]
    worst = max(totals) if totals and max(totals) > 0 else 1.0
    out = []
    for row in rows:
        tc = row.tool_calls
        bars: dict = {"floor": pct(floor, 0)}
        ci = tc.get("accuracy_ci95")
        if ci:
            left, right = _position(ci[0], floor, 1.0), _position(ci[1], floor, 1.0)
            bars["interval"] = {"left": f"{left:.1f}", "width": f"{max(right - left, 1.0):.1f}",
                                "dot": f"{_position(tc['accuracy'], floor, 1.0):.1f}"}
        if tc["calls"]:
            bars["failures"] = [
                {"mode": mode, "width": f"{100 * (tc['failure_rates'][mode] or 0) / worst:.1f}",
                 # Each rate with its 95% interval (§4), in the title and the label.
                 "text": f"{mode.replace('_', ' ')} {pct(tc['failure_rates'][mode], 2)}"
                         + (f" ({interval(tc[f'{mode}_rate_ci95'])})"
                            if tc.get(f"{mode}_rate_ci95") else "")}
                for mode in FAILURE_OUTCOMES]
            bars["failure_total"] = pct(sum(tc["failure_rates"][m] or 0 for m in FAILURE_OUTCOMES), 2)
        if tc.get("propensity") is not None:
            bars["propensity"] = {"dot": f"{100 * tc['propensity']:.1f}"}
            if band is not None:
                bars["propensity"].update(
                    band_left=f"{100 * band.low:.1f}",
                    band_width=f"{100 * (band.high - band.low):.1f}",
                    inside=band.low <= tc["propensity"] <= band.high)
        out.append(bars)
    return out


def range_rows(latest: list[dict], benchmark) -> tuple[list[dict], Reference | None]:
    """The range rule (§6) over each endpoint's latest visible run: the reference (the
    reference endpoint's run, else the median) and each run's threshold and verdict."""
    # Samples and the benchmark's item count give runs without a stderr their §6 one.
    items = getattr(benchmark, "item_count", None)
    runs = [RunFigure(endpoint=r["label"], score=r["score"], stderr=r["stderr"],
                      run_at=datetime.fromisoformat(r["run_at"]),
                      is_reference=r.get("is_reference", False), samples=r.get("samples"),
                      items=items) for r in latest]
    reference = reference_for(runs)
    rows = []
    for r, run in zip(latest, runs, strict=True):
        verdict = (range_check(run, reference, benchmark.tolerance, benchmark.higher_is_better)
                   if reference else None)
        rows.append({**r, "in_range": verdict.in_range if verdict else True,
                     "se": standard_error(run.score, run.stderr, run.samples, items),
                     "threshold": verdict.threshold if verdict else None,
                     "held_elsewhere": (r.get("rotation_status") == "benchmark_hold"
                                        and (verdict is None or verdict.in_range))})
    return rows, reference
