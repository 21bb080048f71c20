"""Issue 11, finding 1: one small request must not hold a worker (METHODOLOGY §1 work bounds).

An event may hold at most 128 tool calls and a batch has a total validation budget; what is
over either bound is rejected by index with a reason saying it may be resent, the rest is
stored.
"""

import time

import pytest

from metrics.models import ToolCallRollup
from tests.metrics.api.helpers import endpoint_row, event, good, post_events, register
from tests.metrics.api.hostile import hostile_tool, many_calls

pytestmark = pytest.mark.django_db


def test_an_event_over_128_calls_is_rejected_with_a_resend_reason_the_rest_stored(
        ingest_client, admin_client_api):
    register(ingest_client)
    big = event("big", many_calls(129, name="get_weather", arguments='{"city": "Paris"}'))
    ok = event("ok", many_calls(128, name="get_weather", arguments='{"city": "Paris"}'))
    body = post_events(ingest_client, [big, good("small"), ok]).json()
    assert body["accepted"] == 2
    [rejected] = body["rejected"]
    assert rejected["index"] == 0 and rejected["id"] == "big"
    assert "129 tool calls" in rejected["error"] and "resend" in rejected["error"]
    assert endpoint_row(admin_client_api)["tool_calls"]["calls"] == 129  # 1 + 128


def test_a_thousand_call_event_of_an_exponential_schema_is_refused_at_once(ingest_client):
    register(ingest_client)
    started = time.monotonic()
    body = post_events(ingest_client, [
        event("boom", many_calls(1000), tools=[hostile_tool()]), good("fine")]).json()
    assert time.monotonic() - started < 2.0  # today's main: 1,000 × 50 ms
    assert body["accepted"] == 1
    assert body["rejected"][0]["index"] == 0 and "resend" in body["rejected"][0]["error"]


def test_the_batch_validation_budget_bounds_a_batch_and_rejects_the_rest_by_index(
        ingest_client, admin_client_api, settings):
    settings.EXACTO_VALIDATION_BUDGET_MS = 20
    settings.EXACTO_BATCH_VALIDATION_BUDGET_MS = 300
    register(ingest_client)
    # 20 events × 100 calls that each spend the whole 20 ms per-call budget: 40 s unbounded.
    events = [event(f"slow-{i}", many_calls(100), tools=[hostile_tool()]) for i in range(20)]
    started = time.monotonic()
    body = post_events(ingest_client, [good("first"), *events]).json()
    elapsed = time.monotonic() - started
    assert elapsed < 3.0, elapsed
    assert body["accepted"] + len(body["rejected"]) == 21
    assert body["accepted"] >= 1 and len(body["rejected"]) >= 15
    for rejected in body["rejected"]:
        assert rejected["id"].startswith("slow-")
        assert "validation time budget" in rejected["error"] and "resend" in rejected["error"]
    accepted_slow = body["accepted"] - 1
    # Accepted events are counted whole (100 unchecked calls each); rejected ones not at all.
    row = endpoint_row(admin_client_api)["tool_calls"]
    assert row["calls"] == 1 + 100 * accepted_slow
    assert row["unchecked"] == 100 * accepted_slow

    # Resent in a batch of their own, the rejected events are taken (none was recorded).
    settings.EXACTO_BATCH_VALIDATION_BUDGET_MS = 60_000
    settings.EXACTO_VALIDATION_BUDGET_MS = 1
    resent = [e for e in events if e["id"] in {r["id"] for r in body["rejected"]}]
    again = post_events(ingest_client, resent).json()
    assert again["accepted"] == len(resent) and again["duplicates"] == 0


def test_work_bounds_are_settings(ingest_client, settings):
    settings.EXACTO_MAX_CALLS_PER_EVENT = 2
    register(ingest_client)
    body = post_events(ingest_client, [
        event("three", many_calls(3, name="get_weather", arguments='{"city": "X"}'))]).json()
    assert body["accepted"] == 0 and "more than the 2 allowed" in body["rejected"][0]["error"]
    assert not ToolCallRollup.objects.exists()
