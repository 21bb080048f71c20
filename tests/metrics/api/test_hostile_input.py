"""Hostile input never stalls or crashes ingestion, and never touches the network (METHODOLOGY §1)."""

import json
import socket
import time

import pytest

from tests.metrics.api.helpers import endpoint_row, event, post_events, register, tool_call

pytestmark = pytest.mark.django_db

REMOTE_REF_TOOL = {"type": "function", "function": {
    "name": "remote",
    "parameters": {"type": "object",
                   "properties": {"x": {"$ref": "http://example.invalid/schema.json"}}},
}}
EVIL_PATTERN_TOOL = {"type": "function", "function": {
    "name": "evil",
    "parameters": {"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a+)+$"}},
                   "required": ["s"]},
}}


def _is_local(address) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) else address
    return host in ("127.0.0.1", "::1", "localhost")


@pytest.fixture
def network_guard(monkeypatch):
    """Records (and refuses) every attempt to reach a non-loopback address."""
    attempts = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_create = socket.create_connection

    def connect(self, address):
        if self.family != socket.AF_UNIX and not _is_local(address):
            attempts.append(address)
            raise OSError(f"network access attempted: {address!r}")
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family != socket.AF_UNIX and not _is_local(address):
            attempts.append(address)
            raise OSError(f"network access attempted: {address!r}")
        return real_connect_ex(self, address)

    def create_connection(address, *args, **kwargs):
        if not _is_local(address):
            attempts.append(address)
            raise OSError(f"network access attempted: {address!r}")
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return attempts


def test_network_guard_catches_outbound_connections(network_guard):
    with pytest.raises(OSError):
        socket.create_connection(("192.0.2.1", 80), timeout=0.01)
    assert network_guard == [("192.0.2.1", 80)]


def test_remote_ref_and_catastrophic_pattern_are_answered_fast_without_network(
    ingest_client, admin_client_api, network_guard
):
    register(ingest_client)
    batch = [
        event("remote-ref", [tool_call("remote", '{"x": {"y": 1}}')], tools=[REMOTE_REF_TOOL]),
        event("redos", [tool_call("evil", json.dumps({"s": "a" * 40 + "!"}))],
              tools=[EVIL_PATTERN_TOOL]),
        event("redos-ok", [tool_call("evil", json.dumps({"s": "a" * 40}))],
              tools=[EVIL_PATTERN_TOOL]),
    ]
    started = time.monotonic()
    response = post_events(ingest_client, batch)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    assert elapsed < 5.0
    assert network_guard == []
    tc = endpoint_row(admin_client_api)["tool_calls"]
    assert tc["unchecked"] == 1  # the remote $ref cannot be checked
    assert tc["schema_mismatch"] == 1  # re2 decides "a"*40+"!" does not match
    assert tc["valid"] == 1


def test_body_nested_10000_deep_is_400_not_500(ingest_client):
    body = b'{"events": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    response = ingest_client.generic("POST", "/api/v1/tool-calls/", body,
                                     content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]


def test_arguments_nested_5000_deep_are_stored_not_a_500(ingest_client, admin_client_api):
    register(ingest_client)
    deep = '{"city": ' + "[" * 5000 + "]" * 5000 + "}"
    response = post_events(ingest_client, [event("deep-args", [tool_call("get_weather", deep)])])
    assert response.status_code == 200
    assert response.json()["accepted"] == 1
    tc = endpoint_row(admin_client_api)["tool_calls"]
    assert tc["calls"] == 1
    assert tc["valid"] == 0


def test_huge_enum_is_answered_quickly(ingest_client, admin_client_api):
    register(ingest_client)
    enum = [f"value-{i}" for i in range(100_000)]
    tool = {"type": "function", "function": {
        "name": "pick", "parameters": {"type": "object",
                                       "properties": {"v": {"type": "string", "enum": enum}}}}}
    batch = [event(f"enum-{i}", [tool_call("pick", json.dumps({"v": f"value-{99_999 - i}"}))],
                   tools=[tool]) for i in range(3)]
    started = time.monotonic()
    response = post_events(ingest_client, batch)
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json()["accepted"] == 3
    assert elapsed < 5.0
    tc = endpoint_row(admin_client_api)["tool_calls"]
    assert tc["calls"] == 3
    assert tc["valid"] + tc["unchecked"] == 3


