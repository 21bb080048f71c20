"""Every wire format, one outcome table (METHODOLOGY §1): pure tests, no database.

Payloads come from the real `openai` and `anthropic` types (tests/wire_payloads.py).
"""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.choices import Outcome
from metrics.schema_validation import ValidatorCache
from metrics.toolcalls import classify_exchange
from metrics.wire import WireError, WireFormat, detect_format, normalise
from metrics.wire.tools import normalise_tool_choice
from tests.wire_payloads import (
    COMPLETION_TOKENS,
    FORMATS,
    WEATHER_SCHEMA,
    anthropic_events,
    anthropic_request,
    cases_of,
    chat_chunks,
    chat_request,
    pair,
)


def judge(request, response, fmt=None):
    return classify_exchange(normalise(request, response, fmt), cache=ValidatorCache())


@pytest.mark.parametrize(("fmt", "case"), [(f, c) for f in FORMATS for c in cases_of(f)])
def test_each_format_gives_the_outcome_of_the_table(fmt, case):
    request, response = pair(fmt, case)
    assert detect_format(response) == WireFormat(fmt)
    result = judge(request, response)
    assert result.offered_tools and result.propensity_eligible and result.called
    if case == "other":
        assert (result.calls, result.other, result.errored) == ((), 1, False)
    else:
        assert [c.outcome for c in result.calls] == [Outcome(case)]
        assert result.other == 0
        assert result.errored is (case != "valid")


@pytest.mark.parametrize("fmt", FORMATS)
def test_completion_tokens_come_from_usage(fmt):
    assert normalise(*pair(fmt, "valid")).completion_tokens == COMPLETION_TOKENS


@pytest.mark.parametrize("fmt", FORMATS)
def test_forcing_the_detected_format_changes_nothing(fmt):
    request, response = pair(fmt, "schema_mismatch")
    assert normalise(request, response, fmt) == normalise(request, response)


@pytest.mark.parametrize(("fmt", "other"), [("openai.chat", "anthropic.messages"),
                                            ("anthropic.messages.stream", "openai.chat.stream"),
                                            ("openai.responses", "openai.chat")])
def test_a_wrongly_forced_format_is_refused_with_the_reason(fmt, other):
    request, response = pair(fmt, "valid")
    with pytest.raises(WireError, match=f"response is not {other}"):
        normalise(request, response, other)


@pytest.mark.parametrize("response", [
    {}, {"id": "x"}, {"message": "hi"}, [], [1, 2], "text", 42,
    [{"type": "unknown_event"}], {"content": "plain"},
])
def test_unrecognised_shapes_are_refused_never_counted_as_no_call(response):
    with pytest.raises(WireError, match="matches no supported format|not an object|empty"):
        normalise({"tools": []}, response)


def test_an_unknown_format_name_is_refused():
    with pytest.raises(WireError, match="format must be one of"):
        normalise({}, {"choices": []}, "openai.completions")


def test_a_single_chunk_is_refused_the_whole_stream_is_needed():
    chunk = chat_chunks("valid")[1]
    with pytest.raises(WireError, match="single chat.completion.chunk"):
        normalise(chat_request(), chunk)
    with pytest.raises(WireError, match="stream chunk"):
        normalise(chat_request(), {"choices": chunk["choices"]})  # without its `object`


def test_a_stream_of_fragments_is_judged_on_the_concatenation():
    # '{"city": "Par' arrives in pieces: every piece alone is invalid, so is the whole.
    chunks = chat_chunks("invalid_json")
    assert len([c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("tool_calls")]) > 2
    result = judge(chat_request(), chunks)
    assert result.calls[0].arguments == '{"city": "Par'


@given(st.lists(st.integers(min_value=0, max_value=30), max_size=6))
def test_any_split_of_the_arguments_gives_the_whole_response_outcome(cuts):
    text = '{"city": "Paris", "days": [1, 2]}'
    points = sorted({min(c, len(text)) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    chunks = [{"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}}]}]
    chunks += [{"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "function": {"arguments": piece}}]}}]} for piece in pieces]
    streamed = judge(chat_request(), chunks)
    whole = judge(chat_request(), {"choices": [{"message": {"tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": text}}]}}]})
    assert streamed.calls == whole.calls


def test_parallel_streamed_calls_are_assembled_per_index():
    fn = "get_weather"
    chunks = [{"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "type": "function", "function": {"name": fn, "arguments": '{"ci'}},
        {"index": 1, "type": "function", "function": {"name": fn, "arguments": '{"city": 4'}}]}}]},
        {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 1, "function": {"arguments": "2}"}},
            {"index": 0, "function": {"arguments": 'ty": "Oslo"}'}}]}}]}]
    result = judge(chat_request(), chunks)
    assert [c.outcome for c in result.calls] == [Outcome.VALID, Outcome.SCHEMA_MISMATCH]


