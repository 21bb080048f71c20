import math
from datetime import UTC, datetime, timedelta

import pytest

from metrics.rotation_rules import (
    Reference,
    RotationStatus,
    RunFigure,
    StandardError,
    next_status,
    range_check,
    reference_for,
    standard_error,
)

T0 = datetime(2025, 10, 1, tzinfo=UTC)


def run(
    endpoint: str, score: float, stderr: float | None = None, days: int = 0, reference: bool = False
) -> RunFigure:
    return RunFigure(endpoint, score, stderr, T0 + timedelta(days=days), reference)


# Reference (METHODOLOGY.md §6)


def test_reference_is_the_reference_endpoints_run():
    ref = reference_for([run("a", 80.0), run("author", 95.0, 1.5, reference=True), run("b", 90)])
    assert ref == Reference(score=95.0, stderr=1.5, kind="reference", endpoint="author")


def test_reference_without_reference_endpoint_is_median_of_latest_runs():
    ref = reference_for([run("a", 80.0, 2.0), run("b", 93.0, 1.0), run("c", 95.0)])
    assert ref == Reference(score=93.0, stderr=None, kind="median", endpoint=None)


def test_median_reference_of_even_count_averages_middle_runs():
    ref = reference_for([run("a", 80.0), run("b", 90.0), run("c", 92.0), run("d", 99.0)])
    assert ref is not None and ref.score == 91.0


def test_reference_of_no_runs_is_none():
    assert reference_for([]) is None


def test_two_reference_endpoints_prefer_the_latest_run():
    ref = reference_for(
        [run("old", 70.0, reference=True), run("new", 75.0, days=3, reference=True)]
    )
    assert ref is not None and ref.endpoint == "new"


# Range rule


def test_score_exactly_at_tolerance_threshold_is_in_range():
    # 93.0 − 3.0 is exact in binary floating point.
    v = range_check(run("a", 90.0), Reference(93.0, None, "median", None))
    assert v.in_range
    assert v.threshold == 90.0
    assert v.margin == 3.0


def test_score_just_below_tolerance_threshold_is_out_of_range():
    v = range_check(run("a", math.nextafter(90.0, 0)), Reference(93.0, None, "median", None))
    assert not v.in_range


def test_out_of_range_reason_states_the_figures():
    v = range_check(run("a", 86.7), Reference(93.3, None, "median", None))
    assert not v.in_range
    assert v.reason == ("score 86.7 < threshold 90.3 = median 93.3 − max(3.0, 2·√(0.0²+0.0²))"
                        " (se: not reported and no sample or item count: taken as 0)")


def test_stderr_widens_margin_beyond_tolerance():
    # 2·√(3² + 4²) = 10 > 3, exact in floats: threshold 90 − 10 = 80.
    ref = Reference(90.0, 4.0, "reference", "author")
    assert range_check(run("a", 80.0, 3.0), ref).in_range
    assert range_check(run("a", 80.0, 3.0), ref).margin == 10.0
    assert not range_check(run("a", math.nextafter(80.0, 0), 3.0), ref).in_range


def test_small_stderr_does_not_shrink_margin_below_tolerance():
    # 2·√(0.6² + 0.8²) = 2 < 3, so the tolerance decides.
    ref = Reference(90.0, 0.8, "reference", "author")
    v = range_check(run("a", 87.5, 0.6), ref)
    assert v.margin == 3.0
    assert v.in_range is True
    assert not range_check(run("a", 86.5, 0.6), ref).in_range


def test_missing_stderr_counts_as_zero_on_either_side():
    ref = Reference(90.0, 5.0, "reference", "author")
    # Only the reference has one: 2·√(0 + 25) = 10
    assert range_check(run("a", 80.0, None), ref).margin == 10.0


def test_per_benchmark_tolerance_is_used():
    ref = Reference(50.0, None, "median", None)
    assert range_check(run("a", 45.0), ref, tolerance=5.0).in_range
    assert not range_check(run("a", 45.0), ref, tolerance=4.0).in_range


def test_lower_is_better_is_out_of_range_above_reference_plus_margin():
    ref = Reference(10.0, None, "median", None)
    assert range_check(run("a", 13.0), ref, higher_is_better=False).in_range
    assert not range_check(run("a", math.nextafter(13.0, 99)), ref, higher_is_better=False).in_range
    # Far below the reference is good when lower is better.
    assert range_check(run("a", 0.0), ref, higher_is_better=False).in_range


def test_lower_is_better_reason_mirrors_the_rule():
    v = range_check(run("a", 14.0), Reference(10.0, None, "median", None), higher_is_better=False)
    assert v.reason == ("score 14.0 > threshold 13.0 = median 10.0 + max(3.0, 2·√(0.0²+0.0²))"
                        " (se: not reported and no sample or item count: taken as 0)")