# NUL characters: PostgreSQL text and jsonb cannot hold them, so they must be refused or
# dropped before they reach the database, never turned into a 500.

@pytest.mark.parametrize("path", ["/api/v1/endpoints/", "/api/v1/route/",
                                  "/api/v1/benchmark-runs/", "/api/v1/burn-in/"])
def test_nul_in_model_query_is_a_json_4xx_not_500(anon_client, path):
    response = anon_client.get(path, {"model": "acme/x\x00y"})
    assert response.status_code == 400
    assert response.json()["error"] == "NUL characters are not allowed."


def test_nul_in_benchmark_query_is_a_400(ingest_client, anon_client):
    register(ingest_client)
    response = anon_client.get("/api/v1/benchmark-runs/",
                               {"model": "acme/tool-model", "benchmark": "a\x00b"})
    assert response.status_code == 400


@pytest.mark.parametrize("field", ["id", "app", "quantization", "user"])
def test_nul_in_event_labels_rejects_the_item_not_the_batch(ingest_client, admin_client_api, field):
    register(ingest_client)
    bad = event("bad-nul", [tool_call("get_weather", '{"city": "x"}')])
    bad[field] = "evil\x00value"
    ok = event("ok", [tool_call("get_weather", '{"city": "x"}')])
    response = post_events(ingest_client, [ok, bad])
    assert response.status_code == 200
    body = response.json()
    if field == "user":  # users are hashed on receipt: a NUL is harmless
        assert body["accepted"] == 2
    else:
        assert body["accepted"] == 1
        assert [r["index"] for r in body["rejected"]] == [1]
    assert endpoint_row(admin_client_api)["tool_calls"]["calls"] == body["accepted"]


def test_nul_in_failing_arguments_and_schema_is_stored_as_a_sample(ingest_client, admin_client_api):
    from metrics.models import FailureSample

    register(ingest_client)
    tool = {"type": "function", "function": {
        "name": "get_weather", "description": "nul \x00 here",
        "parameters": {"type": "object", "description": "x\x00y",
                       "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
    batch = [
        event("nul-json", [tool_call("get_weather", '{"city": "a\x00')], tools=[tool]),
        event("nul-mismatch", [tool_call("get_weather", '{"city": 1, "k\\u0000": "\\u0000"}')],
              tools=[tool]),
        event("nul-unknown", [tool_call("get\x00weather", "{}")], tools=[tool]),
    ]
    response = post_events(ingest_client, batch)
    assert response.status_code == 200
    assert response.json()["accepted"] == 3
    tc = endpoint_row(admin_client_api)["tool_calls"]
    assert (tc["invalid_json"], tc["schema_mismatch"], tc["unknown_tool"]) == (1, 1, 1)
    assert FailureSample.objects.count() == 3


def test_nul_in_ignore_and_benchmark_items_is_not_500(ingest_client):
    register(ingest_client)
    response = ingest_client.post("/api/v1/ignores/", {"events": [
        {"id": "i\x00d", "user": "u", "provider": "fastinfer", "action": "ignore"}]}, format="json")
    assert response.status_code == 200
    assert response.json()["accepted"] == 0 and len(response.json()["rejected"]) == 1
    response = ingest_client.post("/api/v1/benchmark-runs/", {"runs": [
        {"id": "r1", "model": "acme/tool-model", "provider": "fastinfer", "benchmark": "aime25",
         "score": 50, "source": "in\x00ternal"},
        {"id": "r2", "model": "acme/tool-model", "provider": "fastinfer", "benchmark": "aime25",
         "score": 50, "detail": {"note": "a\x00b"}},
        {"id": "r3", "model": "acme/tool-model", "provider": "fastinfer", "benchmark": "aime25",
         "score": 50}]}, format="json")
    assert response.status_code == 200
    assert response.json()["accepted"] == 1
    assert sorted(r["id"] for r in response.json()["rejected"]) == ["r1", "r2"]
