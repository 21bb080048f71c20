import json
import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.choices import OverrideAction, Tier
from metrics.pools import (
    EndpointFigures,
    PoolSettings,
    Rule,
    accuracy_rule,
    diff_pools,
    ignore_threshold,
    judge_pool,
    propensity_rule,
    verdict_to_dict,
)
from metrics.stats import Range, wilson_interval


def ep(
    key: str,
    calls: float = 1000,
    correct: float = 950,
    preq: float = 500,
    pwc: float = 300,
    ignore: float | None = 0.0,
    in_rotation: bool = True,
    reference: bool = False,
    override: OverrideAction | None = None,
    reason: str = "",
) -> EndpointFigures:
    return EndpointFigures(
        key=key,
        provider=key.split("/")[0],
        quantization="fp8",
        in_rotation=in_rotation,
        rotation_status="active" if in_rotation else "benchmark_hold",
        is_reference=reference,
        calls=calls,
        correct=correct,
        propensity_requests=preq,
        propensity_with_calls=pwc,
        ignore_rate=ignore,
        override=override,
        override_reason=reason,
    )


def by_key(result):
    return {v.key: v for v in result.verdicts}


# All good


def test_endpoints_passing_every_rule_are_verified_members():
    result = judge_pool([ep("a"), ep("b")])
    assert [v.tier for v in result.verdicts] == [Tier.VERIFIED, Tier.VERIFIED]
    assert all(v.member and not v.failed for v in result.verdicts)
    assert set(result.pool) == {"a", "b"}
    assert result.fallback is False


def test_every_verdict_carries_all_six_rules_in_methodology_order():
    v = judge_pool([ep("a")]).verdicts[0]
    assert list(v.rules) == [Rule.ROTATION, Rule.DATA, Rule.ACCURACY, Rule.PROPENSITY, Rule.IGNORES,
                             Rule.AVAILABILITY]


# Rule 1: rotation


def test_out_of_rotation_endpoint_is_deranked_and_reason_names_status():
    v = by_key(judge_pool([ep("a"), ep("b", in_rotation=False)]))["b"]
    assert v.failed == (Rule.ROTATION,)
    assert v.tier == Tier.DERANKED
    assert not v.member
    assert "benchmark_hold" in v.rules[Rule.ROTATION].reason


# Rule 2: data


def test_exactly_minimum_calls_and_requests_is_enough_data():
    v = judge_pool([ep("a", calls=200, correct=190, preq=100, pwc=60)]).verdicts[0]
    assert v.rules[Rule.DATA].passed
    assert v.tier == Tier.VERIFIED


def test_just_under_minimum_capped_calls_is_unverified():
    calls = math.nextafter(200.0, 0)
    v = judge_pool([ep("a", calls=calls, correct=190, preq=100, pwc=60)]).verdicts[0]
    assert not v.rules[Rule.DATA].passed
    assert v.failed == (Rule.DATA,)
    assert v.tier == Tier.UNVERIFIED


def test_too_few_propensity_requests_is_unverified():
    v = judge_pool([ep("a", preq=99.5, pwc=60)]).verdicts[0]
    assert v.tier == Tier.UNVERIFIED
    assert "99.5 propensity requests < 100" in v.rules[Rule.DATA].reason


def test_endpoint_without_calls_is_unverified_not_deranked():
    result = judge_pool([ep("a"), ep("new", calls=0, correct=0, preq=0, pwc=0, ignore=None)])
    v = by_key(result)["new"]
    assert v.accuracy is None and v.accuracy_ci95 is None and v.propensity is None
    assert v.rules[Rule.ACCURACY].passed
    assert v.rules[Rule.ACCURACY].reason == "no data to judge"
    assert v.tier == Tier.UNVERIFIED


# Rule 3: accuracy


def test_accuracy_upper_bound_exactly_at_best_lower_minus_margin_passes():
    threshold = 0.93 - 0.005
    assert accuracy_rule((0.5, threshold), ("best", 0.93), 0.005).passed


