"""Behaviours fixed after review: publication stays an admin's call, restores re-check the
range rule, hostile path/query values are 4xx, and errors name only real fields."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from metrics.models import BenchmarkRun
from providers.models import Endpoint, LLMModel
from providers.services.endpoints import register_endpoint

pytestmark = pytest.mark.django_db
RUNS = "/api/v1/benchmark-runs/"


def run(run_id, provider, score, days_ago=1, **extra):
    return {"id": run_id, "model": "acme/m", "provider": provider, "benchmark": "b",
            "score": score, "run_at": (timezone.now() - timedelta(days=days_ago)).isoformat(),
            **extra}


@pytest.fixture
def endpoints(db):
    register_endpoint("acme/m", "ref", "fp8", reference=True)
    register_endpoint("acme/m", "other", "fp8")


def test_ingest_key_cannot_publish_runs_but_admin_key_can(ingest_client, admin_client_api,
                                                           endpoints):
    ingest_client.post(RUNS, {"runs": [run("r1", "ref", 90, published=True)]}, format="json")
    admin_client_api.post(RUNS, {"runs": [run("r2", "other", 90, published=True)]},
                          format="json")
    assert BenchmarkRun.objects.get(external_id="r1").published_at is None
    assert BenchmarkRun.objects.get(external_id="r2").published_at is not None
    public = Client().get(RUNS, {"model": "acme/m"}).json()
    assert [r["id"] for r in public] == ["r2"]


def test_admin_restore_reapplies_the_benchmark_hold(admin_client_api, ingest_client, endpoints):
    ingest_client.post(RUNS, {"runs": [run("a", "ref", 90), run("b", "other", 80)]},
                       format="json")
    other = Endpoint.objects.get(provider__slug="other")
    assert other.rotation_status == "benchmark_hold"
    for status in ("admin_removed", "active"):
        response = admin_client_api.post("/api/v1/admin/endpoints/rotation/", {
            "model": "acme/m", "provider": "other", "status": status,
            "reason": "checking the restore"}, format="json")
        assert response.status_code == 200
    other.refresh_from_db()
    assert other.rotation_status == "benchmark_hold"  # 80 is still below 90 − 3


@pytest.mark.parametrize("url", [
    "/models/acme%00x/", "/models/acme/m%00/history/", "/data/?format=csv&model=a%00b",
    "/api/v1/endpoints/?model=acme/m%00", "/providers/x%00/",
])
def test_nul_in_path_or_query_is_a_client_error(url, endpoints):
    response = Client().get(url)
    assert response.status_code == 400


def test_non_ascii_digit_days_parameter_is_not_a_500(endpoints):
    assert Client().get("/data/", {"format": "csv", "days": "²"}).status_code == 200


def test_publish_through_a_future_day_is_refused(admin_client_api, endpoints):
    future = (timezone.now().date() + timedelta(days=10)).isoformat()
    response = admin_client_api.post("/api/v1/admin/publish/", {
        "model": "acme/m", "through": future}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "through"
    assert not Endpoint.objects.filter(published_until__isnull=False).exists()


def test_errors_without_a_field_do_not_name_one(endpoints):
    body = Client().get("/api/v1/endpoints/", {"model": "nope/x"}).json()
    assert body == {"error": "Unknown model 'nope/x'."}
    assert LLMModel.objects.count() == 1


def test_registering_returns_the_endpoint_object(ingest_client):
    body = ingest_client.post("/api/v1/endpoints/", {"model": "acme/n", "provider": "p"},
                              format="json").json()
    assert body["tool_calls"]["calls"] == 0 and body["rotation_status"] == "active"
    assert {"exacto", "ignore_rate", "in_rotation", "reference"} <= set(body)


def test_a_new_reference_re_evaluates_rotation_at_once(ingest_client, admin_client_api,
                                                       endpoints):
    ingest_client.post(RUNS, {"runs": [run("a", "ref", 90), run("b", "other", 80),
                                       run("c", "third", 79)]}, format="json")
    # "third" is not registered yet: register it and make "other" the reference instead.
    register_endpoint("acme/m", "third", "fp8")
    ingest_client.post(RUNS, {"runs": [run("c", "third", 79)]}, format="json")
    assert Endpoint.objects.get(provider__slug="other").rotation_status == "benchmark_hold"
    response = admin_client_api.post("/api/v1/endpoints/", {
        "model": "acme/m", "provider": "other", "quantization": "fp8", "reference": True},
        format="json")
    assert response.status_code == 200 and response.json()["reference"] is True
    statuses = dict(Endpoint.objects.values_list("provider__slug", "rotation_status"))
    # Against reference 80: "other" is back, "third" (79) within 3, "ref" (90) above.
    assert statuses == {"other": "active", "third": "active", "ref": "active"}
