"""Ingestion through the real HTTP stack: gunicorn (2 workers) + PostgreSQL.

    .venv/bin/python benchmarks/ingest.py            # ~52,000 demo events, ~1-3 min
    .venv/bin/python benchmarks/ingest.py --profile  # + cProfile of classify and one batch

Prints events/s and validated calls/s end to end (2 client threads POSTing batches of 1,000
to POST /api/v1/tool-calls/), against a baseline measured in the same run: naive
``jsonschema.validate(args, schema)`` per call, no caching (goal: end to end >= 25x that).
Also classification alone (``metrics.toolcalls.classify``, warm cache) per call against a
bare ``json.loads`` of the same arguments strings, best of 5 alternating rounds (goal: <= 5x):
with the tools key the batch parser provides, as ingest calls it (the RESULT), and without.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import threading
import time
import uuid
from datetime import date, timedelta

import _common as c

BATCH = 1000
CLIENT_THREADS = 2
REQUESTS_PER_DAY = 150  # x 50 demo endpoints x 7 days ~ 52,000 events
DAYS = 7
NAIVE_SAMPLE = 3000


def generate_events(requests_per_day: int = REQUESTS_PER_DAY) -> list[dict]:
    from metrics.demo.catalog import MODELS
    from metrics.demo.traffic import generate_tool_call_events

    # Yesterday is the last day: every generated timestamp is in the past.
    end = date.today() - timedelta(days=1)
    run = uuid.uuid4().hex[:10]
    events = []
    started = time.perf_counter()
    for n, event in enumerate(
        generate_tool_call_events(MODELS, end=end, days=DAYS, requests_per_day=requests_per_day)
    ):
        event["id"] = f"bench-{run}-{n}"  # unique per run: nothing is a duplicate
        events.append(event)
        if n % 25_000 == 0 and n:
            c.progress("generating events", n, requests_per_day * 50 * DAYS, started)
    return events


def calls_of(event: dict) -> list[dict]:
    calls = []
    for choice in event["response"].get("choices", []):
        calls.extend(choice.get("message", {}).get("tool_calls") or [])
    return calls


def naive_baseline(events: list[dict]) -> tuple[float, int]:
    """Calls/s of jsonschema.validate(args, schema) per call, no caching, on a sample."""
    import jsonschema

    sample = []
    for event in events[:: max(1, len(events) // (NAIVE_SAMPLE * 2))]:
        tools = {t["function"]["name"]: t["function"].get("parameters")
                 for t in event["request"]["tools"]}
        for call in calls_of(event):
            sample.append((call["function"].get("arguments"), tools.get(call["function"]["name"])))
        if len(sample) >= NAIVE_SAMPLE:
            break
    started = time.perf_counter()
    for raw, schema in sample:
        try:
            args = json.loads(raw)
        except (TypeError, ValueError):
            continue
        if schema is None:
            continue
        try:  # noqa: SIM105 - suppress() would slow the timed loop
            jsonschema.validate(args, schema)
        except jsonschema.ValidationError:
            pass
    elapsed = time.perf_counter() - started
    return len(sample) / elapsed, len(sample)


def tools_keys(events: list[dict]) -> list[bytes]:
    """What the batch parser passes as ``tools_key`` for each event: the wire format's tag
    and the raw bytes of the request's ``tools``, as ``run_http`` encodes them in the body."""
    return [b"openai.chat:" + json.dumps(e["request"].get("tools")).encode() for e in events]


