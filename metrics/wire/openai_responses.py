"""OpenAI Responses API: `function_call` output items; other `*_call` items are not functions.

Pure: no Django.
"""

from __future__ import annotations

from metrics.wire.openai_chat import completion_tokens
from metrics.wire.types import WireCall, WireError


def parse_response(response: object) -> tuple[list[WireCall], int, int | None]:
    if not isinstance(response, dict) or not isinstance(response.get("output"), list):
        raise WireError("an OpenAI Responses API response is an object with an `output` list.")
    calls: list[WireCall] = []
    other = 0
    for position, item in enumerate(response["output"]):
        if not isinstance(item, dict):
            raise WireError(f"output[{position}] is not an object.")
        kind = item.get("type")
        if kind == "function_call":
            calls.append(WireCall(name=item.get("name"), arguments=item.get("arguments"),
                                  present="arguments" in item))
        elif isinstance(kind, str) and kind.endswith("_call"):
            other += 1  # custom_tool_call, web_search_call, code_interpreter_call, mcp_call, ...
    return calls, other, completion_tokens(response.get("usage"))


def completed_response(events: list) -> dict:
    """The final response carried by a Responses stream's `response.completed` event."""
    for event in reversed(events):
        if (isinstance(event, dict) and event.get("type") == "response.completed"
                and isinstance(event.get("response"), dict)):
            return event["response"]
    raise WireError("an OpenAI Responses stream needs its `response.completed` event "
                    "(it carries the whole response).")
