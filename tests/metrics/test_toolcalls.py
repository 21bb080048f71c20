"""Tool-call outcome of one response (METHODOLOGY.md §1, §2, §3)."""

import json
import marshal
import time
import uuid
from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import toolcalls
from metrics.choices import Bucket, Outcome
from metrics.demo import MODELS, generate_tool_call_events
from metrics.schema_validation import ValidatorCache
from metrics.toolcalls import CallOutcome, RequestOutcome, classify, classify_exchange
from metrics.wire.types import Exchange, WireCall, WireFormat

WEATHER_PARAMS = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "units": {"type": "string", "enum": ["metric", "imperial"]},
    },
    "required": ["city"],
}  # 2 + 2 + 1 + 1 = 6: medium
COMPLEX_PARAMS = {
    "type": "object",
    "properties": {f"p{i}": {"type": "string"} for i in range(14)},
}  # 14 + 2 = 16: complex


def tool(name, parameters=None, **extra):
    function = {"name": name, "description": "d", **extra}
    if parameters is not None:
        function["parameters"] = parameters
    return {"type": "function", "function": function}


TOOLS = [tool("get_weather", WEATHER_PARAMS), tool("ping"), tool("big", COMPLEX_PARAMS)]


def call(name, arguments):
    return {"id": "c", "type": "function", "function": {"name": name, "arguments": arguments}}


def response(*calls, choices=None):
    if choices is None:
        choices = [calls]
    return {"choices": [
        {"finish_reason": "tool_calls", "message": {"role": "assistant", "tool_calls": list(cs)}}
        for cs in choices
    ]}


def one(tools, tool_call, tool_choice="auto"):
    result = classify(tools, tool_choice, response(tool_call), cache=ValidatorCache())
    assert len(result.calls) == 1
    return result.calls[0]


# --- each outcome -------------------------------------------------------------


def test_matching_arguments_are_valid():
    outcome = one(TOOLS, call("get_weather", '{"city": "Paris"}'))
    assert outcome == CallOutcome(
        Outcome.VALID, "get_weather", Bucket.MEDIUM, "", '{"city": "Paris"}', WEATHER_PARAMS
    )


def test_empty_arguments_string_is_invalid_json():
    outcome = one(TOOLS, call("get_weather", ""))
    assert outcome.outcome is Outcome.INVALID_JSON
    assert outcome.message.startswith("Expecting value")


def test_truncated_arguments_are_invalid_json():
    assert one(TOOLS, call("get_weather", '{"city": "Par')).outcome is Outcome.INVALID_JSON


@pytest.mark.parametrize("arguments", [{"city": "Paris"}, None, 3, ["a"]])
def test_non_string_arguments_are_invalid_json(arguments):
    outcome = one(TOOLS, call("get_weather", arguments))
    assert outcome.outcome is Outcome.INVALID_JSON
    assert outcome.arguments == json.dumps(arguments)
    assert "not a string" in outcome.message


def test_missing_arguments_are_invalid_json():
    outcome = one(TOOLS, {"function": {"name": "get_weather"}})
    assert outcome.outcome is Outcome.INVALID_JSON
    assert outcome.arguments == ""


def test_nan_is_not_json():
    assert one(TOOLS, call("get_weather", '{"city": NaN}')).outcome is Outcome.INVALID_JSON


def test_name_not_offered_is_unknown_tool():
    outcome = one(TOOLS, call("get_time", "{}"))
    assert outcome.outcome is Outcome.UNKNOWN_TOOL
    assert outcome.parameters is None
    assert outcome.bucket is Bucket.COMPLEX  # the request's bucket


def test_name_with_different_case_is_unknown_tool():
    assert one(TOOLS, call("Get_Weather", '{"city": "x"}')).outcome is Outcome.UNKNOWN_TOOL


def test_name_with_namespace_prefix_is_unknown_tool():
    assert one(TOOLS, call("functions.get_weather", '{"city": "x"}')).outcome is (
        Outcome.UNKNOWN_TOOL
    )


def test_non_string_name_is_unknown_tool_with_empty_name():
    outcome = one(TOOLS, call(["get_weather"], '{"city": "x"}'))
    assert (outcome.outcome, outcome.tool_name) == (Outcome.UNKNOWN_TOOL, "")


