"""The README's "API in one minute" runs as written: its example file, embargo and publication."""

import json
from pathlib import Path

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

EVENTS = Path(__file__).resolve().parents[3] / "examples" / "events.json"
MODEL = "example/tiny-model"


def figures(client):
    response = client.get("/api/v1/endpoints/", {"model": MODEL})
    assert response.status_code == 200, response.content
    (row,) = response.json()
    return row["tool_calls"]


def test_readme_walkthrough(ingest_client, admin_client_api, anon_client):
    # An admin registers (an ingest key's new model would wait for approval, §9).
    registered = admin_client_api.post("/api/v1/endpoints/", {
        "model": MODEL, "provider": "example-cloud", "quantization": "fp8"}, format="json")
    assert registered.status_code == 201, registered.content

    body = json.loads(EVENTS.read_text())
    answer = ingest_client.post("/api/v1/tool-calls/", body, format="json").json()
    assert answer == {"accepted": 5, "duplicates": 0, "rejected": []}

    # Under embargo: the public read shows nothing yet; an admin key sees the figures.
    assert figures(anon_client)["calls"] == 0
    private = figures(admin_client_api)
    assert {k: private[k] for k in ("calls", "valid", "invalid_json", "unknown_tool",
                                    "schema_mismatch", "accuracy")} == {
        "calls": 5, "valid": 2, "invalid_json": 1, "unknown_tool": 1, "schema_mismatch": 1,
        "accuracy": 0.4}
    assert [round(x, 4) for x in private["accuracy_ci95"]] == [0.1176, 0.7693]

    published = admin_client_api.post("/api/v1/admin/publish/", {
        "model": MODEL, "through": timezone.now().date().isoformat()}, format="json")
    assert published.json() == {"endpoints": 1}
    public = figures(anon_client)
    assert (public["calls"], public["accuracy"]) == (5, 0.4)

    route = anon_client.get("/api/v1/route/", {"model": f"{MODEL}:exacto"}).json()
    assert route["fallback"] is True
    assert [p["provider"] for p in route["providers"]] == ["example-cloud"]