def test_accuracy_upper_bound_just_below_best_lower_minus_margin_fails():
    threshold = 0.93 - 0.005
    verdict = accuracy_rule((0.5, math.nextafter(threshold, 0)), ("best", 0.93), 0.005)
    assert not verdict.passed
    assert verdict.figures["best_endpoint"] == "best"


def test_clearly_less_accurate_endpoint_is_deranked():
    result = judge_pool([ep("good", correct=950), ep("bad", correct=700)])
    bad = by_key(result)["bad"]
    assert bad.failed == (Rule.ACCURACY,)
    assert bad.tier == Tier.DERANKED
    assert result.best_endpoint == "good"
    assert result.best_lower_bound == pytest.approx(wilson_interval(950, 1000)[0])
    # The reason is shown to providers: it gives the threshold, not who set it.
    assert "good" not in bad.rules[Rule.ACCURACY].reason
    assert bad.rules[Rule.ACCURACY].figures["best_endpoint"] == "good"


def test_overlapping_intervals_both_pass_accuracy():
    result = judge_pool([ep("a", correct=950), ep("b", correct=940)])
    assert all(v.rules[Rule.ACCURACY].passed for v in result.verdicts)


def test_best_is_chosen_only_among_endpoints_with_enough_data():
    # "tiny" is perfect on 150 calls; were it the best, 900/1000 would fail.
    result = judge_pool([ep("tiny", calls=150, correct=150), ep("a", correct=900)])
    assert result.best_endpoint == "a"
    assert by_key(result)["a"].rules[Rule.ACCURACY].passed


def test_endpoint_with_exactly_minimum_data_can_be_the_best():
    result = judge_pool(
        [
            ep("edge", calls=200, correct=200, preq=100, pwc=60),
            ep("tiny", calls=math.nextafter(200.0, 0), correct=199),
        ]
    )
    assert result.best_endpoint == "edge"


def test_best_counts_out_of_rotation_endpoints_with_enough_data():
    # §7 names the best among endpoints with enough data, rotation aside.
    result = judge_pool([ep("held", correct=990, in_rotation=False), ep("a", correct=900)])
    assert result.best_endpoint == "held"
    assert not by_key(result)["a"].rules[Rule.ACCURACY].passed


def test_accuracy_passes_when_no_endpoint_has_enough_data():
    result = judge_pool([ep("a", calls=100, correct=99), ep("b", calls=100, correct=10)])
    assert result.best_endpoint is None and result.best_lower_bound is None
    assert all(v.rules[Rule.ACCURACY].passed for v in result.verdicts)
    assert all(v.tier == Tier.UNVERIFIED for v in result.verdicts)


# Rule 4: propensity


def test_propensity_exactly_at_range_edges_passes():
    r = Range(low=0.25, high=0.75, centre=0.5, halfwidth=0.25, centre_kind="median")
    assert propensity_rule(0.25, r).passed
    assert propensity_rule(0.75, r).passed


def test_propensity_just_outside_range_fails():
    r = Range(low=0.25, high=0.75, centre=0.5, halfwidth=0.25, centre_kind="median")
    assert not propensity_rule(math.nextafter(0.25, 0), r).passed
    assert not propensity_rule(math.nextafter(0.75, 1), r).passed


def test_propensity_outlier_against_median_is_deranked():
    # 0.6 × 3 and 0.8: median 0.6, MAD 0 -> range 0.55–0.65 (minimum halfwidth)
    eps = [ep("a", pwc=300), ep("b", pwc=300), ep("c", pwc=300), ep("odd", pwc=400)]
    result = judge_pool(eps)
    assert result.propensity_range is not None
    assert result.propensity_range.centre_kind == "median"
    assert result.propensity_range.centre == pytest.approx(0.6)
    odd = by_key(result)["odd"]
    assert odd.failed == (Rule.PROPENSITY,)
    assert "outside 55.0%–65.0%" in odd.rules[Rule.PROPENSITY].reason


