import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.stats import (
    AppMatched,
    app_matched_delta,
    mad,
    median,
    normal_range,
    rate,
    total_variation,
    wilson_interval,
)


def approx(x: float) -> object:
    return pytest.approx(x, abs=1e-4)


# Wilson interval (METHODOLOGY.md §4). Expected figures are hand-computed from
# centre = (p + z²/2n)/(1 + z²/n), half = z/(1 + z²/n)·√(p(1−p)/n + z²/4n²).


def test_wilson_zero_successes_starts_at_zero():
    assert wilson_interval(0, 10) == (0.0, approx(0.2775))


def test_wilson_all_successes_ends_at_one():
    assert wilson_interval(10, 10) == (approx(0.7225), 1.0)


def test_wilson_half_of_hundred():
    assert wilson_interval(50, 100) == (approx(0.4038), approx(0.5962))


def test_wilson_accepts_fractional_capped_counts():
    # 2.5 of 5: p = 0.5, n = 5 -> half = 1.959964/1.768292 · √(0.05 + 0.038415)
    assert wilson_interval(2.5, 5.0) == (approx(0.1704), approx(0.8296))


def test_wilson_fractional_counts_narrow_with_more_capped_data():
    small = wilson_interval(0.9 * 12.5, 12.5)
    large = wilson_interval(0.9 * 1250.5, 1250.5)
    assert small is not None and large is not None
    assert large[1] - large[0] < small[1] - small[0]


def test_wilson_is_none_without_calls():
    assert wilson_interval(0, 0) is None
    assert wilson_interval(3, -1) is None


def test_wilson_clamps_successes_slightly_above_n_from_float_error():
    assert wilson_interval(10.000000001, 10) == wilson_interval(10, 10)


@given(
    n=st.floats(min_value=1e-9, max_value=1e9, allow_nan=False),
    share=st.floats(min_value=0, max_value=1),
)
def test_wilson_bounds_surround_the_rate(n, share):
    successes = share * n
    interval = wilson_interval(successes, n)
    observed = rate(successes, n)
    assert interval is not None and observed is not None
    low, high = interval
    assert 0.0 <= low <= high <= 1.0
    # One ulp of slack: the rate itself is a rounded division.
    assert low <= observed * (1 + 1e-12) + 1e-15
    assert observed <= high * (1 + 1e-12) + 1e-15


# rate


def test_rate_is_none_when_denominator_is_zero():
    assert rate(0, 0) is None
    assert rate(3, 0) is None


def test_rate_divides():
    assert rate(1, 4) == 0.25


# median, MAD, normal range (§7 rule 4)


def test_median_and_mad_of_empty_are_none():
    assert median([]) is None
    assert mad([]) is None


def test_median_of_even_count_averages_middle_pair():
    assert median([4, 1, 3, 2]) == 2.5


def test_mad_is_raw_median_absolute_deviation():
    # median 3; deviations 2, 1, 0, 1, 6 -> median 1
    assert mad([1, 2, 3, 4, 9]) == 1.0


def test_normal_range_uses_scaled_mad_when_wider_than_minimum():
    values = [0.5, 0.6, 0.7, 0.8, 0.9]  # median 0.7, MAD 0.1
    r = normal_range(values)
    assert r is not None
    assert r.centre_kind == "median"
    assert r.centre == pytest.approx(0.7)
    assert r.halfwidth == pytest.approx(3 * 1.4826 * 0.1)
    assert r.low == pytest.approx(0.7 - 0.44478)
    assert r.high == pytest.approx(0.7 + 0.44478)


def test_normal_range_uses_minimum_halfwidth_when_endpoints_agree():
    r = normal_range([0.6, 0.6, 0.6])
    assert r is not None
    assert r.halfwidth == 0.05
    assert (r.low, r.high) == (pytest.approx(0.55), pytest.approx(0.65))


