"""The one internal shape every wire format is normalised into (METHODOLOGY §1).

Pure: no Django.
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class WireFormat(enum.StrEnum):
    """Response formats of API.md 1.1 ("Tool-call events — additions"); values are the `format` field."""

    OPENAI_CHAT = "openai.chat"
    OPENAI_CHAT_STREAM = "openai.chat.stream"
    OPENAI_RESPONSES = "openai.responses"
    ANTHROPIC_MESSAGES = "anthropic.messages"
    ANTHROPIC_MESSAGES_STREAM = "anthropic.messages.stream"


class WireError(ValueError):
    """The response (or request) matches no supported format; the message says why."""


# Named tuples rather than frozen dataclasses: as immutable, and three times cheaper to build
# once per call and per event on the ingest path.
class WireCall(NamedTuple):
    """One call of a function tool, as the client received it.

    ``arguments`` is the raw text when ``decoded`` is false (OpenAI, Anthropic streams: it
    may not parse), or the JSON value itself when the wire carried an object (a whole
    Anthropic message's ``input``). ``present`` is false when the call had no arguments.
    """

    name: object
    arguments: object
    present: bool = True
    decoded: bool = False


class Exchange(NamedTuple):
    """A request/response pair reduced to what §1–§3 and §10 judge.

    ``tools`` are the offered function tools in OpenAI chat shape
    (``{"type": "function", "function": {"name", "parameters"}}``); ``tool_choice`` is
    ``None``, ``"auto"``, ``"none"``, ``"required"`` or a named function (§2 meaning);
    ``other_calls`` counts calls of non-function tools (custom, hosted), never judged.
    ``tools_key``, set by a parser that saw the raw request, is an exact key of ``tools``
    (``metrics.toolcalls.classify``'s ``tools_key``): the wire format's tag and the raw
    bytes of the request's tools, which ``tools`` are normalised from and nothing else, so
    equal keys mean equal ``tools``; None when not known.
    """

    format: WireFormat
    tools: list
    tool_choice: object
    calls: tuple[WireCall, ...]
    other_calls: int = 0
    offered_other: bool = False
    completion_tokens: int | None = None
    tools_key: bytes | None = None