def test_anthropic_stream_without_fragments_keeps_the_start_input():
    events = anthropic_events("valid")
    no_delta = [e for e in events if e["type"] != "content_block_delta"]
    no_delta[1]["content_block"]["name"] = "ping"
    request = anthropic_request()
    request["tools"].append({"name": "ping", "input_schema": {"type": "object"}})
    result = judge(request, no_delta)
    assert [c.outcome for c in result.calls] == [Outcome.VALID]


def test_anthropic_client_side_tools_without_schema_are_other_not_unknown():
    request = anthropic_request()
    request["tools"].append({"type": "bash_20250124", "name": "bash"})
    response = {"type": "message", "role": "assistant", "content": [
        {"type": "tool_use", "id": "t1", "name": "bash", "input": {"command": "ls"}}]}
    result = judge(request, response)
    assert (result.calls, result.other) == ((), 1)


def test_a_request_offering_only_hosted_tools_counts_for_propensity_not_accuracy():
    request = {"tools": [{"type": "web_search"}]}
    response = {"object": "response", "output": [{"type": "message", "content": []}]}
    result = judge(request, response)
    assert result.offered_tools and result.propensity_eligible and not result.called
    assert result.calls == ()


@pytest.mark.parametrize(("choice", "meaning"), [
    (None, None), ("auto", "auto"), ("none", "none"), ("required", "required"),
    ({"type": "auto"}, "auto"), ({"type": "any"}, "required"), ({"type": "none"}, "none"),
    ({"type": "tool", "name": "x"}, {"type": "function", "function": {"name": "x"}}),
    ({"type": "function", "name": "x"}, {"type": "function", "function": {"name": "x"}}),
    ({"type": "function", "function": {"name": "x"}}, {"type": "function", "function": {"name": "x"}}),
    ({"type": "allowed_tools", "mode": "auto", "tools": []}, "auto"),
    ({"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": []}}, "required"),
])
def test_tool_choice_of_every_format_means_what_section_2_says(choice, meaning):
    assert normalise_tool_choice(choice) == meaning


def test_anthropic_tool_choice_any_is_not_propensity_eligible():
    request = anthropic_request() | {"tool_choice": {"type": "any"}}
    request_pair = pair("anthropic.messages", "valid")[1]
    assert judge(request, request_pair).propensity_eligible is False


def test_responses_stream_events_stand_for_the_completed_response():
    request, response = pair("openai.responses", "schema_mismatch")
    events = [{"type": "response.created", "response": {**response, "output": []}},
              {"type": "response.completed", "response": response}]
    assert normalise(request, events) == normalise(request, response)
    with pytest.raises(WireError, match="response.completed"):
        normalise(request, events[:1])


@pytest.mark.parametrize("response", [
    {"choices": [{"message": {"tool_calls": {"not": "a list"}}}]},
    {"choices": ["x"]},
    [{"object": "chat.completion.chunk", "choices": [{"delta": {"tool_calls": ["x"]}}]}],
    [{"type": "message_start"}, {"type": "content_block_delta", "index": 3,
                                 "delta": {"type": "input_json_delta", "partial_json": "{"}}],
    [{"type": "message_start"}, {"type": "content_block_start", "index": [1], "content_block": {}}],
    {"object": "response", "output": ["x"]},
])
def test_malformed_insides_of_a_known_format_are_refused_with_where(response):
    with pytest.raises(WireError):
        normalise({"tools": []}, response)


def test_tools_are_recognised_by_their_own_shape_whatever_the_response_format():
    # A LiteLLM proxy logs OpenAI-shaped tools beside an Anthropic-shaped reply.
    request = chat_request()
    response = pair("anthropic.messages", "schema_mismatch")[1]
    assert [c.outcome for c in judge(request, response).calls] == [Outcome.SCHEMA_MISMATCH]


def test_decoded_arguments_are_stored_as_json_for_evidence():
    result = judge(anthropic_request(), pair("anthropic.messages", "schema_mismatch")[1])
    assert json.loads(result.calls[0].arguments) == {"city": 42}
    assert result.calls[0].parameters == WEATHER_SCHEMA
