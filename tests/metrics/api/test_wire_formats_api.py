"""API.md 1.1 "Tool-call events — additions" and "Transport", through the HTTP API.

Every format's payloads are built with the real `openai` and `anthropic` types
(tests/wire_payloads.py); counts are read back through GET /api/v1/endpoints/ with an
admin key (unpublished data is visible only to admins and the provider, METHODOLOGY §8).
"""

import pytest
from rest_framework.test import APIClient

from providers.models import ApiToken, Endpoint, Provider, ProviderAlias
from providers.services.endpoints import set_default_endpoint
from tests.metrics.api.helpers import MODEL, now_iso, register
from tests.wire_payloads import FORMATS, cases_of, pair

pytestmark = pytest.mark.django_db

COUNTS = ("calls", "valid", "unchecked", "invalid_json", "unknown_tool", "schema_mismatch", "other",
          "requests_with_tools", "errored_requests", "propensity_requests",
          "propensity_requests_with_calls")


def rows(client, model=MODEL) -> list[dict]:
    response = client.get("/api/v1/endpoints/", {"model": model})
    assert response.status_code == 200, response.content
    return response.json()


def counts(client, provider, quantization="fp8", model=MODEL) -> dict:
    [row] = [r for r in rows(client, model)
             if r["provider"] == provider and r["quantization"] == quantization]
    return {name: row["tool_calls"][name] for name in COUNTS}


def wire_event(event_id, fmt, case, provider, **extra) -> dict:
    request, response = pair(fmt, case)
    return {"id": event_id, "model": MODEL, "provider": provider, "app": "gateway",
            "created": now_iso(), "request": request, "response": response, **extra}


def post(client, events, path="/api/v1/tool-calls/"):
    response = client.post(path, {"events": events}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_case_of_every_format_reads_back_exact_counts(ingest_client, admin_client_api, fmt):
    provider = "p-" + fmt.replace(".", "-")
    register(ingest_client, provider=provider)
    cases = cases_of(fmt)
    body = post(ingest_client, [wire_event(f"{fmt}-{case}", fmt, case, provider) for case in cases])
    assert body == {"accepted": len(cases), "duplicates": 0, "rejected": []}
    judged = [c for c in cases if c != "other"]
    assert counts(admin_client_api, provider) == {
        "calls": len(judged), "valid": 1, "unchecked": 0,
        "invalid_json": int("invalid_json" in cases), "unknown_tool": 1, "schema_mismatch": 1,
        "other": 1, "requests_with_tools": len(cases), "errored_requests": len(judged) - 1,
        "propensity_requests": len(cases), "propensity_requests_with_calls": len(cases),
    }


def test_format_may_be_forced_and_a_wrong_one_is_refused(ingest_client, admin_client_api):
    register(ingest_client)
    events = [wire_event("forced", "anthropic.messages.stream", "invalid_json", "fastinfer",
                         format="anthropic.messages.stream"),
              wire_event("wrong", "openai.chat", "valid", "fastinfer", format="openai.responses")]
    body = post(ingest_client, events)
    assert body["accepted"] == 1
    assert [(r["index"], r["id"]) for r in body["rejected"]] == [(1, "wrong")]
    assert "response is not openai.responses" in body["rejected"][0]["error"]
    assert counts(admin_client_api, "fastinfer")["invalid_json"] == 1


@pytest.mark.parametrize("response", [
    {"id": "cmpl-1", "text": "hello"},              # a legacy completion
    [],                                            # an empty stream
    {"candidates": [{"content": {"parts": []}}]},  # another vendor's shape
    "tool_calls",
])
def test_an_unrecognised_response_is_rejected_by_index_the_rest_stored(
        ingest_client, admin_client_api, response):
    register(ingest_client)
    good = wire_event("good", "openai.chat", "valid", "fastinfer")
    bad = {**good, "id": "bad", "response": response}
    body = post(ingest_client, [good, bad])
    assert body["accepted"] == 1
    assert [(r["index"], r["id"]) for r in body["rejected"]] == [(1, "bad")]
    assert counts(admin_client_api, "fastinfer")["requests_with_tools"] == 1


def test_created_may_be_integer_unix_seconds(ingest_client):
    register(ingest_client)
    event = wire_event("unix", "openai.chat", "valid", "fastinfer")
    event["created"] = event["response"]["created"] = int(__import__("time").time()) - 60
    assert post(ingest_client, [event])["accepted"] == 1
    event = {**event, "id": "unix-far", "created": 10**20}
    assert "Unix time" in post(ingest_client, [event])["rejected"][0]["error"]


def test_names_go_through_the_alias_tables_with_a_warning(ingest_client, admin_client_api):
    register(ingest_client, model="moonshotai/kimi-k2-0905", provider="groq")
    ProviderAlias.objects.create(alias="GroqCloud", provider=Provider.objects.get(slug="groq"))
    events = []
    for i, (model, provider) in enumerate([
        ("moonshotai/Kimi-K2-Instruct-0905", "Groq"),   # shipped model alias; shipped provider alias
        ("kimi-k2-0905", "GroqCloud"),                  # admin-edited provider alias
        ("moonshotai/kimi-k2-0905", "groq"),            # our slugs: no warning
    ]):
        events.append(wire_event(f"alias-{i}", "openai.chat", "valid", provider) | {"model": model})
    body = post(ingest_client, events)
    assert (body["accepted"], body["rejected"]) == (3, [])
    assert sorted(w["index"] for w in body["warnings"]) == [0, 0, 1, 1]
    assert any("'Groq' mapped to 'groq'" in w["warning"] for w in body["warnings"])
    assert counts(admin_client_api, "groq", model="moonshotai/kimi-k2-0905")["valid"] == 3


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("provider", "Some Vendor Inc.", "not a provider slug"),
    ("model", "Kimi K2 (latest)", "not a model slug"),
])
def test_an_unmapped_name_that_is_not_a_slug_is_rejected_with_the_reason(
        ingest_client, field, value, reason):
    register(ingest_client)
    body = post(ingest_client, [wire_event("x", "openai.chat", "valid", "fastinfer") | {field: value}])
    assert body["accepted"] == 0 and reason in body["rejected"][0]["error"]


