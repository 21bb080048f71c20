"""Issue 11, finding 3 and API.md 1.1 Registration: an ingest key cannot take over a model's
routing. What it names first is pending (not public, not in medians or pools, not routed)
until an admin approves it; only admins mark the reference; every rotation change records
its source (METHODOLOGY §9)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from metrics.models import PoolVerdict, RotationEvent
from metrics.services.pools import recompute_model
from metrics.services.rotation import set_rotation
from providers.models import Endpoint, LLMModel, Provider
from tests.metrics.api.helpers import now_iso

pytestmark = pytest.mark.django_db

MODEL = "openai/gpt-oss-120b"
HOSTS = [f"host-{i}" for i in range(12)]


def _register(client, provider, model=MODEL, **extra):
    return client.post("/api/v1/endpoints/", {"model": model, "provider": provider, **extra},
                       format="json")


def _run(provider, score, run_id):
    return {"id": run_id, "model": MODEL, "provider": provider, "benchmark": "aime25",
            "score": score, "samples": 100, "source": "attacker", "run_at": now_iso()}


@pytest.fixture
def model_with_hosts(admin_client_api, ingest_client):
    for host in HOSTS:
        assert _register(admin_client_api, host, quantization="fp8").status_code == 201
    runs = [_run(host, 80.0 + (i % 3), f"aa-{host}") for i, host in enumerate(HOSTS)]
    assert ingest_client.post("/api/v1/benchmark-runs/", {"runs": runs},
                              format="json").json()["accepted"] == 12
    recompute_model(LLMModel.objects.get(slug=MODEL), trigger="command")


def test_an_ingest_key_cannot_mark_a_reference(ingest_client):
    response = _register(ingest_client, "evil", reference=True)
    assert response.status_code == 403
    assert "admin" in response.json()["error"]
    assert not Provider.objects.filter(slug="evil").exists()


def test_one_ingest_key_cannot_empty_a_models_routing(model_with_hosts, ingest_client,
                                                      anon_client):
    created = _register(ingest_client, "evil", quantization="fp8")
    assert created.status_code == 201
    assert created.json()["status"] == {"model": "approved", "provider": "pending"}
    body = ingest_client.post("/api/v1/benchmark-runs/",
                              {"runs": [_run("evil", 100.0, "evil-1")]}, format="json").json()
    assert body["accepted"] == 1  # stored and counted, judged against the approved median

    statuses = dict(Endpoint.objects.values_list("provider__slug", "rotation_status"))
    assert all(statuses[host] == "active" for host in HOSTS), statuses
    recompute_model(LLMModel.objects.get(slug=MODEL), trigger="command")
    plain = anon_client.get("/api/v1/route/", {"model": MODEL}).json()
    assert sorted(p["provider"] for p in plain["providers"]) == sorted(HOSTS)
    exacto = anon_client.get("/api/v1/route/", {"model": f"{MODEL}:exacto"}).json()
    named = {p["provider"] for p in exacto["providers"] + exacto["excluded"]}
    assert "evil" not in named and named
    assert not PoolVerdict.objects.filter(endpoint__provider__slug="evil").exists()
    # Not public either: not listed, no page.
    rows = anon_client.get("/api/v1/endpoints/", {"model": MODEL}).json()
    assert "evil" not in {r["provider"] for r in rows}
    assert Client().get("/providers/evil/").status_code == 404
    assert "evil" not in Client().get(f"/models/{MODEL}/").content.decode()


def test_a_pending_model_is_invisible_and_unrouted_until_approved(ingest_client, anon_client,
                                                                  admin_client_api):
    assert _register(ingest_client, "host-a", model="typo/modle").status_code == 201
    assert LLMModel.objects.get(slug="typo/modle").status == "pending"
    assert anon_client.get("/api/v1/endpoints/", {"model": "typo/modle"}).status_code == 404
    assert anon_client.get("/api/v1/route/", {"model": "typo/modle"}).status_code == 404
    assert Client().get("/models/typo/modle/").status_code == 404
    assert "typo/modle" not in Client().get("/").content.decode()
    assert admin_client_api.get("/api/v1/endpoints/", {"model": "typo/modle"}).status_code == 200

    response = admin_client_api.post("/api/v1/admin/approve/", {"model": "typo/modle"},
                                     format="json")
    assert response.status_code == 200 and response.json()["changed"] is True
    assert anon_client.get("/api/v1/endpoints/", {"model": "typo/modle"}).status_code == 200
    # The provider is still pending: listed nowhere publicly until approved too.
    assert anon_client.get("/api/v1/endpoints/", {"model": "typo/modle"}).json() == []
    admin_client_api.post("/api/v1/admin/approve/", {"provider": "host-a"}, format="json")
    rows = anon_client.get("/api/v1/endpoints/", {"model": "typo/modle"}).json()
    assert [r["provider"] for r in rows] == ["host-a"]
    assert rows[0]["status"] == {"model": "approved", "provider": "approved"}


def test_approve_needs_an_admin_key_and_one_name(ingest_client, admin_client_api):
    _register(ingest_client, "host-a", model="new/model")
    assert ingest_client.post("/api/v1/admin/approve/", {"model": "new/model"},
                              format="json").status_code == 403
    assert admin_client_api.post("/api/v1/admin/approve/", {}, format="json").status_code == 400
    assert admin_client_api.post("/api/v1/admin/approve/", {"model": "no/such"},
                                 format="json").status_code == 404


def test_approving_in_the_django_admin(ingest_client):
    _register(ingest_client, "host-a", model="new/model")
    staff = get_user_model().objects.create_superuser("root", "r@example.com", "pw-123456-x")
    client = Client()
    client.force_login(staff)
    model = LLMModel.objects.get(slug="new/model")
    response = client.post("/admin/providers/llmmodel/", {
        "action": "approve_action", "_selected_action": [model.pk]})
    assert response.status_code == 302
    assert LLMModel.objects.get(slug="new/model").status == "approved"
    provider = Provider.objects.get(slug="host-a")
    client.post("/admin/providers/provider/", {
        "action": "approve_action", "_selected_action": [provider.pk]})
    assert Provider.objects.get(slug="host-a").status == "approved"


def test_an_admin_keys_registration_is_approved_at_once(admin_client_api):
    body = _register(admin_client_api, "host-a", model="new/model").json()
    assert body["status"] == {"model": "approved", "provider": "approved"}


def test_new_endpoints_of_approved_model_and_provider_are_active_at_once(
        admin_client_api, ingest_client, anon_client):
    _register(admin_client_api, "host-a", model="new/model", quantization="fp8")
    body = _register(ingest_client, "host-a", model="new/model", quantization="int4").json()
    assert body["status"] == {"model": "approved", "provider": "approved"}
    rows = anon_client.get("/api/v1/endpoints/", {"model": "new/model"}).json()
    assert sorted(r["quantization"] for r in rows) == ["fp8", "int4"]


@pytest.mark.parametrize("slug", ["openai/gpt-oss-120b:exacto", "moonshotai/kimi-k2:free"])
def test_a_variant_suffix_is_400(ingest_client, slug):
    response = _register(ingest_client, "host-a", model=slug)
    assert response.status_code == 400 and response.json()["field"] == "model"
    assert not LLMModel.objects.exists()


def test_quantization_comes_from_the_vocabulary_case_insensitively(ingest_client):
    response = _register(ingest_client, "host-a", quantization='<a href="//e.vil/">fp8</a>')
    assert response.status_code == 400
    assert response.json()["field"] == "quantization"
    assert "int4 int8 fp4 fp6 fp8 fp16 bf16 fp32 unknown" in response.json()["error"]
    ok = _register(ingest_client, "host-a", quantization="FP8")
    assert ok.status_code == 201 and ok.json()["quantization"] == "fp8"
    assert _register(ingest_client, "host-a", quantization="fp8").status_code == 200


def test_every_rotation_change_records_its_source(model_with_hosts, ingest_client,
                                                  admin_client_api):
    ingest_client.post("/api/v1/benchmark-runs/",
                       {"runs": [_run("host-0", 10.0, "low-0")]}, format="json")
    held = RotationEvent.objects.get(endpoint__provider__slug="host-0")
    assert held.new_status == "benchmark_hold"
    assert held.source == 'rule:benchmark_range run:low-0 from api key "test-ingest"'
    assert held.figures["trigger_runs"] == ["low-0"]

    admin_client_api.post("/api/v1/admin/endpoints/rotation/", {
        "model": MODEL, "provider": "host-1", "status": "admin_removed",
        "reason": "parser broken"}, format="json")
    removed = RotationEvent.objects.get(endpoint__provider__slug="host-1")
    assert removed.source == 'api key "test-admin"'

    staff = get_user_model().objects.create_superuser("root", "r@example.com", "pw-123456-x")
    set_rotation(Endpoint.objects.get(provider__slug="host-1"), "active", "fixed", user=staff)
    restored = RotationEvent.objects.filter(endpoint__provider__slug="host-1").first()
    assert restored.user == staff and restored.source.startswith("user:root")
    assert all(event.source for event in RotationEvent.objects.all())


def test_registering_returns_the_endpoint_object(ingest_client):
    body = ingest_client.post("/api/v1/endpoints/", {"model": "acme/n", "provider": "p"},
                              format="json").json()
    assert body["tool_calls"]["calls"] == 0 and body["rotation_status"] == "active"
    assert {"exacto", "ignore_rate", "in_rotation", "reference"} <= set(body)
