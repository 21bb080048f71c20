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

import enum
import json
import marshal
import time
from dataclasses import dataclass
from functools import partial

from metrics.complexity import DEFAULT_BUCKET_BOUNDS, Bucket, bucket_for, complexity_score
from metrics.lru import LRU
from metrics.schema_validation import (
    MISMATCH,
    VALID,
    ValidatorCache,
    canonical_json,
)
from metrics.wire.types import Exchange, WireCall

__all__ = [
    "CallOutcome", "Outcome", "RequestOutcome", "WorkBoundExceeded", "classify", "classify_exchange",
]


class WorkBoundExceeded(Exception):
    """An event is over a work bound of METHODOLOGY §1 (calls per event, the batch's
    validation budget): it is rejected whole, with this message, and may be resent."""

# A stored raw arguments string is evidence for a human, not a payload.
MAX_STORED_ARGUMENTS = 4000


class Outcome(enum.StrEnum):
    VALID = "valid"
    UNCHECKED = "unchecked"
    INVALID_JSON = "invalid_json"
    UNKNOWN_TOOL = "unknown_tool"
    SCHEMA_MISMATCH = "schema_mismatch"
    OTHER = "other"  # a call of a non-function tool: counted, never judged


# Outcomes counted as correct calls (METHODOLOGY.md §1: unchecked counts as valid).
OK_OUTCOMES = frozenset({Outcome.VALID, Outcome.UNCHECKED})


@dataclass(frozen=True, slots=True)
class CallOutcome:
    outcome: Outcome
    tool_name: str  # as returned by the model; "" when absent or not a string
    bucket: Bucket  # the tool's bucket; the request's when the tool is unknown
    message: str  # parse error or validator message; "" when valid
    arguments: str  # raw arguments, truncated; a JSON dump when they were not a string
    parameters: object | None  # the tool's parameters; None when the tool is unknown


@dataclass(frozen=True, slots=True)
class RequestOutcome:
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
    index: int  # position in the request's tools list
    has_parameters: bool
    canonical: str | None  # canonical JSON of parameters; None if not JSON data
    bucket: Bucket


@dataclass(frozen=True, slots=True)
class _ToolTable:
    by_name: dict[str, _Tool]
    bucket: Bucket


_EMPTY_TABLE = _ToolTable({}, Bucket.SIMPLE)


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
    has_parameters: bool
    canonical: str | None
    score: int


class _ExactCache:
    """LRU of values computed from parsed JSON, keyed by its exact ``marshal`` encoding.

    ``marshal`` is a fast, exact encoding of parsed JSON: equal bytes mean equal data.
    Values that cannot be encoded, or whose encoding is too large, are computed uncached.
    """

    def __init__(self, build, maxsize: int, max_key_bytes: int = 256 * 1024) -> None:
        self._build = build
        self._values: LRU[bytes, object] = LRU(maxsize)
        self._max_key_bytes = max_key_bytes

    def get(self, data: object):
        try:
            key = marshal.dumps(data)
        except (ValueError, TypeError, RecursionError):  # not plain data, or too deep
            return self._build(data)
        if len(key) > self._max_key_bytes:
            return self._build(data)
        value = self._values.get(key)
        if value is None:
            value = self._build(data)
            self._values.put(key, value)
        return value


