"""The speed histograms (METHODOLOGY §10): mergeable, and quantiles within 2% of exact."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import histogram as h

# Positive timings and throughputs as they occur: 0.01 ms to a day, tokens/s to 10^6.
values = st.floats(min_value=0.01, max_value=1e8, allow_nan=False, allow_infinity=False)
histograms = st.lists(values, max_size=60).map(h.from_values)
quantiles = st.floats(min_value=0.0, max_value=1.0)


@given(histograms, histograms, histograms)
def test_merge_is_associative_and_commutative(a, b, c):
    assert h.merge(h.merge(a, b), c) == h.merge(a, h.merge(b, c))
    assert h.merge(a, b) == h.merge(b, a)


@given(st.lists(values, max_size=60), st.lists(values, max_size=60))
def test_merge_of_parts_is_the_histogram_of_the_union(xs, ys):
    assert h.merge(h.from_values(xs), h.from_values(ys)) == h.from_values(xs + ys)


@settings(max_examples=300)
@given(st.lists(values, min_size=1, max_size=400), quantiles)
def test_quantile_within_two_percent_of_the_exact_order_statistic(xs, q):
    exact = h.exact_quantile(xs, q)
    estimate = h.quantile(h.from_values(xs), q)
    assert abs(estimate - exact) <= 0.02 * exact
    # The design bound is α (1.9%); a hair of float slack at bucket edges.
    assert abs(estimate - exact) <= (h.ALPHA + 1e-9) * exact


@settings(max_examples=100)
@given(st.lists(st.lists(values, min_size=1, max_size=50), min_size=1, max_size=10),
       st.sampled_from([0.5, 0.9]))
def test_quantile_of_merged_days_is_within_two_percent(days, q):
    """Days are rolled up apart and merged at read time; the error does not compound."""
    merged = h.merge(*(h.from_values(day) for day in days))
    exact = h.exact_quantile([x for day in days for x in day], q)
    assert abs(h.quantile(merged, q) - exact) <= 0.02 * exact


def test_quantile_uses_nearest_rank():
    hist = h.from_values([100.0, 200.0, 300.0, 400.0])
    assert h.quantile(hist, 0.5) == pytest.approx(200.0, rel=0.02)
    assert h.quantile(hist, 0.9) == pytest.approx(400.0, rel=0.02)
    assert h.quantile(hist, 0.0) == pytest.approx(100.0, rel=0.02)


def test_zero_and_huge_values_have_buckets():
    hist = h.from_values([0.0, 0.0, 5.0])
    assert h.quantile(hist, 0.5) == 0.0
    assert h.bucket_of(1e300) == h.MAX_BUCKET
    assert math.isfinite(h.value_of(h.MAX_BUCKET))


def test_empty_histogram_has_no_quantile():
    assert h.quantile({}, 0.5) is None
    assert h.exact_quantile([], 0.5) is None


def test_buckets_are_few_per_decade():
    """Storage: ~61 buckets span a factor of 10, so a day's histogram stays small."""
    assert h.bucket_of(10_000.0) - h.bucket_of(1_000.0) <= 62
