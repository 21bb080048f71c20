"""The Python client, the LiteLLM logger and an OpenTelemetry SDK deliver to a live test server.

Everything runs on loopback: pytest-django's live server, LiteLLM mock completions (no
provider is called), the OTel SDK's stock OTLP/HTTP exporter (protobuf).
"""

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from anthropic import types as an
from exacto_client import ExactoClient, ExactoError

from providers.models import ApiToken
from providers.services.endpoints import register_endpoint
from tests.wire_payloads import CALLS, WEATHER_SCHEMA, anthropic_request, chat_request

pytestmark = pytest.mark.django_db(transaction=True)

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}}]
MODEL, PROVIDER = "moonshotai/kimi-k2-0905", "groq"


@pytest.fixture
def server(live_server):
    register_endpoint(MODEL, PROVIDER, "fp8")
    _, ingest = ApiToken.issue("gateway", "ingest")
    _, admin = ApiToken.issue("reader", "admin")
    return live_server.url, ingest, admin


def counts(url: str, admin: str) -> dict:
    rows = httpx.get(f"{url}/api/v1/endpoints/", params={"model": MODEL},
                     headers={"Authorization": f"Bearer {admin}"}).json()
    [row] = [r for r in rows if r["provider"] == PROVIDER]
    return {k: row["tool_calls"][k] for k in
            ("calls", "valid", "invalid_json", "unknown_tool", "schema_mismatch", "other")}


def wait_for(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def litellm_completion(case: str, **kwargs):
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    name, arguments = CALLS[case]
    request = {"model": "groq/moonshotai/kimi-k2-instruct-0905", "tools": TOOLS,
               "messages": [{"role": "user", "content": "Weather in Paris?"}]}
    response = litellm.completion(**request, mock_response="", mock_tool_calls=[
        {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}],
        **kwargs)
    return request, response


def test_client_records_sdk_objects_and_streams(server):
    from openai.types.chat import ChatCompletion

    url, ingest, admin = server
    completion = ChatCompletion.model_validate({
        "id": "c1", "object": "chat.completion", "created": int(time.time()), "model": "kimi-k2",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}]}}]})
    events = [
        an.RawMessageStartEvent(type="message_start", message=an.Message(
            id="m1", type="message", role="assistant", model="kimi-k2", content=[],
            usage=an.Usage(input_tokens=3, output_tokens=1))),
        an.RawContentBlockStartEvent(type="content_block_start", index=0, content_block=an.ToolUseBlock(
            id="t1", type="tool_use", name="get_weather", input={})),
        an.RawContentBlockDeltaEvent(type="content_block_delta", index=0, delta=an.InputJSONDelta(
            type="input_json_delta", partial_json='{"city": ')),
        an.RawMessageStopEvent(type="message_stop"),
    ]
    with ExactoClient(url, ingest, app="agent") as client:
        client.record(chat_request() | {"model": MODEL}, completion, provider=PROVIDER, latency_ms=812)
        started = time.monotonic()
        request = anthropic_request() | {"model": "Kimi-K2-Instruct-0905"}
        relayed = list(client.wrap_stream(iter(events), request, provider="Groq", started=started))
    assert relayed == events
    [answer] = client.answers
    assert (answer["accepted"], answer["rejected"]) == (2, [])
    assert counts(url, admin) == {"calls": 2, "valid": 1, "invalid_json": 1, "unknown_tool": 0,
                                  "schema_mismatch": 0, "other": 0}


def test_client_delivers_a_litellm_mock_completion(server):
    url, ingest, admin = server
    request, response = litellm_completion("schema_mismatch")
    client = ExactoClient(url, ingest, batch_size=1)
    event_id = client.record(request, response, provider="groq", latency_ms=120.5)
    assert client.pending == 0 and client.answers[0]["accepted"] == 1
    client.record(request, response, provider="groq", event_id=event_id)  # a retry: same id
    assert client.answers[1]["duplicates"] == 1
    assert counts(url, admin)["schema_mismatch"] == 1


