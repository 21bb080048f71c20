"""Contract: POST /api/v1/tool-calls/ and the figures it feeds (API.md, METHODOLOGY §1, §2, §4)."""

import math
from datetime import UTC, datetime, timedelta

import pytest

from metrics.models import FailureSample
from tests.metrics.api.helpers import (
    FREEFORM_TOOL,
    MODEL,
    WEATHER_TOOL,
    endpoint_row,
    event,
    good,
    now_iso,
    post_events,
    register,
    tool_call,
)

pytestmark = pytest.mark.django_db

OUTCOMES = ("valid", "unchecked", "invalid_json", "unknown_tool", "schema_mismatch")


def outcome_counts(client) -> dict:
    tc = endpoint_row(client)["tool_calls"]
    return {name: tc[name] for name in OUTCOMES}


def only(outcome: str, n: int = 1) -> dict:
    counts = dict.fromkeys(OUTCOMES, 0)
    counts[outcome] = n
    return counts


@pytest.fixture
def endpoint(ingest_client):
    return register(ingest_client).json()


def ingest_one(client, item) -> None:
    body = post_events(client, [item]).json()
    assert body == {"accepted": 1, "duplicates": 0, "rejected": []}, body


@pytest.mark.parametrize(
    ("calls", "tools", "expected"),
    [
        ([tool_call("get_weather", '{"city": "Paris"}')], [WEATHER_TOOL], "valid"),
        ([tool_call("ping", "{}")], [FREEFORM_TOOL], "unchecked"),
        ([tool_call("get_weather", '{"city": ')], [WEATHER_TOOL], "invalid_json"),
        ([tool_call("get_weather", "")], [WEATHER_TOOL], "invalid_json"),
        ([tool_call("get_weather", {"city": "Paris"})], [WEATHER_TOOL], "invalid_json"),
        ([tool_call("get_weather", "NaN")], [WEATHER_TOOL], "invalid_json"),
        ([tool_call("get_weather", '{"city": 42}')], [WEATHER_TOOL], "schema_mismatch"),
        ([tool_call("get_weather", "{}")], [WEATHER_TOOL], "schema_mismatch"),
        ([tool_call("Get_Weather", '{"city": "Paris"}')], [WEATHER_TOOL], "unknown_tool"),
        ([tool_call("functions.get_weather", '{"city": "Paris"}')], [WEATHER_TOOL], "unknown_tool"),
        # Order of checks: invalid JSON beats unknown tool beats mismatch.
        ([tool_call("no_such_tool", "{oops")], [WEATHER_TOOL], "invalid_json"),
        ([tool_call("no_such_tool", '{"city": 42}')], [WEATHER_TOOL], "unknown_tool"),
        ([tool_call("get_weather", "[1,")], [WEATHER_TOOL], "invalid_json"),
    ],
    ids=["valid", "no-parameters-unchecked", "truncated-json", "empty-string", "non-string",
         "nan-not-json", "wrong-type", "missing-required", "case-sensitive-name",
         "no-prefix-stripping", "invalid-json-beats-unknown-tool",
         "unknown-tool-beats-mismatch", "invalid-json-beats-mismatch"],
)
def test_each_call_gets_exactly_one_outcome_in_methodology_order(
    endpoint, ingest_client, admin_client_api, calls, tools, expected
):
    ingest_one(ingest_client, event("e1", calls, tools=tools))
    assert outcome_counts(admin_client_api) == only(expected)
    assert endpoint_row(admin_client_api)["tool_calls"]["calls"] == 1


def test_unchecked_calls_count_as_correct_in_accuracy(endpoint, ingest_client, admin_client_api):
    events = [
        event("u1", [tool_call("ping", "{}")], tools=[FREEFORM_TOOL]),
        event("u2", [tool_call("ping", '{"x": 1}')], tools=[FREEFORM_TOOL]),
        event("bad", [tool_call("get_weather", "")]),
        good("ok"),
    ]
    post_events(ingest_client, events)
    tc = endpoint_row(admin_client_api)["tool_calls"]
    assert (tc["unchecked"], tc["valid"], tc["invalid_json"], tc["calls"]) == (2, 1, 1, 4)
    assert tc["accuracy"] == pytest.approx(3 / 4)


PREFIX_ITEMS_TOOL = {
    "type": "function",
    "function": {
        "name": "pair",
        "parameters": {
            "type": "object",
            "properties": {"pair": {"type": "array", "prefixItems": [{"type": "integer"}]}},
        },
    },
}


