"""Tool-call outcome of one response (METHODOLOGY.md §1, §2, §3).

``classify_exchange`` takes one ``metrics.wire.Exchange`` (any wire format,
already normalised) and returns one outcome per function-tool call plus the
request-level facts: was a tool offered, was the request eligible for
propensity, was any tool called, is it errored, its complexity bucket, and how
many calls of non-function tools it held (``other``, not judged). ``classify``
does the same for an OpenAI chat completion body of any JSON shape. Neither raises.

Pure module: no Django.
"""

from __future__ import annotations

import json
import marshal
import time
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from metrics.choices import OK_OUTCOMES, Bucket, Outcome
from metrics.complexity import DEFAULT_BUCKET_BOUNDS, bucket_for, complexity_score
from metrics.lru import LRU
from metrics.schema_validation import (
    MISMATCH,
    VALID,
    ValidatorCache,
    canonical_json,
)
from metrics.wire.types import Exchange

__all__ = [
    "CallOutcome", "RequestOutcome", "WorkBoundExceeded", "classify", "classify_exchange",
]


class WorkBoundExceeded(Exception):
    """An event is over a work bound of METHODOLOGY §1 (calls per event, the batch's
    validation budget): it is rejected whole, with this message, and may be resent."""

# A stored raw arguments string is evidence for a human, not a payload.
MAX_STORED_ARGUMENTS = 4000


# Named tuples, not frozen dataclasses: as immutable, and built three times faster on the
# per-call path (docs/performance.md).
class CallOutcome(NamedTuple):
    outcome: Outcome
    tool_name: str  # as returned by the model; "" when absent or not a string
    bucket: Bucket  # the tool's bucket; the request's when the tool is unknown
    message: str  # parse error or validator message; "" when valid
    arguments: str  # raw arguments, truncated; a JSON dump when they were not a string
    parameters: object | None  # the tool's parameters; None when the tool is unknown


class RequestOutcome(NamedTuple):
    offered_tools: bool
    propensity_eligible: bool
    called: bool
    errored: bool
    bucket: Bucket
    calls: tuple[CallOutcome, ...]
    other: int = 0  # calls of non-function tools (custom, hosted): left out of accuracy


# --- the offered tools --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tool:
    # The tool's parameters, from the first request this table (or schema) was built for:
    # exactly equal to every later request's, as the table's key is exact. Read from here,
    # a call touches none of its own request's tools objects.
    parameters: object
    has_parameters: bool
    canonical: str | None  # canonical JSON of parameters; None if not JSON data
    bucket: Bucket


@dataclass(frozen=True, slots=True)
class _ToolTable:
    by_name: dict[str, _Tool]
    bucket: Bucket


_EMPTY_TABLE = _ToolTable({}, Bucket.SIMPLE)
# The longest exact key cached; a longer one (a huge tools list) is built per call.
MAX_KEY_BYTES = 256 * 1024


def _function_of(entry: object) -> dict | None:
    """The ``function`` object of an offered tool, if it is a named function tool (§1)."""
    if not isinstance(entry, dict) or entry.get("type", "function") != "function":
        return None
    function = entry.get("function")
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        return None
    return function


@dataclass(frozen=True, slots=True)
class _ToolInfo:
    parameters: object
    has_parameters: bool
    canonical: str | None
    score: int


class _ExactCache:
    """LRU of values computed from parsed JSON, under an exact key: equal keys, equal data.

    By default the key is the data's ``marshal`` encoding, a fast, exact encoding of parsed
    JSON (``==`` is not exact for JSON: ``true == 1 == 1.0``); it is not canonical (marshal
    marks objects referenced elsewhere), so equal data may miss but never share a wrong value.

    A caller that still has the raw bytes the data was parsed from may pass them (tagged
    with their wire format) as the key instead and spare the encoding: the caller guarantees
    the key is an injective function of the parsed data, which raw bytes are (the same bytes
    parse to the same value). Such keys live in a table of their own, never compared with
    ``marshal`` keys; one that is not ``bytes`` or is too large is ignored. Data that cannot
    be encoded, or whose key is too large, is computed uncached.
    """

    def __init__(self, build, maxsize: int, max_key_bytes: int = MAX_KEY_BYTES) -> None:
        self._build = build
        self._values: LRU[bytes, object] = LRU(maxsize)
        self._keyed: LRU[bytes, object] = LRU(maxsize)
        self._max_key_bytes = max_key_bytes
        self.builds = 0  # values computed, cached or not (tests read it)

    def get(self, data: object, key: bytes | None = None):
        if key is not None and type(key) is bytes and len(key) <= self._max_key_bytes:
            value = self._keyed.get(key)
            if value is None:
                value = self._compute(data)
                self._keyed.put(key, value)
            return value
        try:
            key = marshal.dumps(data)
        except (ValueError, TypeError, RecursionError):  # not plain data, or too deep
            return self._compute(data)
        if len(key) > self._max_key_bytes:
            return self._compute(data)
        value = self._values.get(key)
        if value is None:
            value = self._compute(data)
            self._values.put(key, value)
        return value

    def _compute(self, data: object):
        self.builds += 1
        return self._build(data)


