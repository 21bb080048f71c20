"""The benchmark range rule and the rotation it drives (METHODOLOGY.md §6).

Pure Python (docs/style.md "Pure core"): metrics/services/rotation.py loads benchmark
runs, calls these functions, and writes the resulting status and reason with an
audit record. It sits in ``metrics`` beside the benchmark runs that drive it; the
state it moves is the catalogue's (providers/rotation_status.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from metrics.stats import median
from providers.rotation_status import RotationStatus


@dataclass(frozen=True)
class RunFigure:
    """The figures of one benchmark run that the range rule needs."""

    endpoint: str
    score: float
    stderr: float | None
    run_at: datetime
    is_reference: bool = False
    samples: int | None = None
    items: int | None = None  # the benchmark's item count (§6), when known


@dataclass(frozen=True)
class StandardError:
    """The standard error the range rule uses for a run, and where it came from (§6)."""

    value: float
    basis: Literal["reported", "samples", "items", "none"]
    n: int | None = None

    @property
    def note(self) -> str:
        if self.basis == "reported":
            return "reported"
        if self.basis == "none":
            return "not reported and no sample or item count: taken as 0"
        what = "samples" if self.basis == "samples" else "benchmark items"
        return f"binomial from {self.n} {what}"


def standard_error(score: float, stderr: float | None, samples: int | None = None,
                   items: int | None = None) -> StandardError:
    """METHODOLOGY §6: the reported standard error, else ``100·sqrt(p(1−p)/n)`` with
    ``p = score/100`` and ``n`` the run's samples, else the benchmark's item count;
    0 only when neither is known."""
    if stderr is not None:
        return StandardError(float(stderr), "reported")
    for basis, n in (("samples", samples), ("items", items)):
        if n:
            p = min(max(score / 100.0, 0.0), 1.0)
            return StandardError(100.0 * math.sqrt(p * (1.0 - p) / n), basis, int(n))
    return StandardError(0.0, "none")


@dataclass(frozen=True)
class Reference:
    """The score an endpoint is judged against, and where it came from."""

    score: float
    stderr: float | None
    kind: Literal["reference", "median"]
    endpoint: str | None


@dataclass(frozen=True)
class RangeVerdict:
    """Outcome of the range rule for one run, with the figures that decided."""

    in_range: bool
    threshold: float
    margin: float
    score: float
    reference: float
    kind: Literal["reference", "median"]
    reason: str
    benchmark: str = ""


def _fmt(x: float) -> str:
    # Three decimals are finer than any benchmark reports, and str() keeps
    # "3.0" readable instead of "3.000".
    return str(round(x, 3))


def reference_for(latest: Sequence[RunFigure]) -> Reference | None:
    """Reference score of a model on a benchmark (METHODOLOGY.md §6).

    ``latest`` holds each endpoint's latest run. The reference endpoint's
    run wins, with its standard error (reported or derived, ``standard_error``);
    without one, the median of every endpoint's latest score. A median is a
    score on the same items, so it gets the binomial standard error of the runs'
    median sample count, else of the benchmark's items (none when neither is
    known): a one-question gap then never holds, even next to a score of 0.
    None when there are no runs.
    """
    references = [r for r in latest if r.is_reference]
    if references:
        # Only one endpoint should be the reference; if data says otherwise,
        # the most recent run is the freshest statement of the model's quality.
        chosen = max(references, key=lambda r: (r.run_at, r.endpoint))
        se = standard_error(chosen.score, chosen.stderr, chosen.samples, chosen.items)
        return Reference(
            score=chosen.score, stderr=se.value, kind="reference", endpoint=chosen.endpoint
        )
    if not latest:
        return None
    score = median(r.score for r in latest)
    samples = [r.samples for r in latest if r.samples]
    items = next((r.items for r in latest if r.items), None)
    n = int(median(samples)) if samples else items
    return Reference(
        score=score,
        stderr=standard_error(score, None, n).value if n else None,
        kind="median",
        endpoint=None,
    )


def range_check(
    run: RunFigure,
    ref: Reference,
    tolerance: float = 3.0,
    higher_is_better: bool = True,
    benchmark: str = "",
) -> RangeVerdict:
    """Is ``run`` within range of ``ref``? (METHODOLOGY.md §6)

    Out of range when the score is below ``reference − margin`` with
    ``margin = max(tolerance, 2·sqrt(se² + se_ref²))``; a run without a standard
    error gets one from its samples or the benchmark's items (``standard_error``).
    For lower-is-better benchmarks the rule is mirrored:
    out when above ``reference + margin``. A score exactly at the threshold
    is in range.
    """
    used = standard_error(run.score, run.stderr, run.samples, run.items)
    se = used.value
    se_ref = ref.stderr or 0.0
    noise = 2 * math.sqrt(se * se + se_ref * se_ref)
    margin = max(tolerance, noise)
    if higher_is_better:
        threshold = ref.score - margin
        in_range = run.score >= threshold
        sign, op = "−", ("≥" if in_range else "<")
    else:
        threshold = ref.score + margin
        in_range = run.score <= threshold
        sign, op = "+", ("≤" if in_range else ">")
    prefix = f"{benchmark}: " if benchmark else ""
    reason = (
        f"{prefix}score {_fmt(run.score)} {op} threshold {_fmt(threshold)} = "
        f"{ref.kind} {_fmt(ref.score)} {sign} max({_fmt(tolerance)}, "
        f"2·√({_fmt(se)}²+{_fmt(se_ref)}²))"
    )
    if used.basis != "reported":
        reason += f" (se: {used.note})"
    return RangeVerdict(
        in_range=in_range,
        threshold=threshold,
        margin=margin,
        score=run.score,
        reference=ref.score,
        kind=ref.kind,
        reason=reason,
        benchmark=benchmark,
    )


def next_status(
    current: RotationStatus, verdicts: Sequence[RangeVerdict]
) -> tuple[RotationStatus, str]:
    """Rotation status after the latest benchmark verdicts (METHODOLOGY.md §6).

    An admin removal is only lifted by an admin, so no verdict changes it.
    Any out-of-range verdict puts the endpoint on ``benchmark_hold``; when
    every verdict is in range (or there are none) a held endpoint returns to
    ``active``. The reason names the verdict(s) that decided.
    """
    if current == RotationStatus.ADMIN_REMOVED:
        return current, "removed by an admin; only an admin can restore it"
    failing = [v for v in verdicts if not v.in_range]
    if failing:
        return RotationStatus.BENCHMARK_HOLD, "out of range: " + "; ".join(
            v.reason for v in failing
        )
    if not verdicts:
        reason = "no benchmark runs to judge"
    else:
        reason = "in range: " + "; ".join(v.reason for v in verdicts)
    if current == RotationStatus.BENCHMARK_HOLD:
        reason = "back in range, hold lifted: " + reason.removeprefix("in range: ")
    return RotationStatus.ACTIVE, reason