def test_reference_endpoint_with_enough_data_centres_propensity_range():
    eps = [
        ep("a", pwc=300),
        ep("b", pwc=300),
        ep("c", pwc=300),
        ep("author", pwc=400, reference=True),
    ]
    result = judge_pool(eps)
    assert result.propensity_range is not None
    assert result.propensity_range.centre_kind == "reference"
    assert result.propensity_range.centre == pytest.approx(0.8)
    verdicts = by_key(result)
    assert verdicts["author"].rules[Rule.PROPENSITY].passed
    assert all(not verdicts[k].rules[Rule.PROPENSITY].passed for k in "abc")


def test_reference_endpoint_without_enough_data_does_not_centre_range():
    eps = [ep("a", pwc=300), ep("b", pwc=300), ep("author", preq=50, pwc=40, reference=True)]
    result = judge_pool(eps)
    assert result.propensity_range.centre_kind == "median"
    assert by_key(result)["a"].rules[Rule.PROPENSITY].passed


def test_propensity_passes_when_no_endpoint_has_enough_data():
    v = judge_pool([ep("a", calls=10, correct=10, preq=10, pwc=10)]).verdicts[0]
    assert v.rules[Rule.PROPENSITY].passed
    assert v.tier == Tier.UNVERIFIED


# Rule 5: ignores


def test_ignore_floor_of_one_percent_applies_when_median_is_small():
    # median 0.004 -> 2× = 0.008 < 1% floor
    rates = [0.0, 0.004, 0.004, 0.01]
    result = judge_pool([ep(f"e{i}", ignore=r) for i, r in enumerate(rates)])
    assert result.ignore_threshold == 0.01
    assert all(v.rules[Rule.IGNORES].passed for v in result.verdicts)


def test_ignore_rate_just_above_floor_fails():
    rates = [0.0, 0.004, 0.004, 0.0101]
    v = by_key(judge_pool([ep(f"e{i}", ignore=r) for i, r in enumerate(rates)]))["e3"]
    assert v.failed == (Rule.IGNORES,)
    assert v.tier == Tier.DERANKED


def test_ignore_rate_exactly_twice_median_passes():
    rates = [0.25, 0.25, 0.5]
    result = judge_pool([ep(f"e{i}", ignore=r) for i, r in enumerate(rates)])
    assert result.ignore_threshold == 0.5
    assert by_key(result)["e2"].rules[Rule.IGNORES].passed


def test_ignore_rate_just_above_twice_median_fails():
    rates = [0.25, 0.25, math.nextafter(0.5, 1)]
    assert (
        not by_key(judge_pool([ep(f"e{i}", ignore=r) for i, r in enumerate(rates)]))["e2"]
        .rules[Rule.IGNORES]
        .passed
    )


def test_unknown_ignore_rates_pass_and_do_not_count_for_median():
    eps = [ep("a", ignore=None), ep("b", ignore=None), ep("c", ignore=0.1), ep("d", ignore=0.15)]
    assert ignore_threshold(eps, PoolSettings()) == pytest.approx(0.25)
    assert all(v.rules[Rule.IGNORES].passed for v in judge_pool(eps).verdicts)


def test_ignore_threshold_without_any_rate_is_the_floor():
    assert ignore_threshold([ep("a", ignore=None)], PoolSettings()) == 0.01


# Tiers


def test_failing_data_and_another_rule_is_deranked():
    v = by_key(judge_pool([ep("a"), ep("c"), ep("b", preq=50, pwc=30, ignore=0.5)]))["b"]
    assert v.failed == (Rule.DATA, Rule.IGNORES)
    assert v.tier == Tier.DERANKED


# Overrides


