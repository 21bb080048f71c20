"""Probe runs end to end against a real local fake OpenAI-compatible server (§11, §6).

Counts, scores and errors are asserted exactly, computed from the shipped suite's own
expectations: C cases, N expected calls in total, K cases that expect a call.
"""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from metrics.models import AvailabilityRollup, BenchmarkRun, ProbeRun, RotationEvent, ToolCallRollup
from metrics.services.probes import ProbeError, run_probe, summary
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def model():
    return LLMModelFactory(slug="acme/tool-model")


@pytest.fixture
def reference(model):
    return EndpointFactory(model=model, provider=ProviderFactory(slug="acme"), quantization="",
                           is_reference=True)


@pytest.fixture
def endpoint(model):
    return EndpointFactory(model=model, provider=ProviderFactory(slug="fastinfer"),
                           quantization="")


def expected(suite, limit=None):
    cases = suite.first(limit)
    return {
        "cases": len(cases),
        "calls": sum(len(c.expected_calls) for c in cases),
        "calling": sum(c.expect_call for c in cases),
        "silent": sum(not c.expect_call for c in cases),
    }


def probe(endpoint, fake, **kwargs):
    kwargs.setdefault("concurrency", 8)
    return run_probe(endpoint, base_url=fake.base_url, **kwargs)


def test_correct_endpoint_scores_full_marks_and_its_answers_become_telemetry(suite, fake,
                                                                             endpoint):
    e = expected(suite)
    run = probe(endpoint, fake)
    assert summary(run) == {"suite": "exacto-core", "cases": e["cases"], "calls": e["calls"],
                            "schema_accuracy": 1.0, "tool_call_f1": 1.0, "errors": 0}
    assert (run.tp, run.fp, run.fn, run.tn) == (e["calling"], 0, 0, e["silent"])
    assert run.f1_against == "suite exacto-core 1.0.0 expected decisions"
    rollups = ToolCallRollup.objects.filter(endpoint=endpoint, app="probe:exacto-core").aggregate(
        calls=Sum("calls"), valid=Sum("valid"), requests=Sum("requests_with_tools"))
    assert rollups == {"calls": e["calls"], "valid": e["calls"], "requests": e["cases"]}
    runs = {r.benchmark.slug: r for r in BenchmarkRun.objects.filter(endpoint=endpoint)}
    assert set(runs) == {"probe-schema-accuracy", "probe-tool-call-f1"}
    for stored in runs.values():
        assert stored.score == 100.0 and stored.samples == e["cases"]
        assert stored.published_at is None and stored.source == "Exacto probe"
        assert stored.detail["probe_run"] == run.pk and stored.detail["errors"] == 0


def test_broken_json_parser_fails_every_call_but_decides_like_the_reference(suite, fake,
                                                                           endpoint):
    fake.behaviour = "broken_json"
    e = expected(suite)
    run = probe(endpoint, fake)
    assert (run.calls, run.invalid_json, run.valid) == (e["calls"], e["calls"], 0)
    assert summary(run)["schema_accuracy"] == 0.0 and summary(run)["tool_call_f1"] == 1.0


def test_wrong_tool_names_are_unknown_tools(suite, fake, endpoint):
    fake.behaviour = "wrong_names"
    e = expected(suite)
    run = probe(endpoint, fake)
    assert (run.calls, run.unknown_tool) == (e["calls"], e["calls"])
    assert run.schema_accuracy == 0.0 and run.tool_call_f1 == 1.0


def test_an_endpoint_that_never_calls_has_f1_zero_and_no_schema_accuracy(suite, fake, endpoint):
    fake.behaviour = "never_calls"
    e = expected(suite)
    run = probe(endpoint, fake)
    assert summary(run) == {"suite": "exacto-core", "cases": e["cases"], "calls": 0,
                            "schema_accuracy": None, "tool_call_f1": 0.0, "errors": 0}
    assert (run.tp, run.fp, run.fn, run.tn) == (0, 0, e["calling"], e["silent"])
    # Nothing to count, nothing stored: only the F1 run exists.
    assert list(BenchmarkRun.objects.filter(endpoint=endpoint).values_list(
        "benchmark__slug", flat=True)) == ["probe-tool-call-f1"]


def test_calling_where_no_call_is_expected_is_a_false_positive(suite, fake, endpoint):
    fake.behaviour = "always_calls"
    e = expected(suite)
    run = probe(endpoint, fake)
    assert (run.tp, run.fp, run.fn, run.tn) == (e["calling"], e["silent"], 0, 0)
    assert run.tool_call_f1 == 2 * e["calling"] / (2 * e["calling"] + e["silent"])
    # The extra calls send {} to tools that all require fields.
    assert run.calls == e["calls"] + e["silent"] and run.schema_mismatch == e["silent"]
    assert run.schema_accuracy == e["calls"] / (e["calls"] + e["silent"])


def test_timeouts_are_counted_and_nothing_is_scored(suite, fake, endpoint):
    fake.behaviour, fake.delay = "slow", 3.0
    run = probe(endpoint, fake, limit=5, timeout_s=0.2)
    assert summary(run) == {"suite": "exacto-core", "cases": 5, "calls": 0,
                            "schema_accuracy": None, "tool_call_f1": None, "errors": 5}
    assert (run.ok, run.errors, run.timeouts) == (0, 0, 5)
    assert [f["status"] for f in run.failures] == ["timeout"] * 5
    assert run.decisions == {c.id: None for c in suite.first(5)}
    assert not BenchmarkRun.objects.filter(endpoint=endpoint).exists()
    # Each timed-out request is telemetry too: it counts against uptime (§10).
    assert _availability(endpoint) == (0, 0, 5)