def test_litellm_logger_delivers_through_the_client(server):
    import litellm
    from exacto_client.litellm_logger import ExactoLogger

    url, ingest, admin = server
    logger = ExactoLogger(base_url=url, key=ingest, flush_interval=None)
    previous, litellm.callbacks = litellm.callbacks, [logger]
    try:
        for case in ("valid", "invalid_json", "unknown_tool"):
            litellm_completion(case)
        wait_for(lambda: logger.client.pending == 3)
    finally:
        litellm.callbacks = previous
    [answer] = logger.flush()
    assert (answer["accepted"], answer["rejected"]) == (3, [])
    assert counts(url, admin) == {"calls": 3, "valid": 1, "invalid_json": 1, "unknown_tool": 1,
                                  "schema_mismatch": 0, "other": 0}


def test_opentelemetry_sdk_exports_genai_spans_to_the_live_server(server):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    url, ingest, admin = server
    exporter = OTLPSpanExporter(endpoint=f"{url}/api/v1/otlp/v1/traces",
                                headers={"Authorization": f"Bearer {ingest}"})
    provider = TracerProvider(resource=Resource.create({"service.name": "agent"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    definitions = json.dumps([{"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA}])
    for case in ("valid", "invalid_json"):
        name, arguments = CALLS[case]
        with tracer.start_as_current_span("chat kimi-k2") as span:
            span.set_attributes({
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "Groq",
                "gen_ai.request.model": MODEL, "gen_ai.tool.definitions": definitions,
                "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [
                    {"type": "tool_call", "id": "c1", "name": name, "arguments": arguments}]}]),
            })
    with tracer.start_as_current_span("GET /health"):
        pass  # no GenAI attributes: skipped, not an event
    with tracer.start_as_current_span("chat kimi-k2 (older instrumentation)") as span:
        span.set_attributes({"gen_ai.system": "groq", "gen_ai.request.model": MODEL,
                             "llm.request.functions.0.name": "get_weather",
                             "llm.request.functions.0.parameters": json.dumps(WEATHER_SCHEMA),
                             "gen_ai.completion.0.tool_calls.0.name": "get_weather",
                             "gen_ai.completion.0.tool_calls.0.arguments": '{"city": 1}'})
    provider.shutdown()
    assert counts(url, admin) == {"calls": 3, "valid": 1, "invalid_json": 1, "unknown_tool": 0,
                                  "schema_mismatch": 1, "other": 0}


class _Flaky(BaseHTTPRequestHandler):
    """A loopback server that answers 503 twice, then accepts; it keeps what it received."""

    bodies: list = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        ok = len(type(self).bodies) > 2
        payload = json.dumps({"accepted": len(body["events"]), "duplicates": 0, "rejected": []} if ok
                             else {"error": "busy"}).encode()
        self.send_response(200 if ok else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def test_client_retries_with_backoff_and_resends_the_same_ids():
    _Flaky.bodies = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client = ExactoClient(f"http://127.0.0.1:{httpd.server_port}", "k", backoff=0.01)
        client.record({"model": MODEL, "tools": TOOLS}, {"choices": []}, provider=PROVIDER)
        assert client.flush()[0]["accepted"] == 1
        ids = [[e["id"] for e in body["events"]] for body in _Flaky.bodies]
        assert len(ids) == 3 and ids[0] == ids[1] == ids[2]
        client.max_retries = 0
        _Flaky.bodies = []
        client.record({"model": MODEL}, {"choices": []}, provider=PROVIDER)
        with pytest.raises(ExactoError, match="503"):
            client.flush()
        assert client.pending == 1  # kept for a later resend
    finally:
        httpd.shutdown()


def test_client_sends_openai_streams_compacted_and_they_count_the_same(server):
    from exacto_client import _compact_stream
    from openai.types.chat import ChatCompletionChunk

    from tests.wire_payloads import chat_chunks

    url, ingest, admin = server
    chunks = [ChatCompletionChunk.model_validate(c) for c in chat_chunks("schema_mismatch")]
    compact = _compact_stream(chunks)
    assert len(json.dumps(compact)) < 0.6 * len(json.dumps([c.model_dump(mode="json") for c in chunks]))
    assert all("model" not in chunk for chunk in compact[1:])
    with ExactoClient(url, ingest) as client:
        client.record(chat_request() | {"model": MODEL}, iter(chunks), provider=PROVIDER)
    assert client.answers[0]["accepted"] == 1
    assert counts(url, admin)["schema_mismatch"] == 1