def test_arguments_violating_schema_are_schema_mismatch():
    outcome = one(TOOLS, call("get_weather", '{"city": "x", "units": "kelvin"}'))
    assert outcome.outcome is Outcome.SCHEMA_MISMATCH
    assert outcome.message.startswith("$.units:")
    assert outcome.parameters == WEATHER_PARAMS


def test_tool_without_parameters_is_unchecked():
    outcome = one(TOOLS, call("ping", '{"anything": 1}'))
    assert outcome.outcome is Outcome.UNCHECKED
    assert outcome.message == "the tool has no parameters"
    assert outcome.bucket is Bucket.SIMPLE


def test_tool_with_null_parameters_is_unchecked():
    outcome = one([tool("t", None) | {"function": {"name": "t", "parameters": None}}],
                  call("t", "{}"))
    assert outcome.outcome is Outcome.UNCHECKED


def test_empty_parameters_schema_accepts_any_arguments():
    assert one([tool("t", {})], call("t", "[1, 2]")).outcome is Outcome.VALID


def test_remote_ref_in_parameters_is_unchecked():
    outcome = one([tool("t", {"$ref": "https://example.com/s.json"})], call("t", "{}"))
    assert outcome.outcome is Outcome.UNCHECKED
    assert "not local" in outcome.message


def test_budget_exceeded_is_unchecked():
    params = {"type": "array", "items": {"$ref": "#/definitions/x"},
              "definitions": {"x": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}}
    result = classify([tool("t", params)], None,
                      response(call("t", json.dumps(list(range(20_000))))), budget_ms=0.01)
    assert result.calls[0].outcome is Outcome.UNCHECKED
    assert "time budget" in result.calls[0].message
    assert result.errored is False


def test_deeply_nested_arguments_are_unchecked_quickly():
    started = time.perf_counter()
    outcome = one([tool("t", {"type": "object"})], call("t", "[" * 5000 + "]" * 5000))
    assert outcome.outcome is Outcome.UNCHECKED
    assert time.perf_counter() - started < 1


def test_catastrophic_pattern_does_not_stall_classification():
    params = {"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a+)+$"}}}
    started = time.perf_counter()
    outcome = one([tool("t", params)], call("t", json.dumps({"s": "a" * 50 + "!"})))
    assert outcome.outcome is Outcome.SCHEMA_MISMATCH
    assert time.perf_counter() - started < 1


def test_long_arguments_are_truncated_for_storage():
    arguments = json.dumps({"city": "x" * 10_000})
    outcome = one(TOOLS, call("get_weather", arguments))
    assert outcome.outcome is Outcome.VALID
    assert outcome.arguments == arguments[:4000]


# --- order of the checks ------------------------------------------------------


def test_invalid_json_beats_unknown_tool():
    outcome = one(TOOLS, call("nope", "{not json"))
    assert outcome.outcome is Outcome.INVALID_JSON
    assert outcome.bucket is Bucket.COMPLEX


def test_invalid_json_of_known_tool_keeps_the_tools_bucket():
    outcome = one(TOOLS, call("get_weather", "{"))
    assert (outcome.outcome, outcome.bucket) == (Outcome.INVALID_JSON, Bucket.MEDIUM)
    assert outcome.parameters == WEATHER_PARAMS


def test_unknown_tool_beats_schema_mismatch():
    # valid JSON that would mismatch get_weather's schema, under a wrong name
    assert one(TOOLS, call("get_weather2", '{"units": 1}')).outcome is Outcome.UNKNOWN_TOOL


def test_schema_mismatch_beats_unchecked():
    # the schema is usable, so a bad argument is a mismatch, not unchecked
    assert one(TOOLS, call("get_weather", "{}")).outcome is Outcome.SCHEMA_MISMATCH


def test_duplicate_tool_names_use_the_first_definition():
    tools = [tool("t", {"type": "object", "required": ["a"]}), tool("t", {"type": "object"})]
    assert one(tools, call("t", "{}")).outcome is Outcome.SCHEMA_MISMATCH


# --- the request --------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool_choice", "eligible"),
    [
        (None, True),
        ("auto", True),
        ("none", False),
        ("required", False),
        ({"type": "function", "function": {"name": "get_weather"}}, False),
        ("AUTO", False),
    ],
)
def test_propensity_eligibility_follows_tool_choice(tool_choice, eligible):
    result = classify(TOOLS, tool_choice, response())
    assert result.offered_tools is True
    assert result.propensity_eligible is eligible


