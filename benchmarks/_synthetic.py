"""Synthetic catalogue and daily rollups written straight into PostgreSQL (COPY).

Rollups are what every read uses (docs/design.md: "reads never touch raw events"), so loading
them directly reproduces the read-side cost of N events without ingesting N events.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

import _common as c

BUCKETS = ("simple", "moderate", "complex")
COLUMNS = (
    "endpoint_id", "app", "bucket", "day", "requests_with_tools", "errored_requests",
    "propensity_requests", "propensity_requests_with_calls", "calls", "valid", "unchecked",
    "invalid_json", "unknown_tool", "schema_mismatch", "other",
)


def create_catalogue(models: int, endpoints_per_model: int, *, prefix: str = "bench",
                     published: bool = False) -> dict[int, list[int]]:
    """Providers, models and endpoints (one reference each); model pk -> endpoint pks."""
    from django.utils import timezone

    from providers.models import Endpoint, LLMModel, Provider

    providers = Provider.objects.bulk_create(
        [Provider(slug=f"{prefix}-p{i:02d}", name=f"Provider {i:02d}")
         for i in range(endpoints_per_model)]
    )
    llms = LLMModel.objects.bulk_create(
        [LLMModel(slug=f"{prefix}-author/model-{i:04d}", name=f"Model {i:04d}",
                  author=f"{prefix}-author") for i in range(models)]
    )
    today = timezone.now().date()
    quantizations = ("fp8", "bf16", "fp4", "int4")
    rows = [
        Endpoint(model=m, provider=p, quantization=quantizations[j % 4], is_reference=(j == 0),
                 published_until=today if published else None)
        for m in llms for j, p in enumerate(providers)
    ]
    created = Endpoint.objects.bulk_create(rows, batch_size=5000)
    by_model: dict[int, list[int]] = {}
    for endpoint in created:
        by_model.setdefault(endpoint.model_id, []).append(endpoint.pk)
    return by_model


def copy_rollups(endpoint_ids: list[int], *, days: int, apps: list[str], buckets_per_app: int,
                 requests: tuple[int, int], seed: int = 1) -> tuple[int, int]:
    """COPY one row per endpoint x app x bucket x day; returns (rows, requests summed).

    Each endpoint has its own failure rate (0.1%-8%) and propensity (60%-95%), so pools
    have members, exclusions and a fallback-free verdict to compute.
    """
    from django.db import connection
    from django.utils import timezone

    rng = random.Random(seed)
    today = timezone.now().date()
    window = [today - timedelta(days=d) for d in range(days)]
    total_rows = len(endpoint_ids) * len(apps) * buckets_per_app * days
    lo, hi = requests
    written = 0
    summed = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        sql = f"COPY metrics_toolcallrollup ({', '.join(COLUMNS)}) FROM STDIN"
        with raw.copy(sql) as copy:
            for endpoint_id in endpoint_ids:
                fail = rng.choice((0.001, 0.004, 0.01, 0.03, 0.08))
                propensity = rng.uniform(0.6, 0.95)
                for app_index, app in enumerate(apps):
                    for b in range(buckets_per_app):
                        bucket = BUCKETS[(app_index + b) % len(BUCKETS)]
                        for day in window:
                            req = rng.randint(lo, hi)
                            prop = int(req * 0.7)
                            prop_calls = int(prop * propensity)
                            calls = int(req * 0.9)
                            failed = int(calls * fail + rng.random())
                            unchecked = calls // 50
                            inv = failed // 3
                            unk = failed // 3
                            mism = failed - inv - unk
                            valid = calls - failed - unchecked
                            errored = min(req, failed)
                            copy.write_row((endpoint_id, app, bucket, day, req, errored, prop,
                                            prop_calls, calls, valid, unchecked, inv, unk, mism,
                                            0))
                            written += 1
                            summed += req
                if written % 100_000 < len(apps) * buckets_per_app * days:
                    c.progress("COPY rollups", written, total_rows, started)
    c.progress("COPY rollups", written, total_rows, started)
    from metrics.services.upserts import rebuild_day_totals

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE metrics_toolcallrollup")
    started = time.perf_counter()
    rebuild_day_totals(endpoint_ids)  # as ingestion would have kept them
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE metrics_toolcalldaytotal")
    c.log(f"  daily totals of {written:,} rollup rows rebuilt in "
          f"{time.perf_counter() - started:.1f}s")
    return written, summed


def copy_speed_rollups(endpoint_ids: list[int], *, days: int, requests_per_day: int,
                       seed: int = 2) -> int:
    """COPY the speed histograms (METHODOLOGY §10) of `requests_per_day` requests per
    endpoint and day: log-normal latency, TTFT and throughput with per-endpoint medians,
    bucketed exactly as ingestion does (counts from the distribution, not from samples:
    10M samples would take minutes to draw). Returns the rows written."""
    import math

    from django.db import connection
    from django.utils import timezone

    from metrics.histogram import GAMMA, bucket_of

    rng = random.Random(seed)
    today = timezone.now().date()
    window = [today - timedelta(days=d) for d in range(days)]
    log_gamma = math.log(GAMMA)

    def bucket_counts(median: float, sigma: float, n: int) -> dict[int, int]:
        counts = {}
        lo, hi = bucket_of(median * math.exp(-4 * sigma)), bucket_of(median * math.exp(4 * sigma))
        for b in range(lo, hi + 1):
            edge_hi = (b * log_gamma - math.log(median)) / sigma
            edge_lo = ((b - 1) * log_gamma - math.log(median)) / sigma
            p = 0.5 * (math.erf(edge_hi / math.sqrt(2)) - math.erf(edge_lo / math.sqrt(2)))
            if (count := round(n * p)) > 0:
                counts[b] = count
        return counts

    written = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy("COPY metrics_speedrollup (endpoint_id, day, bucket, latency, ttft, "
                      "throughput) FROM STDIN") as copy:
            for i, endpoint_id in enumerate(endpoint_ids):
                ttft, tps = rng.uniform(150, 1500), rng.uniform(20, 500)
                latency = ttft + 200 / tps * 1000
                shapes = [bucket_counts(m, s, requests_per_day)
                          for m, s in ((latency, 0.5), (ttft, 0.5), (tps, 0.4))]
                buckets = sorted(set().union(*shapes))
                for day in window:
                    for b in buckets:
                        copy.write_row((endpoint_id, day, b,
                                        *(shape.get(b, 0) for shape in shapes)))
                        written += 1
                c.progress("COPY speed rollups", i + 1, len(endpoint_ids), started)
        with raw.copy("COPY metrics_availabilityrollup (endpoint_id, day, ok, errors, timeouts) "
                      "FROM STDIN") as copy:
            for endpoint_id in endpoint_ids:
                failure = rng.choice((0.001, 0.005, 0.02, 0.08))
                for day in window:
                    failed = int(requests_per_day * failure)
                    copy.write_row((endpoint_id, day, requests_per_day - failed,
                                    failed - failed // 5, failed // 5))
        cursor.execute("ANALYZE metrics_speedrollup")
        cursor.execute("ANALYZE metrics_availabilityrollup")
    return written
