"""Anthropic Messages: `tool_use` content blocks, whole or from a stream's events.

Pure: no Django.
"""

from __future__ import annotations

from metrics.wire.openai_chat import completion_tokens
from metrics.wire.types import WireCall, WireError

STREAM_EVENT_TYPES = frozenset({
    "message_start", "message_delta", "message_stop", "content_block_start",
    "content_block_delta", "content_block_stop", "ping", "error",
})
# Tools the provider runs itself (web search, code execution, MCP): not judged.
_OTHER_BLOCKS = frozenset({"server_tool_use", "mcp_tool_use"})


def _whole_call(block: dict) -> WireCall:
    if "input" not in block:
        return WireCall(name=block.get("name"), arguments=None, present=False)
    value = block["input"]
    if isinstance(value, str):  # a gateway that kept the input as text: judge the text
        return WireCall(name=block.get("name"), arguments=value)
    return WireCall(name=block.get("name"), arguments=value, decoded=True)


def parse_message(response: object) -> tuple[list[WireCall], int, int | None]:
    if not isinstance(response, dict) or not isinstance(response.get("content"), list):
        raise WireError("an Anthropic message is an object with a `content` list.")
    calls: list[WireCall] = []
    other = 0
    for position, block in enumerate(response["content"]):
        if not isinstance(block, dict):
            raise WireError(f"content[{position}] is not an object.")
        kind = block.get("type")
        if kind == "tool_use":
            calls.append(_whole_call(block))
        elif kind in _OTHER_BLOCKS:
            other += 1
    return calls, other, completion_tokens(response.get("usage"))


def _index(event: dict, number: int) -> object:
    index = event.get("index")
    if index is not None and not isinstance(index, int | str):
        raise WireError(f"event {number}: index is not an integer.")
    return index


class _Block:
    __slots__ = ("name", "start", "fragments")

    def __init__(self, block: dict) -> None:
        self.name = block.get("name")
        self.start = block
        self.fragments: list[str] = []

    def call(self) -> WireCall:
        text = "".join(self.fragments)
        if text:
            return WireCall(name=self.name, arguments=text)
        # No fragment: the SDK keeps the start block's input (`{}` for a call without arguments).
        return _whole_call(self.start)


class _Stream:
    """The tool_use blocks of one stream, in the order they started, and its other facts."""

    def __init__(self) -> None:
        self.blocks: dict[object, _Block] = {}
        self.started: set = set()  # every block index, tool_use or not
        self.order: list[object] = []
        self.other = 0
        self.tokens: int | None = None

    def add(self, event: dict, number: int) -> None:
        kind = event["type"]
        if kind == "message_start":
            message = event.get("message")
            self._tokens(message.get("usage") if isinstance(message, dict) else None)
        elif kind == "message_delta":
            self._tokens(event.get("usage"))  # cumulative: the last one wins
        elif kind == "content_block_start":
            self._start(event, number)
        elif kind == "content_block_delta":
            self._delta(event, number)

    def _tokens(self, usage: object) -> None:
        found = completion_tokens(usage)
        self.tokens = found if found is not None else self.tokens

    def _start(self, event: dict, number: int) -> None:
        block = event.get("content_block")
        if not isinstance(block, dict):
            raise WireError(f"event {number}: content_block is not an object.")
        index = _index(event, number)
        self.started.add(index)
        if block.get("type") == "tool_use":
            if index not in self.blocks:
                self.order.append(index)
            self.blocks[index] = _Block(block)
        elif block.get("type") in _OTHER_BLOCKS:
            self.other += 1

    def _delta(self, event: dict, number: int) -> None:
        delta = event.get("delta")
        if not isinstance(delta, dict) or delta.get("type") != "input_json_delta":
            return
        index = _index(event, number)
        if index not in self.started:
            raise WireError(f"event {number}: input_json_delta for a block never started.")
        block = self.blocks.get(index)
        fragment = delta.get("partial_json")
        if block is not None and isinstance(fragment, str):
            block.fragments.append(fragment)


def parse_events(events: object) -> tuple[list[WireCall], int, int | None]:
    """Concatenates `input_json_delta.partial_json` per block index: a stream can be invalid JSON."""
    if not isinstance(events, list) or not events:
        raise WireError("an Anthropic stream is a non-empty list of stream events.")
    stream = _Stream()
    for number, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise WireError(f"event {number} is not an object with a `type`.")
        stream.add(event, number)
    return [stream.blocks[index].call() for index in stream.order], stream.other, stream.tokens
