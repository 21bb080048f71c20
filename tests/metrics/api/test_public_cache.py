"""Public reads come from a cache that every public change invalidates (issue 17, docs/design.md).

Each test warms the cache with an anonymous read, makes one change through the service
that makes it, and checks that the next anonymous read shows it; private readers (admin
keys, staff, the provider's own users) always get live figures, never a cached body.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from metrics.models import Benchmark, ToolCallRollup, UserActivity
from metrics.services.approval import approve_provider
from metrics.services.benchmarks import ingest_benchmark_runs
from metrics.services.ingest_ignores import ingest_ignores
from metrics.services.pools import recompute_model
from metrics.services.publication import publish
from metrics.services.rotation import set_rotation
from metrics.services.upserts import rebuild_day_totals
from metrics.services.user_hash import hash_user
from providers.models import ProviderUser
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory

pytestmark = pytest.mark.django_db

SLUG = "cacheauthor/cache-model"


def add_rollup(endpoint, day, *, calls=300, valid=290, requests=200, app="app"):
    ToolCallRollup.objects.create(
        endpoint=endpoint, app=app, bucket="simple", day=day, requests_with_tools=requests,
        propensity_requests=requests, propensity_requests_with_calls=requests // 2,
        calls=calls, valid=valid, schema_mismatch=calls - valid)
    rebuild_day_totals()  # rollups written outside ingestion


@pytest.fixture
def model():
    model = LLMModelFactory(slug=SLUG)
    yesterday = timezone.now().date() - timedelta(days=1)
    for i, name in enumerate(["alpha", "beta", "gamma"]):
        endpoint = EndpointFactory(model=model, provider=ProviderFactory(slug=f"c-{name}"))
        add_rollup(endpoint, yesterday, valid=295 - i)
    return model


def rows(client, **params) -> dict[str, dict]:
    response = client.get("/api/v1/endpoints/", {"model": SLUG, **params})
    assert response.status_code == 200, response.content
    return {row["provider"]: row for row in response.json()}


def route(client, variant=":exacto") -> dict:
    response = client.get("/api/v1/route/", {"model": SLUG + variant})
    assert response.status_code == 200, response.content
    return response.json()


def test_a_repeated_anonymous_read_is_served_from_the_cache_with_one_query(model, anon_client):
    recompute_model(model, trigger="command")
    first = anon_client.get("/api/v1/route/", {"model": SLUG + ":exacto"})
    with CaptureQueriesContext(connection) as queries:
        second = anon_client.get("/api/v1/route/", {"model": SLUG + ":exacto"})
    assert second.content == first.content
    # The model's public version, and the cache itself when it is the database cache: no
    # figure is recomputed.
    reads = [q["sql"] for q in queries if "exacto_cache" not in q["sql"]]
    assert len(reads) == 1 and "publicversion" in reads[0]
    assert second["ETag"] == first["ETag"] and second["ETag"].startswith('W/"')
    assert second["Cache-Control"] == "public, no-cache"
    assert "Authorization" in second["Vary"] and "Cookie" in second["Vary"]


def test_if_none_match_gets_304_until_the_next_recompute(model, anon_client):
    recompute_model(model, trigger="command")
    etag = anon_client.get("/api/v1/route/", {"model": SLUG + ":exacto"})["ETag"]
    same = anon_client.get("/api/v1/route/", {"model": SLUG + ":exacto"},
                           HTTP_IF_NONE_MATCH=etag)
    assert same.status_code == 304 and same["ETag"] == etag and not same.content
    recompute_model(model, trigger="command")
    after = anon_client.get("/api/v1/route/", {"model": SLUG + ":exacto"},
                            HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200 and after["ETag"] != etag


def test_publication_changes_the_next_public_read(model, anon_client):
    assert {row["tool_calls"]["calls"] for row in rows(anon_client).values()} == {0}
    publish(list(model.endpoints.filter(provider__slug="c-alpha")))
    published = rows(anon_client)
    assert published["c-alpha"]["tool_calls"]["calls"] == 300
    assert published["c-beta"]["tool_calls"]["calls"] == 0


def test_a_recompute_changes_the_next_route_even_when_no_verdict_changed(model, anon_client):
    assert route(anon_client)["computed_at"] is None
    first = recompute_model(model, trigger="command")
    body = route(anon_client)
    assert body["computed_at"] == first.checked_at.isoformat()
    assert [p["provider"] for p in body["providers"]] == ["c-alpha", "c-beta", "c-gamma"]
    # Nothing changed: no new snapshot, but the answer says when the recompute ran.
    later = timezone.now() + timedelta(minutes=5)
    recompute_model(model, trigger="command", now=later)
    assert route(anon_client)["computed_at"] == later.isoformat()
    # New figures drop gamma from the pool: the next read says so.
    ToolCallRollup.objects.filter(endpoint__provider__slug="c-gamma").update(valid=150)
    rebuild_day_totals()
    recompute_model(model, trigger="command")
    assert [p["provider"] for p in route(anon_client)["providers"]] == ["c-alpha", "c-beta"]


def test_a_rotation_change_changes_the_next_public_read(model, anon_client):
    assert [p["provider"] for p in route(anon_client, "")["providers"]] == [
        "c-alpha", "c-beta", "c-gamma"]
    page = anon_client.get(f"/models/{SLUG}/")
    assert page.status_code == 200
    beta = model.endpoints.get(provider__slug="c-beta")
    set_rotation(beta, "admin_removed", "parser regression")
    assert [p["provider"] for p in route(anon_client, "")["providers"]] == ["c-alpha", "c-gamma"]
    assert rows(anon_client)["c-beta"]["rotation_status"] == "admin_removed"
    assert anon_client.get(f"/models/{SLUG}/").content != page.content


def test_an_approval_changes_the_next_public_read(model, anon_client):
    pending = ProviderFactory(slug="c-newcomer", status="pending")
    EndpointFactory(model=model, provider=pending)
    assert "c-newcomer" not in [p["provider"] for p in route(anon_client, "")["providers"]]
    assert "c-newcomer" not in rows(anon_client)
    approve_provider(pending, by="test")
    assert "c-newcomer" in [p["provider"] for p in route(anon_client, "")["providers"]]
    assert "c-newcomer" in rows(anon_client)


def test_ignores_and_published_runs_change_the_next_public_read(model, anon_client):
    Benchmark.objects.create(slug="cache-bench")
    assert anon_client.get("/api/v1/burn-in/", {"model": SLUG}).json()["benchmarks"] == {}
    result = ingest_benchmark_runs(
        [{"id": "cache-run-1", "model": SLUG, "provider": "c-alpha", "benchmark": "cache-bench",
          "score": 80.0, "run_at": (timezone.now() - timedelta(days=1)).isoformat()}],
        source="test", may_publish=True, publish=True)
    assert result.accepted == 1
    assert "cache-bench" in anon_client.get("/api/v1/burn-in/", {"model": SLUG}).json()[
        "benchmarks"]
    yesterday = timezone.now().date() - timedelta(days=1)
    UserActivity.objects.bulk_create([UserActivity(model=model, user_hash=hash_user(f"u-{i}"),
                                                   day=yesterday) for i in range(4)])
    publish(list(model.endpoints.all()))
    assert rows(anon_client)["c-alpha"]["ignore_rate"] == 0.0
    ingest_ignores([{"id": "cache-ign", "user": "u-1", "provider": "c-alpha", "model": SLUG,
                     "action": "ignore"}], source="test")
    assert rows(anon_client)["c-alpha"]["ignore_rate"] == 0.25


def test_pages_across_models_change_with_any_model(model, anon_client):
    home = anon_client.get("/")
    assert home.status_code == 200 and anon_client.get("/").content == home.content
    recompute_model(model, trigger="command")
    assert anon_client.get("/").content != home.content


@pytest.fixture
def unpublished(model):
    """Alpha has figures for today, which is never published yet."""
    add_rollup(model.endpoints.get(provider__slug="c-alpha"), timezone.now().date(),
               calls=1000, valid=500, app="today")
    publish(list(model.endpoints.all()))
    return model


def test_an_admin_key_never_gets_the_cached_public_body(unpublished, anon_client,
                                                        admin_client_api):
    assert rows(anon_client)["c-alpha"]["tool_calls"]["calls"] == 300  # cache now warm
    response = admin_client_api.get("/api/v1/endpoints/", {"model": SLUG})
    alpha = next(r for r in response.json() if r["provider"] == "c-alpha")
    assert alpha["tool_calls"]["calls"] == 1300 and alpha["private"] is True
    assert response["Cache-Control"] == "private, no-cache"
    # …and the private body was not stored for the public.
    assert rows(anon_client)["c-alpha"]["tool_calls"]["calls"] == 300


def test_staff_and_the_providers_own_users_get_live_pages(unpublished, client):
    public_page = client.get(f"/models/{SLUG}/").content
    assert client.get(f"/models/{SLUG}/").content == public_page  # cached for the public
    staff = User.objects.create_user("staff", "s@example.com", "pw-123456789", is_staff=True)
    client.force_login(staff)
    staff_page = client.get(f"/models/{SLUG}/")
    assert staff_page.content != public_page and staff_page["Cache-Control"].startswith("private")
    client.logout()
    owner = User.objects.create_user("alpha-team", "a@example.com", "pw-123456789")
    ProviderUser.objects.create(user=owner, provider=ProviderFactory(slug="c-alpha"))
    client.force_login(owner)
    api = APIClient()
    api.force_login(owner)
    own = next(r for r in api.get("/api/v1/endpoints/", {"model": SLUG}).json()
               if r["provider"] == "c-alpha")
    assert own["tool_calls"]["calls"] == 1300 and own["private"] is True
    assert client.get(f"/models/{SLUG}/").content != public_page
    client.logout()
    assert client.get(f"/models/{SLUG}/").content == public_page


def test_an_ingest_key_is_answered_live_and_unknown_models_are_never_cached(model, anon_client,
                                                                            ingest_client):
    assert ingest_client.get("/api/v1/route/", {"model": SLUG})["Cache-Control"] == (
        "private, no-cache")
    missing = anon_client.get("/api/v1/route/", {"model": "nobody/none:exacto"})
    assert missing.status_code == 404 and "ETag" not in missing


def test_pages_answer_304_to_their_etag_until_the_model_changes(model, client):
    first = client.get(f"/models/{SLUG}/")
    assert first.status_code == 200 and first["Cache-Control"] == "public, no-cache"
    again = client.get(f"/models/{SLUG}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content
    publish(list(model.endpoints.all()))
    after = client.get(f"/models/{SLUG}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after["ETag"] != first["ETag"]