def test_draft_2020_12_schema_keyword_is_honoured_when_named(endpoint, ingest_client, admin_client_api):
    tool = {"type": "function", "function": {
        **PREFIX_ITEMS_TOOL["function"],
        "parameters": {"$schema": "https://json-schema.org/draft/2020-12/schema",
                       **PREFIX_ITEMS_TOOL["function"]["parameters"]},
    }}
    ingest_one(ingest_client, event("d2020", [tool_call("pair", '{"pair": ["x"]}')], tools=[tool]))
    assert outcome_counts(admin_client_api) == only("schema_mismatch")


def test_draft_7_is_the_default_so_prefix_items_is_ignored(endpoint, ingest_client, admin_client_api):
    ingest_one(ingest_client,
               event("d7", [tool_call("pair", '{"pair": ["x"]}')], tools=[PREFIX_ITEMS_TOOL]))
    assert outcome_counts(admin_client_api) == only("valid")


@pytest.mark.parametrize(
    "tool_choice",
    ["none", "required", {"type": "function", "function": {"name": "get_weather"}}],
    ids=["none", "required", "named"],
)
def test_forced_tool_choice_is_excluded_from_propensity_but_counts_for_accuracy(
    endpoint, ingest_client, admin_client_api, tool_choice
):
    post_events(ingest_client, [
        event("forced-call", [tool_call("get_weather", '{"city": 1}')], tool_choice=tool_choice),
        event("forced-nocall", [], tool_choice=tool_choice),
        good("auto-call", tool_choice="auto"),
        event("absent-nocall", []),
    ])
    tc = endpoint_row(admin_client_api)["tool_calls"]
    assert tc["requests_with_tools"] == 4
    assert tc["propensity_requests"] == 2
    assert tc["propensity_requests_with_calls"] == 1
    assert tc["propensity"] == pytest.approx(0.5)
    assert tc["calls"] == 2
    assert tc["schema_mismatch"] == 1
    assert tc["accuracy"] == pytest.approx(0.5)


def test_request_without_tools_is_not_a_tool_request(endpoint, ingest_client, admin_client_api):
    post_events(ingest_client, [event("no-tools", [], tools=[]), good("g")])
    tc = endpoint_row(admin_client_api)["tool_calls"]
    assert tc["requests_with_tools"] == 1
    assert tc["propensity_requests"] == 1


def test_request_error_rate_is_per_request_not_per_call(endpoint, ingest_client, admin_client_api):
    post_events(ingest_client, [
        # One request, three calls, one bad: one errored request.
        event("r1", [tool_call("get_weather", '{"city": "a"}', "c1"),
                     tool_call("get_weather", "oops", "c2"),
                     tool_call("get_weather", '{"city": "b"}', "c3")]),
        good("r2"),
        event("r3", [tool_call("nope", "{}"), tool_call("get_weather", '{"city": 5}', "c2")]),
        event("r4", [tool_call("ping", "{}")], tools=[FREEFORM_TOOL]),
    ])
    tc = endpoint_row(admin_client_api)["tool_calls"]
    assert tc["requests_with_tools"] == 4
    assert tc["errored_requests"] == 2
    assert tc["request_error_rate"] == pytest.approx(0.5)
    assert tc["calls"] == 7
    assert tc["accuracy"] == pytest.approx(4 / 7)


def test_resent_batch_is_all_duplicates_and_changes_nothing(endpoint, ingest_client, admin_client_api):
    batch = [good("a"), event("b", [tool_call("get_weather", "x")]), event("c", [])]
    first = post_events(ingest_client, batch).json()
    before = endpoint_row(admin_client_api)["tool_calls"]
    second = post_events(ingest_client, batch).json()
    after = endpoint_row(admin_client_api)["tool_calls"]

    assert first == {"accepted": 3, "duplicates": 0, "rejected": []}
    assert second == {"accepted": 0, "duplicates": 3, "rejected": []}
    assert after == before
    assert FailureSample.objects.count() == 1


def test_same_id_twice_in_one_batch_counts_once(endpoint, ingest_client, admin_client_api):
    body = post_events(ingest_client, [good("same"), good("same"), good("other")]).json()
    assert body == {"accepted": 2, "duplicates": 1, "rejected": []}
    assert endpoint_row(admin_client_api)["tool_calls"]["calls"] == 2