def _tool_info(parameters: object) -> _ToolInfo:
    return _ToolInfo(
        parameters=parameters,
        has_parameters=parameters is not None,
        canonical=canonical_json(parameters) if parameters is not None else None,
        score=complexity_score(parameters),
    )


# Requests offer varying subsets of an app's tools in varying order, so whole lists
# rarely repeat while single tools always do: schema facts are cached per tool too.
_infos = _ExactCache(_tool_info, maxsize=8192)


def _build_table(tools: list, bounds: tuple[int, int] = DEFAULT_BUCKET_BOUNDS) -> _ToolTable:
    """Name -> tool for the request's function tools; the first of duplicate names wins."""
    by_name: dict[str, _Tool] = {}
    top_score = 0
    for entry in tools:
        function = _function_of(entry)
        if function is None or function["name"] in by_name:
            continue
        info = _infos.get(function.get("parameters"))
        top_score = max(top_score, info.score)
        by_name[function["name"]] = _Tool(
            parameters=info.parameters,
            has_parameters=info.has_parameters,
            canonical=info.canonical,
            bucket=bucket_for(info.score, simple_max=bounds[0], medium_max=bounds[1]),
        )
    # §3: the request's bucket is that of its most complex offered tool.
    return _ToolTable(by_name, bucket_for(top_score, simple_max=bounds[0], medium_max=bounds[1]))


_default_cache = ValidatorCache()
# Gateways send the same tools list with every request of a conversation.
_tables = _ExactCache(_build_table, maxsize=4096)
# Other bucket bounds (EXACTO_BUCKET_*_MAX) get tables of their own; in practice one.
_tables_by_bounds: dict[tuple[int, int], _ExactCache] = {DEFAULT_BUCKET_BOUNDS: _tables}


def _tables_for(bounds: tuple[int, int]) -> _ExactCache:
    tables = _tables_by_bounds.get(bounds)
    if tables is None:
        tables = _tables_by_bounds.setdefault(
            bounds, _ExactCache(partial(_build_table, bounds=bounds), maxsize=4096))
    return tables


# --- the rules ----------------------------------------------------------------


def is_propensity_eligible(offered_tools: bool, tool_choice: object) -> bool:
    """§2: tools were offered and the model was free to choose (tool_choice absent or "auto")."""
    return offered_tools and (tool_choice is None or tool_choice == "auto")


# A call is a WireCall's fields (name, arguments, present, decoded), or in a plain tuple when
# walked here: built six times faster, and unpacked alike.
_ABSENT_CALL = (None, None, False, False)
_NO_ARGUMENTS = object()
# Named tuples built by tuple.__new__ skip their Python-level __new__: half the cost per call.
_new = tuple.__new__


def _wire_calls(response: object) -> list[tuple]:
    """Every entry of ``choices[*].message.tool_calls`` (§1), whatever its shape, as a judged
    call (an entry without a `function` object has no arguments)."""
    if not isinstance(response, dict):
        return []
    choices = response.get("choices")
    if not isinstance(choices, list):
        return []
    calls: list[tuple] = []
    for choice in choices:
        message = choice.get("message") if isinstance(choice, dict) else None
        tool_calls = message.get("tool_calls") if isinstance(message, dict) else None
        if not isinstance(tool_calls, list):
            continue
        for call in tool_calls:
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(function, dict):
                calls.append(_ABSENT_CALL)
                continue
            arguments = function.get("arguments", _NO_ARGUMENTS)
            calls.append((function.get("name"), arguments, True, False)
                         if arguments is not _NO_ARGUMENTS
                         else (function.get("name"), None, False, False))
    return calls


