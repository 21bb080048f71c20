"""The body of POST /tool-calls/ read in one typed msgspec pass (issue 17).

A batch is ~1,000 events whose requests offer the same few tools over and over. Read as
typed structs, every field of an event comes out as ``json.loads`` gives it, but for the
request: ingest reads only its ``tools`` and ``tool_choice`` (metrics/events.py,
metrics/wire), so its other members (``messages``, usually the bulk of a real request) are
checked as JSON and skipped, never built, and ``tools`` is kept as raw bytes. Those bytes,
behind the wire format's tag, are the exact key of the tools for the classifier's tool
table (``Exchange.tools_key``: equal bytes parse to equal tools). A tools list, and each
tool definition in it, is decoded once per process and shared after that (``_LISTS``,
``_ENTRIES``): nothing downstream changes a tools list, and a shared one is neither built
nor freed again.

``decode_batch`` returns None whenever the body is not that plain shape (not an object,
``events`` not a list of objects, a request neither an object nor null, ``tools`` not a
list or null) or holds anything msgspec refuses or reads differently from ``json.loads``
(see exacto_site/json_body.py), including an integer literal longer than Python's digit
limit in a skipped member, which ``json.loads`` refuses and a skip would not see. The
caller then parses the body the general way, with ``json.loads``' values and errors.
Pure: no Django.
"""

from __future__ import annotations

import sys
from typing import Any, TypedDict

import msgspec
from msgspec import Raw

from metrics.events import TOOL_CALL_EVENT_SCHEMA
from metrics.lru import keep

# The members of an event that parse_tool_call_event reads: those its schema documents
# (a test checks that the parser reads no other).
EVENT_FIELDS = tuple(TOOL_CALL_EVENT_SCHEMA["properties"])
# Tools lists and tool definitions kept decoded per process, and the largest kept (bytes of
# JSON): at most 4 MiB of lists (their entries are shared) and 4 MiB of definitions, a few
# tens of MB of objects per worker at worst. A gateway's tools are a few dozen definitions
# of ~1 KiB, sent in a few lists.
MAX_LISTS, MAX_LIST_BYTES = 512, 8 * 1024
MAX_ENTRIES, MAX_ENTRY_BYTES = 1024, 4 * 1024


# Typed dicts: msgspec builds plain dicts of the members present (the last of duplicate
# keys, as json.loads), skipping every member not named here.
class _Request(TypedDict, total=False):
    tools: Raw
    tool_choice: Any
_Event = TypedDict("_Event", {name: (_Request | None) if name == "request" else Any
                              for name in EVENT_FIELDS}, total=False)
class _Batch(TypedDict):
    events: list[_Event]

_BATCH = msgspec.json.Decoder(_Batch)
_LIST = msgspec.json.Decoder(list[Raw] | None)
_ANY = msgspec.json.Decoder()
_ERRORS = (msgspec.DecodeError, RecursionError, UnicodeDecodeError)  # ValidationError included
# Plain dicts, emptied when full: a lookup is one C call (a miss only costs a decode).
_LISTS: dict[bytes, list] = {}
_ENTRIES: dict[bytes, object] = {}

# Digits stay `0`, every other byte becomes a space: a run of zeros is a run of digits.
_DIGIT_RUNS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))


class DecodedBatch(dict):
    """``{"events": [...]}`` with ``tools_raw``: per event, the raw bytes of its request's
    ``tools`` list (None when it had none)."""

    __slots__ = ("tools_raw",)


def decode_batch(raw: bytes) -> DecodedBatch | None:
    """The batch in `raw` (valid UTF-8, depth already bounded), or None: see the module."""
    if _has_long_integer(raw):
        return None
    try:
        items = _BATCH.decode(raw)["events"]
        tools_raw = [_take_tools(item.get("request")) for item in items]
    except _ERRORS:
        return None
    batch = DecodedBatch(events=items)
    batch.tools_raw = tools_raw
    return batch


def _take_tools(request: dict | None) -> bytes | None:
    """Replaces the request's raw `tools` by the decoded list; returns the raw bytes."""
    if request is None or (found := request.get("tools")) is None:
        return None
    raw = bytes(found)
    tools = request["tools"] = _tools(raw)
    return None if tools is None else raw  # `"tools": null` reads as no tools: no key


def _tools(raw: bytes) -> list | None:
    """The tools list of `raw`, shared with earlier events that sent the same bytes, or
    built of the definitions (entries) earlier events sent."""
    tools = _LISTS.get(raw)
    if tools is not None:
        return tools
    entries = _LIST.decode(raw)
    if entries is None:
        return None
    tools = [_entry(bytes(entry)) for entry in entries]
    keep(_LISTS, raw, tools, MAX_LISTS, MAX_LIST_BYTES)
    return tools


def _entry(raw: bytes) -> object:
    value = _ENTRIES.get(raw)
    if value is None:
        value = _ANY.decode(raw)
        if value is not None:
            keep(_ENTRIES, raw, value, MAX_ENTRIES, MAX_ENTRY_BYTES)
    return value


def _has_long_integer(raw: bytes) -> bool:
    """Whether `raw` holds a run of digits longer than Python converts to an integer
    (``json.loads`` refuses such a number; msgspec refuses it where it decodes, not where
    it skips)."""
    limit = sys.get_int_max_str_digits()
    if not limit or len(raw) <= limit:
        return False
    return raw.translate(_DIGIT_RUNS).find(b"0" * (limit + 1)) >= 0
