"""§10 in the pool: rule 6 (availability) and throughput ordering near the top (pure)."""

from dataclasses import replace

import pytest

from metrics.choices import Tier
from metrics.pools import PoolSettings, Rule, judge_pool, verdict_to_dict
from metrics.stats import wilson_interval
from tests.metrics.test_pools import by_key, ep


def fast(key, tps=None, requests=0.0, ok=None, **kw):
    return replace(ep(key, **kw), status_requests=requests,
                   ok_requests=requests if ok is None else ok, throughput_p50=tps)


def test_equal_accuracy_endpoints_are_ordered_by_throughput():
    result = judge_pool([fast("slow", tps=40.0), fast("quick", tps=180.0),
                         fast("mid", tps=90.0)])
    assert result.pool == ("quick", "mid", "slow")
    assert "p50 throughput 180 tokens/s" in by_key(result)["quick"].order


def test_throughput_orders_only_within_half_a_point_of_the_top():
    # Lower bounds: top ≈ 93.6%; "near" 0.3 points below; "far" several points below.
    top = fast("top", tps=10.0, calls=10_000, correct=9_400)
    near = fast("near", tps=500.0, calls=10_000, correct=9_370)
    far = fast("far", tps=900.0, calls=10_000, correct=9_300)
    result = judge_pool([top, near, far], PoolSettings(accuracy_margin=0.02))
    assert wilson_interval(9_400, 10_000)[0] - wilson_interval(9_370, 10_000)[0] < 0.005
    assert wilson_interval(9_400, 10_000)[0] - wilson_interval(9_300, 10_000)[0] > 0.005
    assert result.pool == ("near", "top", "far")
    assert by_key(result)["far"].order == "by accuracy lower bound"


def test_unknown_throughput_goes_after_the_measured_near_the_top():
    result = judge_pool([fast("a"), fast("b", tps=50.0), fast("c", tps=20.0)])
    assert result.pool == ("b", "c", "a")
    assert "throughput unknown" in by_key(result)["a"].order


def test_twenty_percent_errors_fail_availability_and_derank():
    result = judge_pool([fast("good", tps=50.0, requests=1000),
                         fast("flaky", tps=90.0, requests=1000, ok=800)])
    flaky = by_key(result)["flaky"]
    assert flaky.tier == Tier.DERANKED and not flaky.member
    assert flaky.failed == (Rule.AVAILABILITY,)
    reason = flaky.rules[Rule.AVAILABILITY].reason
    assert reason.startswith("uptime 80.0% (upper 95% bound 82.4% < 95.0%) over 1000 requests")
    assert flaky.rules[Rule.AVAILABILITY].figures["upper95"] == pytest.approx(
        wilson_interval(800, 1000)[1])
    assert result.pool == ("good",)
    stored = verdict_to_dict(flaky)
    assert stored["failed"] == ["availability"]
    assert stored["reasons"]["availability"] == reason


def test_availability_needs_a_hundred_status_reporting_requests():
    v = by_key(judge_pool([fast("a", requests=99, ok=50)]))["a"]
    assert v.rules[Rule.AVAILABILITY].passed
    assert "99 status-reporting requests < 100: too few to judge" in (
        v.rules[Rule.AVAILABILITY].reason)


def test_availability_passes_on_the_upper_bound_not_the_point_estimate():
    # 93/100 ok: point estimate below 95%, upper bound (96.6%) above it.
    v = by_key(judge_pool([fast("a", requests=100, ok=93)]))["a"]
    assert v.rules[Rule.AVAILABILITY].passed and v.tier == Tier.VERIFIED


def test_minimum_uptime_is_a_setting():
    v = by_key(judge_pool([fast("a", requests=1000, ok=990)],
                          PoolSettings(min_uptime_upper=0.999)))["a"]
    assert not v.rules[Rule.AVAILABILITY].passed
