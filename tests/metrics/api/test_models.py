"""Contract: GET /api/v1/models/ (API.md 1.1 "Reading — additions")."""

import pytest

from tests.metrics.api.helpers import MODEL, register

pytestmark = pytest.mark.django_db


def test_lists_approved_models_with_endpoint_count_pool_size_and_last_recompute(
        ingest_client, admin_client_api, anon_client):
    register(ingest_client)
    register(ingest_client, provider="second-host")
    register(ingest_client, model="newco/pending", approve=False)

    before = {row["slug"]: row for row in anon_client.get("/api/v1/models/").json()}
    recompute = admin_client_api.post("/api/v1/admin/pools/recompute/", {"model": MODEL},
                                      format="json")
    after = {row["slug"]: row for row in anon_client.get("/api/v1/models/").json()}

    assert set(before) == {MODEL}  # the pending model exists for admins only (§9)
    assert before[MODEL] == {"slug": MODEL, "name": "", "endpoints": 2, "pool_size": 0,
                             "computed_at": None}
    assert recompute.status_code == 200
    assert after[MODEL]["computed_at"] is not None
    route = anon_client.get("/api/v1/route/", {"model": f"{MODEL}:exacto"}).json()
    assert after[MODEL]["pool_size"] == len(route["providers"]) == 2  # the fallback pool (§7)
    assert "newco/pending" in {row["slug"] for row in admin_client_api.get(
        "/api/v1/models/").json()}
