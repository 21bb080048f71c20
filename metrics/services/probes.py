"""Active probe runs (METHODOLOGY §11).

A run sends a suite's cases to an endpoint's OpenAI-compatible ``base_url``, stores every
answer as telemetry (app ``probe:<suite>``) through the same ingest service gateways use,
scores the run, and stores the scores as the benchmark runs ``probe-schema-accuracy`` and
``probe-tool-call-f1`` through the benchmark service, so the §6 range rule, rotation and
its audit apply to them like to any other run. HTTP happens before any database write;
the writes are the ingest and benchmark services' own transactions.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from metrics.choices import (
    FAILURE_OUTCOMES,
    OK_OUTCOMES,
    PROBE_SCHEMA_ACCURACY,
    PROBE_TOOL_CALL_F1,
    Outcome,
    ProbeTrigger,
    RequestStatus,
)
from metrics.events import BatchResult, BenchmarkRunItem
from metrics.models import ProbeRun, ProbeSettings
from metrics.probes.client import ProbeResponse, send_cases
from metrics.probes.scoring import schema_accuracy, tool_call_f1
from metrics.probes.suite import ProbeCase, ProbeSuite, SuiteError, load_suite
from metrics.services.benchmarks import BenchmarkDefaults, store_runs
from metrics.services.ingest_tool_calls import ingest_tool_calls, validator_cache
from metrics.toolcalls import classify
from providers.models import Endpoint
from providers.services.endpoints import EndpointResolver

PROBE_SOURCE = "Exacto probe"
MAX_FAILURES_KEPT = 50
INGEST_BATCH = 1000
BENCHMARK_SPECS = {
    PROBE_SCHEMA_ACCURACY: BenchmarkDefaults(
        name="Probe: schema accuracy",
        description="Exacto's active probes (METHODOLOGY §11): share of the tool calls an "
                    "endpoint returned for the probe suite that are valid by §1, "
                    "(valid + unchecked) / calls. Samples = cases sent."),
    PROBE_TOOL_CALL_F1: BenchmarkDefaults(
        name="Probe: tool-call F1",
        description="Exacto's active probes (METHODOLOGY §11): F1 of the endpoint's decisions "
                    "to call a tool against the reference endpoint's decisions on the same "
                    "cases (K2 Vendor Verifier's definition), or against the suite's expected "
                    "decisions where the reference has no run. Samples = cases sent."),
}


class ProbeError(ValueError):
    """A probe that cannot start (unknown suite, missing key variable), with the reason."""


def suite_error(name: str) -> str | None:
    """Why ``name`` is not a usable suite, or None."""
    try:
        load_suite(settings.PROBE_SUITES_DIR, name)
    except SuiteError as exc:
        return str(exc)
    return None


def get_suite(name: str | None = None) -> ProbeSuite:
    try:
        return load_suite(settings.PROBE_SUITES_DIR,
                          name or settings.EXACTO_PROBE_DEFAULT_SUITE)
    except SuiteError as exc:
        raise ProbeError(str(exc)) from exc


def _api_key(env_name: str) -> str:
    if not env_name:
        return ""
    key = os.environ.get(env_name)
    if not key:
        raise ProbeError(f"environment variable {env_name} (the API key) is not set.")
    return key


def run_probe(
    endpoint: Endpoint,
    *,
    base_url: str,
    api_key_env: str = "",
    suite: str | None = None,
    limit: int | None = None,
    upstream_model: str = "",
    trigger: str = ProbeTrigger.COMMAND,
    on_answer: Callable[[ProbeResponse], None] | None = None,
    concurrency: int | None = None,
    timeout_s: float | None = None,
    deadline_s: float | None = None,
) -> ProbeRun:
    """One probe run of ``endpoint``; returns the stored, scored ProbeRun."""
    probe_suite = get_suite(suite)
    if limit is not None and limit < 1:
        raise ProbeError("limit must be at least 1.")
    api_key = _api_key(api_key_env)
    cases = probe_suite.first(limit)
    model = upstream_model or endpoint.model.slug
    run = ProbeRun.objects.create(
        endpoint=endpoint, suite=probe_suite.name, suite_version=probe_suite.version,
        trigger=trigger, base_url=base_url[:500], started_at=timezone.now(), cases=len(cases),
    )
    answers = send_cases(
        [(case.id, case.request(model, probe_suite.sampling)) for case in cases],
        base_url=base_url, api_key=api_key,
        concurrency=concurrency or settings.EXACTO_PROBE_CONCURRENCY,
        timeout_s=timeout_s or settings.EXACTO_PROBE_TIMEOUT_SECONDS,
        deadline_s=deadline_s or settings.EXACTO_PROBE_DEADLINE_SECONDS,
        on_done=on_answer,
    )
    return _finish(run, probe_suite, cases, answers)


def _finish(run: ProbeRun, suite: ProbeSuite, cases: tuple[ProbeCase, ...],
            answers: list[ProbeResponse]) -> ProbeRun:
    endpoint = run.endpoint
    now = timezone.now()
    counts: Counter = Counter()
    decisions: dict[str, bool | None] = {}
    failures: list[dict] = []
    events = []
    cache, budget = validator_cache(), settings.EXACTO_VALIDATION_BUDGET_MS
    for case, answer in zip(cases, answers, strict=True):
        counts[answer.status] += 1
        event = {
            "id": f"probe-{run.pk}-{case.id}", "model": endpoint.model.slug,
            "provider": endpoint.provider.slug, "quantization": endpoint.quantization,
            "app": f"probe:{suite.name}", "created": now.isoformat(),
            "request": {"messages": list(case.messages), "tools": list(case.tools),
                        "tool_choice": case.tool_choice},
            # §10 speed and availability fields.
            "status": answer.status, "latency_ms": answer.latency_ms,
            "http_status": answer.http_status,
        }
        if answer.status != RequestStatus.OK:
            decisions[case.id] = None
            if len(failures) < MAX_FAILURES_KEPT:
                failures.append({"case": case.id, "status": answer.status,
                                 "http_status": answer.http_status, "error": answer.error})
            if answer.sent:  # a failed request counts for uptime (§10), with no response
                events.append(event)
            continue
        outcome = classify(list(case.tools), case.tool_choice, answer.body, cache=cache,
                           budget_ms=budget)
        decisions[case.id] = outcome.called
        for call in outcome.calls:
            counts["calls"] += 1
            counts[str(call.outcome)] += 1
        events.append({**event, "response": answer.body})
    for start in range(0, len(events), INGEST_BATCH):
        result = ingest_tool_calls(events[start:start + INGEST_BATCH], source=run.label[:128])
        failures.extend({"case": r["id"], "status": "rejected", "error": r["error"]}
                        for r in result.rejected[:MAX_FAILURES_KEPT])

    reference, against = _reference_decisions(run, cases)
    f1 = tool_call_f1(decisions, reference)
    accuracy = schema_accuracy(counts[Outcome.VALID], counts[Outcome.UNCHECKED], counts["calls"])
    run.ok, run.errors, run.timeouts = (counts[RequestStatus.OK], counts[RequestStatus.ERROR],
                                        counts[RequestStatus.TIMEOUT])
    run.calls = counts["calls"]
    for outcome in (*OK_OUTCOMES, *FAILURE_OUTCOMES):  # a ProbeRun column per judged outcome
        setattr(run, outcome, counts[outcome])
    run.schema_accuracy, run.tool_call_f1, run.f1_against = accuracy, f1.f1, against
    run.tp, run.fp, run.fn, run.tn = f1.tp, f1.fp, f1.fn, f1.tn
    run.decisions, run.failures, run.finished_at = decisions, failures, timezone.now()
    run.save()
    _store_scores(run)
    return run


def _reference_decisions(run: ProbeRun, cases) -> tuple[dict, str]:
    """The reference endpoint's decisions from its latest finished run of the same suite
    version; the suite's expected decisions when there is none (or this is the reference)."""
    endpoint = run.endpoint
    if not endpoint.is_reference:
        reference_run = (
            ProbeRun.objects.filter(
                endpoint__model_id=endpoint.model_id, endpoint__is_reference=True,
                suite=run.suite, suite_version=run.suite_version, finished_at__isnull=False)
            .exclude(pk=run.pk).order_by("-started_at", "-id").first()
        )
        if reference_run is not None and any(
                v is not None for v in reference_run.decisions.values()):
            return reference_run.decisions, f"reference {reference_run.label}"
    return ({case.id: case.expect_call for case in cases},
            f"suite {run.suite} {run.suite_version} expected decisions")


