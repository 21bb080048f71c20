"""Statistics the methodology relies on: rates, Wilson intervals, capping,
robust ranges, distribution distance and app-matched accuracy.

Pure Python on purpose (docs/style.md "Pure core"): every figure here is shown to
providers, so it must be testable in milliseconds and free of the database.
Counts are floats throughout because capped counts (METHODOLOGY.md §4) are
fractional.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

# Two-sided 95% normal quantile, exact to float precision (METHODOLOGY.md §4 asks for 95%
# intervals), so that anyone recomputing an interval from the open data gets the same bits.
Z95 = statistics.NormalDist().inv_cdf(0.975)


def rate(num: float, den: float) -> float | None:
    """Share ``num / den``, or None when there is nothing to divide by.

    API.md: "Rates are fractions in [0, 1], null where the denominator is 0".
    """
    if den == 0:
        return None
    return num / den


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float] | None:
    """95% Wilson score interval of ``successes / n`` (METHODOLOGY.md §4).

    Works on fractional, capped counts. None when ``n <= 0``.
    """
    if n <= 0:
        return None
    # Capping can push successes a hair outside [0, n] through float error;
    # clamping keeps the square root real.
    s = min(max(successes, 0.0), n)
    z2 = z * z
    # Written over (n + z²) rather than (1 + z²/n) so that tiny capped n
    # cannot overflow z²/n into inf/inf.
    centre = (s + z2 / 2) / (n + z2)
    half = z * math.sqrt(s * (n - s) / n + z2 / 4) / (n + z2)
    # At s = 0 or s = n one end is exactly 0 or 1; rounding must not move it off.
    low = 0.0 if s == 0 else max(0.0, centre - half)
    high = 1.0 if s == n else min(1.0, centre + half)
    return (low, high)


def median(values: Iterable[float]) -> float | None:
    """Median of ``values``, None when there are none (§6, §7)."""
    items = list(values)
    if not items:
        return None
    return float(statistics.median(items))


def mad(values: Iterable[float]) -> float | None:
    """Raw median absolute deviation around the median (§7 rule 4).

    Unscaled: the 1.4826 consistency factor is a separate setting.
    """
    items = list(values)
    centre = median(items)
    if centre is None:
        return None
    return median(abs(v - centre) for v in items)


@dataclass(frozen=True)
class Range:
    """A normal range ``centre ± halfwidth`` and where its centre came from."""

    low: float
    high: float
    centre: float
    halfwidth: float
    centre_kind: Literal["median", "reference"]


def normal_range(
    values: Iterable[float],
    centre: float | None = None,
    k: float = 3.0,
    scale: float = 1.4826,
    min_halfwidth: float = 0.05,
) -> Range | None:
    """Normal range ``centre ± max(k·scale·MAD, min_halfwidth)`` (§7 rule 4).

    The centre is the median of ``values`` unless a reference ``centre`` is
    given. The MAD is always measured around the median of ``values``, even
    with a reference centre: it describes how far endpoints usually sit from
    one another, and measuring it around the reference instead would widen
    the range exactly when the reference disagrees with everyone, letting
    the very endpoints that disagree pass. None when there are no values.
    """
    items = list(values)
    spread = mad(items)
    if spread is None:
        return None
    if centre is None:
        kind: Literal["median", "reference"] = "median"
        centre = median(items)
        assert centre is not None  # items is non-empty here
    else:
        kind = "reference"
    halfwidth = max(k * scale * spread, min_halfwidth)
    return Range(
        low=centre - halfwidth,
        high=centre + halfwidth,
        centre=centre,
        halfwidth=halfwidth,
        centre_kind=kind,
    )


def total_variation(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Total-variation distance between two bucket mixes (§3).

    Inputs may be counts or shares; each is normalised first. 0 when either
    side is empty (or sums to 0): with no mix there is nothing to flag.
    """
    p_total = sum(p.values())
    q_total = sum(q.values())
    if p_total <= 0 or q_total <= 0:
        return 0.0
    keys = set(p) | set(q)
    return 0.5 * sum(abs(p.get(b, 0.0) / p_total - q.get(b, 0.0) / q_total) for b in keys)


@dataclass(frozen=True)
class AppMatched:
    """App-matched accuracy difference of one endpoint (§4).

    ``delta`` is the weighted mean of (this endpoint's accuracy − the other
    endpoints' pooled accuracy) over shared apps; ``apps`` is how many apps
    were shared and ``weight`` the total weight (calls) behind the figure.
    """

    delta: float | None
    apps: int
    weight: float


def app_matched_delta(
    per_app: Mapping[str, Mapping[str, tuple[float, float]]],
) -> dict[str, AppMatched]:
    """App-matched accuracy delta per endpoint (METHODOLOGY.md §4).

    ``per_app[endpoint][app] = (correct, calls)``. For each app that the
    endpoint and at least one other endpoint used (calls > 0), the
    endpoint's accuracy on that app is compared with the other endpoints'
    accuracy pooled on that app, and the differences are averaged weighted
    by ``min(calls of the endpoint, calls of the others)`` on that app.
    """
    result: dict[str, AppMatched] = {}
    for endpoint, apps in per_app.items():
        weighted = 0.0
        weight = 0.0
        shared = 0
        for app, (correct, calls) in apps.items():
            # Summed afresh rather than "total minus mine" so that float dust
            # never makes an app look shared when no other endpoint served it.
            others = [
                figures[app]
                for other, figures in per_app.items()
                if other != endpoint and app in figures
            ]
            other_correct = sum(c for c, _ in others)
            other_calls = sum(n for _, n in others)
            if calls <= 0 or other_calls <= 0:
                continue
            w = min(calls, other_calls)
            weighted += w * (correct / calls - other_correct / other_calls)
            weight += w
            shared += 1
        delta = weighted / weight if weight > 0 else None
        result[endpoint] = AppMatched(delta=delta, apps=shared, weight=weight)
    return result
