"""Probe run time for the shipped suite against a local fake provider (METHODOLOGY §11).

    .venv/bin/python benchmarks/probes.py     # ~30 s

The fake OpenAI-compatible server answers every case after a fixed service time (LATENCY).
For concurrency 1 and 8 it measures, in the same run:
- the bound: cases × LATENCY / concurrency (what the fake's latency alone costs);
- baseline: the prober's HTTP alone (``send_cases``: no classification, no database);
- a full probe run (``run_probe``: HTTP, §1 classification, telemetry ingest, scores, benchmark
  runs and the §6 rotation evaluation), on PostgreSQL.
Overhead per case = (full run − bound) / cases; the goal is a run bound by the provider's
latency, i.e. overhead per case small against LATENCY.
"""

from __future__ import annotations

import time

import _common as c

LATENCY = 0.020  # seconds of service time per answer at the fake
CONCURRENCY = (1, 8)
REPEATS = 2  # best of


def main() -> None:
    c.setup_django()
    c.reset_data()
    from django.conf import settings

    from metrics.models import ProbeRun
    from metrics.probes.client import send_cases
    from metrics.probes.fake_server import FakeOpenAI
    from metrics.probes.suite import load_suite
    from metrics.services.probes import run_probe
    from providers.services.endpoints import register_endpoint

    c.log(c.machine())
    suite = load_suite(settings.PROBE_SUITES_DIR, "exacto-core")
    n = len(suite.cases)
    endpoint, _ = register_endpoint("bench/probe-model", "bench-provider", "fp8")
    bodies = [(case.id, case.request("bench/probe-model", suite.sampling)) for case in suite.cases]
    c.log(f"suite exacto-core: {n} cases; fake service time {LATENCY * 1000:.0f} ms per answer")
    rows = []
    with FakeOpenAI(suite, "correct", latency=LATENCY) as fake:
        send_cases(bodies[:8], base_url=fake.base_url, concurrency=8)  # warm up
        for concurrency in CONCURRENCY:
            bound = n * LATENCY / concurrency
            raw = min(_timed(lambda conc=concurrency: send_cases(
                bodies, base_url=fake.base_url, concurrency=conc)) for _ in range(REPEATS))
            full = min(_timed(lambda conc=concurrency: run_probe(
                endpoint, base_url=fake.base_url, concurrency=conc)) for _ in range(REPEATS))
            run = ProbeRun.objects.order_by("-id").first()
            assert run.ok == n and run.schema_accuracy == 1.0, "the fake answered wrongly"
            overhead_ms = (full - bound) / n * 1000
            exacto_ms = (full - raw) / n * 1000
            rows.append((concurrency, bound, raw, full, overhead_ms, exacto_ms))
            c.log(f"concurrency {concurrency}: bound {bound:.2f} s | HTTP alone {raw:.2f} s "
                  f"({raw / bound:.2f}x bound) | full probe run {full:.2f} s "
                  f"({full / bound:.2f}x bound) | overhead {overhead_ms:.1f} ms/case over the "
                  f"bound, of which {exacto_ms:.1f} ms/case after the HTTP")
    speedup = rows[0][3] / rows[1][3]
    c.log(f"speed-up from concurrency 1 to 8: {speedup:.1f}x (ideal 8x)")
    summary = "; ".join(f"c={conc}: {full:.2f} s for {n} cases ({full / bound:.2f}x the "
                        f"{bound:.2f} s latency bound, +{over:.1f} ms/case)"
                        for conc, bound, _, full, over, _ in rows)
    print(f"RESULT {summary}", flush=True)


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