def _store_scores(run: ProbeRun) -> None:
    """The run's two scores as benchmark runs (undefined scores are not stored)."""
    endpoint = run.endpoint
    detail = {
        "probe_run": run.pk, "suite": run.suite, "suite_version": run.suite_version,
        "cases": run.cases, "ok": run.ok, "errors": run.errors, "timeouts": run.timeouts,
        "calls": run.calls, "valid": run.valid, "unchecked": run.unchecked,
        "invalid_json": run.invalid_json, "unknown_tool": run.unknown_tool,
        "schema_mismatch": run.schema_mismatch,
        "tp": run.tp, "fp": run.fp, "fn": run.fn, "tn": run.tn, "f1_against": run.f1_against,
    }
    ready = []
    for slug, value in ((PROBE_SCHEMA_ACCURACY, run.schema_accuracy),
                        (PROBE_TOOL_CALL_F1, run.tool_call_f1)):
        if value is None:
            continue
        item = BenchmarkRunItem(
            id=f"probe:{run.pk}:{slug}", model=endpoint.model.slug,
            provider=endpoint.provider.slug, quantization=endpoint.quantization,
            benchmark=slug, score=round(100.0 * value, 6), stderr=None, samples=run.cases,
            source=PROBE_SOURCE, run_at=run.finished_at, detail=detail,
        )
        ready.append((item, endpoint))
    if ready:
        store_runs(ready, BatchResult(), source=run.label, specs=BENCHMARK_SPECS)