def test_force_in_makes_deranked_endpoint_a_member_but_keeps_its_tier():
    result = judge_pool(
        [ep("a"), ep("b", in_rotation=False, override=OverrideAction.FORCE_IN, reason="contract")]
    )
    b = by_key(result)["b"]
    assert b.member and b.tier == Tier.DERANKED and b.forced == OverrideAction.FORCE_IN
    assert b.override_reason == "contract"
    assert "b" in result.pool


def test_force_out_removes_verified_endpoint_but_keeps_its_tier():
    result = judge_pool([ep("a"), ep("b", override=OverrideAction.FORCE_OUT)])
    b = by_key(result)["b"]
    assert not b.member and b.tier == Tier.VERIFIED and b.forced == OverrideAction.FORCE_OUT
    assert result.pool == ("a",)


# Ordering


def test_pool_is_ordered_by_accuracy_lower_bound_highest_first():
    result = judge_pool([ep("mid", correct=950), ep("top", correct=960), ep("low", correct=940)])
    assert result.pool == ("top", "mid", "low")


def test_pool_ties_are_broken_by_key():
    assert judge_pool([ep("b"), ep("a"), ep("c")]).pool == ("a", "b", "c")


def test_forced_in_endpoint_without_calls_is_listed_last():
    result = judge_pool([ep("z"), ep("a", calls=0, correct=0, override=OverrideAction.FORCE_IN)])
    assert result.pool == ("z", "a")


# Fallback


def test_fallback_is_best_in_rotation_endpoint_when_pool_is_empty():
    eps = [
        ep("small", calls=100, correct=90),
        ep("smaller", calls=50, correct=49),
        ep("held", calls=150, correct=150, in_rotation=False),
        ep("banned", calls=150, correct=149, override=OverrideAction.FORCE_OUT),
    ]
    result = judge_pool(eps)
    # smaller: 49/50 has a higher lower bound than 90/100
    assert result.pool == ("smaller",)
    assert result.fallback is True
    chosen = by_key(result)["smaller"]
    assert chosen.member and chosen.fallback and chosen.tier == Tier.UNVERIFIED


def test_fallback_lists_every_in_rotation_endpoint_when_none_has_calls():
    # API.md 1.1: never an empty list while endpoints are in rotation.
    result = judge_pool([
        ep("b", calls=0, correct=0), ep("a", calls=0, correct=0),
        ep("held", calls=0, correct=0, in_rotation=False),
        ep("banned", calls=0, correct=0, override=OverrideAction.FORCE_OUT),
    ])
    assert result.pool == ("a", "b")
    assert result.fallback is True
    assert {k for k, v in by_key(result).items() if v.member} == {"a", "b"}
    assert all(by_key(result)[k].fallback for k in result.pool)


def test_no_fallback_when_no_endpoint_is_in_rotation():
    result = judge_pool([ep("held", calls=0, correct=0, in_rotation=False)])
    assert result.pool == () and result.fallback is False


def test_no_fallback_for_an_empty_model():
    result = judge_pool([])
    assert result.pool == () and result.fallback is False
    assert result.ignore_threshold == 0.01


def test_forced_in_member_prevents_fallback():
    eps = [ep("a", calls=100, correct=99), ep("b", calls=10, correct=5, override=OverrideAction.FORCE_IN)]
    result = judge_pool(eps)
    assert result.pool == ("b",)
    assert result.fallback is False


# Snapshot form


def test_verdict_to_dict_is_json_with_every_rule_reason_and_figures():
    result = judge_pool(
        [ep("a"), ep("b", correct=700, override=OverrideAction.FORCE_OUT, reason="abuse")]
    )
    d = json.loads(json.dumps(verdict_to_dict(by_key(result)["b"]), allow_nan=False))
    assert d["tier"] == "deranked"
    assert d["member"] is False
    assert d["forced"] == "force_out"
    assert d["rules"] == {
        "rotation": True,
        "data": True,
        "accuracy": False,
        "propensity": True,
        "ignores": True,
        "availability": True,
    }
    assert d["failed"] == ["accuracy"]
    assert set(d["reasons"]) == set(d["figures"]) == set(d["rules"])
    assert d["figures"]["accuracy"]["best_endpoint"] == "a"


