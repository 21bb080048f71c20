"""POST /api/v1/admin/probes/, the schedule, the admin's settings and "probe now", and who
sees probe results (private until published, like every figure)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from metrics.models import BenchmarkRun, ProbeRun, ProbeSettings
from metrics.schedule import PERIODIC
from metrics.services.probes import claim_due_probes
from metrics.services.publication import publish
from metrics.tasks import run_due_probes
from providers.models import ProviderUser
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory, key_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/admin/probes/"


@pytest.fixture
def endpoint():
    return EndpointFactory(model=LLMModelFactory(slug="acme/tool-model"),
                           provider=ProviderFactory(slug="fastinfer"), quantization="fp8")


def test_api_runs_a_probe_and_answers_the_summary(admin_client_api, fake, endpoint, suite):
    answer = admin_client_api.post(URL, {
        "model": "acme/tool-model", "provider": "fastinfer", "quantization": "fp8",
        "base_url": fake.base_url, "limit": 7}, format="json")
    assert answer.status_code == 200, answer.content
    calls = sum(len(c.expected_calls) for c in suite.first(7))
    assert answer.json() == {"suite": "exacto-core", "cases": 7, "calls": calls,
                             "schema_accuracy": 1.0, "tool_call_f1": 1.0, "errors": 0}
    assert ProbeRun.objects.get().trigger == "api"


@pytest.mark.parametrize("body, status, message", [
    ({"provider": "nobody"}, 404, "is not registered"),
    ({"suite": "nope"}, 400, "no probe suite 'nope'"),
    ({"api_key_env": "EXACTO_TEST_UNSET_VAR"}, 400, "EXACTO_TEST_UNSET_VAR"),
    ({"api_key_env": "not a name"}, 400, ""),
    ({"limit": 0}, 400, ""),
    ({"base_url": "not a url"}, 400, ""),
    ({"upstream_model": "m\ud800"}, 400, "Surrogate characters are not allowed"),
    ({"provider": "\ud800"}, 400, "Surrogate characters are not allowed"),
])
def test_api_refuses_bad_input_with_the_reason(admin_client_api, fake, endpoint, body, status,
                                               message):
    data = {"model": "acme/tool-model", "provider": "fastinfer", "base_url": fake.base_url,
            **body}
    # json.dumps escapes lone surrogates as \ud800, as a hostile client would send them.
    answer = admin_client_api.post(URL, json.dumps(data), content_type="application/json")
    assert answer.status_code == status
    assert message in answer.json()["error"]
    assert not fake.requests


def test_api_needs_an_admin_key(ingest_client, anon_client, fake, endpoint):
    data = {"model": "acme/tool-model", "provider": "fastinfer", "base_url": fake.base_url}
    assert ingest_client.post(URL, data, format="json").status_code == 403
    assert anon_client.post(URL, data, format="json").status_code == 401
    assert not fake.requests


def test_schedule_claims_due_endpoints_once_and_runs_them(fake, endpoint, eager_tasks):
    assert PERIODIC["Run due probes"][0] == "metrics.run_due_probes"
    due = ProbeSettings.objects.create(endpoint=endpoint, base_url=fake.base_url)
    other = EndpointFactory(model=endpoint.model, provider=ProviderFactory(slug="off"),
                            quantization="")
    ProbeSettings.objects.create(endpoint=other, base_url=fake.base_url, enabled=False)
    assert due.every_hours == 24 and due.suite == "exacto-core"
    now = timezone.now()
    assert [s.pk for s in claim_due_probes(now)] == [due.pk]
    assert claim_due_probes(now + timedelta(hours=23)) == []  # claimed: not due again yet
    due.refresh_from_db()
    assert due.last_started_at == now
    # A day later it is due again; the task (in-process here) runs it.
    ProbeSettings.objects.filter(pk=due.pk).update(last_started_at=now - timedelta(hours=25))
    assert run_due_probes() == 1
    run = ProbeRun.objects.get()
    assert run.trigger == "schedule" and run.endpoint == endpoint and run.cases == 113


def test_admin_edits_probe_settings_and_probes_now(admin_client, fake, endpoint, eager_tasks):
    add = admin_client.post("/admin/metrics/probesettings/add/", {
        "endpoint": endpoint.pk, "base_url": fake.base_url, "upstream_model": "",
        "api_key_env": "sk-live-123 oops", "suite": "exacto-core", "every_hours": 24,
        "enabled": "on"})
    assert add.status_code == 200 and b"environment variable" in add.content  # a key, not a name
    add = admin_client.post("/admin/metrics/probesettings/add/", {
        "endpoint": endpoint.pk, "base_url": fake.base_url, "upstream_model": "",
        "api_key_env": "", "suite": "missing-suite", "every_hours": 24, "enabled": "on"})
    assert add.status_code == 200 and b"no probe suite" in add.content
    add = admin_client.post("/admin/metrics/probesettings/add/", {
        "endpoint": endpoint.pk, "base_url": fake.base_url, "upstream_model": "acme-tm",
        "api_key_env": "", "suite": "exacto-core", "every_hours": 6, "enabled": "on"})
    assert add.status_code == 302
    settings = ProbeSettings.objects.get()
    answer = admin_client.post("/admin/providers/endpoint/", {
        "action": "probe_now_action", "_selected_action": [endpoint.pk]}, follow=True)
    assert b"Probe queued for 1 endpoint" in answer.content
    run = ProbeRun.objects.get()
    assert run.trigger == "admin" and run.cases == 113
    assert {r["model"] for r in fake.requests} == {"acme-tm"}
    settings.refresh_from_db()
    assert settings.last_started_at is not None
    page = admin_client.get(f"/admin/metrics/proberun/{run.pk}/change/")
    assert page.status_code == 200


def test_probe_results_are_private_until_published(client, django_user_model, fake, endpoint):
    from metrics.services.probes import run_probe

    run_probe(endpoint, base_url=fake.base_url, limit=10)
    assert BenchmarkRun.objects.filter(endpoint=endpoint).count() == 2
    api = "/api/v1/benchmark-runs/?model=acme/tool-model"
    anonymous = APIClient()
    assert anonymous.get(api).json() == []
    assert b"probe-schema-accuracy" not in client.get("/models/acme/tool-model/").content
    assert b"Active probes" not in client.get("/models/acme/tool-model/").content
    bench = client.get("/benchmarks/probe-schema-accuracy/").content
    assert b"fastinfer" not in bench
    # Another provider's key-less user sees nothing either; the provider's own user does.
    other = django_user_model.objects.create_user("other", password="pw")
    ProviderUser.objects.create(user=other, provider=ProviderFactory(slug="rival"))
    client.force_login(other)
    assert b"Active probes" not in client.get("/models/acme/tool-model/").content
    own = django_user_model.objects.create_user("own", password="pw")
    ProviderUser.objects.create(user=own, provider=endpoint.provider)
    client.force_login(own)
    page = client.get("/models/acme/tool-model/").content.decode()
    assert "Active probes" in page and "unpublished" in page
    bench = client.get("/benchmarks/probe-schema-accuracy/").content.decode()
    assert "fastinfer" in bench and 'data-stderr-basis="samples"' in bench
    assert "binomial from 10 samples" in bench and "probe run" in bench
    portal = client.get("/portal/").content.decode()
    assert "Probe: schema accuracy" in portal and "Probe: tool-call F1" in portal
    assert "errors, 0 timeouts" in portal
    admin_api = key_client("admin-reader", "admin")
    assert {r["benchmark"] for r in admin_api.get(api).json()} == {
        "probe-schema-accuracy", "probe-tool-call-f1"}
    publish([endpoint])
    client.logout()
    rows = anonymous.get(api).json()
    assert {r["benchmark"] for r in rows} == {"probe-schema-accuracy", "probe-tool-call-f1"}
    assert rows[0]["stderr_used"] == {"value": 0.0, "basis": "samples", "n": 10,
                                      "note": "binomial from 10 samples"}
    page = client.get("/models/acme/tool-model/").content.decode()
    assert "Active probes" in page and "unpublished" not in page.split("Active probes")[1][:2000]