def _reject_constant(name: str) -> object:
    # NaN and Infinity are Python extensions, not JSON.
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_scan_once = _DECODER.scan_once
_JSON_SPACE = " \t\n\r"


def _stored_arguments(raw: object, present: bool) -> str:
    if not present:
        return ""
    if isinstance(raw, str):
        text = raw
    else:
        try:
            text = json.dumps(raw)
        except (TypeError, ValueError, RecursionError):
            try:
                text = repr(raw)
            except Exception:  # a repr can fail too on hostile nesting
                text = f"<{type(raw).__name__}>"
    return text[:MAX_STORED_ARGUMENTS]


_JUDGED = {VALID: Outcome.VALID, MISMATCH: Outcome.SCHEMA_MISMATCH}
_TOO_DEEP = object()


def _parsed(raw: object, present: bool) -> tuple[object, str]:
    """(the arguments as a JSON value, "") or (None, why they are invalid_json) — §1 step 1;
    the value is _TOO_DEEP when Python's parser gave up on the nesting.

    The text is parsed as ``_DECODER.decode(raw)`` would, minus its Python frames when it is
    plain JSON: the same C scanner parses it, and anything unusual (leading whitespace, an
    error to describe) goes through ``decode`` itself, so values and messages are exactly
    ``json``'s.
    """
    if not isinstance(raw, str):
        kind = "absent" if not present else f"a {type(raw).__name__}, not a string"
        return None, f"arguments are {kind}"
    try:
        try:
            value, end = _scan_once(raw, 0)
        except StopIteration:
            return _DECODER.decode(raw), ""
        if end != len(raw) and raw[end:].strip(_JSON_SPACE):
            _DECODER.decode(raw)  # raises "Extra data" with its position
        return value, ""
    except RecursionError:
        # Python's parser gives up on deep nesting before knowing whether the
        # text is JSON, so the call can be neither invalid_json nor checked.
        return _TOO_DEEP, ""
    except ValueError as error:  # JSONDecodeError, and the constants above
        return None, str(error)


def _classify_call(
    call: tuple,
    table: _ToolTable,
    cache: ValidatorCache,
    budget_ms: float,
) -> CallOutcome:
    """One call's outcome, checked in the order of the §1 table."""
    name, raw, present, decoded = call
    if isinstance(name, str):
        tool_name = name
        tool = table.by_name.get(name)
    else:
        tool_name, tool = "", None
    if tool is None:
        bucket, parameters = table.bucket, None
    else:
        bucket, parameters = tool.bucket, tool.parameters
    stored = raw[:MAX_STORED_ARGUMENTS] if present and type(raw) is str else (
        _stored_arguments(raw, present))
    if decoded:
        # The wire carried a JSON value (an Anthropic `input`): nothing to parse.
        arguments, size = raw, None
    else:
        # 1. invalid_json
        arguments, error = _parsed(raw, present)
        if error:
            return _new(CallOutcome, (
                Outcome.INVALID_JSON, tool_name, bucket, error, stored, parameters))
        size = len(raw)
    kind, message = _judge_parsed(tool, tool_name, arguments, parameters, cache, budget_ms, size)
    return _new(CallOutcome, (kind, tool_name, bucket, message, stored, parameters))


def _judge_parsed(
    tool: _Tool | None, tool_name: str, arguments: object, parameters: object,
    cache: ValidatorCache, budget_ms: float, size: int | None,
) -> tuple[Outcome, str]:
    """Steps 2-5 of the §1 table, once the arguments are a JSON value."""
    # 2. unknown_tool
    if tool is None:
        return Outcome.UNKNOWN_TOOL, f"no tool named {tool_name[:200]!r} was offered"
    # 3-5. schema_mismatch / unchecked / valid
    if arguments is _TOO_DEEP:
        return Outcome.UNCHECKED, "arguments are nested too deeply to parse"
    if not tool.has_parameters:
        return Outcome.UNCHECKED, "the tool has no parameters"
    if tool.canonical is None:
        return Outcome.UNCHECKED, "parameters are not JSON data"
    if size is None:
        result = cache.check(parameters, arguments, budget_ms, canonical=tool.canonical)
    else:
        result = cache.check_decoded(parameters, tool.canonical, arguments, size, budget_ms)
    return _JUDGED.get(result.status, Outcome.UNCHECKED), result.message