def classify_vs_loads(events: list[dict], rounds: int = 5) -> tuple[float, float, float, int]:
    """(classify µs/call with the parser's tools key, without it, json.loads µs/call, calls)
    over the same events, warm: the best of `rounds` rounds that alternate the three, so load
    from other processes hits all alike.

    Ingest calls classify with the key its parser took from the raw body (``tools_key``);
    making that key is the parser's work, inside the end-to-end figure, not timed here. Each
    round gets fresh copies of the keys, so hashing them is timed as in production."""
    from metrics.toolcalls import classify

    work = [(e["request"].get("tools"), e["request"].get("tool_choice"), e["response"])
            for e in events]
    keys = tools_keys(events)
    strings = [call["function"]["arguments"] for e in events for call in calls_of(e)
               if isinstance(call["function"].get("arguments"), str)]
    ncalls = sum(len(calls_of(e)) for e in events)
    for (tools, choice, response), key in zip(work, keys, strict=True):  # warm both tables
        classify(tools, choice, response)
        classify(tools, choice, response, tools_key=key)
    loads = json.loads
    keyed_s = unkeyed_s = loads_s = float("inf")
    for _ in range(rounds):
        keyed = [(tools, choice, response, bytes(bytearray(key)))  # no cached hash
                 for (tools, choice, response), key in zip(work, keys, strict=True)]
        started = time.perf_counter()
        for tools, choice, response, key in keyed:
            classify(tools, choice, response, tools_key=key)
        keyed_s = min(keyed_s, time.perf_counter() - started)
        del keyed  # 1 KiB per event: freed before the other two rounds
        started = time.perf_counter()
        for tools, choice, response in work:
            classify(tools, choice, response)
        unkeyed_s = min(unkeyed_s, time.perf_counter() - started)
        started = time.perf_counter()
        for text in strings:
            try:  # noqa: SIM105 - suppress() would slow the timed loop
                loads(text)
            except ValueError:
                pass
        loads_s = min(loads_s, time.perf_counter() - started)
    per_call = 1e6 / ncalls
    return keyed_s * per_call, unkeyed_s * per_call, loads_s / len(strings) * 1e6, ncalls