def test_request_without_tools_is_not_propensity_eligible():
    result = classify([], "auto", response(call("x", "{}")))
    assert (result.offered_tools, result.propensity_eligible) == (False, False)
    assert result.calls[0].outcome is Outcome.UNKNOWN_TOOL
    assert result.bucket is Bucket.SIMPLE


def test_tools_without_string_names_are_not_offered():
    tools = [{"type": "function", "function": {"name": 3}}, {"type": "retrieval"}, "x",
             {"type": "function"}]
    assert classify(tools, None, {}).offered_tools is False


def test_calls_in_every_choice_are_classified():
    result = classify(TOOLS, "auto", response(choices=[
        [call("get_weather", '{"city": "a"}')],
        [],
        [call("ping", "{}"), call("nope", "{}")],
    ]))
    assert [c.outcome for c in result.calls] == [
        Outcome.VALID, Outcome.UNCHECKED, Outcome.UNKNOWN_TOOL]
    assert (result.called, result.errored) == (True, True)


def test_response_without_calls_is_not_called_and_not_errored():
    result = classify(TOOLS, "auto", {"choices": [{"message": {"content": "hi"}}]})
    assert result == RequestOutcome(True, True, False, False, Bucket.COMPLEX, ())


def test_valid_and_unchecked_calls_do_not_error_the_request():
    result = classify(TOOLS, None, response(call("get_weather", '{"city": "a"}'),
                                            call("ping", "")))
    assert result.errored is True  # the empty arguments string
    result = classify(TOOLS, None, response(call("get_weather", '{"city": "a"}'),
                                            call("ping", "{}")))
    assert result.errored is False


def test_request_bucket_is_that_of_its_most_complex_tool():
    assert classify(TOOLS[:2], None, {}).bucket is Bucket.MEDIUM
    assert classify(TOOLS, None, {}).bucket is Bucket.COMPLEX


def test_repeated_tools_lists_give_the_same_answer():
    cache = ValidatorCache()
    first = classify(json.loads(json.dumps(TOOLS)), None,
                     response(call("get_weather", "{}")), cache=cache)
    second = classify(json.loads(json.dumps(TOOLS)), None,
                      response(call("get_weather", "{}")), cache=cache)
    assert first == second
    assert (cache.misses, cache.hits) == (1, 1)


@pytest.mark.parametrize("response_body", [None, [], "x", {"choices": None},
                                           {"choices": [None, {"message": []}]},
                                           {"choices": [{"message": {"tool_calls": "x"}}]}])
def test_malformed_responses_have_no_calls(response_body):
    result = classify(TOOLS, None, response_body)
    assert (result.called, result.calls) == (False, ())


def test_malformed_tool_call_entries_are_invalid_json():
    result = classify(TOOLS, None, response(None, "x", {"function": "x"}))
    assert [c.outcome for c in result.calls] == [Outcome.INVALID_JSON] * 3


# --- totality -----------------------------------------------------------------

json_data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
names = st.sampled_from(["a", "b", "A", ""]) | st.text(max_size=3)
schemas = st.one_of(json_data, st.fixed_dictionaries(
    {}, optional={"type": st.sampled_from(["object", "string", "integer", "bogus"]),
                  "properties": st.dictionaries(names, json_data, max_size=3),
                  "required": st.lists(names, max_size=3),
                  "pattern": st.sampled_from(["^a+$", "(?=x)", "("]),
                  "$ref": st.sampled_from(["#", "#/x", "http://x/y"])}))
tools_strategy = st.one_of(json_data, st.lists(st.one_of(
    json_data,
    st.builds(lambda n, p: {"type": "function", "function": {"name": n, "parameters": p}},
              names, schemas),
), max_size=4))
arguments = st.one_of(json_data, json_data.map(json.dumps), st.text(max_size=10))
tool_calls = st.lists(st.one_of(json_data, st.builds(
    lambda n, a: {"function": {"name": n, "arguments": a}}, st.one_of(names, json_data),
    arguments)), max_size=4)
responses = st.one_of(json_data, st.builds(
    lambda choices: {"choices": choices},
    st.lists(st.one_of(json_data, st.builds(lambda tc: {"message": {"tool_calls": tc}},
                                            st.one_of(tool_calls, json_data))), max_size=3)))


