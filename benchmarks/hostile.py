"""Worst-case batches against the work bounds of METHODOLOGY §1, through gunicorn + PostgreSQL.

    .venv/bin/python benchmarks/hostile.py

Posts batches built to stall a validator — exponential local ``$ref`` branching, a
catastrophic ``pattern``, ``$ref`` cycles, events of 1,000 calls — and prints the server time
of each beside a plain batch of the same shape (same events, calls and size, an ordinary
schema), measured in the same run. Goal (issue 11): no batch holds a worker for more than 5 s.
Also times ``GET /healthz`` on the second worker while a hostile batch occupies the first.
"""

from __future__ import annotations

import json
import threading
import time

import _common as c  # puts the repository on sys.path

from tests.metrics.api.hostile import exponential_ref_schema

MODEL, PROVIDER = "bench/hostile", "bench-host"
EVENTS, CALLS = 100, 100  # 10,000 calls per batch
GOAL_S = 5.0

PLAIN = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
REDOS = {"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a+)+$"}},
         "required": ["s"]}
CYCLE = {"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}},
         "$ref": "#/definitions/a"}


def _event(tag: str, n: int, schema: dict, arguments: str, calls: int) -> dict:
    return {
        "id": f"{tag}-{n}-{time.time_ns()}", "model": MODEL, "provider": PROVIDER,
        "request": {"tools": [{"type": "function", "function": {"name": "f",
                                                                "parameters": schema}}]},
        "response": {"choices": [{"message": {"role": "assistant", "tool_calls": [
            {"id": f"c{i}", "type": "function", "function": {"name": "f", "arguments": arguments}}
            for i in range(calls)]}}]},
    }


def batch(tag: str, schema: dict, arguments: str, events: int = EVENTS,
          calls: int = CALLS) -> bytes:
    return json.dumps({"events": [_event(tag, n, schema, arguments, calls)
                                  for n in range(events)]}).encode()


def post(port: int, body: bytes, key: str) -> tuple[float, dict]:
    started = time.perf_counter()
    status, answer = _post(port, body, key)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"{status} {answer[:300]!r}")
    return elapsed, json.loads(answer)


def _post(port: int, body: bytes, key: str) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request("POST", "/api/v1/tool-calls/", body=body, headers={
            "Content-Type": "application/json", "Authorization": f"Token {key}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def healthz_during(port: int, body: bytes, key: str) -> tuple[float, float]:
    """(batch seconds, worst /healthz seconds) with a hostile batch in flight."""
    import urllib.request

    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(t=post(port, body, key)[0]))
    worker.start()
    worst = 0.0
    while worker.is_alive():
        started = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as r:
            r.read()
        worst = max(worst, time.perf_counter() - started)
        time.sleep(0.05)
    worker.join()
    return result["t"], worst


def main() -> None:
    c.setup_django()
    c.reset_data()
    from providers.models import ApiToken
    from providers.services.endpoints import register_endpoint

    register_endpoint(MODEL, PROVIDER, "fp8")
    _, key = ApiToken.issue("bench-hostile", "ingest")
    c.log(f"== hostile batches ({c.machine()}); machine shared with other agents: figures are "
          "indicative ==")
    cases = [
        ("plain (baseline)", batch("plain", PLAIN, '{"city": "Paris"}')),
        ("exponential $ref", batch("exp", exponential_ref_schema(), "1")),
        ("catastrophic pattern", batch("redos", REDOS, json.dumps({"s": "a" * 40 + "!"}))),
        ("$ref cycle", batch("cycle", CYCLE, "1")),
        ("1,000-call events (10 × 1,000)", batch("wide", exponential_ref_schema(), "1",
                                                 events=10, calls=1000)),
    ]
    with c.Gunicorn(workers=2) as server:
        post(server.port, batch("warm", PLAIN, '{"city": "Paris"}', events=10), key)
        baseline = None
        worst = 0.0
        for name, body in cases:
            elapsed, answer = post(server.port, body, key)
            baseline = baseline or elapsed
            worst = max(worst, elapsed)
            c.log(f"{name:32} {len(body) / 1e6:5.1f} MB  {elapsed:6.2f} s  "
                  f"({elapsed / baseline:4.1f}x plain)  accepted {answer['accepted']}, "
                  f"rejected {len(answer['rejected'])}")
        batch_s, health_s = healthz_during(server.port, cases[1][1], key)
        c.log(f"/healthz while an exponential-$ref batch ({batch_s:.2f} s) runs: worst "
              f"{health_s * 1000:.0f} ms")
    c.log(f"RESULT worst hostile batch: {worst:.2f} s vs plain {baseline:.2f} s "
          f"(goal <= {GOAL_S:.0f} s: {c.goal(worst <= GOAL_S)})")


if __name__ == "__main__":
    main()