# Pool history


def snapshot(result):
    return {v.key: verdict_to_dict(v) for v in result.verdicts}


def test_first_snapshot_lists_every_member_as_entered():
    changes = diff_pools(None, judge_pool([ep("a"), ep("b", in_rotation=False)]))
    assert [(c.key, c.change) for c in changes] == [("a", "entered")]


def test_unchanged_pool_has_no_changes():
    result = judge_pool([ep("a"), ep("b")])
    assert diff_pools(snapshot(result), result) == []


def test_endpoint_leaving_names_the_rules_it_now_fails():
    before = judge_pool([ep("a"), ep("b"), ep("c")])
    after = judge_pool([ep("a"), ep("b", correct=700, ignore=0.5), ep("c")])
    (change,) = diff_pools(snapshot(before), after)
    assert (change.key, change.change) == ("b", "left")
    assert change.rules == ("accuracy", "ignores")
    assert "upper 95% bound" in change.reason


def test_endpoint_entering_names_the_rules_it_now_passes():
    before = judge_pool([ep("a"), ep("b", preq=50, pwc=30, in_rotation=False)])
    after = judge_pool([ep("a"), ep("b")])
    (change,) = diff_pools(snapshot(before), after)
    assert (change.key, change.change, change.rules) == ("b", "entered", ("rotation", "data"))


def test_forced_out_endpoint_leaves_by_override():
    before = judge_pool([ep("a"), ep("b")])
    after = judge_pool([ep("a"), ep("b", override=OverrideAction.FORCE_OUT, reason="abuse")])
    (change,) = diff_pools(snapshot(before), after)
    assert change.rules == ("override",)
    assert change.reason == "forced out by an admin: abuse"


def test_forced_in_endpoint_enters_by_override():
    before = judge_pool([ep("a"), ep("b", in_rotation=False)])
    after = judge_pool([ep("a"), ep("b", in_rotation=False, override=OverrideAction.FORCE_IN)])
    (change,) = diff_pools(snapshot(before), after)
    assert (change.change, change.rules) == ("entered", ("override",))


def test_fallback_leaves_by_fallback_when_a_verified_endpoint_appears():
    before = judge_pool([ep("a", calls=100, correct=99), ep("b", calls=50, correct=40)])
    after = judge_pool([ep("a", calls=100, correct=99), ep("b", calls=500, correct=490)])
    changes = {c.key: c for c in diff_pools(snapshot(before), after)}
    assert changes["a"].change == "left" and changes["a"].rules == ("fallback",)
    assert changes["b"].change == "entered" and changes["b"].rules == ("data",)


def test_endpoint_entering_as_fallback_says_so():
    before = judge_pool([ep("a"), ep("b", calls=100, correct=99)])
    after = judge_pool([ep("a", in_rotation=False), ep("b", calls=100, correct=99)])
    changes = {c.key: c for c in diff_pools(snapshot(before), after)}
    assert (changes["a"].change, changes["a"].rules) == ("left", ("rotation",))
    assert (changes["b"].change, changes["b"].rules) == ("entered", ("fallback",))
    assert "fallback" in changes["b"].reason


def test_removed_endpoint_leaves():
    before = judge_pool([ep("a"), ep("b")])
    (change,) = diff_pools(snapshot(before), judge_pool([ep("a")]))
    assert (change.key, change.change) == ("b", "left")


# Properties

counts = st.one_of(
    st.sampled_from([0.0, 1.0, 99.5, 100.0, 199.5, 200.0]),
    st.floats(min_value=0, max_value=5000, allow_nan=False),
)
shares = st.floats(min_value=0, max_value=1)
rates = st.one_of(st.none(), st.floats(min_value=0, max_value=1))