def test_normal_range_centres_on_reference_but_measures_spread_around_median():
    values = [0.5, 0.6, 0.7, 0.8, 0.9]  # MAD around median 0.7 is 0.1
    r = normal_range(values, centre=0.9)
    assert r is not None
    assert r.centre_kind == "reference"
    assert r.centre == 0.9
    # Around 0.9 the MAD would be 0.2; the spread stays the endpoints' own.
    assert r.halfwidth == pytest.approx(3 * 1.4826 * 0.1)


def test_normal_range_of_nothing_is_none():
    assert normal_range([]) is None
    assert normal_range([], centre=0.5) is None


# Total variation (§3)


def test_total_variation_of_identical_mixes_is_zero():
    assert total_variation({"simple": 2, "complex": 2}, {"simple": 50, "complex": 50}) == 0.0


def test_total_variation_normalises_counts_and_shares():
    # p = (0.8, 0.2, 0), q = (0.5, 0.3, 0.2): ½(0.3 + 0.1 + 0.2) = 0.3
    p = {"simple": 80, "medium": 20}
    q = {"simple": 0.5, "medium": 0.3, "complex": 0.2}
    assert total_variation(p, q) == pytest.approx(0.3)


def test_total_variation_of_disjoint_mixes_is_one():
    assert total_variation({"simple": 5}, {"complex": 7}) == 1.0


def test_total_variation_is_zero_when_either_side_is_empty():
    assert total_variation({}, {"simple": 1}) == 0.0
    assert total_variation({"simple": 1}, {"simple": 0}) == 0.0


# App-matched accuracy (§4)


def test_app_matched_delta_hand_example():
    per_app = {
        # app x: A 90/100, B 40/50; app y: A 10/10, C 30/60; app z: A only
        "A": {"x": (90.0, 100.0), "y": (10.0, 10.0), "z": (1.0, 1000.0)},
        "B": {"x": (40.0, 50.0)},
        "C": {"y": (30.0, 60.0)},
    }
    result = app_matched_delta(per_app)
    # A: x -> (0.9 − 0.8)·min(100, 50) = 5; y -> (1.0 − 0.5)·min(10, 60) = 5
    #    delta = 10 / 60; z is A's alone and does not count.
    assert result["A"].delta == pytest.approx(10 / 60)
    assert result["A"].apps == 2
    assert result["A"].weight == 60.0
    # B: x -> (0.8 − 0.9)·50 / 50
    assert result["B"].delta == pytest.approx(-0.1)
    # C: y -> (0.5 − 1.0)·10 / 10
    assert result["C"].delta == pytest.approx(-0.5)


def test_app_matched_delta_pools_the_other_endpoints_on_an_app():
    per_app = {
        "A": {"x": (50.0, 100.0)},
        "B": {"x": (30.0, 30.0)},
        "C": {"x": (0.0, 10.0)},
    }
    # Others on x for A: 30/40 = 0.75; weight min(100, 40) = 40.
    result = app_matched_delta(per_app)
    assert result["A"] == AppMatched(delta=pytest.approx(-0.25), apps=1, weight=40.0)


def test_app_matched_delta_is_none_without_shared_apps():
    result = app_matched_delta({"A": {"x": (5.0, 10.0)}, "B": {"y": (5.0, 10.0)}})
    assert result["A"] == AppMatched(delta=None, apps=0, weight=0.0)
    assert result["B"].delta is None


def test_app_matched_delta_ignores_apps_the_others_sent_no_calls_for():
    result = app_matched_delta({"A": {"x": (5.0, 10.0)}, "B": {"x": (0.0, 0.0)}})
    assert result["A"].delta is None
    assert result["B"].delta is None


def test_app_matched_delta_is_zero_when_endpoints_match_on_every_app():
    per_app = {"A": {"x": (9.0, 10.0)}, "B": {"x": (90.0, 100.0)}}
    result = app_matched_delta(per_app)
    assert math.isclose(result["A"].delta, 0.0, abs_tol=1e-12)
    assert math.isclose(result["B"].delta, 0.0, abs_tol=1e-12)
