"""The body of POST /tool-calls/ read in one typed msgspec pass (issue 17).

A batch is ~1,000 events whose requests offer the same few tools over and over. Read as
typed structs, every field of an event comes out as ``json.loads`` gives it, but for the
request: ingest reads only its ``tools`` and ``tool_choice`` (metrics/events.py,
metrics/wire), so its other members (``messages``, usually the bulk of a real request) are
checked as JSON and skipped, never built, and ``tools`` is kept as raw bytes. Those bytes,
behind the wire format's tag, are the exact key of the tools for the classifier's tool
table (``Exchange.tools_key``: equal bytes parse to equal tools). Each entry of the list is
decoded once per process and shared after that (``_ENTRIES``): nothing downstream changes
a tools list, and a shared entry is neither built nor freed again.

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
from typing import Any

import msgspec
from msgspec import UNSET, Raw

from metrics.events import TOOL_CALL_EVENT_SCHEMA
from metrics.lru import LRU

# The members of an event that parse_tool_call_event reads: those its schema documents
# (a test checks that the parser reads no other).
EVENT_FIELDS = tuple(TOOL_CALL_EVENT_SCHEMA["properties"])
# Distinct tool definitions kept decoded per process, and the largest one kept (bytes):
# at most ~16 MiB of JSON; a gateway's tools are a few dozen definitions of ~1 KiB.
MAX_ENTRIES = 2048
MAX_ENTRY_BYTES = 8 * 1024


class _Request(msgspec.Struct, gc=False):
    tools: Raw = UNSET
    tool_choice: Any = UNSET


_Event = msgspec.defstruct(
    "_Event", [(name, (_Request | None) if name == "request" else Any, UNSET)
               for name in EVENT_FIELDS], gc=False)
_Batch = msgspec.defstruct("_Batch", [("events", list[_Event])], gc=False)

_BATCH = msgspec.json.Decoder(_Batch)
_LIST = msgspec.json.Decoder(list[Raw] | None)
_ANY = msgspec.json.Decoder()
_REQUEST_AT = EVENT_FIELDS.index("request")
_ERRORS = (msgspec.DecodeError, RecursionError, UnicodeDecodeError)  # ValidationError included
_ENTRIES: LRU[bytes, object] = LRU(MAX_ENTRIES)

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
        events = _BATCH.decode(raw).events
        items, tools_raw = [], []
        for event in events:
            item, tools = _item(event)
            items.append(item)
            tools_raw.append(tools)
    except _ERRORS:
        return None
    batch = DecodedBatch(events=items)
    batch.tools_raw = tools_raw
    return batch


def _item(event) -> tuple[dict, bytes | None]:
    values = msgspec.structs.astuple(event)
    item = {name: value for name, value in zip(EVENT_FIELDS, values, strict=True)
            if value is not UNSET}
    request = values[_REQUEST_AT]
    if request is None or request is UNSET:
        return item, None
    fields: dict = {}
    tools = None
    if request.tools is not UNSET:
        tools = bytes(request.tools)
        fields["tools"] = _tools(tools)
        if fields["tools"] is None:  # `"tools": null`, read as no tools: no bytes of a list
            tools = None
    if request.tool_choice is not UNSET:
        fields["tool_choice"] = request.tool_choice
    item["request"] = fields
    return item, tools


def _tools(raw: bytes) -> list | None:
    """The tools list of `raw`, its entries shared with earlier events that sent the same."""
    entries = _LIST.decode(raw)
    if entries is None:
        return None
    tools = []
    for entry in entries:
        key = bytes(entry)
        value = _ENTRIES.get(key)
        if value is None:
            value = _ANY.decode(key)
            if len(key) <= MAX_ENTRY_BYTES and value is not None:
                _ENTRIES.put(key, value)
        tools.append(value)
    return tools


def _has_long_integer(raw: bytes) -> bool:
    """Whether `raw` holds a run of digits longer than Python converts to an integer
    (``json.loads`` refuses such a number; msgspec refuses it where it decodes, not where
    it skips)."""
    limit = sys.get_int_max_str_digits()
    if not limit or len(raw) <= limit:
        return False
    return raw.translate(_DIGIT_RUNS).find(b"0" * (limit + 1)) >= 0
