"""Parsing of the API's batch items (API.md) into plain records, with a reason for each refusal.

Pure: no Django. Structural checks only; classification lives in toolcalls.py.
"""

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from metrics.choices import IgnoreAction, RequestStatus
from metrics.speed import DEFAULT as NO_SPEED
from metrics.speed import MAX_MS, SpeedFields, parse_speed
from metrics.wire import FORMATS, Exchange, WireError, normalise
from providers import slugs

MAX_ID_LENGTH = 200
MAX_LABEL_LENGTH = 128
# METHODOLOGY §9 event time (both are settings; these are the defaults): clocks drift a
# little, but an event from next week is a bug, and one older than the window of any
# figure is a replay or a backdating attempt.
FUTURE_SLACK = timedelta(minutes=5)
MAX_EVENT_AGE_DAYS = 90
# No measurement predates this; earlier dates (year 1, …) would overflow time arithmetic.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# Storage limits: PostgreSQL integer, and a run's free-form detail kept small.
MAX_SAMPLES = 2_147_483_647
MAX_DETAIL_BYTES = 64 * 1024


class ItemError(ValueError):
    """A batch item is refused; the message is the `error` of its `rejected` entry."""


# A named tuple rather than a frozen dataclass: as immutable, and built in a sixth of the
# time (2.3 -> 0.4 µs), once per event of every batch.
class ToolCallEvent(NamedTuple):
    id: str
    model: str
    provider: str
    quantization: str | None
    app: str
    user: str | None
    created: datetime
    # Tools, tool_choice, calls and usage of any wire format (metrics/wire); None for a
    # failed request sent without a response (§10).
    exchange: Exchange | None
    speed: SpeedFields = NO_SPEED

    @property
    def classified(self) -> bool:
        """Only ok requests are judged on tool calls; the others count for uptime (§10)."""
        return self.speed.status == RequestStatus.OK


@dataclass(frozen=True, slots=True)
class IgnoreItem:
    id: str
    user: str
    provider: str
    model: str | None
    action: IgnoreAction
    created: datetime


@dataclass(frozen=True, slots=True)
class BenchmarkRunItem:
    id: str
    model: str
    provider: str
    quantization: str | None
    benchmark: str
    score: float
    stderr: float | None
    samples: int | None
    source: str
    run_at: datetime
    detail: dict


@dataclass
class BatchResult:
    """The answer to a batch (API.md): counts, and each refused item with its reason."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)  # items stored with a caveat (API.md 1.1)

    def reject(self, index: int, item: object, error: str) -> None:
        self.rejected.append({"index": index, "id": item_id(item), "error": error})

    def warn(self, index: int, item: object, warning: str) -> None:
        self.warnings.append({"index": index, "id": item_id(item), "warning": warning})

    def sift(self, items: Sequence, indexed: Iterable[tuple[int, Any]],
             step: Callable[[int, Any], Any],
             errors: tuple[type[Exception], ...] = (ValueError,)) -> list[tuple[int, Any]]:
        """One stage of a batch (parse, resolve, classify): `step(index, value)` for each
        indexed value; one of `errors` rejects that item alone, with its message, and drops
        it. Returns (index, result) of the items that passed, in order."""
        kept = []
        for index, value in indexed:
            try:
                kept.append((index, step(index, value)))
            except errors as exc:
                self.reject(index, items[index], str(exc))
        return kept

    def as_dict(self) -> dict:
        answer = {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}
        if self.warnings:
            answer["warnings"] = self.warnings
        return answer


def parse_time(value: object, field: str, now: datetime, *,
               max_future: timedelta = FUTURE_SLACK, max_age: timedelta | None = None
               ) -> datetime:
    if value is None:
        return now
    if not isinstance(value, str):
        raise ItemError(f"{field} must be an RFC 3339 string.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ItemError(f"{field} is not an RFC 3339 time: {_shown(value)}.") from exc
    if parsed.tzinfo is None:
        raise ItemError(f"{field} needs a time zone (e.g. a trailing Z).")
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError as exc:  # year 1 with a positive offset, and the like
        raise ItemError(f"{field} is out of range.") from exc
    return check_time(parsed, field, now, max_future=max_future, max_age=max_age)


def check_time(parsed: datetime, field: str, now: datetime, *,
               max_future: timedelta = FUTURE_SLACK, max_age: timedelta | None = None
               ) -> datetime:
    """The bounds of METHODOLOGY §9 on an aware time (`max_age` None: only EARLIEST)."""
    if parsed > now + max_future:
        raise ItemError(f"{field} is more than {_span(max_future)} in the future.")
    if max_age is not None and parsed < now - max_age:
        raise ItemError(f"{field} is more than {_span(max_age)} in the past.")
    if parsed < EARLIEST:
        raise ItemError(f"{field} is before {EARLIEST:%Y-%m-%d}.")
    return parsed


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400} days"
    return f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"


def _shown(value: str) -> str:
    """A value quoted in an error message: short and encodable (no lone surrogates)."""
    return repr(value[:40].encode("utf-8", "backslashreplace").decode("utf-8"))


def has_surrogates(text: str) -> bool:
    """Lone surrogates (\ud800…) parse from JSON but cannot be stored or sent as UTF-8."""
    if text.isascii():  # a flag of the string: no copy
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def strict_json_text(value: object) -> str | None:
    """`value` as standard JSON text storable by both databases, or None: no NaN/Infinity
    (1e999 parses as Infinity), no lone surrogates, no NUL."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return None
    if has_surrogates(text) or "\x00" in text or "\\u0000" in text:
        return None
    return text