def count_tool_calls(body):
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
        return 0
    total = 0
    for choice in body["choices"]:
        if isinstance(choice, dict) and isinstance(choice.get("message"), dict):
            calls = choice["message"].get("tool_calls")
            total += len(calls) if isinstance(calls, list) else 0
    return total


@settings(max_examples=400, deadline=None)
@given(tools=tools_strategy, tool_choice=json_data, body=responses)
def test_classify_never_raises_and_counts_every_call(tools, tool_choice, body):
    result = classify(tools, tool_choice, body)
    assert isinstance(result, RequestOutcome)
    assert len(result.calls) == count_tool_calls(body)
    assert result.called is (len(result.calls) > 0)
    assert result.errored is any(
        c.outcome in (Outcome.INVALID_JSON, Outcome.UNKNOWN_TOOL, Outcome.SCHEMA_MISMATCH)
        for c in result.calls)
    for c in result.calls:
        assert isinstance(c.outcome, Outcome)
        assert isinstance(c.tool_name, str)
        assert len(c.arguments) <= 4000


# --- the parser's exact key of the tools (issue 17) ---------------------------


def key_of(tools) -> bytes:
    """What a batch parser passes: a format tag and the tools' raw JSON bytes."""
    return b"openai.chat:" + json.dumps(tools).encode("utf-8", "surrogatepass")


def fresh_tools(label, description="d"):
    """A tools list no other test built a table for, as a parser would make it."""
    unique = f"{label}_{uuid.uuid4().hex}"
    tools = [tool(unique, WEATHER_PARAMS), tool("ping")]
    tools[0]["function"]["description"] = description
    return json.loads(json.dumps(tools)), unique


# Tools whose marshal encoding is too long to be a key: without a caller's key, every call
# builds their table, so a reused table shows the caller's key was used.
HUGE = "d" * toolcalls.MAX_KEY_BYTES


def test_keyed_calls_give_the_unkeyed_outcomes_on_demo_events():
    events = list(generate_tool_call_events(MODELS, end=date(2025, 11, 20), days=3,
                                            requests_per_day=10))
    assert len(events) > 500
    outcomes = Counter()
    for event in events:
        tools, choice = event["request"].get("tools"), event["request"].get("tool_choice")
        unkeyed = classify(tools, choice, event["response"])
        keyed = classify(tools, choice, event["response"], tools_key=key_of(tools))
        assert keyed == unkeyed
        outcomes.update(c.outcome for c in keyed.calls)
    assert set(outcomes) == set(Outcome) - {Outcome.OTHER}  # every judged outcome compared


M, U, V = Outcome.SCHEMA_MISMATCH, Outcome.UNCHECKED, Outcome.VALID
HOSTILE_CASES = [  # tools, arguments, budget (ms; far from it, or far past it), first outcome
    ([tool("t", {"type": "object", "properties": {
        "s": {"type": "string", "pattern": "^(a+)+$"}}})], json.dumps({"s": "a" * 50 + "!"}),
     5000, M),
    ([tool("t", {"type": "object"})], "[" * 5000 + "]" * 5000, 5000, U),
    ([tool("t", {"$ref": "https://example.com/s.json"})], "{}", 5000, U),
    ([tool("t", {"type": "array", "items": {"$ref": "#/definitions/x"},
                 "definitions": {"x": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}})],
     json.dumps(list(range(20_000))), 0.01, U),
    ([tool("t", {"type": "object", "properties": {"a": {"type": "integer"}}})], '{"a": true}',
     5000, M),
    ([tool("t", {"type": "object", "properties": {"a": {"const": True}}})], '{"a": 1}', 5000, M),
    ([tool("t", {"type": "object", "properties": {f"p{i}": {} for i in range(2000)}})],
     json.dumps({f"p{i}": {} for i in range(3000)}), 5000, V),
    ([tool("t", {"type": "string"})], '"\\ud800"', 5000, V),
    (TOOLS, '{"city": NaN}', 5000, Outcome.INVALID_JSON),
    ([tool("t", {"type": "object"}), tool("t", {"type": "string"}), "x", {"type": "retrieval"}],
     "{}", 5000, V),
]