def post(port: int, path: str, body: bytes, key: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", path, body=body, headers={
            "Content-Type": "application/json", "Authorization": f"Token {key}",
        })
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _register_endpoints(port: int, events: list[dict], key: str) -> None:
    for model, provider in sorted({(e["model"], e["provider"]) for e in events}):
        status, body = post(port, "/api/v1/endpoints/", json.dumps(
            {"model": model, "provider": provider, "quantization": ""}).encode(), key)
        if status not in (200, 201):  # created, or already registered by an earlier run
            raise RuntimeError(f"endpoint registration failed: {status} {body[:300]!r}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _backends() -> list[int]:
    """PostgreSQL backends of this database other than this process's own connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        return [row[0] for row in cursor.fetchall()]


def _cpu(pids: list[int]) -> dict[int, float]:
    return {pid: _cpu_seconds(pid) for pid in pids}


def run_http(events: list[dict], key: str, *, workers: int = 2,
             clients: int = CLIENT_THREADS) -> tuple[float, int, int, float, float]:
    """Wall seconds, accepted, duplicates, and the CPU seconds of the gunicorn workers and
    of the database's backends (from /proc: steadier than the wall time when other processes
    share the cores) for every batch POSTed by `clients` threads to gunicorn with `workers`
    workers."""
    bodies = [json.dumps({"events": events[i : i + BATCH]}).encode()
              for i in range(0, len(events), BATCH)]
    work: queue.Queue = queue.Queue()
    for body in bodies:
        work.put(body)
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0, "done": 0}
    errors: list[str] = []
    lock = threading.Lock()

    with c.Gunicorn(workers=workers) as server:
        _register_endpoints(server.port, events, key)
        worker_pids = _children(server.proc.pid)
        workers_before, backends_before = _cpu(worker_pids), _cpu(_backends())
        started = time.perf_counter()

        def client() -> None:
            while True:
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    return
                status, answer = post(server.port, "/api/v1/tool-calls/", body, key)
                with lock:
                    if status != 200:
                        errors.append(f"{status} {answer[:300]!r}")
                    else:
                        result = json.loads(answer)
                        totals["accepted"] += result["accepted"]
                        totals["duplicates"] += result["duplicates"]
                        totals["rejected"] += len(result["rejected"])
                    totals["done"] += 1
                    if totals["done"] % 10 == 0 or totals["done"] == len(bodies):
                        c.progress("POST /api/v1/tool-calls/ batches", totals["done"],
                                   len(bodies), started)

        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        worker_cpu = sum(_cpu(worker_pids).values()) - sum(workers_before.values())
        backend_cpu = sum(cpu - backends_before.get(pid, 0.0)
                          for pid, cpu in _cpu(_backends()).items())
    if errors:
        raise RuntimeError(f"{len(errors)} batches failed, first: {errors[0]}")
    if totals["rejected"]:
        c.log(f"  note: {totals['rejected']} events rejected by the API")
    return wall, totals["accepted"], totals["duplicates"], worker_cpu, backend_cpu


def profile(events: list[dict]) -> None:
    """cProfile of the classify loop and of one in-process ingest batch (top 15 by tottime)."""
    import cProfile
    import pstats

    from metrics.services.ingest_tool_calls import ingest_tool_calls
    from metrics.toolcalls import classify

    sample = events[:20_000]
    keys = tools_keys(sample)
    c.log("\n--- cProfile: classify over 20,000 events (warm, with the parser's tools key) ---")
    for e, key in zip(sample, keys, strict=True):
        classify(e["request"].get("tools"), e["request"].get("tool_choice"), e["response"],
                 tools_key=key)
    prof = cProfile.Profile()
    prof.enable()
    for e, key in zip(sample, keys, strict=True):
        classify(e["request"].get("tools"), e["request"].get("tool_choice"), e["response"],
                 tools_key=key)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(15)

    c.log("--- cProfile: one ingest batch of 1,000 events (in-process, PostgreSQL) ---")
    batch = [dict(e, id=e["id"] + "-p") for e in events[40_000:41_000]]
    ingest_tool_calls([dict(e, id=e["id"] + "-w") for e in events[41_000:42_000]],
                      source="bench-warm")
    prof = cProfile.Profile()
    prof.enable()
    ingest_tool_calls(batch, source="bench-profile")
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(20)
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", action="store_true", help="also cProfile classify and a batch")
    args = parser.parse_args()

    c.setup_django()
    c.reset_data()
    from providers.models import ApiToken

    c.log(f"== ingest benchmark ({c.machine()}, {date.today()}) ==")
    started = time.perf_counter()
    events = generate_events()
    total_calls = sum(len(calls_of(e)) for e in events)
    c.log(f"generated {len(events):,} demo events with {total_calls:,} tool calls "
          f"in {time.perf_counter() - started:.1f}s")

    naive_rate, naive_n = naive_baseline(events)
    c.log(f"baseline  naive jsonschema.validate per call (no cache, {naive_n:,} sampled calls): "
          f"{naive_rate:,.0f} calls/s")

    classify_us, unkeyed_us, loads_us, ncalls = classify_vs_loads(events)
    cl_ratio = classify_us / loads_us
    c.log(f"classify  warm cache, {ncalls:,} calls, best of 5 alternating rounds; bare "
          f"json.loads: {loads_us:.2f} µs/call")
    c.log(f"  with the parser's tools key (as ingest calls it): {classify_us:.2f} µs/call, "
          f"ratio {cl_ratio:.1f}x (goal <= 5x: {c.goal(cl_ratio <= 5)})")
    c.log(f"  without a key (tools encoded with marshal): {unkeyed_us:.2f} µs/call, ratio "
          f"{unkeyed_us / loads_us:.1f}x")
    c.log("  the key (format tag + raw tools bytes) comes from the batch parser; making it is "
          "parsing work, inside the end-to-end ingest figure below, not in the classify figure")

    _, key = ApiToken.issue("bench-ingest", "ingest")
    wall, accepted, duplicates, worker_cpu, backend_cpu = run_http(events, key)
    eps = accepted / wall
    cps = total_calls / wall
    ratio = cps / naive_rate
    c.log(f"end to end  gunicorn 2 workers, 2 client threads, batches of {BATCH}: "
          f"{accepted:,} accepted, {duplicates:,} duplicates in {wall:.1f}s")
    c.log(f"CPU per event: gunicorn workers {worker_cpu / accepted * 1e6:.0f} µs, PostgreSQL "
          f"backends {backend_cpu / accepted * 1e6:.0f} µs (/proc; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    c.log(f"RESULT ingest events/s end to end: {eps:,.0f}")
    c.log(f"RESULT ingest validated calls/s end to end: {cps:,.0f}")
    c.log(f"RESULT ratio end-to-end calls/s vs naive jsonschema.validate: {ratio:.1f}x "
          f"(goal >= 25x: {c.goal(ratio >= 25)})")
    c.log(f"RESULT classify (with the parser's tools key) vs json.loads per call: {cl_ratio:.1f}x "
          f"(goal <= 5x: {c.goal(cl_ratio <= 5)})")
    if args.profile:
        profile(events)


if __name__ == "__main__":
    main()