def classify(
    tools: object,
    tool_choice: object,
    response: object,
    *,
    tools_key: bytes | None = None,
    cache: ValidatorCache | None = None,
    budget_ms: float = 50,
    max_calls: int | None = None,
    deadline: float | None = None,
    bucket_bounds: tuple[int, int] = DEFAULT_BUCKET_BOUNDS,
) -> RequestOutcome:
    """Classify every tool call of an OpenAI chat completion (METHODOLOGY.md §1, §2, §3).

    Total on arbitrary JSON: malformed tools are not offered, malformed calls
    are ``invalid_json`` (no string arguments) or ``unknown_tool``. The only
    exception is ``WorkBoundExceeded``: more than ``max_calls`` calls, or the
    ``deadline`` (a ``time.monotonic()`` value, the batch's budget) passed
    before every call was judged. Each judged call still had its own budget.

    ``tools_key``: an exact key of ``tools`` from whoever parsed them, e.g. a wire format
    tag and the raw bytes of the request's ``tools`` (see ``Exchange.tools_key``). The
    caller guarantees it is an injective function of the parsed ``tools``: two calls with
    the same key must have equal tools, exactly (``true`` is not ``1``). With it the
    tools table is found without encoding ``tools``; without it (or when it is not
    ``bytes`` or is longer than ``MAX_KEY_BYTES``), ``tools`` are encoded with ``marshal``.
    """
    return _classify(
        tools if isinstance(tools, list) else [], tool_choice,
        _wire_calls(response), 0, False, tools_key, cache, budget_ms,
        max_calls, deadline, bucket_bounds,
    )


def classify_exchange(
    exchange: Exchange,
    *,
    cache: ValidatorCache | None = None,
    budget_ms: float = 50,
    max_calls: int | None = None,
    deadline: float | None = None,
    bucket_bounds: tuple[int, int] = DEFAULT_BUCKET_BOUNDS,
) -> RequestOutcome:
    """Classify one normalised request/response pair of any wire format (§1, §2, §3).

    Raises ``WorkBoundExceeded`` exactly as ``classify`` does. ``exchange.tools_key``, when
    the parser set it, is the exact key of the tools (``classify``'s ``tools_key``).
    """
    return _classify(
        exchange.tools, exchange.tool_choice, exchange.calls, exchange.other_calls,
        exchange.offered_other, exchange.tools_key, cache, budget_ms, max_calls, deadline,
        bucket_bounds,
    )


def _classify(
    tool_list: list,
    tool_choice: object,
    wire_calls,
    other: int,
    offered_other: bool,
    tools_key: bytes | None,
    cache: ValidatorCache | None,
    budget_ms: float,
    max_calls: int | None,
    deadline: float | None,
    bucket_bounds: tuple[int, int] = DEFAULT_BUCKET_BOUNDS,
) -> RequestOutcome:
    found = len(wire_calls) + other
    if max_calls is not None and found > max_calls:
        raise WorkBoundExceeded(
            f"the event holds {found} tool calls, more than the {max_calls} allowed per "
            "event; split it and resend it."
        )
    table = _tables_for(bucket_bounds).get(tool_list, tools_key) if tool_list else _EMPTY_TABLE
    # A request offering only non-function tools (hosted search, custom) still offered tools:
    # whether the model used one counts for propensity (§2); such calls are never judged.
    offered = bool(table.by_name) or offered_other
    validator_cache = cache if cache is not None else _default_cache
    calls = []
    errored = False
    for call in wire_calls:
        if deadline is not None and time.monotonic() > deadline:
            raise WorkBoundExceeded(
                "the batch spent its validation time budget before this event was judged; "
                "nothing of it was stored: resend it in a later or smaller batch (an event "
                "that alone needs longer must split its tool calls over several events)."
            )
        judged = _classify_call(call, table, validator_cache, budget_ms)
        errored = errored or judged.outcome not in OK_OUTCOMES
        calls.append(judged)
    return _new(RequestOutcome, (
        offered,
        is_propensity_eligible(offered, tool_choice),
        bool(calls) or other > 0,
        errored,
        table.bucket,
        tuple(calls),
        other,
    ))
