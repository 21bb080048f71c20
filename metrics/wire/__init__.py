"""Every wire format, one outcome table (METHODOLOGY §1; API.md 1.1 "Tool-call events").

``normalise(request, response, format)`` detects (or is told) the response's format —
OpenAI chat (whole or chunk list), OpenAI Responses, Anthropic Messages (whole or event
list) — and returns one ``Exchange`` for the pure classifier (metrics/toolcalls.py).
A response that matches none is refused with ``WireError`` naming why, never counted as
"no tool call". Pure: no Django.
"""

from __future__ import annotations

from metrics.lru import keep
from metrics.wire import anthropic, openai_chat, openai_responses
from metrics.wire.tools import normalise_tool_choice, normalise_tools
from metrics.wire.types import Exchange, WireCall, WireError, WireFormat

__all__ = ["Exchange", "WireCall", "WireError", "WireFormat", "detect_format", "normalise"]

FORMATS = tuple(f.value for f in WireFormat)

_PARSERS = {
    WireFormat.OPENAI_CHAT: openai_chat.parse_completion,
    WireFormat.OPENAI_CHAT_STREAM: openai_chat.parse_chunks,
    WireFormat.OPENAI_RESPONSES: openai_responses.parse_response,
    WireFormat.ANTHROPIC_MESSAGES: anthropic.parse_message,
    WireFormat.ANTHROPIC_MESSAGES_STREAM: anthropic.parse_events,
}


def _describe(value: object) -> str:
    if isinstance(value, dict):
        keys = ", ".join(sorted(str(k) for k in list(value)[:8]))
        return f"an object with keys [{keys}]" if keys else "an empty object"
    if isinstance(value, list):
        return "an empty list" if not value else f"a list whose first item is {_describe(value[0])}"
    return f"a {type(value).__name__}"


def detect_format(response: object) -> WireFormat:
    """The format of a response body as the client received it, or WireError."""
    if isinstance(response, dict):
        if isinstance(response.get("choices"), list):
            if response.get("object") == "chat.completion.chunk":
                raise WireError("response is a single chat.completion.chunk; send the stream's "
                                "whole chunk list, in order.")
            return WireFormat.OPENAI_CHAT
        if response.get("object") == "response" or isinstance(response.get("output"), list):
            return WireFormat.OPENAI_RESPONSES
        if isinstance(response.get("content"), list) and (
            response.get("type") == "message" or response.get("role") == "assistant"
        ):
            return WireFormat.ANTHROPIC_MESSAGES
    elif isinstance(response, list) and response and isinstance(response[0], dict):
        first = response[0]
        if first.get("object") == "chat.completion.chunk" or isinstance(first.get("choices"), list):
            return WireFormat.OPENAI_CHAT_STREAM
        if first.get("type") in anthropic.STREAM_EVENT_TYPES:
            return WireFormat.ANTHROPIC_MESSAGES_STREAM
    raise WireError(
        f"response is {_describe(response)}, which matches no supported format (an OpenAI chat "
        "completion or its chunk list, an OpenAI Responses response, an Anthropic message or its "
        "event list); `format` may name one."
    )


def _responses_stream(response: object) -> object:
    """A Responses API event list stands for the response its `response.completed` event holds."""
    if (isinstance(response, list) and response and isinstance(response[0], dict)
            and str(response[0].get("type", "")).startswith("response.")):
        return openai_responses.completed_response(response)
    return response


# The tag before the raw tools in Exchange.tools_key: formats never share a key.
_TAGS = {kind: kind.value.encode() + b":" for kind in WireFormat}
# normalise_tools of raw tools already seen: equal bytes, equal tools (emptied when full;
# at most 512 keys of at most 8 KiB, mostly the very objects metrics/tool_call_batch.py keeps).
_NORMALISED: dict[bytes, tuple] = {}
_MAX_NORMALISED, _MAX_NORMALISED_BYTES = 512, 8 * 1024


def _normalised_tools(tools: list, tools_raw: bytes | None
                      ) -> tuple[list, frozenset, bool, bool]:
    """normalise_tools(tools), and whether it rewrote them (then no raw bytes are theirs)."""
    found = _NORMALISED.get(tools_raw) if tools_raw is not None else None
    if found is None:
        function_tools, other_names, offered_other = normalise_tools(tools)
        found = function_tools, other_names, offered_other, function_tools is not tools
        if tools_raw is not None:
            keep(_NORMALISED, tools_raw, found, _MAX_NORMALISED, _MAX_NORMALISED_BYTES)
    return found


def normalise(request: dict, response: object, format: object = None,
              tools_raw: bytes | None = None) -> Exchange:
    """The Exchange of one request/response pair; WireError when the shape is not recognised.
    `tools_raw`: the raw JSON of `request["tools"]` when the parser kept it; it becomes the
    Exchange's tools_key unless the tools had to be rewritten into chat shape."""
    response = _responses_stream(response)
    if format is None:
        kind = detect_format(response)
    else:
        try:
            kind = WireFormat(format)
        except ValueError:
            raise WireError(f"format must be one of {', '.join(FORMATS)}.") from None
    try:
        calls, other, tokens = _PARSERS[kind](response)
    except WireError as error:
        raise WireError(f"response is not {kind.value}: {error}") from None
    tools = request.get("tools")
    if tools is None:
        tools = []
    elif not isinstance(tools, list):
        raise WireError("request.tools must be a list.")
    function_tools, other_names, offered_other, rewritten = _normalised_tools(tools, tools_raw)
    if other_names:
        function_names = {
            entry["function"].get("name") for entry in function_tools
            if isinstance(entry, dict) and isinstance(entry.get("function"), dict)
        }
        # A call of a named non-function tool (Anthropic's `computer`, a custom tool) is not judged.
        judged = [c for c in calls if not (isinstance(c.name, str) and c.name in other_names
                                            and c.name not in function_names)]
        other += len(calls) - len(judged)
        calls = judged
    return Exchange(
        format=kind,
        tools=function_tools,
        tool_choice=normalise_tool_choice(request.get("tool_choice")),
        calls=tuple(calls),
        other_calls=other,
        offered_other=offered_other,
        completion_tokens=tokens,
        tools_key=_TAGS[kind] + tools_raw if tools_raw is not None and not rewritten else None,
    )
