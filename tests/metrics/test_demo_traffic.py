"""The demo traffic generator: deterministic, in the API.md event shapes, and
faithful to the behaviours the catalog and docs/demo-data.md promise."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import islice

import pytest
from jsonschema import Draft7Validator

from metrics.complexity import bucket_for, complexity_score
from metrics.demo import (
    BEHAVIOURS,
    MODELS,
    PROVIDERS,
    TOOLS,
    generate_ignore_events,
    generate_tool_call_events,
)
from metrics.demo.catalog import (
    BROKEN_PARSER,
    BURNING_IN,
    COMPLEX_RELUCTANT,
    HEALTHY,
    LOW_PROPENSITY,
    OFTEN_IGNORED,
    QUANTIZED,
)
from metrics.toolcalls import classify

END = date(2025, 11, 20)
DAYS = 21
SLUG = re.compile(r"^[a-z0-9-]+$")
RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
BUCKET_OF = {tool.name: tool.bucket for tool in TOOLS}


@cache
def default_events() -> tuple[dict, ...]:
    return tuple(generate_tool_call_events(MODELS, end=END))


@cache
def default_ignores() -> tuple[dict, ...]:
    return tuple(generate_ignore_events(MODELS, end=END))


def behaviour_of(model: str, provider: str):
    for demo_model in MODELS:
        if demo_model.slug == model:
            for endpoint in demo_model.endpoints:
                if endpoint.provider == provider:
                    return endpoint.behaviour
    raise KeyError((model, provider))


def outcome(call: dict, tools: list[dict]) -> str:
    """METHODOLOGY.md §1, written out independently of the product code so
    the generator is checked against the spec itself."""
    arguments = call["function"]["arguments"]
    if not isinstance(arguments, str):
        return "invalid_json"
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return "invalid_json"
    by_name = {tool["function"]["name"]: tool["function"] for tool in tools}
    function = by_name.get(call["function"]["name"])
    if function is None:
        return "unknown_tool"
    if "parameters" not in function:
        return "unchecked"
    if not _validator(json.dumps(function["parameters"], sort_keys=True)).is_valid(parsed):
        return "schema_mismatch"
    return "valid"


@cache
def _validator(schema: str) -> Draft7Validator:
    return Draft7Validator(json.loads(schema))


@cache
def stats_by_endpoint() -> dict[tuple[str, str], dict[str, Counter]]:
    """Outcome counts per endpoint: overall, per bucket, per week, propensity."""
    stats: dict[tuple[str, str], dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for event in default_events():
        key = (event["model"], event["provider"])
        request = event["request"]
        message = event["response"]["choices"][0]["message"]
        calls = message.get("tool_calls") or []
        if request.get("tool_choice", "auto") == "auto":
            stats[key]["propensity"]["eligible"] += 1
            stats[key]["propensity"]["called"] += bool(calls)
        week = (END - date.fromisoformat(event["created"][:10])).days // 7
        for call in calls:
            result = outcome(call, request["tools"])
            stats[key]["all"][result] += 1
            stats[key][f"week{week}"][result] += 1
            offered = {tool["function"]["name"] for tool in request["tools"]}
            if call["function"]["name"] in offered:
                stats[key][BUCKET_OF[call["function"]["name"]]][result] += 1
            if result == "unknown_tool":
                stats[key]["unknown_names"][call["function"]["name"]] += 1
    return stats


def share(counts: Counter, *outcomes: str) -> float:
    total = sum(counts[name] for name in ("valid", "unchecked", "invalid_json",
                                          "unknown_tool", "schema_mismatch"))
    return sum(counts[name] for name in outcomes) / total


def failure_share(counts: Counter) -> float:
    return share(counts, "invalid_json", "unknown_tool", "schema_mismatch")


def endpoints_with(behaviour) -> list[tuple[str, str]]:
    return [
        (model.slug, endpoint.provider)
        for model in MODELS
        for endpoint in model.endpoints
        if endpoint.behaviour is behaviour and endpoint.traffic >= 1.0
    ]


# --- Catalog ----------------------------------------------------------------


def test_catalog_has_the_five_launch_models_with_their_release_dates():
    assert {model.slug: model.released for model in MODELS} == {
        "moonshotai/kimi-k2-0905": date(2025, 9, 5),
        "deepseek/deepseek-v3.1-terminus": date(2025, 9, 22),
        "z-ai/glm-4.6": date(2025, 9, 30),
        "openai/gpt-oss-120b": date(2025, 8, 5),
        "qwen/qwen3-coder": date(2025, 7, 22),
    }


def test_each_model_has_5_to_12_endpoints_of_distinct_registered_providers():
    registered = {provider.slug for provider in PROVIDERS}
    for model in MODELS:
        providers = [endpoint.provider for endpoint in model.endpoints]
        assert 5 <= len(providers) <= 12, model.slug
        assert len(set(providers)) == len(providers), model.slug
        assert set(providers) <= registered, model.slug


def test_each_model_has_at_least_three_busy_healthy_endpoints_for_its_pool():
    for model in MODELS:
        healthy = [
            endpoint
            for endpoint in model.endpoints
            if endpoint.behaviour is HEALTHY and endpoint.traffic >= 1.0
        ]
        assert len(healthy) >= 3, model.slug


def test_reference_provider_is_a_healthy_endpoint_of_its_model():
    for model in MODELS:
        if model.reference_provider is None:
            continue
        assert behaviour_of(model.slug, model.reference_provider) is HEALTHY


def test_slugs_follow_the_api_conventions():
    for provider in PROVIDERS:
        assert SLUG.match(provider.slug), provider.slug
    for model in MODELS:
        author, name = model.slug.split("/")
        assert SLUG.match(author) and name
        for endpoint in model.endpoints:
            assert endpoint.quantization in {"fp4", "fp8", "bf16", "fp16", "int4", "int8"}


def test_every_behaviour_is_used_and_described():
    used = {endpoint.behaviour.name for model in MODELS for endpoint in model.endpoints}
    assert used == {behaviour.name for behaviour in BEHAVIOURS}
    assert all(behaviour.description for behaviour in BEHAVIOURS)


def test_declared_tool_buckets_match_the_methodology_complexity_score():
    for tool in TOOLS:
        assert bucket_for(complexity_score(tool.parameters)) == tool.bucket, tool.name
    assert {tool.bucket for tool in TOOLS} == {"simple", "medium", "complex"}


# --- Tool-call events: shape and determinism ---------------------------------


def test_same_seed_gives_identical_events():
    again = tuple(generate_tool_call_events(MODELS, end=END))
    assert again == default_events()


def test_another_seed_gives_other_content_under_the_same_ids():
    first = list(islice(generate_tool_call_events(MODELS, end=END, seed=1), 200))
    second = list(islice(generate_tool_call_events(MODELS, end=END, seed=2), 200))
    assert [event["id"] for event in first] != [] and first != second


def test_event_ids_are_unique_and_name_model_provider_and_day():
    ids = [event["id"] for event in default_events()]
    assert len(ids) == len(set(ids))
    event = default_events()[0]
    day = event["created"][:10].replace("-", "")
    model = event["model"].replace("/", "-")
    assert event["id"].startswith(f"demo-{model}-{event['provider']}-{day}-")


def test_default_volume_is_between_30k_and_45k_events():
    assert 30_000 <= len(default_events()) <= 45_000


def test_every_event_has_the_api_tool_call_shape():
    for event in default_events():
        assert set(event) <= {"id", "model", "provider", "app", "user", "created",
                              "request", "response"}
        assert {"id", "model", "provider", "user", "created", "request", "response"} <= set(event)
        assert RFC3339_Z.match(event["created"])
        tools = event["request"]["tools"]
        assert 1 <= len(tools) <= 4
        for tool in tools:
            assert tool["type"] == "function" and tool["function"]["name"]
        choice = event["response"]["choices"][0]
        message = choice["message"]
        assert message["role"] == "assistant"
        if message.get("tool_calls"):
            assert choice["finish_reason"] == "tool_calls"
            for call in message["tool_calls"]:
                assert call["type"] == "function" and call["id"]
                assert set(call["function"]) == {"name", "arguments"}
        else:
            assert choice["finish_reason"] == "stop" and message["content"]


def test_events_only_name_catalog_endpoints():
    endpoints = {(m.slug, e.provider) for m in MODELS for e in m.endpoints}
    seen = {(event["model"], event["provider"]) for event in default_events()}
    assert seen == endpoints


def test_created_times_fall_inside_the_window():
    first = datetime.combine(END - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    last = datetime.combine(END + timedelta(days=1), datetime.min.time(), UTC)
    for event in default_events():
        created = datetime.fromisoformat(event["created"].replace("Z", "+00:00"))
        assert first <= created < last


def test_days_before_a_models_release_are_skipped():
    events = list(generate_tool_call_events(MODELS, end=date(2025, 10, 2), days=5))
    glm = [event for event in events if event["model"] == "z-ai/glm-4.6"]
    assert glm and min(event["created"][:10] for event in glm) == "2025-09-30"


def test_tool_choice_mix_covers_every_form_and_is_honoured():
    seen = Counter()
    named_honoured = 0
    for event in default_events():
        choice = event["request"].get("tool_choice", "absent")
        calls = event["response"]["choices"][0]["message"].get("tool_calls") or []
        if isinstance(choice, dict):
            seen["named"] += 1
            assert len(calls) == 1
            named_honoured += calls[0]["function"]["name"] == choice["function"]["name"]
        else:
            seen[choice] += 1
            if choice == "none":
                assert calls == []
            if choice == "required":
                assert calls
    total = sum(seen.values())
    assert seen["absent"] + seen["auto"] > 0.7 * total
    assert min(seen["required"], seen["none"], seen["named"]) > 0.02 * total
    # Only the broken-parser endpoints rename a named tool.
    assert named_honoured > 0.95 * seen["named"]


def test_some_responses_hold_several_tool_calls():
    sizes = Counter(
        len(event["response"]["choices"][0]["message"].get("tool_calls") or [])
        for event in default_events()
    )
    assert sizes[2] > 0.05 * sum(sizes.values()) and sizes[3] > 0


def test_one_app_is_much_heavier_than_the_others():
    apps = Counter(event.get("app") for event in default_events())
    (top, top_count), (_, second_count) = apps.most_common(2)
    assert top == "acme-agent" and top_count > 1.8 * second_count
    assert len(apps) >= 6


def test_each_model_has_about_200_users_with_skewed_activity():
    for model in MODELS:
        users = Counter(e["user"] for e in default_events() if e["model"] == model.slug)
        assert 150 <= len(users) <= 200, model.slug
        top_tenth = sum(count for _, count in users.most_common(len(users) // 10))
        assert top_tenth > 0.3 * sum(users.values()), model.slug


# --- Tool-call events: behaviours --------------------------------------------


def test_healthy_endpoints_fail_well_under_two_percent_of_calls():
    for key in endpoints_with(HEALTHY):
        assert failure_share(stats_by_endpoint()[key]["all"]) < 0.02, key


def test_good_calls_validate_against_their_schema():
    # Healthy endpoints are mostly good calls; every one of those must be
    # valid or (for the parameterless tool) unchecked, never a silent mismatch.
    counts = stats_by_endpoint()[("z-ai/glm-4.6", "z-ai")]["all"]
    assert counts["valid"] > 200 and counts["unchecked"] > 0


def test_broken_parser_endpoints_emit_invalid_json_and_prefixed_tool_names():
    for key in endpoints_with(BROKEN_PARSER):
        stats = stats_by_endpoint()[key]
        assert 0.05 < share(stats["all"], "invalid_json") < 0.12, key
        assert 0.03 < share(stats["all"], "unknown_tool") < 0.08, key
        assert any(name.startswith("functions.") for name in stats["unknown_names"]), key


def test_quantized_endpoints_show_schema_mismatches_but_sound_json():
    for key in endpoints_with(QUANTIZED):
        counts = stats_by_endpoint()[key]["all"]
        assert 0.035 < share(counts, "schema_mismatch") < 0.09, key
        assert share(counts, "invalid_json", "unknown_tool") < 0.02, key


def test_low_propensity_endpoints_call_tools_far_less_often_than_healthy_ones():
    def propensity(key):
        counts = stats_by_endpoint()[key]["propensity"]
        return counts["called"] / counts["eligible"]

    healthy = [propensity(key) for key in endpoints_with(HEALTHY)]
    for key in endpoints_with(LOW_PROPENSITY):
        assert propensity(key) < min(healthy) - 0.15, key
        assert failure_share(stats_by_endpoint()[key]["all"]) < 0.02, key


def test_complex_reluctant_endpoints_fail_mostly_on_complex_tools():
    for key in endpoints_with(COMPLEX_RELUCTANT):
        stats = stats_by_endpoint()[key]
        assert failure_share(stats["complex"]) > 0.08, key
        assert failure_share(stats["simple"] + stats["medium"]) < 0.02, key


def test_burning_in_endpoint_improves_over_the_window():
    (key,) = endpoints_with(BURNING_IN)
    stats = stats_by_endpoint()[key]
    assert failure_share(stats["week2"]) > 0.04
    assert failure_share(stats["week0"]) < 0.015


# --- Through the product's classifier (metrics.toolcalls) -------------------


@cache
def classified_last_week() -> dict[tuple[str, str], Counter]:
    """What ingestion will count for each endpoint over the §4 window."""
    first = (END - timedelta(days=6)).isoformat()
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for event in default_events():
        if event["created"][:10] < first:
            continue
        request = event["request"]
        result = classify(request["tools"], request.get("tool_choice"), event["response"])
        key = (event["model"], event["provider"])
        counts[key]["eligible"] += result.propensity_eligible
        counts[key]["eligible_called"] += result.propensity_eligible and result.called
        for call in result.calls:
            counts[key][str(call.outcome)] += 1
    return counts


def test_product_classifier_agrees_with_the_methodology_on_every_demo_call():
    checked = 0
    for event in default_events()[::7]:
        request = event["request"]
        result = classify(request["tools"], request.get("tool_choice"), event["response"])
        calls = event["response"]["choices"][0]["message"].get("tool_calls") or []
        assert [str(call.outcome) for call in result.calls] == [
            outcome(call, request["tools"]) for call in calls
        ], event["id"]
        checked += len(calls)
    assert checked > 3000


def test_classified_week_shows_each_behaviours_failure_mode():
    week = classified_last_week()
    healthy = max(failure_share(week[key]) for key in endpoints_with(HEALTHY))
    assert healthy < 0.025
    for key in endpoints_with(BROKEN_PARSER):
        assert share(week[key], "invalid_json") > 0.04 > healthy / 2, key
        assert share(week[key], "unknown_tool") > 0.02, key
    for key in endpoints_with(QUANTIZED):
        assert share(week[key], "schema_mismatch") > 0.025, key
    for key in endpoints_with(COMPLEX_RELUCTANT):
        assert failure_share(week[key]) > 0.025, key
    (burning_in,) = endpoints_with(BURNING_IN)
    assert failure_share(week[burning_in]) < 0.025


def test_classified_week_gives_low_propensity_endpoints_a_lower_propensity():
    week = classified_last_week()

    def propensity(key):
        return week[key]["eligible_called"] / week[key]["eligible"]

    lowest_healthy = min(propensity(key) for key in endpoints_with(HEALTHY))
    for key in endpoints_with(LOW_PROPENSITY):
        assert week[key]["eligible"] >= 100, key  # enough data for §7 rule 2
        assert propensity(key) < lowest_healthy - 0.1, key


def test_busy_endpoints_clear_the_data_threshold_and_the_low_traffic_one_does_not():
    week = classified_last_week()
    for model in MODELS:
        for endpoint in model.endpoints:
            counts = week[(model.slug, endpoint.provider)]
            calls = sum(counts[name] for name in ("valid", "unchecked", "invalid_json",
                                                  "unknown_tool", "schema_mismatch"))
            enough = calls >= 200 and counts["eligible"] >= 100
            assert enough == (endpoint.traffic >= 0.5), (model.slug, endpoint.provider)


# --- Ignore events -----------------------------------------------------------


def test_ignore_events_have_the_api_shape_and_unique_ids():
    ignores = default_ignores()
    assert len({event["id"] for event in ignores}) == len(ignores)
    providers = {provider.slug for provider in PROVIDERS}
    models = {model.slug for model in MODELS}
    for event in ignores:
        assert set(event) == {"id", "user", "provider", "model", "action", "created"}
        assert event["action"] in {"ignore", "unignore"}
        assert event["provider"] in providers
        assert event["model"] is None or event["model"] in models
        assert RFC3339_Z.match(event["created"])


def test_ignore_events_are_deterministic():
    assert tuple(generate_ignore_events(MODELS, end=END)) == default_ignores()


def test_ignoring_users_also_send_tool_requests_for_that_model():
    users_of = defaultdict(set)
    for event in default_events():
        users_of[event["model"]].add(event["user"])
    every_user = set().union(*users_of.values())
    for event in default_ignores():
        pool = every_user if event["model"] is None else users_of[event["model"]]
        assert event["user"] in pool, event["id"]


def test_often_ignored_endpoints_collect_far_more_ignores_than_healthy_ones():
    ignorers = Counter(
        (event["model"], event["provider"])
        for event in default_ignores()
        if event["action"] == "ignore" and event["model"]
    )
    most_healthy = max(ignorers[key] for key in endpoints_with(HEALTHY))
    for key in endpoints_with(OFTEN_IGNORED):
        assert ignorers[key] >= 5 * max(most_healthy, 1), key


def test_unignores_come_after_the_same_users_ignore():
    ignored_at = {}
    unignores = 0
    for event in default_ignores():
        key = (event["user"], event["provider"], event["model"])
        if event["action"] == "ignore":
            ignored_at[key] = event["created"]
        else:
            unignores += 1
            assert ignored_at[key] < event["created"]
    assert unignores > 0


def test_a_few_ignores_apply_to_all_models():
    global_ignores = [event for event in default_ignores() if event["model"] is None]
    assert 1 <= len(global_ignores) <= 10


@pytest.mark.parametrize("days", [7, 21])
def test_ignore_times_fall_inside_the_window(days):
    first = (END - timedelta(days=days - 1)).isoformat()
    for event in generate_ignore_events(MODELS, end=END, days=days):
        assert first <= event["created"][:10] <= END.isoformat()


def test_current_ignore_rates_put_only_often_ignored_endpoints_far_above_one_percent():
    # METHODOLOGY.md §5: users ignoring now, among the model's users of the
    # last 7 days; healthy endpoints stay at or under 1% (rule 5's floor).
    first = (END - timedelta(days=6)).isoformat()
    users = defaultdict(set)
    for event in default_events():
        if event["created"][:10] >= first:
            users[event["model"]].add(event["user"])
    latest = {}
    for event in sorted(default_ignores(), key=lambda event: event["created"]):
        latest[(event["user"], event["provider"], event["model"])] = event["action"]

    def rate(model: str, provider: str) -> float:
        ignoring = {
            user
            for (user, who, scope), action in latest.items()
            if action == "ignore" and who == provider and scope in (model, None)
        }
        return len(ignoring & users[model]) / len(users[model])

    for key in endpoints_with(HEALTHY) + endpoints_with(BURNING_IN):
        assert rate(*key) <= 0.01, key
    for key in endpoints_with(OFTEN_IGNORED):
        assert rate(*key) >= 0.1, key
