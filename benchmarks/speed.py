"""Ingest cost of the speed fields (METHODOLOGY §10): the same events with and without them.

    .venv/bin/python benchmarks/speed.py     # ~1 min

Demo events (benchmarks use the demo generator) with `latency_ms`, `ttft_ms`, `status`,
`http_status` and `usage` from metrics.demo.speed, against the very same events stripped
of them, ingested in process through `metrics.services.ingest_tool_calls` into PostgreSQL
in batches of 1,000. Batches alternate (with, without, with, …) so machine load hits both
alike, and the figure judged is the median over batch pairs of (time with / time without);
every event id is fresh, so nothing is a duplicate. Goal: with ≤ 1.2x without.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import date, timedelta

import _common as c

BATCH = 1000
REQUESTS_PER_DAY = 60  # x 50 demo endpoints x 7 days ~ 20,000 events per side
DAYS = 7


def events_pair() -> tuple[list[dict], list[dict]]:
    from metrics.demo.catalog import MODELS
    from metrics.demo.speed import with_speed
    from metrics.demo.traffic import generate_tool_call_events

    end = date.today() - timedelta(days=1)
    timed = [e for e in with_speed(generate_tool_call_events(
        MODELS, end=end, days=DAYS, requests_per_day=REQUESTS_PER_DAY), end=end)
        if e["status"] == "ok"]  # the same events on both sides: failures have no twin
    run = uuid.uuid4().hex[:8]
    plain = []
    for n, event in enumerate(timed):
        event["id"] = f"speed-{run}-with-{n}"
        twin = {k: v for k, v in event.items()
                if k not in ("latency_ms", "ttft_ms", "status", "http_status")}
        twin["response"] = {k: v for k, v in event["response"].items() if k != "usage"}
        twin["id"] = f"speed-{run}-without-{n}"
        plain.append(twin)
    return timed, plain


def main() -> None:
    c.setup_django()
    c.reset_data()
    from metrics.demo.catalog import MODELS
    from metrics.models import SpeedRollup
    from metrics.services.ingest_tool_calls import ingest_tool_calls
    from providers.services.endpoints import register_endpoint

    c.log(f"== speed-fields ingest benchmark ({c.machine()}, {date.today()}) ==")
    for model in MODELS:
        for endpoint in model.endpoints:
            register_endpoint(model.slug, endpoint.provider, endpoint.quantization)
    timed, plain = events_pair()
    c.log(f"{len(timed):,} demo events with speed fields, the same {len(plain):,} without")
    # Warm: validator caches, tool tables, first-insert paths (not timed).
    warm = [dict(e, id=e["id"] + "-warm") for e in timed[:BATCH]]
    ingest_tool_calls(warm, source="bench-warm")
    seconds = {"with": 0.0, "without": 0.0}
    accepted = {"with": 0, "without": 0}
    pairs = []  # per batch pair: time with / time without (robust to load spikes)
    started = time.perf_counter()
    batches = range(0, len(timed), BATCH)
    for i, start in enumerate(batches):
        order = (("with", timed), ("without", plain)) if i % 2 == 0 else (
            ("without", plain), ("with", timed))
        took = {}
        for name, events in order:
            t = time.perf_counter()
            result = ingest_tool_calls(events[start:start + BATCH], source=f"bench-{name}")
            took[name] = time.perf_counter() - t
            seconds[name] += took[name]
            accepted[name] += result.accepted
        pairs.append(took["with"] / took["without"])
        c.progress("batches (with + without)", i + 1, len(batches), started)
    rate = {name: accepted[name] / seconds[name] for name in seconds}
    ratio = seconds["with"] / seconds["without"] * accepted["without"] / accepted["with"]
    rows = SpeedRollup.objects.count()  # one per endpoint × day × bucket
    c.log(f"baseline  ingest without speed fields: {rate['without']:,.0f} events/s "
          f"({accepted['without']:,} events, in process, PostgreSQL)")
    paired = statistics.median(pairs)
    c.log(f"RESULT ingest events/s with speed fields: {rate['with']:,.0f} "
          f"(without: {rate['without']:,.0f}; total time ratio {ratio:.2f}x, median of "
          f"{len(pairs)} paired batches {paired:.2f}x, goal <= 1.2x: {c.goal(paired <= 1.2)}); "
          f"{rows:,} speed rollup rows")


if __name__ == "__main__":
    main()
