"""Routing answers per second through gunicorn (2 workers, 2 client threads, ~10 s).

    .venv/bin/python benchmarks/route.py     # ~30 s

GET /api/v1/route/?model=X:exacto (latest stored pool snapshot, served from the public cache
after the first read of each model) against GET /healthz measured in the same run (ratio: the
cost of the routing answer over the bare stack).
"""

from __future__ import annotations

import http.client
import threading
import time
from datetime import date

import _common as c
import _synthetic as syn

SECONDS = 5.0  # per path: route + healthz ~ 10 s
THREADS = 2


def hammer(port: int, paths: list[str], seconds: float) -> tuple[int, list[float]]:
    """Requests completed by THREADS clients in `seconds`, and their latencies."""
    done = [0] * THREADS
    latencies: list[list[float]] = [[] for _ in range(THREADS)]
    errors: list[str] = []
    stop = time.perf_counter() + seconds

    def client(n: int) -> None:
        i = n
        while time.perf_counter() < stop:
            path = paths[i % len(paths)]
            i += 1
            t = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(f"{path}: {response.status}")
                    return
            finally:
                conn.close()
            latencies[n].append(time.perf_counter() - t)
            done[n] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(errors[0])
    return sum(done), [x for per in latencies for x in per]


def main() -> None:
    c.setup_django()
    c.reset_data()
    from metrics.services.pools import recompute_all
    from providers.models import LLMModel

    c.log(f"== route benchmark ({c.machine()}, {date.today()}) ==")
    by_model = syn.create_catalogue(20, 12, prefix="route")
    syn.copy_rollups([pk for pks in by_model.values() for pk in pks], days=7,
                     apps=["coding-agent", "chat-assistant"], buckets_per_app=1,
                     requests=(100, 300))
    recompute_all(trigger="command")
    slugs = list(LLMModel.objects.values_list("slug", flat=True))
    route_paths = [f"/api/v1/route/?model={slug}:exacto" for slug in slugs]

    with c.Gunicorn(workers=2) as server:
        hammer(server.port, route_paths + ["/healthz"], 1.0)  # warm both workers
        c.log(f"  … GET /healthz for {SECONDS:.0f}s")
        n_h, lat_h = hammer(server.port, ["/healthz"], SECONDS)
        c.log(f"  … GET /api/v1/route/?model=…:exacto for {SECONDS:.0f}s ({len(slugs)} models)")
        n_r, lat_r = hammer(server.port, route_paths, SECONDS)
    health_rps, route_rps = n_h / SECONDS, n_r / SECONDS
    c.log(f"baseline  GET /healthz: {health_rps:,.0f} req/s (median {c.median_ms(lat_h):.1f} ms)")
    c.log(f"RESULT route req/s: {route_rps:,.0f} (median {c.median_ms(lat_r):.1f} ms)")
    cost = health_rps / route_rps
    c.log(f"RESULT ratio route vs healthz throughput: {route_rps / health_rps:.2f} "
          f"(route costs {cost:.1f}x a health check; goal <= 2x: {c.goal(cost <= 2)})")


if __name__ == "__main__":
    main()