def _tool_info(parameters: object) -> _ToolInfo:
    return _ToolInfo(
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
    for index, entry in enumerate(tools):
        function = _function_of(entry)
        if function is None or function["name"] in by_name:
            continue
        info = _infos.get(function.get("parameters"))
        top_score = max(top_score, info.score)
        by_name[function["name"]] = _Tool(
            index=index,
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


def _tool_calls(response: object) -> list[object]:
    """Every entry of ``choices[*].message.tool_calls`` (§1), whatever its shape."""
    if not isinstance(response, dict):
        return []
    choices = response.get("choices")
    if not isinstance(choices, list):
        return []
    calls: list[object] = []
    for choice in choices:
        message = choice.get("message") if isinstance(choice, dict) else None
        tool_calls = message.get("tool_calls") if isinstance(message, dict) else None
        if isinstance(tool_calls, list):
            calls.extend(tool_calls)
    return calls


def _wire_call(call: object) -> WireCall:
    """An OpenAI chat tool call of any shape as a judged call (no `function`: no arguments)."""
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict):
        return WireCall(name=None, arguments=None, present=False)
    return WireCall(name=function.get("name"), arguments=function.get("arguments"),
                    present="arguments" in function)


def _reject_constant(name: str) -> object:
    # NaN and Infinity are Python extensions, not JSON.
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


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


def _classify_call(
    call: WireCall,
    tools: list,
    table: _ToolTable,
    cache: ValidatorCache,
    budget_ms: float,
) -> CallOutcome:
    """One call's outcome, checked in the order of the §1 table."""
    name = call.name
    tool_name = name if isinstance(name, str) else ""
    tool = table.by_name.get(name) if isinstance(name, str) else None
    bucket = tool.bucket if tool is not None else table.bucket
    parameters = (
        tools[tool.index]["function"].get("parameters") if tool is not None else None
    )
    present = call.present
    raw = call.arguments
    stored = _stored_arguments(raw, present)

    def outcome(kind: Outcome, message: str) -> CallOutcome:
        return CallOutcome(kind, tool_name, bucket, message, stored, parameters)

    if call.decoded:
        # The wire carried a JSON value (an Anthropic `input`): nothing to parse.
        return _judge_parsed(tool, tool_name, raw, parameters, outcome, cache, budget_ms, None)
    # 1. invalid_json
    if not isinstance(raw, str):
        kind = "absent" if not present else f"a {type(raw).__name__}, not a string"
        return outcome(Outcome.INVALID_JSON, f"arguments are {kind}")
    too_deep = False
    try:
        arguments = _DECODER.decode(raw)
    except RecursionError:
        # Python's parser gives up on deep nesting before knowing whether the
        # text is JSON, so the call can be neither invalid_json nor checked.
        too_deep = True
    except ValueError as error:  # JSONDecodeError, and the constants above
        return outcome(Outcome.INVALID_JSON, str(error))
    if too_deep:
        if tool is None:
            return outcome(Outcome.UNKNOWN_TOOL, f"no tool named {tool_name[:200]!r} was offered")
        return outcome(Outcome.UNCHECKED, "arguments are nested too deeply to parse")
    return _judge_parsed(tool, tool_name, arguments, parameters, outcome, cache, budget_ms, len(raw))


def _judge_parsed(
    tool: _Tool | None, tool_name: str, arguments: object, parameters: object, outcome,
    cache: ValidatorCache, budget_ms: float, size: int | None,
) -> CallOutcome:
    """Steps 2-5 of the §1 table, once the arguments are a JSON value."""
    # 2. unknown_tool
    if tool is None:
        return outcome(Outcome.UNKNOWN_TOOL, f"no tool named {tool_name[:200]!r} was offered")
    # 3-5. schema_mismatch / unchecked / valid
    if not tool.has_parameters:
        return outcome(Outcome.UNCHECKED, "the tool has no parameters")
    if tool.canonical is None:
        return outcome(Outcome.UNCHECKED, "parameters are not JSON data")
    result = cache.check(
        parameters, arguments, budget_ms, canonical=tool.canonical, arguments_size=size
    )
    if result.status == VALID:
        return outcome(Outcome.VALID, "")
    if result.status == MISMATCH:
        return outcome(Outcome.SCHEMA_MISMATCH, result.message)
    return outcome(Outcome.UNCHECKED, result.message)


def classify(
    tools: object,
    tool_choice: object,
    response: object,
    *,
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
    """
    return _classify(
        tools if isinstance(tools, list) else [], tool_choice,
        [_wire_call(call) for call in _tool_calls(response)], 0, False, cache, budget_ms,
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

    Raises ``WorkBoundExceeded`` exactly as ``classify`` does.
    """
    return _classify(
        exchange.tools, exchange.tool_choice, exchange.calls, exchange.other_calls,
        exchange.offered_other, cache, budget_ms, max_calls, deadline, bucket_bounds,
    )


def _classify(
    tool_list: list,
    tool_choice: object,
    wire_calls,
    other: int,
    offered_other: bool,
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
    table = _tables_for(bucket_bounds).get(tool_list) if tool_list else _EMPTY_TABLE
    # A request offering only non-function tools (hosted search, custom) still offered tools:
    # whether the model used one counts for propensity (§2); such calls are never judged.
    offered = bool(table.by_name) or offered_other
    validator_cache = cache if cache is not None else _default_cache
    calls = []
    for call in wire_calls:
        if deadline is not None and time.monotonic() > deadline:
            raise WorkBoundExceeded(
                "the batch spent its validation time budget before this event was judged; "
                "nothing of it was stored: resend it in a later or smaller batch (an event "
                "that alone needs longer must split its tool calls over several events)."
            )
        calls.append(_classify_call(call, tool_list, table, validator_cache, budget_ms))
    errored = False
    for call in calls:
        if call.outcome not in OK_OUTCOMES:
            errored = True
            break
    return RequestOutcome(
        offered_tools=offered,
        propensity_eligible=is_propensity_eligible(offered, tool_choice),
        called=bool(calls) or other > 0,
        errored=errored,
        bucket=table.bucket,
        calls=tuple(calls),
        other=other,
    )
