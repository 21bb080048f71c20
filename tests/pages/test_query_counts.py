"""Dashboard pages issue a bounded number of queries, independent of providers and days."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics.models import Benchmark, BenchmarkRun, ToolCallRollup
from metrics.services.pools import recompute_model
from metrics.services.upserts import rebuild_day_totals
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory

pytestmark = [pytest.mark.django_db]

MODEL = "qauthor/qmodel"
BENCH = "q-bench"
# Fixed caps (measured: home 11, model 11, provider 8, benchmark 3 — the same for 3 and 13
# endpoints); far below one query per endpoint row.
CAPS = {"home": 20, "model": 25, "provider": 20, "benchmark": 15}
DAYS = 14


def add_endpoints(model, bench, start: int, count: int, days: int = DAYS):
    today = timezone.now().date()
    now = timezone.now()
    for i in range(start, start + count):
        provider = ProviderFactory(slug=f"qprov-{i}")
        endpoint = EndpointFactory(model=model, provider=provider,
                                   published_until=today, quantization="fp8")
        ToolCallRollup.objects.bulk_create([
            ToolCallRollup(endpoint=endpoint, app="", bucket=bucket, day=today - timedelta(days=d),
                           requests_with_tools=50, propensity_requests=40,
                           propensity_requests_with_calls=30, calls=60, valid=55 - i % 5,
                           invalid_json=2, unknown_tool=1, schema_mismatch=2 + i % 5)
            for d in range(1, days + 1) for bucket in ("simple", "medium")
        ])
        rebuild_day_totals([endpoint.pk])  # rollups written outside ingestion
        BenchmarkRun.objects.bulk_create([
            BenchmarkRun(external_id=f"q-{i}-{d}", endpoint=endpoint, benchmark=bench,
                         score=80 + i % 7, run_at=now - timedelta(days=d), published_at=now,
                         source="test")
            for d in (2, 5)
        ])


def pages(model, provider_slug):
    return {
        "home": "/",
        "model": f"/models/{model.slug}/",
        "provider": f"/providers/{provider_slug}/",
        "benchmark": f"/benchmarks/{BENCH}/",
    }


def measure(client, urls) -> dict[str, int]:
    counts = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[name] = len(ctx.captured_queries)
    return counts


def test_page_query_counts_do_not_grow_with_providers_or_days(client, django_assert_max_num_queries):
    model = LLMModelFactory(slug=MODEL, released=timezone.now().date() - timedelta(days=60))
    LLMModelFactory(slug="qauthor/other")
    bench = Benchmark.objects.create(slug=BENCH, name="Q bench")
    add_endpoints(model, bench, 0, 3)
    recompute_model(model, trigger="api")
    urls = pages(model, "qprov-0")

    for name, url in urls.items():
        with django_assert_max_num_queries(CAPS[name]):
            assert client.get(url).status_code == 200
    small = measure(client, urls)

    add_endpoints(model, bench, 3, 10)
    recompute_model(model, trigger="api")
    for name, url in urls.items():
        with django_assert_max_num_queries(CAPS[name]):
            assert client.get(url).status_code == 200
    large = measure(client, urls)

    body = client.get(urls["model"]).content.decode()
    assert body.count('data-provider="qprov-') == 13  # every endpoint is on the page
    assert "qprov-12" in client.get(urls["benchmark"]).content.decode()
    grown = {name: (small[name], large[name]) for name in urls if large[name] > small[name]}
    assert not grown, f"query counts grew with 10 more endpoints (before, after): {grown}"