def _id(item: dict) -> str:
    value = item.get("id")
    if not isinstance(value, str) or not value.strip():
        raise ItemError("id is required (a non-empty string).")
    if len(value) > MAX_ID_LENGTH:
        raise ItemError(f"id is longer than {MAX_ID_LENGTH} characters.")
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise ItemError("id must not contain NUL characters.")
    if has_surrogates(value):
        raise ItemError("id must be valid Unicode (it holds a lone surrogate).")
    return value


def _model(value: object, field: str = "model") -> str:
    if not isinstance(value, str) or len(value) > slugs.MODEL_MAX_LENGTH or not slugs.is_model(value):
        raise ItemError(f"{field} must be a model slug like author/name.")
    return value


def _provider(value: object) -> str:
    if (not isinstance(value, str) or len(value) > slugs.PROVIDER_MAX_LENGTH
            or not slugs.is_provider(value)):
        raise ItemError("provider must be a lowercase slug [a-z0-9-]+.")
    return value


def _label(item: dict, field: str, required: bool = False) -> str | None:
    value = item.get(field)
    if value is None:
        if required:
            raise ItemError(f"{field} is required.")
        return None
    if not isinstance(value, str):
        raise ItemError(f"{field} must be a string.")
    if len(value) > MAX_LABEL_LENGTH:
        raise ItemError(f"{field} is longer than {MAX_LABEL_LENGTH} characters.")
    if "\x00" in value and field != "user":  # users are only hashed; other labels are stored
        raise ItemError(f"{field} must not contain NUL characters.")
    if has_surrogates(value):
        raise ItemError(f"{field} must be valid Unicode (it holds a lone surrogate).")
    return value


def item_id(item: object) -> str | None:
    """The id to echo in a `rejected` entry, when there is a usable one."""
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        # Echoed in the answer, which must encode as UTF-8 even for a hostile id.
        return item["id"][:MAX_ID_LENGTH].encode("utf-8", "backslashreplace").decode("utf-8")
    return None


def unix_time(value: object, field: str) -> object:
    """Integer (or fractional) Unix seconds, as OpenAI's `created`, as RFC 3339; else unchanged."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    try:
        return datetime.fromtimestamp(value, UTC).isoformat()
    except (OverflowError, OSError, ValueError) as exc:
        raise ItemError(f"{field} is not a usable Unix time.") from exc


def parse_tool_call_event(item: object, now: datetime, *,
                          max_future: timedelta = FUTURE_SLACK,
                          max_age: timedelta = timedelta(days=MAX_EVENT_AGE_DAYS),
                          tools_raw: bytes | None = None) -> ToolCallEvent:
    """`tools_raw`: the raw JSON of the request's tools, when the batch parser kept it
    (metrics/tool_call_batch.py); the classifier's exact key of them."""
    if not isinstance(item, dict):
        raise ItemError("event must be a JSON object.")
    try:
        speed = parse_speed(item)
    except ValueError as exc:
        raise ItemError(str(exc)) from exc
    # A failed or timed-out request may come without request or response (§10).
    ok = speed.status == RequestStatus.OK
    request = item.get("request")
    if not isinstance(request, dict) and (ok or request is not None):
        raise ItemError("request must be an object holding the request's tools.")
    exchange = None
    if ok:
        if item.get("response") is None:
            raise ItemError("response is required: the response body (or stream) as the "
                            "client received it.")
        try:
            exchange = normalise(request, item["response"], item.get("format"), tools_raw)
        except WireError as exc:
            raise ItemError(str(exc)) from None
    return ToolCallEvent(
        id=_id(item),
        # Names as sent: the ingest service maps them through the alias tables (API.md 1.1).
        model=_label(item, "model", required=True),
        provider=_label(item, "provider", required=True),
        quantization=_label(item, "quantization"),
        app=_label(item, "app") or "",
        user=_label(item, "user"),
        created=parse_time(unix_time(item.get("created"), "created"), "created", now,
                           max_future=max_future, max_age=max_age),
        exchange=exchange,
        speed=speed,
    )