@st.composite
def figures(draw, key: str, arbitrary: bool = False) -> EndpointFigures:
    calls = draw(counts)
    preq = draw(counts)
    if arbitrary:
        correct, pwc = draw(counts), draw(counts)
    else:
        correct, pwc = draw(shares) * calls, draw(shares) * preq
    return ep(
        key,
        calls=calls,
        correct=correct,
        preq=preq,
        pwc=pwc,
        ignore=draw(rates),
        in_rotation=draw(st.booleans()),
        reference=draw(st.booleans()),
        override=draw(st.sampled_from([None, None, OverrideAction.FORCE_IN, OverrideAction.FORCE_OUT])),
    )


@st.composite
def models(draw, arbitrary: bool = False) -> list[EndpointFigures]:
    n = draw(st.integers(min_value=0, max_value=6))
    return [draw(figures(f"p{i}/fp8", arbitrary)) for i in range(n)]


@settings(max_examples=200)
@given(model=models(), extra=figures("zz/extra"), calls_short=st.booleans())
def test_adding_a_small_out_of_rotation_endpoint_changes_no_other_verdict(
    model, extra, calls_short
):
    # Too little data keeps it out of "best" and the propensity range, a null
    # ignore rate keeps it out of the median, and being out of rotation keeps
    # it from being the fallback.
    s = PoolSettings()
    short = (
        {"calls": min(extra.calls, 199.0)}
        if calls_short
        else {
            "propensity_requests": min(extra.propensity_requests, 99.0),
            "propensity_with_calls": min(extra.propensity_with_calls, 99.0),
        }
    )
    extra = replace(
        extra,
        in_rotation=False,
        ignore_rate=None,
        override=extra.override if extra.override != OverrideAction.FORCE_IN else None,
        correct=min(extra.correct, extra.calls if calls_short else extra.correct),
        **short,
    )
    without = judge_pool(model, s)
    with_extra = judge_pool([*model, extra], s)
    assert with_extra.verdicts[:-1] == without.verdicts
    assert with_extra.pool == without.pool
    assert with_extra.fallback == without.fallback


@given(model=models(arbitrary=True))
def test_pool_is_ordered_by_non_increasing_lower_bound(model):
    result = judge_pool(model)
    verdicts = by_key(result)
    lows = [
        verdicts[k].accuracy_ci95[0] if verdicts[k].accuracy_ci95 else None for k in result.pool
    ]
    known = [x for x in lows if x is not None]
    assert known == sorted(known, reverse=True)
    # Endpoints without an interval come after every one with one.
    assert lows == known + [None] * (len(lows) - len(known))


@given(model=models(arbitrary=True))
def test_judge_pool_never_raises_and_judges_every_rule(model):
    # Arbitrary: counts need not be consistent (correct may exceed calls).
    result = judge_pool(model)
    assert len(result.verdicts) == len(model)
    for v in result.verdicts:
        assert set(v.rules) == set(Rule)
        assert v.failed == tuple(r for r in Rule if not v.rules[r].passed)
        if v.forced == OverrideAction.FORCE_OUT:
            assert not v.member
    # A fallback pool is one endpoint with calls, or every in-rotation one when none has any.
    fallback_members = [k for k in result.pool if by_key(result)[k].fallback]
    assert result.fallback == bool(fallback_members)
    if result.fallback:
        assert fallback_members == list(result.pool)
        assert len(result.pool) == 1 or all(
            by_key(result)[k].accuracy_ci95 is None for k in result.pool)


@given(model=models())
def test_verdicts_of_consistent_figures_serialise_to_strict_json(model):
    for v in judge_pool(model).verdicts:
        d = json.loads(json.dumps(verdict_to_dict(v), allow_nan=False))
        assert set(d["rules"]) == {r.value for r in Rule}