def test_http_500s_are_errors(suite, fake, endpoint):
    fake.behaviour = "http_500"
    run = probe(endpoint, fake, limit=6)
    assert (run.ok, run.errors, run.timeouts, summary(run)["errors"]) == (0, 6, 0, 6)
    assert run.failures[0]["http_status"] == 500
    assert not ToolCallRollup.objects.filter(endpoint=endpoint).exists()
    assert _availability(endpoint) == (0, 6, 0)


def _availability(endpoint) -> tuple[int, int, int]:
    rows = AvailabilityRollup.objects.filter(endpoint=endpoint)
    return (sum(r.ok for r in rows), sum(r.errors for r in rows), sum(r.timeouts for r in rows))


def test_f1_is_against_the_reference_endpoints_decisions_when_it_has_a_run(suite, fake,
                                                                            reference, endpoint):
    """The reference never calls: a correct endpoint then disagrees on every call it makes."""
    fake.behaviour = "never_calls"
    reference_run = probe(reference, fake, limit=20)
    assert reference_run.f1_against.startswith("suite ")  # the reference is judged on the suite
    fake.behaviour = "correct"
    run = probe(endpoint, fake, limit=20)
    e = expected(suite, 20)
    assert run.f1_against == f"reference {reference_run.label}"
    assert (run.tp, run.fp, run.fn, run.tn) == (0, e["calling"], 0, e["silent"])
    assert run.tool_call_f1 == 0.0


def test_broken_parser_is_held_by_the_range_rule_and_a_fix_restores_it(suite, fake, reference,
                                                                       endpoint):
    """METHODOLOGY §6 on probe runs: against a correct reference, a provider whose tool-call
    parser breaks JSON is held, the audit names the probe run; the next run after the fix
    restores it, and that audit names the new run."""
    probe(reference, fake, limit=30)
    fake.behaviour = "broken_json"
    broken = probe(endpoint, fake, limit=30)
    endpoint.refresh_from_db()
    assert endpoint.rotation_status == "benchmark_hold"
    hold = RotationEvent.objects.get(endpoint=endpoint, new_status="benchmark_hold")
    assert hold.actor == "benchmark_range"
    assert hold.source == (f"rule:benchmark_range run:probe:{broken.pk}:probe-schema-accuracy,"
                           f"probe:{broken.pk}:probe-tool-call-f1 from {broken.label}")
    assert broken.label == f"probe run {broken.pk} (exacto-core 1.0.0)"
    assert "probe-schema-accuracy: score 0.0 < threshold 97.0 = reference 100.0" in hold.reason
    assert hold.figures["trigger_runs"] == [f"probe:{broken.pk}:probe-schema-accuracy",
                                            f"probe:{broken.pk}:probe-tool-call-f1"]
    assert hold.figures["sender"] == broken.label
    verdicts = {v["benchmark"]: v for v in hold.figures["verdicts"]}
    assert verdicts["probe-schema-accuracy"]["in_range"] is False
    assert verdicts["probe-tool-call-f1"]["in_range"] is True
    reference.refresh_from_db()
    assert reference.rotation_status == "active"

    fake.behaviour = "correct"
    fixed = probe(endpoint, fake, limit=30)
    endpoint.refresh_from_db()
    assert endpoint.rotation_status == "active"
    restore = RotationEvent.objects.get(endpoint=endpoint, new_status="active")
    assert restore.source.endswith(f"from {fixed.label}") and "hold lifted" in restore.reason


def test_command_prints_the_summary_alone_on_its_last_line(suite, fake, endpoint, monkeypatch):
    monkeypatch.setenv("FASTINFER_TEST_KEY", "sk-secret")
    out, err = StringIO(), StringIO()
    call_command("probe", "acme/tool-model", "fastinfer", "--base-url", fake.base_url,
                 "--api-key-env", "FASTINFER_TEST_KEY", "--limit", "10", stdout=out, stderr=err)
    last = out.getvalue().strip().splitlines()[-1]
    e = expected(suite, 10)
    assert last == json.dumps({"suite": "exacto-core", "cases": 10, "calls": e["calls"],
                               "schema_accuracy": 1.0, "tool_call_f1": 1.0, "errors": 0})
    assert set(fake.authorization) == {"Bearer sk-secret"}
    assert "10/10" in err.getvalue()  # the progress bar
    run = ProbeRun.objects.get()
    assert run.trigger == "command" and "sk-secret" not in json.dumps(
        [run.base_url, run.failures, run.f1_against])


def test_command_refuses_what_it_cannot_run(fake, endpoint, monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with pytest.raises(CommandError, match="NO_SUCH_KEY_VAR"):
        call_command("probe", "acme/tool-model", "fastinfer", "--base-url", fake.base_url,
                     "--api-key-env", "NO_SUCH_KEY_VAR", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="no probe suite 'nope'"):
        call_command("probe", "acme/tool-model", "fastinfer", "--base-url", fake.base_url,
                     "--suite", "nope", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="is not registered"):
        call_command("probe", "acme/tool-model", "nobody", "--base-url", fake.base_url,
                     stdout=StringIO(), stderr=StringIO())
    assert not ProbeRun.objects.exists() and not fake.requests


def test_run_probe_refuses_a_limit_below_one(fake, endpoint):
    with pytest.raises(ProbeError, match="limit"):
        run_probe(endpoint, base_url=fake.base_url, limit=0)
