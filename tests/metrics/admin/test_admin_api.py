"""Admin automation API: admin-scoped tokens only; reasons required; JSON errors."""

import pytest
from rest_framework.test import APIClient

from metrics.models import PoolSnapshot, RotationEvent

pytestmark = pytest.mark.django_db

ROTATION = "/api/v1/admin/endpoints/rotation/"


def test_rotation_without_reason_is_400_with_field(admin_client_api, endpoint):
    response = admin_client_api.post(ROTATION, {
        "model": endpoint.model.slug, "provider": "groq", "status": "admin_removed"},
        format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    assert "error" in response.json()
    assert not RotationEvent.objects.exists()


def test_rotation_with_blank_reason_is_400(admin_client_api, endpoint):
    response = admin_client_api.post(ROTATION, {
        "model": endpoint.model.slug, "provider": "groq", "status": "admin_removed",
        "reason": "   "}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "reason"


def test_rotation_with_reason_removes_and_audits(admin_client_api, endpoint):
    response = admin_client_api.post(ROTATION, {
        "model": endpoint.model.slug, "provider": "groq", "quantization": "fp8",
        "status": "admin_removed", "reason": "Tool parser broken since update"}, format="json")
    assert response.status_code == 200
    assert response.json()["rotation_status"] == "admin_removed"
    assert response.json()["changed"] is True
    assert RotationEvent.objects.get(endpoint=endpoint).reason == "Tool parser broken since update"


def test_rotation_hold_status_is_not_for_admins(admin_client_api, endpoint):
    response = admin_client_api.post(ROTATION, {
        "model": endpoint.model.slug, "provider": "groq", "status": "benchmark_hold",
        "reason": "x" * 10}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "status"


def test_rotation_of_unknown_endpoint_is_404(admin_client_api, endpoint):
    response = admin_client_api.post(ROTATION, {
        "model": endpoint.model.slug, "provider": "nobody", "status": "admin_removed",
        "reason": "because"}, format="json")
    assert response.status_code == 404


def test_recompute_creates_snapshot(admin_client_api, endpoint):
    response = admin_client_api.post("/api/v1/admin/pools/recompute/",
                                     {"model": endpoint.model.slug}, format="json")
    assert response.status_code == 200
    assert response.json()["snapshots"][0]["model"] == endpoint.model.slug
    assert PoolSnapshot.objects.get(model=endpoint.model).trigger == "api"


def test_share_then_publish(admin_client_api, endpoint):
    response = admin_client_api.post("/api/v1/admin/share/", {
        "model": endpoint.model.slug, "provider": "groq", "embargo_days": 3}, format="json")
    assert response.json() == {"endpoints": 1}
    endpoint.refresh_from_db()
    assert endpoint.embargo_until is not None
    response = admin_client_api.post("/api/v1/admin/publish/", {
        "model": endpoint.model.slug, "through": "2025-09-01"}, format="json")
    assert response.json() == {"endpoints": 1}
    endpoint.refresh_from_db()
    assert str(endpoint.published_until) == "2025-09-01" and endpoint.embargo_until is None


def test_overview_json(admin_client_api, endpoint):
    response = admin_client_api.get("/api/v1/admin/overview/")
    assert response.status_code == 200
    assert set(response.json()) >= {"holds", "pool_changes", "open_feedback", "ingest"}


@pytest.mark.parametrize("method,url", [
    ("post", ROTATION), ("post", "/api/v1/admin/pools/recompute/"),
    ("post", "/api/v1/admin/publish/"), ("post", "/api/v1/admin/share/"),
    ("get", "/api/v1/admin/overview/"),
])
def test_ingest_token_gets_403_and_no_token_401(method, url, ingest_key, endpoint):
    client = APIClient()
    assert getattr(client, method)(url, {}, format="json").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {ingest_key}")
    assert getattr(client, method)(url, {}, format="json").status_code == 403


def test_staff_session_may_read_overview_but_not_write(admin_client, endpoint):
    assert admin_client.get("/api/v1/admin/overview/").status_code == 200
    response = admin_client.post("/api/v1/admin/pools/recompute/", {},
                                 content_type="application/json")
    assert response.status_code == 403
    assert not PoolSnapshot.objects.exists()