def summary(run: ProbeRun) -> dict:
    """API.md 1.1 "Probes": the summary printed by the command and answered by the API.
    ``errors`` counts every case without a usable answer (HTTP errors and timeouts)."""
    return {
        "suite": run.suite, "cases": run.cases, "calls": run.calls,
        "schema_accuracy": run.schema_accuracy, "tool_call_f1": run.tool_call_f1,
        "errors": run.errors + run.timeouts,
    }


def probe_with_settings(probe_settings: ProbeSettings, *, trigger: str) -> ProbeRun:
    """A run with an endpoint's stored probe settings ("probe now"), restarting its schedule."""
    ProbeSettings.objects.filter(pk=probe_settings.pk).update(last_started_at=timezone.now())
    return run_claimed(probe_settings, trigger)


def claim_due_probes(now: datetime | None = None) -> list[ProbeSettings]:
    """Enabled probe settings whose schedule is due, each claimed by moving its
    ``last_started_at`` with a compare-and-set, so two beat ticks or workers never start
    the same endpoint's probe twice."""
    now = now or timezone.now()
    claimed = []
    candidates = ProbeSettings.objects.filter(enabled=True).select_related(
        "endpoint__model", "endpoint__provider")
    for item in candidates:
        last = item.last_started_at
        if last is not None and last + timedelta(hours=item.every_hours) > now:
            continue
        same = Q(last_started_at__isnull=True) if last is None else Q(last_started_at=last)
        if ProbeSettings.objects.filter(same, pk=item.pk).update(last_started_at=now):
            item.last_started_at = now
            claimed.append(item)
    return claimed


def run_claimed(probe_settings: ProbeSettings, trigger: str = ProbeTrigger.SCHEDULE) -> ProbeRun:
    """A run with an endpoint's stored probe settings (its schedule already claimed)."""
    return run_probe(
        probe_settings.endpoint, base_url=probe_settings.base_url,
        api_key_env=probe_settings.api_key_env, suite=probe_settings.suite,
        upstream_model=probe_settings.upstream_model, trigger=trigger,
    )


def resolve_endpoint(model: str, provider: str, quantization: str | None) -> Endpoint:
    """The registered endpoint to probe, or ProbeError saying why not."""
    try:
        return EndpointResolver([(model, provider)]).resolve(model, provider, quantization)
    except ValueError as exc:
        raise ProbeError(str(exc)) from exc
