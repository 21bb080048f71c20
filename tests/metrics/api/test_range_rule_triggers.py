"""The benchmark range rule (METHODOLOGY §6) is applied again whenever its inputs change
through the API: an admin's restore and a new reference."""

import pytest

from providers.models import Endpoint
from providers.services.endpoints import register_endpoint
from tests.metrics.api.helpers import run_item

pytestmark = pytest.mark.django_db
RUNS = "/api/v1/benchmark-runs/"


def test_admin_restore_reapplies_the_benchmark_hold(admin_client_api, ingest_client,
                                                    ref_and_other):
    ingest_client.post(RUNS, {"runs": [run_item("a", "ref", 90), run_item("b", "other", 80)]},
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


def test_a_new_reference_re_evaluates_rotation_at_once(ingest_client, admin_client_api,
                                                       ref_and_other):
    ingest_client.post(RUNS, {"runs": [run_item("a", "ref", 90), run_item("b", "other", 80),
                                       run_item("c", "third", 79)]}, format="json")
    # "third" is not registered yet: register it and make "other" the reference instead.
    register_endpoint("acme/m", "third", "fp8")
    ingest_client.post(RUNS, {"runs": [run_item("c", "third", 79)]}, format="json")
    assert Endpoint.objects.get(provider__slug="other").rotation_status == "benchmark_hold"
    response = admin_client_api.post("/api/v1/endpoints/", {
        "model": "acme/m", "provider": "other", "quantization": "fp8", "reference": True},
        format="json")
    assert response.status_code == 200 and response.json()["reference"] is True
    statuses = dict(Endpoint.objects.values_list("provider__slug", "rotation_status"))
    # Against reference 80: "other" is back, "third" (79) within 3, "ref" (90) above.
    assert statuses == {"other": "active", "third": "active", "ref": "active"}