def parse_ignore_item(item: object, now: datetime, *, max_future: timedelta = FUTURE_SLACK,
                      max_age: timedelta = timedelta(days=MAX_EVENT_AGE_DAYS)) -> IgnoreItem:
    if not isinstance(item, dict):
        raise ItemError("event must be a JSON object.")
    model = item.get("model")
    action = item.get("action")
    if action not in IgnoreAction.values:
        raise ItemError("action must be 'ignore' or 'unignore'.")
    return IgnoreItem(
        id=_id(item),
        user=_label(item, "user", required=True),
        provider=_provider(item.get("provider")),
        model=None if model is None else _model(model),
        action=IgnoreAction(action),
        created=parse_time(item.get("created"), "created", now, max_future=max_future,
                           max_age=max_age),
    )


def _number(value: object, field: str, *, required: bool) -> float | None:
    if value is None:
        if required:
            raise ItemError(f"{field} is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ItemError(f"{field} must be a finite number.")
    try:
        number = float(value)  # an integer of 400 digits overflows here
    except OverflowError as exc:
        raise ItemError(f"{field} must be a finite number.") from exc
    if not math.isfinite(number):
        raise ItemError(f"{field} must be a finite number.")
    return number


def parse_benchmark_run(item: object, now: datetime) -> BenchmarkRunItem:
    if not isinstance(item, dict):
        raise ItemError("run must be a JSON object.")
    benchmark = item.get("benchmark")
    if (not isinstance(benchmark, str) or len(benchmark) > slugs.BENCHMARK_MAX_LENGTH
            or not slugs.is_benchmark(benchmark)):
        raise ItemError("benchmark must be a slug [a-z0-9_-]+.")
    score = _number(item.get("score"), "score", required=True)
    if not 0 <= score <= 100:
        raise ItemError("score must be between 0 and 100.")
    stderr = _number(item.get("stderr"), "stderr", required=False)
    if stderr is not None and stderr < 0:
        raise ItemError("stderr must not be negative.")
    samples = item.get("samples")
    if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int)
                                or not 0 <= samples <= MAX_SAMPLES):
        raise ItemError(f"samples must be an integer from 0 to {MAX_SAMPLES}.")
    detail = item.get("detail", {})
    if not isinstance(detail, dict):
        raise ItemError("detail must be an object.")
    detail_text = strict_json_text(detail)
    if detail_text is None:  # PostgreSQL jsonb and SQLite's JSON check refuse these
        raise ItemError("detail must be plain JSON: finite numbers, valid Unicode, no NUL.")
    if len(detail_text.encode("utf-8")) > MAX_DETAIL_BYTES:
        raise ItemError(f"detail is larger than {MAX_DETAIL_BYTES} bytes.")
    return BenchmarkRunItem(
        id=_id(item),
        model=_model(item.get("model")),
        provider=_provider(item.get("provider")),
        quantization=_label(item, "quantization"),
        benchmark=benchmark,
        score=score,
        stderr=stderr,
        samples=samples,
        source=_label(item, "source") or "",
        run_at=parse_time(item.get("run_at"), "run_at", now),
        detail=detail,
    )


# --- The items' JSON Schema (OpenAPI 3.1), the one description of what the parsers above take.
# Written beside them, from the same limits; the API's schema shows these as the batch items
# (metrics/api/schema.py), and tests/api/test_schemathesis.py checks that an item outside its
# schema is refused by index. A schema cannot say everything a parser refuses: text that cannot
# be stored (NUL, lone surrogates), times outside METHODOLOGY §9's window, names no alias or
# endpoint knows. Those are refused by index too, with their reason.

def _text(max_length: int, *, nullable: bool = False, description: str = "") -> dict:
    schema: dict = {"type": ["string", "null"] if nullable else "string", "maxLength": max_length}
    if description:
        schema["description"] = description
    return schema