def test_unregistered_endpoint_is_rejected_with_reason_and_rest_stored(
    endpoint, ingest_client, admin_client_api
):
    body = post_events(ingest_client, [good("ok1"), good("stranger", provider="unregistered"),
                                       good("ok2")]).json()
    assert body["accepted"] == 2
    assert body["duplicates"] == 0
    assert len(body["rejected"]) == 1
    rejected = body["rejected"][0]
    assert rejected["index"] == 1 and rejected["id"] == "stranger"
    assert "not registered" in rejected["error"]
    assert endpoint_row(admin_client_api)["tool_calls"]["calls"] == 2


def test_bad_items_are_rejected_with_index_id_and_error(endpoint, ingest_client, admin_client_api):
    missing_id = good("x")
    del missing_id["id"]
    items = [
        good("fine"),
        missing_id,
        "not an object",
        good("bad-created", created="yesterday-ish"),
        good("future", created=now_iso(timedelta(days=2))),
        good("naive", created="2025-10-20T12:00:00"),
        {**good("no-request"), "request": "text"},
    ]
    body = post_events(ingest_client, items).json()

    assert body["accepted"] == 1
    by_index = {r["index"]: r for r in body["rejected"]}
    assert sorted(by_index) == [1, 2, 3, 4, 5, 6]
    assert by_index[1]["id"] is None and "id" in by_index[1]["error"]
    assert by_index[2]["id"] is None and "object" in by_index[2]["error"]
    assert by_index[3]["id"] == "bad-created" and "created" in by_index[3]["error"]
    assert by_index[4]["id"] == "future" and "future" in by_index[4]["error"]
    assert by_index[5]["id"] == "naive" and "created" in by_index[5]["error"]
    assert by_index[6]["id"] == "no-request"
    assert all(isinstance(r["error"], str) and r["error"] for r in body["rejected"])
    assert endpoint_row(admin_client_api)["tool_calls"]["calls"] == 1


