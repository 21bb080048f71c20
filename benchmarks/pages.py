"""Page server times over ~10 million events' worth of rollups.

    .venv/bin/python benchmarks/pages.py     # ~1 min

5 models x 10 endpoints x 30 days x 20 apps x 3 buckets of published rollups (counts summing
to ~10M requests), the speed histograms of those requests (METHODOLOGY §10) + pools +
benchmark runs; median server time of 10 requests per page with
Django's test Client (DEBUG off) — goal < 150 ms — against /healthz in the same run.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import _common as c
import _synthetic as syn

REPEATS = 10
APPS = [f"app-{i:02d}" for i in range(20)]


def main() -> None:
    c.setup_django()
    c.reset_data()
    from django.test import Client
    from django.utils import timezone

    from metrics.models import Benchmark, BenchmarkRun
    from metrics.services.pools import recompute_all
    from providers.models import Endpoint, LLMModel

    c.log(f"== pages benchmark ({c.machine()}, {date.today()}) ==")
    started = time.perf_counter()
    by_model = syn.create_catalogue(5, 10, prefix="pages", published=True)
    endpoint_ids = [pk for pks in by_model.values() for pk in pks]
    rows, requests = syn.copy_rollups(endpoint_ids, days=30, apps=APPS, buckets_per_app=3,
                                      requests=(80, 142))
    speed_rows = syn.copy_speed_rollups(endpoint_ids, days=30,
                                        requests_per_day=requests // (len(endpoint_ids) * 30))
    now = timezone.now()
    benchmarks = [Benchmark.objects.create(slug=f"bench-{i}", name=f"Bench {i}") for i in range(3)]
    BenchmarkRun.objects.bulk_create([
        BenchmarkRun(external_id=f"run-{b.pk}-{pk}-{d}", endpoint_id=pk, benchmark=b,
                     score=80 + (pk % 7) + d * 0.1, run_at=now - timedelta(days=d),
                     published_at=now, samples=500)
        for b in benchmarks for pk in endpoint_ids for d in range(4)
    ])
    recompute_all(trigger="command")
    c.log(f"loaded {rows:,} rollup rows = {requests:,} requests (and {speed_rows:,} speed "
          f"histogram rows for them), 3 benchmarks x 4 runs per "
          f"endpoint, pools, in {time.perf_counter() - started:.1f}s")

    model = LLMModel.objects.order_by("slug").first()
    provider = Endpoint.objects.select_related("provider").first().provider
    pages = [
        ("/healthz", "/healthz"),
        ("/", "/"),
        ("/models/<slug>/", f"/models/{model.slug}/"),
        ("/providers/<slug>/", f"/providers/{provider.slug}/"),
        ("/benchmarks/", "/benchmarks/"),
        ("/api/v1/endpoints/?model=…", f"/api/v1/endpoints/?model={model.slug}"),
    ]
    client = Client()
    results = {}
    for label, path in pages:
        response = client.get(path)  # warm: imports, templates, connection
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
        samples = []
        for _ in range(REPEATS):
            t = time.perf_counter()
            response = client.get(path)
            samples.append(time.perf_counter() - t)
            assert response.status_code == 200, path
        results[label] = (c.median_ms(samples), len(response.content))
        c.log(f"  … {label}: median {results[label][0]:.1f} ms")

    # The same model page with the speed tables emptied: what the Speed section costs.
    from metrics.models import AvailabilityRollup, SpeedRollup

    model_path = f"/models/{model.slug}/"
    with_speed = results["/models/<slug>/"][0]
    SpeedRollup.objects.all().delete()
    AvailabilityRollup.objects.all().delete()
    client.get(model_path)
    samples = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        assert client.get(model_path).status_code == 200
        samples.append(time.perf_counter() - t)
    without_speed = c.median_ms(samples)

    base = results["/healthz"][0]
    c.log(f"baseline  /healthz median: {base:.2f} ms")
    for label, (ms, size) in results.items():
        if label == "/healthz":
            continue
        c.log(f"RESULT page {label} median ms: {ms:.1f} ({size / 1024:.0f} KiB; "
              f"{ms / base:.0f}x healthz; goal < 150 ms: {c.goal(ms < 150)})")
    c.log(f"RESULT page /models/<slug>/ speed section: {with_speed:.1f} ms with the speed "
          f"histograms, {without_speed:.1f} ms without them ({with_speed / without_speed:.2f}x)")


if __name__ == "__main__":
    main()
