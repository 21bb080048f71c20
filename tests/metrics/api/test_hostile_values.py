"""Issue 11, finding 5: hostile values are rejected by index with their reason, never a 500,
never a silent loss, and never a 500 on a later read (both databases: CI runs this module on
PostgreSQL and on SQLite)."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from metrics.models import BenchmarkRun, FailureSample, IgnoreEvent
from tests.metrics.api.helpers import (
    MODEL,
    PROVIDER,
    WEATHER_TOOL,
    endpoint_row,
    event,
    good,
    post_events,
    register,
    tool_call,
)
from tests.metrics.api.hostile import LONE_SURROGATE, YEAR_ONE

pytestmark = pytest.mark.django_db


def _post_raw(client, path: str, text: str):
    """A body sent exactly as written (1e999 and NaN are not what json.dumps would send)."""
    return client.generic("POST", path, text.encode("utf-8", "surrogatepass"),
                          content_type="application/json")


def _post_json(client, path: str, data: dict):
    """json.dumps escapes a lone surrogate as \\ud800, as a hostile gateway would send it."""
    return _post_raw(client, path, json.dumps(data))


def _reads_are_fine(admin_client_api, anon_client):
    for client in (admin_client_api, anon_client):
        for path in ("/api/v1/endpoints/", "/api/v1/benchmark-runs/", "/api/v1/burn-in/",
                     "/api/v1/route/"):
            response = client.get(path, {"model": MODEL})
            assert response.status_code == 200, (path, response.content[:300])
    assert Client().get(f"/models/{MODEL}/").status_code == 200
    staff = get_user_model().objects.create_superuser("root", "r@example.com", "pw-123456-x")
    admin = Client()
    admin.force_login(staff)
    for run in BenchmarkRun.objects.all():
        assert admin.get(f"/admin/metrics/benchmarkrun/{run.pk}/change/").status_code == 200
    for sample in FailureSample.objects.all():
        assert admin.get(f"/admin/metrics/failuresample/{sample.pk}/change/").status_code == 200


@pytest.mark.parametrize("field", ["user", "app", "id"])
def test_lone_surrogate_in_an_event_label_rejects_that_item_only(
        ingest_client, admin_client_api, anon_client, field):
    register(ingest_client)
    bad = good("bad", user="u-1")
    bad[field] = "x" + LONE_SURROGATE
    response = _post_json(ingest_client, "/api/v1/tool-calls/",
                          {"events": [good("before"), bad, good("after")]})
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert [r["index"] for r in body["rejected"]] == [1]
    assert "lone surrogate" in body["rejected"][0]["error"]
    assert endpoint_row(admin_client_api)["tool_calls"]["calls"] == 2
    _reads_are_fine(admin_client_api, anon_client)


@pytest.mark.parametrize("where", ["tool_name", "arguments"])
def test_lone_surrogate_in_a_failing_call_is_kept_as_readable_evidence(
        ingest_client, admin_client_api, anon_client, where):
    register(ingest_client)
    name, arguments = "get_weather", '{"city": 1}'
    if where == "tool_name":
        name = "get_" + LONE_SURROGATE
    else:
        arguments = '{"city": "' + LONE_SURROGATE + '"'  # invalid JSON: sampled as evidence
    body = _post_json(ingest_client, "/api/v1/tool-calls/",
                      {"events": [event("e1", [tool_call(name, arguments)]), good("e2")]}).json()
    assert body == {"accepted": 2, "duplicates": 0, "rejected": []}
    sample = FailureSample.objects.get()
    assert "\ufffd" in (sample.tool_name + sample.arguments)
    assert endpoint_row(admin_client_api)["tool_calls"]["calls"] == 2
    _reads_are_fine(admin_client_api, anon_client)


@pytest.mark.parametrize("number", ["NaN", "1e999", "-Infinity"])
def test_non_finite_numbers_in_a_failing_calls_schema_do_not_fail_the_batch(
        ingest_client, admin_client_api, anon_client, number):
    register(ingest_client)
    tool = json.dumps({**WEATHER_TOOL, "function": {
        **WEATHER_TOOL["function"],
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"], "x-limit": "__NUMBER__"}}})
    tool = tool.replace('"__NUMBER__"', number)
    bad = json.dumps(event("e1", [tool_call("get_weather", '{"town": "Paris"}')]))
    bad = bad.replace(json.dumps(WEATHER_TOOL), tool)
    text = '{"events": [' + bad + ", " + json.dumps(good("e2")) + "]}"
    response = _post_raw(ingest_client, "/api/v1/tool-calls/", text)
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert FailureSample.objects.get().parameters == {
        "note": "schema not kept: not plain JSON (NaN, infinity, NUL or a lone surrogate)"}
    assert endpoint_row(admin_client_api)["tool_calls"]["schema_mismatch"] == 1
    _reads_are_fine(admin_client_api, anon_client)


@pytest.mark.parametrize("field", ["created"])
def test_year_one_time_is_rejected_not_an_overflow(ingest_client, field):
    register(ingest_client)
    body = post_events(ingest_client, [good("a", created=YEAR_ONE), good("b")]).json()
    assert body["accepted"] == 1 and body["rejected"][0]["index"] == 0


def _run(run_id="r1", **extra):
    return {"id": run_id, "model": MODEL, "provider": PROVIDER, "benchmark": "aime25",
            "score": 80.0, "source": "internal", "run_at": "2026-01-01T00:00:00Z", **extra}


@pytest.mark.parametrize("raw, why", [
    ('"detail": {"x": NaN}', "detail"),
    ('"detail": {"x": 1e999}', "detail"),
    ('"detail": {"x": "\\ud800"}', "detail"),
    ('"samples": 1000000000000000000000000000000', "samples"),
    ('"source": "\\ud800"', "source"),
    ('"run_at": "' + YEAR_ONE + '"', "run_at"),
    ('"id": "r\\udfff"', "id"),
])
def test_hostile_benchmark_run_values_are_rejected_by_index_and_nothing_accepted_is_lost(
        ingest_client, admin_client_api, anon_client, raw, why):
    register(ingest_client)
    good_run = json.dumps(_run("good"))
    bad_run = json.dumps(_run("bad"))[:-1] + ", " + raw + "}"
    if why in ("source", "run_at", "id"):  # the later key wins in a JSON object
        bad_run = bad_run.replace(f'"{why}": ', f'"{why}-replaced": ', 1)
    response = _post_raw(ingest_client, "/api/v1/benchmark-runs/",
                         '{"runs": [' + bad_run + ", " + good_run + "]}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["accepted"] == 1, body
    assert [r["index"] for r in body["rejected"]] == [0]
    assert why in body["rejected"][0]["error"]
    # Nothing answered accepted is missing (the SQLite INSERT OR IGNORE trap).
    assert list(BenchmarkRun.objects.values_list("external_id", flat=True)) == ["good"]
    _reads_are_fine(admin_client_api, anon_client)


@pytest.mark.parametrize("field", ["user", "id"])
def test_lone_surrogate_in_an_ignore_item_is_rejected_by_index(ingest_client, field):
    register(ingest_client)
    item = {"id": "i1", "user": "u", "provider": PROVIDER, "model": MODEL, "action": "ignore"}
    bad = {**item, "id": "i2", field: "x" + LONE_SURROGATE}
    body = _post_json(ingest_client, "/api/v1/ignores/", {"events": [item, bad]}).json()
    assert body["accepted"] == 1 and body["rejected"][0]["index"] == 1
    assert IgnoreEvent.objects.count() == 1
