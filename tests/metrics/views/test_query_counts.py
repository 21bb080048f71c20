"""Dashboard pages and the provider portal issue a bounded number of queries, independent
of providers, endpoints and days."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics.models import Benchmark, BenchmarkRun, FailureSample, ToolCallRollup
from metrics.services.pools import recompute_model
from metrics.services.upserts import rebuild_day_totals
from providers.models import ProviderResponse, ProviderUser
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory

pytestmark = [pytest.mark.django_db]

MODEL = "qauthor/qmodel"
BENCH = "q-bench"
# Fixed caps (measured on SQLite, public cache missed: home 12, model 22, provider 19,
# benchmark 10, the same for 3 and 13 endpoints; portal 21 for 2 or 8 of the provider's
# endpoints, 26 -> 56 before it read each per-endpoint list in one query); far below one
# query per endpoint row.
# The model page's cap includes a miss of its remembered daily series (metrics.public_cache
# .remembered): on the default database cache a get and a set are ~6 queries of their own.
CAPS = {"home": 20, "model": 31, "provider": 20, "benchmark": 15, "portal": 30}
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


def add_portal_endpoints(provider, bench, start: int, count: int):
    """`count` endpoints of `provider`, each on a model of its own beside another
    provider's endpoint, with everything the portal lists per endpoint: failure samples,
    benchmark runs, rotation events and a response thread."""
    today = timezone.now().date()
    for i in range(start, start + count):
        model = LLMModelFactory(slug=f"qportal/model-{i}")
        EndpointFactory(model=model, provider=ProviderFactory(slug=f"qpeer-{i}"),
                        published_until=today)
        endpoint = EndpointFactory(model=model, provider=provider, quantization="fp8")
        ToolCallRollup.objects.create(
            endpoint=endpoint, app="", bucket="simple", day=today, requests_with_tools=50,
            propensity_requests=40, propensity_requests_with_calls=30, calls=60, valid=55,
            schema_mismatch=5)
        FailureSample.objects.bulk_create([
            FailureSample(endpoint=endpoint, day=today, outcome="schema_mismatch",
                          event_id=f"q-{i}-{n}", tool_name="t", arguments="{}", message="m")
            for n in range(3)])
        BenchmarkRun.objects.create(external_id=f"qp-{i}", endpoint=endpoint, benchmark=bench,
                                    score=80, run_at=timezone.now(), source="test")
        endpoint.rotation_events.create(old_status="active", new_status="admin_removed",
                                        actor="admin", reason="test")
        first = ProviderResponse.objects.create(endpoint=endpoint, text="why?")
        ProviderResponse.objects.create(endpoint=endpoint, parent=first, from_admin=True,
                                        text="because")
        recompute_model(model, trigger="api")


def test_portal_query_count_does_not_grow_with_the_providers_endpoints(client):
    provider = ProviderFactory(slug="qportal")
    bench = Benchmark.objects.create(slug=BENCH, name="Q bench")
    user = get_user_model().objects.create_user("qportal-user", password="pw-12345-x")
    ProviderUser.objects.create(user=user, provider=provider)
    client.force_login(user)
    add_portal_endpoints(provider, bench, 0, 2)
    small = measure(client, {"portal": "/portal/"})["portal"]

    add_portal_endpoints(provider, bench, 2, 6)
    large = measure(client, {"portal": "/portal/"})["portal"]

    body = client.get("/portal/").content.decode()
    assert body.count('class="endpoint-card"') == 8  # every endpoint is on the page
    assert body.count("because") == 8  # with its thread
    assert large <= CAPS["portal"], large
    assert large == small, f"portal queries grew with 6 more endpoints: {small} -> {large}"