@pytest.mark.parametrize(("tools", "arguments", "budget_ms", "expected"), HOSTILE_CASES)
def test_keyed_calls_give_the_unkeyed_outcomes_on_hostile_inputs(
        tools, arguments, budget_ms, expected):
    body = response(call("t", arguments), call("get_weather", arguments))
    unkeyed = classify(tools, None, body, cache=ValidatorCache(), budget_ms=budget_ms)
    keyed = classify(tools, None, body, cache=ValidatorCache(), budget_ms=budget_ms,
                     tools_key=key_of(tools))
    assert keyed == unkeyed
    assert keyed.calls[0].outcome is expected


@settings(max_examples=300, deadline=None)
@given(tools=tools_strategy, tool_choice=json_data, body=responses)
def test_keyed_classify_equals_unkeyed_on_any_json(tools, tool_choice, body):
    assert classify(tools, tool_choice, body, tools_key=key_of(tools)) == (
        classify(tools, tool_choice, body))


def test_different_keys_never_share_a_table():
    first, first_name = fresh_tools("first")
    second, second_name = fresh_tools("second")
    builds = toolcalls._tables.builds
    one = classify(first, None, response(call(first_name, "{}")), tools_key=key_of(first))
    two = classify(second, None, response(call(first_name, "{}")), tools_key=key_of(second))
    assert toolcalls._tables.builds == builds + 2
    assert one.calls[0].outcome is Outcome.SCHEMA_MISMATCH  # city is required
    assert two.calls[0].outcome is Outcome.UNKNOWN_TOOL  # the second list has no such tool
    assert classify(second, None, response(call(second_name, '{"city": "a"}')),
                    tools_key=key_of(second)).calls[0].outcome is Outcome.VALID


def test_the_same_key_reuses_the_table():
    tools, name = fresh_tools("same", HUGE)
    key = b"test:" + name.encode()  # unique to these tools
    body = response(call(name, '{"city": "a"}'))
    builds = toolcalls._tables.builds
    unkeyed = classify(tools, None, body)
    assert classify(tools, None, body) == unkeyed
    assert toolcalls._tables.builds == builds + 2  # no marshal key: built every time
    first = classify(tools, None, body, tools_key=key)
    # A fresh parse of the same bytes: other objects, the same key.
    second = classify(json.loads(json.dumps(tools)), None, body, tools_key=key)
    assert toolcalls._tables.builds == builds + 3
    assert first == second == unkeyed
    assert first.calls[0].outcome is Outcome.VALID


def test_keyed_and_marshal_keys_live_apart():
    first, first_name = fresh_tools("marshal")
    second, _ = fresh_tools("other")
    # The encoding first's table is cached under (taken before the table holds first's
    # strings: marshal marks objects referenced twice).
    marshal_key = marshal.dumps(first)
    builds = toolcalls._tables.builds
    classify(first, None, {})
    assert toolcalls._tables.builds == builds + 1
    # A caller key equal to that encoding names another table.
    result = classify(second, None, response(call(first_name, "{}")), tools_key=marshal_key)
    assert result.calls[0].outcome is Outcome.UNKNOWN_TOOL


@pytest.mark.parametrize("bad_key", [b"k" * (toolcalls.MAX_KEY_BYTES + 1), "a str", 3])
def test_a_key_too_long_or_not_bytes_is_ignored(bad_key):
    first, first_name = fresh_tools("long")
    second, second_name = fresh_tools("long")
    # The same unusable key for two different lists: each is judged by its own tools.
    one = classify(first, None, response(call(first_name, "{}")), tools_key=bad_key)
    two = classify(second, None, response(call(first_name, "{}"), call(second_name, "{}")),
                   tools_key=bad_key)
    assert one.calls[0].outcome is Outcome.SCHEMA_MISMATCH
    assert [c.outcome for c in two.calls] == [Outcome.UNKNOWN_TOOL, Outcome.SCHEMA_MISMATCH]
    assert one == classify(first, None, response(call(first_name, "{}")))


def test_classify_exchange_uses_the_exchanges_tools_key():
    tools, name = fresh_tools("exchange", HUGE)
    exchange = Exchange(WireFormat.OPENAI_CHAT, tools, "auto",
                        (WireCall(name, '{"city": 3}'),), tools_key=b"test:" + name.encode())
    builds = toolcalls._tables.builds
    first = classify_exchange(exchange)
    second = classify_exchange(exchange._replace(tools=json.loads(json.dumps(tools))))
    assert toolcalls._tables.builds == builds + 1
    assert first == second == classify_exchange(exchange._replace(tools_key=None))
    assert first.calls[0].outcome is Outcome.SCHEMA_MISMATCH