def _slug(fragment: str, max_length: int, *, nullable: bool = False) -> dict:
    return {"type": ["string", "null"] if nullable else "string",
            "pattern": slugs.schema_pattern(fragment), "maxLength": max_length}


_ID = {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH, "pattern": r"\S",
       "description": "Idempotency key, scoped to the API key: a repeat counts in `duplicates`."}
_TIME = {"type": ["string", "null"], "format": "date-time",
         "description": "RFC 3339 with a time zone; default now (METHODOLOGY §9 bounds)."}
_MILLISECONDS = {"type": ["number", "null"], "minimum": 0, "maximum": MAX_MS}

TOOL_CALL_EVENT_SCHEMA = {
    "type": "object",
    "required": ["id", "model", "provider"],
    "properties": {
        "id": _ID,
        "model": {**_text(MAX_LABEL_LENGTH), "minLength": 1,
                  "description": "A model slug author/name, or a name the model aliases map."},
        "provider": {**_text(MAX_LABEL_LENGTH), "minLength": 1,
                     "description": "A provider slug, or a name the provider aliases map."},
        "quantization": _text(MAX_LABEL_LENGTH, nullable=True, description="Needed only to "
                              "pick one of a provider's endpoints of the model."),
        "app": _text(MAX_LABEL_LENGTH, nullable=True),
        "user": _text(MAX_LABEL_LENGTH, nullable=True, description="Only hashed."),
        "created": {"anyOf": [_TIME, {"type": "number",
                                      "description": "Unix seconds (OpenAI's `created`)."}]},
        "request": {"type": ["object", "null"], "description": "The request body; `tools` and "
                    "`tool_choice` are read (OpenAI or Anthropic shapes)."},
        "response": {"description": "As the client received it: an OpenAI chat completion "
                     "or chunk list, a Responses API response, an Anthropic message or event "
                     "list. Not read when `status` is not ok."},
        "format": {"type": ["string", "null"], "enum": [*FORMATS, None],
                   "description": "Forces the wire format; detected when absent."},
        "latency_ms": {**_MILLISECONDS, "description": "Request sent → last byte (§10)."},
        "ttft_ms": {**_MILLISECONDS, "description": "Request sent → first token (§10)."},
        "status": {"type": ["string", "null"], "enum": [*RequestStatus.values, None],
                   "description": "Default ok; error and timeout count for uptime only."},
        "http_status": {"type": ["integer", "null"], "minimum": 100, "maximum": 599},
    },
    # An ok request (the default) is judged, so it needs its request and response (§10).
    "anyOf": [
        {"required": ["request", "response"],
         "properties": {"request": {"type": "object"}, "response": {"type": ["object", "array"]}}},
        {"required": ["status"], "properties": {"status": {"enum": [
            s for s in RequestStatus.values if s != RequestStatus.OK]}}},
    ],
}

IGNORE_EVENT_SCHEMA = {
    "type": "object",
    "required": ["id", "user", "provider", "action"],
    "properties": {
        "id": _ID,
        "user": _text(MAX_LABEL_LENGTH, description="Only hashed."),
        "provider": _slug(slugs.PROVIDER, slugs.PROVIDER_MAX_LENGTH),
        "model": {**_slug(slugs.MODEL, slugs.MODEL_MAX_LENGTH, nullable=True),
                  "description": "Null or absent: all models."},
        "action": {"type": "string", "enum": IgnoreAction.values},
        "created": _TIME,
    },
}

BENCHMARK_RUN_SCHEMA = {
    "type": "object",
    "required": ["id", "model", "provider", "benchmark", "score"],
    "properties": {
        "id": _ID,
        "model": _slug(slugs.MODEL, slugs.MODEL_MAX_LENGTH),
        "provider": _slug(slugs.PROVIDER, slugs.PROVIDER_MAX_LENGTH),
        "quantization": _text(MAX_LABEL_LENGTH, nullable=True),
        "benchmark": {**_slug(slugs.BENCHMARK, slugs.BENCHMARK_MAX_LENGTH),
                      "description": "Unknown slugs are created (higher is better, tolerance 3)."},
        "score": {"type": "number", "minimum": 0, "maximum": 100},
        "stderr": {"type": ["number", "null"], "minimum": 0},
        "samples": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_SAMPLES},
        "source": _text(MAX_LABEL_LENGTH, nullable=True),
        "run_at": _TIME,
        "detail": {"type": "object", "description": f"Free-form, at most {MAX_DETAIL_BYTES} "
                   "bytes as JSON."},
    },
}
