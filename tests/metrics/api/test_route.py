"""Contract: GET /api/v1/route/ after a pool recompute (API.md "Routing", METHODOLOGY §7)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from metrics.models import PoolVerdict, ToolCallRollup
from metrics.services.pools import recompute_model
from metrics.services.rotation import set_rotation
from metrics.services.upserts import rebuild_day_totals
from providers.models import Endpoint, LLMModel, Provider
from tests.metrics.api.helpers import MODEL, good, post_events, register

pytestmark = pytest.mark.django_db


def rollup(provider, *, calls, correct, prop_requests, prop_with_calls, model=MODEL):
    endpoint = Endpoint.objects.get(model__slug=model, provider__slug=provider)
    ToolCallRollup.objects.create(
        endpoint=endpoint, app="bulk", bucket="simple", day=timezone.now().date(),
        requests_with_tools=prop_requests, errored_requests=calls - correct,
        propensity_requests=prop_requests, propensity_requests_with_calls=prop_with_calls,
        calls=calls, valid=correct, invalid_json=calls - correct,
    )
    rebuild_day_totals()  # rollups written outside ingestion
    return endpoint


def route(client, model):
    response = client.get("/api/v1/route/", {"model": model})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def scenario(ingest_client):
    """Three good endpoints and one endpoint failing each rule."""
    names = ["alpha", "beta", "gamma", "held", "sparse", "sloppy", "chatty", "ignored"]
    for name in names:
        register(ingest_client, provider=name)
    rollup("alpha", calls=1000, correct=990, prop_requests=500, prop_with_calls=250)
    rollup("beta", calls=1000, correct=970, prop_requests=500, prop_with_calls=250)
    rollup("gamma", calls=1000, correct=980, prop_requests=500, prop_with_calls=250)
    rollup("held", calls=1000, correct=975, prop_requests=500, prop_with_calls=250)
    rollup("sparse", calls=50, correct=50, prop_requests=50, prop_with_calls=25)
    rollup("sloppy", calls=1000, correct=800, prop_requests=500, prop_with_calls=250)
    rollup("chatty", calls=1000, correct=985, prop_requests=500, prop_with_calls=475)
    rollup("ignored", calls=1000, correct=985, prop_requests=500, prop_with_calls=250)
    # Ten active users (through the API), five of whom ignore "ignored".
    events = [good(f"u{i}", user=f"user-{i}", provider="alpha", app="users") for i in range(10)]
    assert post_events(ingest_client, events).json()["accepted"] == 10
    ignores = [{"id": f"ign-{i}", "user": f"user-{i}", "provider": "ignored", "model": MODEL,
                "action": "ignore"} for i in range(5)]
    assert ingest_client.post("/api/v1/ignores/", {"events": ignores},
                              format="json").json()["accepted"] == 5
    held = Endpoint.objects.get(provider__slug="held")
    held.rotation_status = "benchmark_hold"
    held.save(update_fields=["rotation_status"])
    model = LLMModel.objects.get(slug=MODEL)
    recompute_model(model, trigger="command")
    return model


def test_exacto_pool_orders_members_by_accuracy_lower_bound(anon_client, scenario):
    body = route(anon_client, f"{MODEL}:exacto")
    assert body["model"] == MODEL and body["variant"] == "exacto"
    assert body["fallback"] is False
    assert body["computed_at"]
    assert [p["provider"] for p in body["providers"]] == ["alpha", "gamma", "beta"]
    assert all(p["tier"] == "verified" and p["forced"] is False for p in body["providers"])
    assert all(p["quantization"] == "fp8" for p in body["providers"])
    # The route names no figures (they may be unpublished): order is checked on stored verdicts.
    assert all("accuracy_lower" not in p for p in body["providers"])
    verdicts = PoolVerdict.objects.filter(member=True).order_by("position")
    lowers = [v.accuracy_lower for v in verdicts]
    assert lowers == sorted(lowers, reverse=True)
    assert [v.endpoint.provider.slug for v in verdicts] == ["alpha", "gamma", "beta"]


def test_provider_preferences_paste_the_pool_into_an_openrouter_provider_object(
        anon_client, scenario):
    body = route(anon_client, f"{MODEL}:exacto")
    assert body["provider_preferences"] == {
        "order": ["alpha", "gamma", "beta"], "only": ["alpha", "gamma", "beta"],
        "allow_fallbacks": False}


def test_an_admin_renames_a_providers_routing_name_and_the_next_route_answer_uses_it(
        anon_client, scenario):
    before = route(anon_client, f"{MODEL}:exacto")  # now in the public cache
    assert [p["routing_name"] for p in before["providers"]] == ["alpha", "gamma", "beta"]
    staff = get_user_model().objects.create_superuser("root", "r@example.com", "pw-123456-x")
    admin = Client()
    admin.force_login(staff)
    gamma = Provider.objects.get(slug="gamma")
    form = admin.get(f"/admin/providers/provider/{gamma.pk}/change/")
    assert b'name="routing_name"' in form.content
    response = admin.post(f"/admin/providers/provider/{gamma.pk}/change/", {
        "slug": "gamma", "name": "", "routing_name": "Gamma-Cloud", "website": "",
        "aliases-TOTAL_FORMS": "0", "aliases-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content[:2000]
    body = route(anon_client, f"{MODEL}:exacto")
    assert [p["provider"] for p in body["providers"]] == ["alpha", "gamma", "beta"]
    assert [p["routing_name"] for p in body["providers"]] == ["alpha", "Gamma-Cloud", "beta"]
    assert body["provider_preferences"]["order"] == ["alpha", "Gamma-Cloud", "beta"]
    assert body["provider_preferences"]["only"] == ["alpha", "Gamma-Cloud", "beta"]


def test_excluded_endpoints_name_their_failed_rule_and_tier(anon_client, scenario):
    body = route(anon_client, f"{MODEL}:exacto")
    excluded = {e["provider"]: (e["tier"], e["failed"]) for e in body["excluded"]}
    assert excluded == {
        "held": ("deranked", ["rotation"]),
        "sparse": ("unverified", ["data"]),
        "sloppy": ("deranked", ["accuracy"]),
        "chatty": ("deranked", ["propensity"]),
        "ignored": ("deranked", ["ignores"]),
    }


def test_endpoints_listing_shows_the_same_verdicts(admin_client_api, scenario):
    rows = {r["provider"]: r for r in admin_client_api.get(
        "/api/v1/endpoints/", {"model": MODEL}).json()}
    assert rows["alpha"]["exacto"]["tier"] == "verified" and rows["alpha"]["exacto"]["member"] is True
    assert rows["alpha"]["exacto"]["rules"] == {
        "rotation": True, "data": True, "accuracy": True, "propensity": True, "ignores": True,
        "availability": True}
    assert rows["chatty"]["exacto"]["rules"]["propensity"] is False
    assert rows["ignored"]["ignore_rate"] == pytest.approx(0.5)
    assert rows["sparse"]["exacto"]["tier"] == "unverified"
    assert rows["sparse"]["exacto"]["member"] is False


def test_without_suffix_every_in_rotation_endpoint_is_listed(anon_client, scenario):
    set_rotation(Endpoint.objects.get(provider__slug="sloppy"), "admin_removed", "bad")
    body = route(anon_client, MODEL)
    assert body["variant"] is None
    assert sorted(p["provider"] for p in body["providers"]) == [
        "alpha", "beta", "chatty", "gamma", "ignored", "sparse"]


def test_unknown_model_is_404_with_error(anon_client, db):
    for slug in ("nobody/nothing", "nobody/nothing:exacto"):
        response = anon_client.get("/api/v1/route/", {"model": slug})
        assert response.status_code == 404
        assert response.json()["error"]


def test_fallback_when_nothing_passes(ingest_client, anon_client):
    model_slug = "acme/small-model"
    for name in ("tiny-a", "tiny-b", "tiny-held"):
        register(ingest_client, model=model_slug, provider=name)
    rollup("tiny-a", calls=50, correct=40, prop_requests=50, prop_with_calls=25, model=model_slug)
    rollup("tiny-b", calls=50, correct=49, prop_requests=50, prop_with_calls=25, model=model_slug)
    held = rollup("tiny-held", calls=60, correct=60, prop_requests=50, prop_with_calls=25,
                  model=model_slug)
    held.rotation_status = "benchmark_hold"
    held.save(update_fields=["rotation_status"])
    recompute_model(LLMModel.objects.get(slug=model_slug), trigger="command")

    body = route(anon_client, f"{model_slug}:exacto")
    assert body["fallback"] is True
    assert [p["provider"] for p in body["providers"]] == ["tiny-b"]
    assert sorted(e["provider"] for e in body["excluded"]) == ["tiny-a", "tiny-held"]


def test_pool_reflects_window(ingest_client, anon_client):
    """Rollups older than the window do not count toward the data rule."""
    register(ingest_client, provider="stale")
    endpoint = rollup("stale", calls=1000, correct=990, prop_requests=500, prop_with_calls=250)
    ToolCallRollup.objects.filter(endpoint=endpoint).update(
        day=timezone.now().date() - timedelta(days=30))
    rebuild_day_totals()
    recompute_model(LLMModel.objects.get(slug=MODEL), trigger="command")
    body = route(anon_client, f"{MODEL}:exacto")
    # No calls in the window: no accuracy bound, no "best"; API.md 1.1 still lists every
    # in-rotation endpoint, as a fallback, rather than nothing.
    assert [p["provider"] for p in body["providers"]] == ["stale"] and body["fallback"] is True
    assert body["excluded"] == []


def test_model_without_a_pool_yet_routes_to_its_in_rotation_endpoints(ingest_client, anon_client):
    # API.md 1.1: no snapshot yet → fallback with the in-rotation endpoints, never [].
    model_slug = "acme/brand-new"
    for name in ("zeta", "eta", "theta"):
        register(ingest_client, model=model_slug, provider=name)
    Endpoint.objects.filter(provider__slug="theta").update(rotation_status="admin_removed")
    body = route(anon_client, f"{model_slug}:exacto")
    assert body["computed_at"] is None and body["fallback"] is True
    assert [p["provider"] for p in body["providers"]] == ["eta", "zeta"]
    assert all(p["tier"] is None for p in body["providers"])


def test_model_with_no_telemetry_routes_to_every_in_rotation_endpoint(ingest_client, anon_client):
    # Issue 13: endpoints in rotation, no calls at all → a recompute still gives a list.
    model_slug = "acme/quiet"
    for name in ("one", "two"):
        register(ingest_client, model=model_slug, provider=name)
    recompute_model(LLMModel.objects.get(slug=model_slug), trigger="command")
    body = route(anon_client, f"{model_slug}:exacto")
    assert body["fallback"] is True and body["computed_at"] is not None
    assert sorted(p["provider"] for p in body["providers"]) == ["one", "two"]
