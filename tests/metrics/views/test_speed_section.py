"""The Speed section of the model page and the portal (METHODOLOGY §8, §10)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics.histogram import bucket_of, value_of
from metrics.models import AvailabilityRollup, SpeedRollup
from metrics.services.ingest_tool_calls import ingest_tool_calls
from metrics.services.publication import publish
from providers.models import Endpoint, ProviderUser
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory
from tests.metrics.api.helpers import good, now_iso

pytestmark = pytest.mark.django_db

SLUG = "speedy/model"


def timed(event_id, provider, latency, ttft, tokens, days_ago=0, status="ok"):
    item = good(event_id, model=SLUG, provider=provider,
                created=now_iso(-timedelta(days=days_ago, minutes=5)))
    item["response"]["usage"] = {"completion_tokens": tokens}
    item.update(latency_ms=latency, ttft_ms=ttft, status=status)
    return item


@pytest.fixture
def scene(db):
    model = LLMModelFactory(slug=SLUG)
    yesterday = timezone.now().date() - timedelta(days=1)
    for slug in ("quick", "steady"):
        EndpointFactory(model=model, provider=ProviderFactory(slug=slug),
                        published_until=yesterday)
    items = [timed(f"q{i}", "quick", 600.0, 100.0, 100, days_ago=1) for i in range(20)]
    items += [timed(f"s{i}", "steady", 2100.0, 100.0, 100, days_ago=1) for i in range(20)]
    # Today (unpublished): "steady" fails often; only its provider and admins see it yet.
    items += [timed(f"e{i}", "steady", 0, 0, 0, status="error") for i in range(10)]
    result = ingest_tool_calls(items, source="test")
    assert result.accepted == 50, result.rejected
    publish(Endpoint.objects.all())  # through yesterday
    return model


def test_model_page_shows_speed_charts_sorted_and_the_table_columns(client, scene):
    body = client.get(f"/models/{SLUG}/").content.decode()
    assert 'id="speed-title"' in body
    shown = f"{value_of(bucket_of(200.0)):,.0f}"  # 200 tokens/s as its histogram bucket
    assert f"Fastest p50: quick (fp8) at {shown} tokens/s (2 providers)" in body
    assert 'data-figure="speed-throughput"' in body and 'id="speed-throughput"' in body
    assert 'id="speed-throughput-card"' in body and "Numbers of this chart" in body
    assert ">Throughput</abbr></th>" in body
    assert f"{shown} tok/s" in body  # the providers table's p50 throughput column
    # Public: today's errors of "steady" are not published, so its uptime is 100%.
    assert "Lowest uptime: steady (fp8) at 100.0%" in body
    assert "over 20 requests" in body and "over 30 requests" not in body


def test_portal_shows_the_providers_unpublished_speed_figures(client, scene):
    user = User.objects.create_user("steady-team", "s@example.com", "s3cret-pass-123")
    ProviderUser.objects.create(user=user,
                                provider=Endpoint.objects.get(provider__slug="steady").provider)
    client.force_login(user)
    body = client.get("/portal/").content.decode()
    assert f'id="speed-{scene.pk}-title"' in body
    assert "Lowest uptime: steady (fp8) at 66.7%" in body  # 20 ok of 30, today's errors too
    assert "over 30 requests" in body
    assert "quick (fp8)" not in body  # another provider's figures are not in its portal


def test_model_page_without_speed_data_says_how_to_send_it(client, db):
    model = LLMModelFactory(slug="quiet/model")
    EndpointFactory(model=model, provider=ProviderFactory(slug="silent"))
    body = client.get(f"/models/{model.slug}/").content.decode()
    assert 'data-empty="speed"' in body and "latency_ms" in body
    assert 'id="speed-throughput-card"' not in body


def test_speed_section_queries_do_not_grow_with_endpoints_or_days(client, db):
    model = LLMModelFactory(slug="many/model")
    today = timezone.now().date()

    def add(start, count):
        for i in range(start, start + count):
            endpoint = EndpointFactory(model=model, provider=ProviderFactory(slug=f"sp-{i}"),
                                       published_until=today)
            for d in range(20):
                day = today - timedelta(days=d)
                SpeedRollup.objects.bulk_create([
                    SpeedRollup(endpoint=endpoint, day=day, bucket=bucket_of(900 + i), latency=5),
                    SpeedRollup(endpoint=endpoint, day=day, bucket=bucket_of(200), ttft=5),
                    SpeedRollup(endpoint=endpoint, day=day, bucket=bucket_of(50 + i),
                                throughput=5),
                ])
                AvailabilityRollup.objects.create(endpoint=endpoint, day=day, ok=5)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/models/{model.slug}/").status_code == 200
        return len(ctx.captured_queries)

    add(0, 2)
    small = queries()
    add(2, 10)
    assert queries() == small
    body = client.get(f"/models/{model.slug}/").content.decode()
    assert body.count('<figure class="chart-card" id="speed-') == 5  # every chart, 12 providers
    assert "over 35 requests" in body


def test_daily_median_in_sql_equals_the_histogram_median(db):
    import random

    from metrics.histogram import from_values, quantile
    from metrics.selectors.speed_stats import daily_throughput
    from providers.visibility import Viewer

    model = LLMModelFactory(slug=SLUG)
    endpoint = EndpointFactory(model=model, provider=ProviderFactory(slug="daily"))
    rng = random.Random(3)
    items, by_day = [], {}
    for days_ago in (0, 1, 3):
        for i in range(rng.randint(1, 40)):
            ttft, tokens, tps = rng.uniform(50, 900), rng.randint(1, 500), rng.uniform(5, 900)
            items.append(timed(f"d{days_ago}-{i}", "daily", ttft + tokens / tps * 1000, ttft,
                               tokens, days_ago=days_ago))
            day = (timezone.now() - timedelta(days=days_ago, minutes=5)).date()  # as `timed`
            by_day.setdefault(day, []).append(tokens / (tokens / tps))
    assert ingest_tool_calls(items, source="test").accepted == len(items)
    series = daily_throughput([endpoint], Viewer.everything(), days=30)[endpoint.pk]
    assert [d for d, _ in series] == sorted(by_day)
    for day, p50 in series:
        assert p50 == round(quantile(from_values(by_day[day]), 0.5), 3)


def test_public_daily_series_is_remembered_until_a_publication_and_private_ones_are_live(db):
    """A published-only reader's daily p50 series is kept in the public cache under its
    endpoints' windows and publications (a cold page after a recompute reads it back); a
    publication moves the key, late events never reach it, private readers compute it."""
    from metrics.selectors.speed_stats import daily_throughput
    from providers.visibility import Viewer

    model = LLMModelFactory(slug=SLUG)
    endpoint = EndpointFactory(model=model, provider=ProviderFactory(slug="memo"))
    two_days_ago = timezone.now().date() - timedelta(days=2)

    def ingest(prefix, latency, n):  # 100 tokens in (latency - 100) ms
        items = [timed(f"{prefix}{i}", "memo", latency, 100.0, 100, days_ago=2)
                 for i in range(n)]
        assert ingest_tool_calls(items, source="test").accepted == n

    def series(viewer):
        with CaptureQueriesContext(connection) as ctx:
            values = daily_throughput([endpoint], viewer, days=14)[endpoint.pk]
        # Reads of the speed rows (the cache itself may be a database table).
        return values, sum("metrics_speedrollup" in q["sql"] for q in ctx.captured_queries)

    ingest("a", 1100.0, 5)  # 100 tokens/s
    publish([endpoint], through=two_days_ago)
    endpoint.refresh_from_db()
    first, queries = series(Viewer.public())
    assert [p50 for _, p50 in first] == [round(value_of(bucket_of(100.0)), 3)]
    assert queries > 0
    assert series(Viewer.public()) == (first, 0)  # read back, not computed

    ingest("b", 300.0, 10)  # late events of a published day, 500 tokens/s, now the median
    assert series(Viewer.public()) == (first, 0)  # the public series is unchanged...
    private, private_queries = series(Viewer.everything())
    assert private_queries > 0  # ...the admin's is live
    assert [p50 for _, p50 in private] == [round(value_of(bucket_of(500.0)), 3)]
    publish([endpoint], through=two_days_ago)  # the late events are published
    endpoint.refresh_from_db()
    second, queries = series(Viewer.public())
    assert queries > 0 and second == private != first
