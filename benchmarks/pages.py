"""Page server times over ~10 million events' worth of rollups, from the cache and cold.

    .venv/bin/python benchmarks/pages.py     # ~2 min

5 models x 10 endpoints x 30 days x 20 apps x 3 buckets of published rollups (counts summing
to ~10M requests) + pools + benchmark runs; median server time of 10 requests per page with
Django's test Client (DEBUG off), as an anonymous reader:

- warm: the public cache holds the body (goal for the model page: <= 5x /healthz);
- cold: the model's public version is bumped before every request, so the body is computed
  and stored again (goal for the model page: <= 150x /healthz);
- 10x rows: the model page (cold) of a model with 10x the rollup rows in its window (200 apps
  instead of 20) and of one with 10x the history (300 days instead of 30), each against the
  1x model (goal <= 1.2x);

the 1x model pages include the speed histograms of their requests (METHODOLOGY §10), the
10x ones do not: the last lines give the 10x ratios with speed histograms on no page;

all against /healthz measured in the same run.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import _common as c
import _synthetic as syn

REPEATS = 10
APPS = [f"app-{i:02d}" for i in range(20)]


def load() -> tuple:
    """The data set: returns (the 1x model, the 10x-apps model, the 10x-history model)."""
    from django.utils import timezone

    from metrics.models import Benchmark, BenchmarkRun
    from metrics.services.pools import recompute_all
    from providers.models import LLMModel

    started = time.perf_counter()
    by_model = syn.create_catalogue(5, 10, prefix="pages", published=True)
    endpoint_ids = [pk for pks in by_model.values() for pk in pks]
    rows, requests = syn.copy_rollups(endpoint_ids, days=30, apps=APPS, buckets_per_app=3,
                                      requests=(80, 142))
    # Two more models for the scaling figures: 10x apps in the window, 10x days of history.
    wide = syn.create_catalogue(1, 10, prefix="wide", published=True)
    long = syn.create_catalogue(1, 10, prefix="long", published=True)
    syn.copy_rollups(next(iter(wide.values())), days=30, apps=[f"app-{i:03d}" for i in range(200)],
                     buckets_per_app=3, requests=(8, 14), seed=2)
    syn.copy_rollups(next(iter(long.values())), days=300, apps=APPS, buckets_per_app=3,
                     requests=(80, 142), seed=3)
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
    c.log(f"loaded {rows:,} rollup rows = {requests:,} requests (+18,000 rows for a 10x-apps "
          f"model, +180,000 for a 10x-history model), 3 benchmarks x 4 runs per endpoint, "
          f"speed histograms ({speed_rows:,} rows), pools, in {time.perf_counter() - started:.1f}s")

    model = LLMModel.objects.filter(slug__startswith="pages-").order_by("slug").first()
    return (model, LLMModel.objects.get(pk=next(iter(wide))),
            LLMModel.objects.get(pk=next(iter(long))))


def main() -> None:
    c.setup_django()
    c.reset_data()
    from django.test import Client

    from metrics.public_cache import bump
    from providers.models import Endpoint

    c.log(f"== pages benchmark ({c.machine()}, {date.today()}) ==")
    model, wide_model, long_model = load()
    provider = Endpoint.objects.select_related("provider").first().provider
    pages = [
        ("/", "/", None),
        ("/models/<slug>/", f"/models/{model.slug}/", model),
        ("/providers/<slug>/", f"/providers/{provider.slug}/", model),
        ("/benchmarks/", "/benchmarks/", model),
        ("/api/v1/endpoints/?model=…", f"/api/v1/endpoints/?model={model.slug}", model),
        ("/api/v1/route/?model=…:exacto", f"/api/v1/route/?model={model.slug}:exacto", model),
    ]
    client = Client()

    def median(path: str, cold_model=None) -> tuple[float, int]:
        response = client.get(path)  # warm imports, templates, connection
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
        samples = []
        for _ in range(REPEATS):
            if cold_model is not None:
                bump([cold_model.pk])  # a new public version: the next read computes afresh
            t = time.perf_counter()
            response = client.get(path)
            samples.append(time.perf_counter() - t)
            assert response.status_code == 200, path
        return c.median_ms(samples), len(response.content)

    base, _ = median("/healthz")
    c.log(f"  … /healthz: median {base:.2f} ms")
    results = {}
    for label, path, versioned in pages:
        warm, size = median(path)
        cold, _ = median(path, versioned or model)
        results[label] = (warm, cold, size)
        c.log(f"  … {label}: warm {warm:.2f} ms, cold {cold:.1f} ms ({size / 1024:.0f} KiB)")
    one, _ = median(f"/models/{model.slug}/", model)
    ten_apps, _ = median(f"/models/{wide_model.slug}/", wide_model)
    ten_days, _ = median(f"/models/{long_model.slug}/", long_model)

    c.log(f"baseline  /healthz median: {base:.2f} ms")
    for label, (warm, cold, size) in results.items():
        goals = ""
        if label == "/models/<slug>/":
            goals = (f"; goals warm <= 5x: {c.goal(warm / base <= 5)}, "
                     f"cold <= 150x: {c.goal(cold / base <= 150)}")
        c.log(f"RESULT page {label} warm {warm:.2f} ms = {warm / base:.1f}x healthz, "
              f"cold {cold:.1f} ms = {cold / base:.0f}x healthz ({size / 1024:.0f} KiB{goals})")
    c.log(f"RESULT model page (cold) at 10x rollup rows in the window (200 apps) vs 1x: "
          f"{ten_apps:.1f} / {one:.1f} ms = {ten_apps / one:.2f}x "
          f"(goal <= 1.2x: {c.goal(ten_apps / one <= 1.2)})")
    c.log(f"RESULT model page (cold) at 10x rollup rows of history (300 days) vs 1x: "
          f"{ten_days:.1f} / {one:.1f} ms = {ten_days / one:.2f}x "
          f"(goal <= 1.2x: {c.goal(ten_days / one <= 1.2)})")

    # The same cold model page with the speed tables emptied: what the Speed section costs.
    from metrics.models import AvailabilityRollup, SpeedRollup

    SpeedRollup.objects.all().delete()
    AvailabilityRollup.objects.all().delete()
    without_speed, _ = median(f"/models/{model.slug}/", model)
    c.log(f"RESULT page /models/<slug>/ (cold) speed section: {one:.1f} ms with the speed "
          f"histograms, {without_speed:.1f} ms without them ({one / without_speed:.2f}x)")
    # The 10x models have no speed histograms: the same ratios, the 1x page without them too
    # (measured right after it, so that the three see the same load).
    wide_again, _ = median(f"/models/{wide_model.slug}/", wide_model)
    long_again, _ = median(f"/models/{long_model.slug}/", long_model)
    c.log(f"RESULT without speed histograms on any page: 10x apps {wide_again:.1f} / "
          f"{without_speed:.1f} ms = {wide_again / without_speed:.2f}x, 10x history "
          f"{long_again:.1f} / {without_speed:.1f} ms = {long_again / without_speed:.2f}x")


if __name__ == "__main__":
    main()