def test_missing_quantization_goes_to_the_default_endpoint(ingest_client, admin_client_api):
    register(ingest_client, quantization="fp8")
    register(ingest_client, quantization="int4")
    post(ingest_client, [wire_event("q1", "openai.chat", "valid", "fastinfer")])
    assert counts(admin_client_api, "fastinfer", "fp8")["valid"] == 1  # the first registered
    set_default_endpoint(Endpoint.objects.get(quantization="int4"))
    post(ingest_client, [wire_event("q2", "openai.chat", "valid", "fastinfer"),
                         wire_event("q3", "openai.chat", "valid", "fastinfer", quantization="FP8")])
    assert counts(admin_client_api, "fastinfer", "int4")["valid"] == 1
    assert counts(admin_client_api, "fastinfer", "fp8")["valid"] == 2


# --- Transport -------------------------------------------------------------------------


def test_bearer_is_accepted_like_token(db):
    _, key = ApiToken.issue("gw", "ingest")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.post("/api/v1/endpoints/", {"model": MODEL, "provider": "fastinfer"},
                           format="json")
    assert response.status_code == 201, response.content


def test_401_names_the_accepted_header_forms(anon_client):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer not-a-key"}):
        response = anon_client.post("/api/v1/tool-calls/", {"events": []}, format="json", **headers)
        assert response.status_code == 401
        assert "Authorization: Bearer <key>" in response.json()["error"]
        assert "Authorization: Token <key>" in response.json()["error"]


def test_415_says_to_send_json(ingest_client):
    response = ingest_client.generic("POST", "/api/v1/tool-calls/", b"events=1",
                                     content_type="text/plain")
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["error"]


@pytest.mark.parametrize("path", ["/api/v1/endpoints", "/api/v1/tool-calls", "/api/v1/route",
                                  "/api/v1/otlp/v1/traces/", "/api/v1/integrations/litellm"])
def test_every_api_path_answers_with_or_without_its_trailing_slash(ingest_client, path):
    response = ingest_client.post(path, {}, format="json")
    assert response.status_code not in (301, 302, 308, 404, 500), (path, response.status_code)
    assert response["Content-Type"].startswith("application/json")


def test_a_post_without_the_slash_is_stored(ingest_client, admin_client_api):
    response = ingest_client.post("/api/v1/endpoints", {"model": MODEL, "provider": "fastinfer",
                                                        "quantization": "fp8"}, format="json")
    assert response.status_code == 201
    body = ingest_client.post("/api/v1/tool-calls", {"events": [
        wire_event("noslash", "openai.chat.stream", "valid", "fastinfer")]}, format="json").json()
    assert body["accepted"] == 1
    assert admin_client_api.get("/api/v1/endpoints", {"model": MODEL}).json()[0][
        "tool_calls"]["valid"] == 1
