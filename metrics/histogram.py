"""Mergeable log-bucket histograms for latency, TTFT and throughput (METHODOLOGY §10).

DDSketch-style: a value x > 0 goes to bucket ``i = ceil(log_γ x)`` with
``γ = (1 + α) / (1 − α)``. Every value in bucket i lies in (γ^(i−1), γ^i], and the
bucket's representative ``2γ^i / (γ + 1)`` is within α of each of them (relative), so a
quantile read from bucket counts is within α of the exact order statistic. α = 1.9%:
just under the 2% §10 allows, so float rounding at a bucket edge never crosses it, and
as coarse as allowed because every distinct bucket an ingest batch touches is a row
upserted (docs/decisions.md: ~61 buckets per decade instead of ~115 at 1%).

A histogram is a plain ``{bucket: count}`` dict. Merging adds counts, so it is
associative and commutative: daily rows merge in SQL with ``SUM … GROUP BY bucket``
and the result is the histogram of the union, whatever the order.

Pure Python (no Django): tested in milliseconds, shared by ingestion and reads.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

ALPHA = 0.019
GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA = math.log(GAMMA)
# Values at or below MIN_VALUE count as zero (a 1 µs latency is a zero latency);
# values above MAX_VALUE are clamped, so a bucket index is always a small integer.
MIN_VALUE = 1e-3
MAX_VALUE = 1e12
ZERO_BUCKET = -(2**15)
MAX_BUCKET = math.ceil(math.log(MAX_VALUE) / _LOG_GAMMA)

Histogram = dict[int, int]


def bucket_of(value: float) -> int:
    """The bucket holding ``value`` (≥ 0)."""
    if value <= MIN_VALUE:
        return ZERO_BUCKET
    if value >= MAX_VALUE:
        return MAX_BUCKET
    return math.ceil(math.log(value) / _LOG_GAMMA)


def value_of(bucket: int) -> float:
    """The representative value of a bucket: within α of every value it holds."""
    if bucket == ZERO_BUCKET:
        return 0.0
    return 2 * GAMMA**bucket / (GAMMA + 1)


def add(histogram: Histogram, value: float, count: int = 1) -> None:
    """Counts ``value`` (``count`` times) in ``histogram``, in place."""
    bucket = bucket_of(value)
    histogram[bucket] = histogram.get(bucket, 0) + count


def from_values(values: Iterable[float]) -> Histogram:
    histogram: Histogram = {}
    for value in values:
        add(histogram, value)
    return histogram


def merge(*histograms: Mapping[int, int]) -> Histogram:
    """The histogram of the union of the inputs' values."""
    out: Histogram = {}
    for histogram in histograms:
        for bucket, count in histogram.items():
            out[bucket] = out.get(bucket, 0) + count
    return out


def total(histogram: Mapping[int, int]) -> int:
    return sum(histogram.values())


def quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0 ≤ q ≤ 1) as the nearest-rank order statistic: the value at
    rank ⌈q·n⌉ (at least 1) of the n values, within α relative. None when empty."""
    n = total(histogram)
    if n <= 0:
        return None
    rank = min(max(math.ceil(q * n), 1), n)
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return value_of(bucket)
    return value_of(max(histogram))  # unreachable: seen reaches n


def exact_quantile(values: Iterable[float], q: float) -> float | None:
    """The same nearest-rank quantile on raw values (what the histogram approximates)."""
    items = sorted(values)
    if not items:
        return None
    rank = min(max(math.ceil(q * len(items)), 1), len(items))
    return items[rank - 1]
