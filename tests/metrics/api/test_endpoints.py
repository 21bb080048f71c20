"""Contract: POST/GET /api/v1/endpoints/ (API.md "Endpoints")."""

import pytest

from providers.models import Endpoint, LLMModel, Provider
from tests.metrics.api.helpers import (
    MODEL,
    PROVIDER,
    endpoint_row,
    event,
    good,
    post_events,
    register,
    tool_call,
)

pytestmark = pytest.mark.django_db

COUNT_FIELDS = ("calls", "valid", "unchecked", "invalid_json", "unknown_tool", "schema_mismatch",
                "requests_with_tools", "errored_requests", "propensity_requests",
                "propensity_requests_with_calls")
RATE_FIELDS = ("accuracy", "request_error_rate", "propensity")


def test_register_creates_then_is_idempotent_and_creates_unknown_slugs(ingest_client):
    assert not LLMModel.objects.filter(slug="newco/brand-new").exists()
    assert not Provider.objects.filter(slug="new-provider").exists()
    body = {"model": "newco/brand-new", "provider": "new-provider", "quantization": "fp8"}

    first = ingest_client.post("/api/v1/endpoints/", body, format="json")
    second = ingest_client.post("/api/v1/endpoints/", body, format="json")

    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["model"] == "newco/brand-new"
    assert first.json()["provider"] == "new-provider"
    assert first.json()["quantization"] == "fp8"
    assert first.json()["reference"] is False
    assert second.json() == first.json()
    assert Endpoint.objects.filter(model__slug="newco/brand-new").count() == 1
    assert LLMModel.objects.filter(slug="newco/brand-new").exists()
    assert Provider.objects.filter(slug="new-provider").exists()


def test_reference_flag_is_stored_and_moves_to_the_newest_reference(ingest_client, admin_client_api):
    register(admin_client_api, provider="author-api", reference=True)
    register(ingest_client, provider="other")
    assert endpoint_row(admin_client_api, provider="author-api")["reference"] is True
    assert endpoint_row(admin_client_api, provider="other")["reference"] is False

    response = register(admin_client_api, provider="other", reference=True)
    assert response.status_code == 200
    assert response.json()["reference"] is True
    assert endpoint_row(admin_client_api, provider="other")["reference"] is True
    assert endpoint_row(admin_client_api, provider="author-api")["reference"] is False


def test_get_returns_every_documented_field_with_its_type(ingest_client, admin_client_api):
    register(ingest_client)
    post_events(ingest_client, [good("e1"), event("e2", [tool_call("get_weather", "{")])])

    row = endpoint_row(admin_client_api)

    assert row["model"] == MODEL and row["provider"] == PROVIDER
    assert row["quantization"] == "fp8"
    assert row["reference"] is False
    assert row["in_rotation"] is True
    assert row["rotation_status"] == "active"
    assert "ignore_rate" in row and "exacto" in row
    tc = row["tool_calls"]
    assert tc["window_days"] == 7
    for name in COUNT_FIELDS:
        assert type(tc[name]) is int, name
    for name in RATE_FIELDS:
        assert isinstance(tc[name], float) and 0.0 <= tc[name] <= 1.0, name
    low, high = tc["accuracy_ci95"]
    assert 0.0 <= low <= tc["accuracy"] <= high <= 1.0
    assert tc["calls"] == 2 and tc["valid"] == 1 and tc["invalid_json"] == 1
    assert tc["accuracy"] == pytest.approx(0.5)


def test_calls_is_the_sum_of_the_five_outcomes(ingest_client, admin_client_api):
    register(ingest_client)
    events = [
        good("a"),
        event("b", [tool_call("ping", "{}")], tools=[{"type": "function", "function": {"name": "ping"}}]),
        event("c", [tool_call("get_weather", "not json")]),
        event("d", [tool_call("get_wether", '{"city": "x"}')]),
        event("e", [tool_call("get_weather", '{"city": 3}'), tool_call("get_weather", '{"city": "y"}')]),
    ]
    assert post_events(ingest_client, events).json()["accepted"] == 5

    tc = endpoint_row(admin_client_api)["tool_calls"]

    parts = tc["valid"] + tc["unchecked"] + tc["invalid_json"] + tc["unknown_tool"] + tc["schema_mismatch"]
    assert tc["calls"] == parts == 6
    assert (tc["valid"], tc["unchecked"], tc["invalid_json"], tc["unknown_tool"],
            tc["schema_mismatch"]) == (2, 1, 1, 1, 1)


def test_rates_are_null_when_there_is_no_data(ingest_client, anon_client, admin_client_api):
    register(ingest_client)
    for client in (anon_client, admin_client_api):
        tc = endpoint_row(client)["tool_calls"]
        assert tc["calls"] == 0
        assert tc["accuracy"] is None
        assert tc["request_error_rate"] is None
        assert tc["propensity"] is None
        assert endpoint_row(client)["ignore_rate"] is None


def test_unknown_model_is_404_json_with_error(anon_client):
    response = anon_client.get("/api/v1/endpoints/", {"model": "nobody/nothing"})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["error"], str) and response.json()["error"]


def test_missing_model_is_400(anon_client):
    response = anon_client.get("/api/v1/endpoints/")
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize("days", ["abc", "0", "-3", "367", "1.5"])
def test_bad_days_is_400(ingest_client, anon_client, days):
    register(ingest_client)
    response = anon_client.get("/api/v1/endpoints/", {"model": MODEL, "days": days})
    assert response.status_code == 400
    assert response.json()["error"]
    assert response.json().get("field") == "days"


def test_register_rejects_bad_slugs_with_field(ingest_client):
    response = ingest_client.post("/api/v1/endpoints/", {"model": "no-slash", "provider": "ok"},
                                  format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "model"
    response = ingest_client.post("/api/v1/endpoints/", {"model": "a/b", "provider": "Bad Slug"},
                                  format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "provider"
