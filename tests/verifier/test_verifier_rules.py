"""The verifier's own §7 code decides as the site's pure rules do, on any figures
(hypothesis): two implementations written apart, agreeing."""

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.choices import OverrideAction
from metrics.pools import EndpointFigures, PoolSettings, judge_pool

RULES = PoolSettings()
CFG = {f"setting_{k}": v for k, v in dataclasses.asdict(RULES).items()}


@st.composite
def endpoint_sets(draw):
    n = draw(st.integers(min_value=1, max_value=7))
    out = []
    for i in range(n):
        calls = draw(st.sampled_from([0.0, 50.0, 199.5, 200.0, 350.25, 1000.0]))
        correct = draw(st.floats(min_value=0, max_value=1)) * calls
        prop = draw(st.sampled_from([0.0, 99.0, 100.0, 240.5]))
        out.append(EndpointFigures(
            key=str(draw(st.integers(min_value=1, max_value=40)) * 10 + i),
            provider=f"p{i}", quantization="fp8",
            in_rotation=draw(st.booleans()), rotation_status="active",
            is_reference=i == 0 and draw(st.booleans()),
            calls=calls, correct=correct, propensity_requests=prop,
            propensity_with_calls=draw(st.floats(min_value=0, max_value=1)) * prop,
            ignore_rate=draw(st.one_of(st.none(), st.sampled_from([0.0, 0.004, 0.02, 0.3]))),
            override=draw(st.sampled_from([None, None, None, OverrideAction.FORCE_IN,
                                           OverrideAction.FORCE_OUT])),
            # §10: rule 6 at and around its edges, and the throughput order near the top.
            status_requests=(status := draw(st.sampled_from([0.0, 99.0, 100.0, 400.0]))),
            ok_requests=draw(st.sampled_from([1.0, 0.97, 0.9, 0.8])) * status,
            throughput_p50=draw(st.one_of(st.none(), st.sampled_from([40.0, 95.5, 210.0]))),
        ))
    keys = [e.key for e in out]
    return out if len(set(keys)) == len(keys) else out[:1]


@settings(max_examples=300, deadline=None)
@given(endpoint_sets())
def test_verifier_judges_every_endpoint_as_the_site_does(verifier, endpoints):
    site = judge_pool(endpoints, RULES)
    ours_in = [{"key": e.key, "in_rotation": e.in_rotation, "reference": e.is_reference,
                "forced": e.override.value if e.override else None, "calls": e.calls,
                "correct": e.correct, "prop_requests": e.propensity_requests,
                "prop_with_calls": e.propensity_with_calls, "ignore_rate": e.ignore_rate,
                "status_requests": e.status_requests, "ok_requests": e.ok_requests,
                "throughput_p50": e.throughput_p50}
               for e in endpoints]
    shared = verifier.judge(ours_in, CFG)
    assert shared["pool_keys"] == list(site.pool)
    assert shared["best_lower_bound"] == site.best_lower_bound
    assert shared["ignore_threshold"] == site.ignore_threshold
    by_key = {v.key: v for v in site.verdicts}
    for e in ours_in:
        v = by_key[e["key"]]
        assert e["failed"] == [r.value for r in v.failed]
        assert (e["tier"], e["member"], e["fallback"]) == (v.tier.value, v.member, v.fallback)