def test_reference_endpoint_is_in_range_against_itself():
    latest = [run("author", 70.0, 2.0, reference=True), run("b", 95.0)]
    ref = reference_for(latest)
    assert ref is not None
    assert range_check(latest[0], ref).in_range


def test_endpoint_far_below_median_is_out_and_others_stay_in():
    latest = [run("a", 93.0), run("b", 94.0), run("c", 80.0)]
    ref = reference_for(latest)
    assert ref is not None
    assert [range_check(r, ref).in_range for r in latest] == [True, True, False]


# Rotation status


def verdict(score: float, in_range_ref: float = 90.0, name: str = ""):
    return range_check(
        run("a", score), Reference(in_range_ref, None, "median", None), benchmark=name
    )


def test_out_of_range_puts_active_endpoint_on_benchmark_hold():
    status, reason = next_status(
        RotationStatus.ACTIVE, [verdict(90.0, name="aime25"), verdict(50.0, name="tau2")]
    )
    assert status == RotationStatus.BENCHMARK_HOLD
    assert "tau2: score 50.0 < threshold 87.0" in reason
    assert "aime25" not in reason


def test_in_range_run_lifts_benchmark_hold():
    status, reason = next_status(RotationStatus.BENCHMARK_HOLD, [verdict(89.0, name="aime25")])
    assert status == RotationStatus.ACTIVE
    assert "aime25: score 89.0 ≥ threshold 87.0" in reason


def test_active_endpoint_with_good_runs_stays_active():
    status, _ = next_status(RotationStatus.ACTIVE, [verdict(95.0)])
    assert status == RotationStatus.ACTIVE


def test_no_runs_lift_a_hold():
    status, reason = next_status(RotationStatus.BENCHMARK_HOLD, [])
    assert status == RotationStatus.ACTIVE
    assert "no benchmark runs" in reason


def test_admin_removal_survives_a_good_run():
    status, reason = next_status(RotationStatus.ADMIN_REMOVED, [verdict(95.0)])
    assert status == RotationStatus.ADMIN_REMOVED
    assert "admin" in reason


def test_admin_removal_is_not_turned_into_benchmark_hold():
    status, _ = next_status(RotationStatus.ADMIN_REMOVED, [verdict(10.0)])
    assert status == RotationStatus.ADMIN_REMOVED


def test_any_single_out_of_range_verdict_holds_despite_others_in_range():
    status, _ = next_status(RotationStatus.ACTIVE, [verdict(95.0), verdict(95.0), verdict(0.0)])
    assert status == RotationStatus.BENCHMARK_HOLD


def test_rotation_status_values_are_the_api_strings():
    assert [s.value for s in RotationStatus] == ["active", "benchmark_hold", "admin_removed"]


# --- §6 standard error of runs that report none


def test_standard_error_prefers_reported_then_samples_then_items():
    assert standard_error(80.0, 1.5, samples=100, items=30) == StandardError(1.5, "reported")
    # 100·sqrt(0.8·0.2/100) = 4 exactly (up to float rounding).
    from_samples = standard_error(80.0, None, samples=100, items=30)
    assert from_samples.basis == "samples" and from_samples.n == 100
    assert from_samples.value == pytest.approx(4.0, abs=1e-12)
    from_items = standard_error(80.0, None, samples=None, items=16)
    assert from_items.basis == "items" and from_items.value == pytest.approx(10.0, abs=1e-12)
    assert standard_error(80.0, None) == StandardError(0.0, "none")
    assert standard_error(100.0, None, samples=20).value == 0.0


def test_one_question_difference_on_a_30_question_exam_never_holds():
    """AIME 2025 has 30 questions, one question is 3.33 points: with se = 0 the default
    tolerance of 3 held a provider for it; with the binomial se it is in range."""
    without_items = reference_for([run(f"p{i}", 93.3) for i in range(7)])
    assert not range_check(run("parasail", 90.0), without_items).in_range
    others = [RunFigure(f"p{i}", 93.3, None, T0, items=30) for i in range(7)]
    one_down = RunFigure("parasail", 90.0, None, T0, items=30)
    verdict = range_check(one_down, reference_for([*others, one_down]))
    assert verdict.in_range
    assert verdict.reason.endswith("(se: binomial from 30 benchmark items)")
    # One question under any median, 0/30 to 30/30, stays in range.
    for questions in range(1, 31):
        top = [RunFigure(f"p{i}", 100.0 * questions / 30, None, T0, items=30) for i in range(3)]
        below = RunFigure("x", 100.0 * (questions - 1) / 30, None, T0, items=30)
        assert range_check(below, reference_for([*top, below])).in_range, questions


def test_reference_run_gets_a_derived_standard_error_too():
    ref = reference_for([RunFigure("author", 50.0, None, T0, True, samples=100)])
    assert ref is not None and ref.stderr == pytest.approx(5.0)