def _wilson(successes: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def test_large_app_is_capped_to_1000_requests_per_day(endpoint, ingest_client, admin_client_api):
    created = now_iso(-timedelta(minutes=1))
    big = [good(f"big-{i}", app="big-app", created=created) for i in range(1500)]
    small = [event(f"small-{i}", [tool_call("get_weather", "")], app="small-app", created=created)
             for i in range(500)]
    for start in range(0, 1500, 1000):
        assert post_events(ingest_client, big[start:start + 1000]).json()["rejected"] == []
    assert post_events(ingest_client, small).json()["accepted"] == 500

    tc = endpoint_row(admin_client_api)["tool_calls"]

    # Raw counts stay raw...
    assert tc["calls"] == 2000 and tc["valid"] == 1500 and tc["invalid_json"] == 500
    assert tc["requests_with_tools"] == 2000 and tc["errored_requests"] == 500
    # ...rates use the capped counts: big-app contributes 1000 valid of 1000, small 0 of 500.
    assert tc["accuracy"] == pytest.approx(1000 / 1500)
    assert tc["accuracy"] != pytest.approx(1500 / 2000)
    assert tc["request_error_rate"] == pytest.approx(500 / 1500)
    low, high = _wilson(1000, 1500)
    assert tc["accuracy_ci95"][0] == pytest.approx(low, abs=1e-4)
    assert tc["accuracy_ci95"][1] == pytest.approx(high, abs=1e-4)


def test_app_at_exactly_the_cap_is_not_scaled(endpoint, ingest_client, admin_client_api, settings):
    settings.EXACTO_APP_DAILY_CAP = 4
    created = now_iso(-timedelta(minutes=1))
    post_events(ingest_client, [good(f"b{i}", app="big", created=created) for i in range(4)]
                + [event("s", [tool_call("get_weather", "")], app="small", created=created)])
    assert endpoint_row(admin_client_api)["tool_calls"]["accuracy"] == pytest.approx(4 / 5)

    post_events(ingest_client, [good(f"b{i}", app="big", created=created) for i in range(4, 8)])
    # big now has 8 requests, scaled by 4/8: 4 correct of 5 capped calls.
    tc = endpoint_row(admin_client_api)["tool_calls"]
    assert tc["calls"] == 9
    assert tc["accuracy"] == pytest.approx(4 / 5)


def test_every_rate_carries_a_wilson_interval_on_capped_counts(endpoint, ingest_client,
                                                                admin_client_api, settings):
    """§4: request error rate and each failure mode's rate, overall and per bucket."""
    settings.EXACTO_APP_DAILY_CAP = 4
    created = now_iso(-timedelta(minutes=1))
    # big: 8 requests (scaled by 4/8), half of them with a mismatching call; small: 3 requests,
    # one invalid JSON, one unknown tool, one valid.
    big = [good(f"b{i}", app="big", created=created) for i in range(4)] + [
        event(f"bm{i}", [tool_call("get_weather", '{"city": 1}')], app="big", created=created)
        for i in range(4)]
    small = [event("s1", [tool_call("get_weather", "{")], app="small", created=created),
             event("s2", [tool_call("nope", "{}")], app="small", created=created),
             good("s3", app="small", created=created)]
    assert post_events(ingest_client, big + small).json()["accepted"] == 11

    row = endpoint_row(admin_client_api)
    capped_calls = 8 * 0.5 + 3
    expected = {"invalid_json": 1, "unknown_tool": 1, "schema_mismatch": 4 * 0.5}
    for figures in (row["tool_calls"], row["buckets"]["simple"]):
        assert figures["request_error_rate"] == pytest.approx((2 + 4 * 0.5) / capped_calls)
        low, high = _wilson(2 + 4 * 0.5, capped_calls)
        assert figures["request_error_rate_ci95"] == pytest.approx([low, high], abs=1e-6)
        for name, capped in expected.items():
            assert figures[f"{name}_rate"] == pytest.approx(capped / capped_calls), name
            assert figures[f"{name}_rate_ci95"] == pytest.approx(
                list(_wilson(capped, capped_calls)), abs=1e-6), name
    empty = row["buckets"]["complex"]
    assert empty["request_error_rate_ci95"] is None and empty["invalid_json_rate_ci95"] is None


def test_days_parameter_bounds_the_window(endpoint, ingest_client, admin_client_api):
    today = datetime.now(UTC).date()
    three_days_ago = datetime(today.year, today.month, today.day, 12, tzinfo=UTC) - timedelta(days=3)
    post_events(ingest_client, [
        good("old", created=three_days_ago.isoformat()),
        good("older", created=(three_days_ago - timedelta(days=10)).isoformat()),
        good("new", created=now_iso(-timedelta(minutes=1))),
    ])
    calls = {days: endpoint_row(admin_client_api, days=days)["tool_calls"] for days in (1, 3, 4, 14)}
    assert calls[1]["calls"] == 1 and calls[1]["window_days"] == 1
    assert calls[3]["calls"] == 1
    assert calls[4]["calls"] == 2
    assert calls[14]["calls"] == 3 and calls[14]["window_days"] == 14
    assert endpoint_row(admin_client_api)["tool_calls"]["calls"] == 2  # default 7 days


def test_failure_samples_are_stored_and_bounded_per_day_and_outcome(
    endpoint, ingest_client, settings
):
    settings.EXACTO_FAILURE_SAMPLES_PER_DAY = 3
    created = now_iso(-timedelta(minutes=1))
    post_events(ingest_client,
                [event(f"bad-{i}", [tool_call("get_weather", "{")], created=created) for i in range(5)]
                + [event(f"unk-{i}", [tool_call("nope", "{}")], created=created) for i in range(2)]
                + [good(f"ok-{i}", created=created) for i in range(3)])
    post_events(ingest_client,
                [event(f"more-{i}", [tool_call("get_weather", "")], created=created) for i in range(4)])

    samples = FailureSample.objects.all()
    assert samples.filter(outcome="invalid_json").count() == 3
    assert samples.filter(outcome="unknown_tool").count() == 2
    assert samples.filter(outcome__in=["valid", "unchecked"]).count() == 0
    sample = samples.filter(outcome="unknown_tool").first()
    assert sample.tool_name == "nope" and sample.event_id.startswith("unk-")
    assert sample.endpoint.model.slug == MODEL


def test_bucket_bounds_come_from_the_settings(endpoint, ingest_client, admin_client_api, settings):
    # METHODOLOGY §3: the bounds shown on /methodology/ are the ones used.
    call = [tool_call("get_weather", '{"city": "Paris"}')]
    ingest_one(ingest_client, event("default-bounds", call))
    settings.EXACTO_BUCKET_SIMPLE_MAX = 0
    settings.EXACTO_BUCKET_MEDIUM_MAX = 1
    ingest_one(ingest_client, event("tight-bounds", call))
    buckets = endpoint_row(admin_client_api)["buckets"]
    assert (buckets["simple"]["calls"], buckets["medium"]["calls"], buckets["complex"]["calls"]) == (1, 0, 1)
