"""POST /tool-calls/ bodies read by msgspec (metrics/tool_call_batch.py, exacto_site/json_body.py)
answer exactly as the json.loads reading did: the same refusal of the body, or the same event
(or refusal) for every item. No database: the parser and the item parser only."""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError

from exacto_site.json_body import json_depth_exceeds
from metrics.api.views import ToolCallBatchParser
from metrics.events import ItemError, parse_tool_call_event
from metrics.tool_call_batch import EVENT_FIELDS, decode_batch
from metrics.wire import WireError

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
ANTHROPIC_TOOL = {"name": "get_weather", "input_schema": {"type": "object"}}


def reference(body: bytes):
    """What the parser answered with json.loads: ("error", message) or ("data", value)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "error", "Body is not UTF-8."
    if not text.strip():
        return "error", "Empty body; a JSON object is required."
    limit = settings.EXACTO_MAX_JSON_DEPTH
    if text.count("{") + text.count("[") > limit and json_depth_exceeds(text, limit):
        return "error", f"JSON nests deeper than {limit} levels."
    try:
        return "data", json.loads(text)
    except (ValueError, RecursionError) as exc:
        return "error", f"Body is not valid JSON: {exc}"


def parsed(body: bytes):
    try:
        return "data", ToolCallBatchParser().parse(io.BytesIO(body))
    except ParseError as exc:
        return "error", str(exc.detail)


def outcome(item, tools_raw=None):
    try:
        event = parse_tool_call_event(item, NOW, tools_raw=tools_raw)
    except (ItemError, WireError) as exc:
        return "refused", str(exc)
    except Exception as exc:  # noqa: BLE001 - whatever it was, it must stay the same
        return "raises", type(exc).__name__, str(exc)
    exchange = event.exchange
    key = None
    if exchange is not None:
        key = exchange.tools_key
        exchange = exchange._replace(tools_key=None)
    return "event", event.id, event.model, event.provider, event.quantization, event.app, \
        event.user, event.created, event.speed, exchange, key


def assert_same_answers(body: bytes) -> None:
    old, new = reference(body), parsed(body)
    assert old[0] == new[0], (old, new)
    if old[0] == "error":
        assert old[1] == new[1]
        return
    old_value, new_value = old[1], new[1]
    tools_raw = getattr(new_value, "tools_raw", None)
    if tools_raw is None:  # the general reading: the very values of json.loads
        assert repr(new_value) == repr(old_value)
        return
    assert isinstance(old_value, dict) and list(new_value) == ["events"]
    assert len(new_value["events"]) == len(old_value["events"]) == len(tools_raw)
    for old_item, new_item, raw in zip(old_value["events"], new_value["events"], tools_raw,
                                       strict=True):
        before, after = outcome(old_item), outcome(new_item, raw)
        assert before[:-1] == after[:-1]
        if after[0] == "event" and after[-1] is not None:
            tag, _, tools = after[-1].partition(b":")
            # The key is exact: the format's tag and bytes that parse to the offered tools.
            assert tag.decode() == after[-2].format.value
            assert json.loads(tools) == after[-2].tools


def event_text(*members: str) -> str:
    return "{" + ", ".join(members) + "}"


def member(name: str, value: str) -> str:
    return json.dumps(name) + ": " + value


def completion(arguments: str = '{"city": "Paris"}') -> str:
    return json.dumps({"choices": [{"message": {"tool_calls": [{"type": "function", "function": {
        "name": "get_weather", "arguments": arguments}}]}}], "usage": {"completion_tokens": 7}})


def good_event(event_id: str = "e1", *, request: str | None = None, extra: tuple = ()) -> str:
    created = (NOW - timedelta(hours=1)).isoformat()
    if request is None:
        request = json.dumps({"messages": [{"role": "user", "content": "hi"}], "tools": [TOOL],
                              "tool_choice": "auto"})
    return event_text(member("id", json.dumps(event_id)), member("model", '"m/x"'),
                      member("provider", '"p"'), member("created", json.dumps(created)),
                      member("request", request), member("response", completion()), *extra)


def batch(*events: str, extra: str = "") -> bytes:
    return ('{"events": [' + ", ".join(events) + "]" + extra + "}").encode()


HOSTILE = [
    # Values msgspec refuses or reads otherwise, where json.loads decides.
    "NaN", "Infinity", "-Infinity", "1e999", "-1e400", "1.7976931348623159e308",
    "1" * 4301, "-" + "9" * 5000, "1" * 4300, "123456789012345678901234567890",
    '"\\ud800"', '"\\udc00x"', '"\\ud83d\\ude00"', '"\\u0000"', '"a\\u0000b"',
    # Refused by both, with json.loads' message.
    "tru", "01", "1.", ".5", "+1", '"\\x"', '"a\tb"', "[1,]", '{"a":1,}', "[1 2]", "",
    # Shapes: everything a field can be.
    "null", "true", "0", "-0", "-0.0", "2.5e-3", '"text"', "[]", "{}", '[{"a": [1, {"b": null}]}]',
    '{"tools": "x"}', '{"tools": null}', '{"tools": {}}', '{"tools": [1, "a", null]}',
    '{"tools": [], "tools": [' + json.dumps(TOOL) + "]}",
    '{"tools": [' + json.dumps(ANTHROPIC_TOOL) + '], "tool_choice": {"type": "any"}}',
    "[" * 70 + "]" * 70, '"' + "[" * 100 + '"',
]
FIELDS = [*EVENT_FIELDS, "messages", "unknown"]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", ["request", "response", "created", "id", "unknown", "status",
                                   "latency_ms"])
def test_a_hostile_value_in_any_field_is_answered_as_before(field, value):
    assert_same_answers(batch(good_event("a"), good_event("b", extra=(member(field, value),))))


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_inside_the_request_is_answered_as_before(value):
    request = '{"messages": ' + value + ', "tools": [' + json.dumps(TOOL) + "]}"
    assert_same_answers(batch(good_event("a", request=request)))
    assert_same_answers(batch(good_event("a", request='{"tools": [' + value + "]}")))
    assert_same_answers(batch(good_event("a"), extra=", " + member("other", value)))


@pytest.mark.parametrize("body", [
    b"", b"   ", b"\xef\xbb\xbf{}", b'{"events": []}', b'{"events": {}}', b"[]", b"null",
    b'{"events": [1, "a", null, []]}', b'{"events": [], "events": [{"id": "x"}]}',
    b'{"events": [{"id": "x"}], "events": 5}', b'{"events": [{"id": "x", "id": "y"}]}',
    b'{"events": [{"request": 5}]}', b'{"events": [{"request": []}]}', b'{"events": [{}]}',
    b'{"events": [\xff]}', b'{"events": ["\xed\xa0\x80"]}', b'{"events": ["\\ud800"]}',
    b'\x00', b'{"events": []}\x00', b'{"events": []} x', b"\xc2\xa0",
])
def test_odd_bodies_are_answered_as_before(body):
    assert_same_answers(body)


def test_demo_like_batches_take_the_typed_path_and_keep_the_raw_tools():
    body = batch(*(good_event(f"e{n}") for n in range(5)))
    decoded = decode_batch(body)
    assert decoded is not None
    assert decoded.tools_raw == [json.dumps([TOOL]).encode()] * 5
    # Only what ingest reads of the request is kept; the messages are skipped.
    assert decoded["events"][0]["request"] == {"tools": [TOOL], "tool_choice": "auto"}
    assert_same_answers(body)
    event = parse_tool_call_event(decoded["events"][0], NOW, tools_raw=decoded.tools_raw[0])
    assert event.exchange.tools_key == b"openai.chat:" + json.dumps([TOOL]).encode()


def test_rewritten_tools_have_no_key():
    """Anthropic tools are rewritten into chat shape: the raw bytes are not those tools."""
    body = batch(good_event(request='{"tools": [' + json.dumps(ANTHROPIC_TOOL) + "]}"))
    decoded = decode_batch(body)
    event = parse_tool_call_event(decoded["events"][0], NOW, tools_raw=decoded.tools_raw[0])
    assert event.exchange.tools[0]["function"]["name"] == "get_weather"
    assert event.exchange.tools_key is None


def test_the_parser_reads_no_member_the_typed_pass_skips():
    """The typed pass keeps only EVENT_FIELDS of an event: parse_tool_call_event must read
    nothing else (a new field belongs in TOOL_CALL_EVENT_SCHEMA)."""
    read = set()

    class Recording(dict):
        def get(self, key, default=None):
            read.add(key)
            return super().get(key, default)

        def __getitem__(self, key):
            read.add(key)
            return super().__getitem__(key)

        def __contains__(self, key):
            read.add(key)
            return super().__contains__(key)

    for extra in ({}, {"status": "error", "http_status": 500, "latency_ms": 3, "ttft_ms": 1},
                  {"format": "openai.chat", "quantization": "fp8", "app": "a", "user": "u"}):
        item = Recording(json.loads(good_event()), **extra)
        parse_tool_call_event(item, NOW)
    assert read <= set(EVENT_FIELDS)


JSON_TEXT = st.recursive(
    st.sampled_from(HOSTILE[:20] + ["null", "1", '"a"', "2.5", "-0", '"\\"]"']),
    lambda inner: st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
    | st.lists(st.tuples(st.sampled_from(FIELDS), inner), max_size=4).map(
        lambda pairs: "{" + ", ".join(member(k, v) for k, v in pairs) + "}"),
    max_leaves=12,
)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(
    st.builds(lambda f, v: good_event(extra=(member(f, v),)), st.sampled_from(FIELDS), JSON_TEXT),
    st.builds(lambda v: good_event(request='{"tools": [' + json.dumps(TOOL) + '], "messages": '
                                   + v + "}"), JSON_TEXT),
    JSON_TEXT,
), max_size=4))
def test_generated_batches_are_answered_as_before(events):
    assert_same_answers(batch(*events))
