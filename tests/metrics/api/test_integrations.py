"""API.md 1.1 "Integrations": LiteLLM's generic API logger and OTLP/HTTP JSON traces.

LiteLLM payloads are the StandardLoggingPayloads LiteLLM itself builds for mock completions
(`mock_response` + `mock_tool_calls`: no network); OTLP bodies use the JSON encoding.
"""

import json
import os
import time

import pytest

from tests.metrics.api.helpers import MODEL, register

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # litellm: no cost-map download
from tests.wire_payloads import CALLS, WEATHER_SCHEMA

pytestmark = pytest.mark.django_db

LITELLM_PATH = "/api/v1/integrations/litellm/"
OTLP_PATH = "/api/v1/otlp/v1/traces"
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}}]
JUDGED = ("valid", "invalid_json", "unknown_tool", "schema_mismatch")


def litellm_payloads(cases=JUDGED, model="groq/moonshotai/kimi-k2-instruct-0905") -> list[dict]:
    """LiteLLM's own StandardLoggingPayload for one mock completion per case, as JSON."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download of the cost map
    import litellm
    from litellm.integrations.custom_logger import CustomLogger

    captured = []

    class Capture(CustomLogger):
        def log_success_event(self, kwargs, response_obj, start_time, end_time):
            captured.append(kwargs["standard_logging_object"])

    previous, litellm.callbacks = litellm.callbacks, [Capture()]
    try:
        deadline = time.monotonic() + 30
        for done, case in enumerate(cases, start=1):
            name, arguments = CALLS[case]
            litellm.completion(
                model=model, messages=[{"role": "user", "content": "Weather in Paris?"}],
                tools=TOOLS, tool_choice="auto", mock_response="",
                mock_tool_calls=[{"id": "call_1", "type": "function",
                                  "function": {"name": name, "arguments": arguments}}])
            # LiteLLM logs from a thread of its own: waiting for each payload before the next
            # call keeps them in the order of `cases` (tests take payloads[0] as the valid one).
            while len(captured) < done and time.monotonic() < deadline:
                time.sleep(0.01)
    finally:
        litellm.callbacks = previous
    assert len(captured) == len(cases)
    return [json.loads(json.dumps(payload, default=str)) for payload in captured]


@pytest.fixture(scope="module")
def payloads():
    return litellm_payloads()


def tool_counts(client, provider="groq", model="moonshotai/kimi-k2-0905") -> dict:
    [row] = [r for r in client.get("/api/v1/endpoints/", {"model": model}).json()
             if r["provider"] == provider]
    tc = row["tool_calls"]
    return {k: tc[k] for k in ("calls", *JUDGED, "other", "requests_with_tools", "errored_requests")}


EXPECTED = {"calls": 4, "valid": 1, "invalid_json": 1, "unknown_tool": 1, "schema_mismatch": 1,
            "other": 0, "requests_with_tools": 4, "errored_requests": 3}


@pytest.mark.parametrize("encoding", ["json_array", "ndjson"])
def test_litellm_payloads_become_exactly_counted_events(
        ingest_client, admin_client_api, payloads, encoding):
    register(ingest_client, model="moonshotai/kimi-k2-0905", provider="groq")
    if encoding == "json_array":
        body, content_type = json.dumps(payloads), "application/json"
    else:
        body, content_type = "\n".join(json.dumps(p) for p in payloads), "application/x-ndjson"
    response = ingest_client.generic("POST", LITELLM_PATH, body.encode(), content_type=content_type)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (4, 0, [])
    # Groq's own model id maps through the shipped model aliases, with a warning.
    assert {w["warning"] for w in answer["warnings"]} == {
        "model 'moonshotai/kimi-k2-instruct-0905' mapped to 'moonshotai/kimi-k2-0905' (model aliases)."}
    assert tool_counts(admin_client_api) == EXPECTED
    resent = ingest_client.generic("POST", LITELLM_PATH, body.encode(), content_type=content_type)
    assert resent.json()["duplicates"] == 4


def test_litellm_ids_are_scoped_per_key(ingest_client, admin_client_api, payloads):
    # Two gateways (two keys) may send the same LiteLLM ids (METHODOLOGY §9).
    register(ingest_client, model="moonshotai/kimi-k2-0905", provider="groq")
    assert ingest_client.post(LITELLM_PATH, payloads[:1], format="json").json()["accepted"] == 1
    assert admin_client_api.post(LITELLM_PATH, payloads[:1], format="json").json()["accepted"] == 1
    assert tool_counts(admin_client_api)["valid"] == 2


def test_litellm_bad_lines_and_unusable_payloads_are_rejected_by_index(
        ingest_client, admin_client_api, payloads):
    register(ingest_client, model="moonshotai/kimi-k2-0905", provider="groq")
    redacted = {**payloads[1], "id": "redacted", "response": "redacted-by-litellm"}
    lines = [json.dumps(payloads[0]), "{not json", json.dumps(redacted), json.dumps([1])]
    response = ingest_client.generic("POST", LITELLM_PATH, "\n".join(lines).encode(),
                                     content_type="application/json")
    answer = response.json()
    assert answer["accepted"] == 1
    assert [r["index"] for r in answer["rejected"]] == [1, 2, 3]
    assert "not JSON" in answer["rejected"][0]["error"]
    assert "message logging" in answer["rejected"][1]["error"]
    assert tool_counts(admin_client_api)["valid"] == 1


def test_litellm_query_parameters_name_the_provider_for_every_payload(
        ingest_client, admin_client_api, payloads):
    register(ingest_client, model="moonshotai/kimi-k2-0905", provider="fastinfer")
    response = ingest_client.post(f"{LITELLM_PATH}?provider=fastinfer&app=proxy-1", payloads[:1],
                                  format="json")
    assert response.json()["accepted"] == 1
    assert tool_counts(admin_client_api, provider="fastinfer")["valid"] == 1


# --- OTLP/HTTP JSON ----------------------------------------------------------------------


def attr(key, value) -> dict:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def span(span_id: str, attributes: dict, *, trace="5b8efff798038103d269b633813fc60c") -> dict:
    start = time.time_ns() - 2_000_000_000
    return {"traceId": trace, "spanId": span_id, "name": "chat kimi-k2", "kind": 3,
            "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 850_000_000),
            "attributes": [attr(k, v) for k, v in attributes.items()], "status": {}}


def export(*spans) -> dict:
    return {"resourceSpans": [{
        "resource": {"attributes": [attr("service.name", "agent")]},
        "scopeSpans": [{"scope": {"name": "genai-instrumentation"}, "spans": list(spans)}]}]}


def current(case: str, *, as_object: bool = False) -> dict:
    """Current GenAI conventions: tool definitions and output messages as JSON strings."""
    name, arguments = CALLS[case]
    part = {"type": "tool_call", "id": "call_1", "name": name,
            "arguments": json.loads(arguments) if as_object else arguments}
    return {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "groq",
        "gen_ai.request.model": MODEL, "gen_ai.usage.output_tokens": 17,
        "gen_ai.tool.definitions": json.dumps([
            {"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA}]),
        "gen_ai.output.messages": json.dumps([
            {"role": "assistant", "parts": [part], "finish_reason": "tool_call"}]),
    }


def indexed(case: str) -> dict:
    """The older indexed form (gen_ai.completion.N.tool_calls.M.*, llm.request.functions.K.*)."""
    name, arguments = CALLS[case]
    return {
        "gen_ai.system": "groq", "gen_ai.request.model": MODEL,
        "llm.request.functions.0.name": "get_weather",
        "llm.request.functions.0.parameters": json.dumps(WEATHER_SCHEMA),
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.finish_reason": "tool_calls",
        "gen_ai.completion.0.tool_calls.0.id": "call_1",
        "gen_ai.completion.0.tool_calls.0.name": name,
        "gen_ai.completion.0.tool_calls.0.arguments": arguments,
    }


@pytest.mark.parametrize("form", [current, indexed])
def test_otlp_genai_spans_become_exactly_counted_events(ingest_client, admin_client_api, form):
    register(ingest_client, provider="groq")
    spans = [span(f"{i:016x}", form(case)) for i, case in enumerate(JUDGED)]
    spans.append(span("00000000000000ff", {"http.route": "/health"}))  # no GenAI attributes
    response = ingest_client.post(OTLP_PATH, export(*spans), format="json")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["accepted"], answer["rejected"], answer["skipped"]) == (4, [], 1)
    assert tool_counts(admin_client_api, model=MODEL) == EXPECTED


def test_otlp_arguments_captured_as_objects_cannot_be_invalid_json(ingest_client, admin_client_api):
    register(ingest_client, provider="groq")
    spans = [span("0000000000000001", current("valid", as_object=True)),
             span("0000000000000002", current("schema_mismatch", as_object=True))]
    assert ingest_client.post(OTLP_PATH, export(*spans), format="json").json()["accepted"] == 2
    counts = tool_counts(admin_client_api, model=MODEL)
    assert (counts["valid"], counts["schema_mismatch"], counts["invalid_json"]) == (1, 1, 0)


def test_otlp_spans_that_cannot_be_judged_are_rejected_with_the_reason(ingest_client):
    register(ingest_client, provider="groq")
    no_tools = {k: v for k, v in current("valid").items() if k != "gen_ai.tool.definitions"}
    no_output = {k: v for k, v in current("valid").items() if k != "gen_ai.output.messages"}
    answer = ingest_client.post(OTLP_PATH, export(span("01", no_tools), span("02", no_output)),
                                format="json").json()
    assert answer["accepted"] == 0
    assert [r["index"] for r in answer["rejected"]] == [0, 1]
    assert "gen_ai.tool.definitions" in answer["rejected"][0]["error"]
    assert "gen_ai.output.messages" in answer["rejected"][1]["error"]
    assert answer["partialSuccess"]["rejectedSpans"] == 2


@pytest.mark.parametrize("body", [{}, {"resourceSpans": "x"}, [1]])
def test_otlp_body_that_is_no_export_is_400(ingest_client, body):
    response = ingest_client.post(OTLP_PATH, body, format="json")
    assert response.status_code == 400 and response.json()["error"]


def test_otlp_protobuf_garbage_is_400_not_500(ingest_client):
    response = ingest_client.generic("POST", OTLP_PATH, b"\xff\x00garbage",
                                     content_type="application/x-protobuf")
    assert response.status_code == 400


def test_litellm_failures_count_for_uptime_only(ingest_client, admin_client_api, payloads):
    # A failed call has no response: it counts against uptime (§10), never for accuracy.
    register(ingest_client, model="moonshotai/kimi-k2-0905", provider="groq")
    http_error = {**payloads[0], "id": "failed-503", "status": "failure", "response": None,
                  "error_information": {"error_code": "503", "error_class": "ServiceUnavailable"}}
    odd_code = {**payloads[1], "id": "failed-odd", "status": "failure", "response": {},
                "error_information": {"error_code": "1013"}}  # not an HTTP status: dropped
    answer = ingest_client.post(LITELLM_PATH, [http_error, odd_code], format="json").json()
    assert (answer["accepted"], answer["rejected"]) == (2, [])
    [row] = [r for r in admin_client_api.get("/api/v1/endpoints/",
                                             {"model": "moonshotai/kimi-k2-0905"}).json()
             if r["provider"] == "groq"]
    assert (row["performance"]["requests"], row["performance"]["errors"]) == (2, 2)
    assert row["tool_calls"]["calls"] == 0
