"""Validate tool-call arguments against a tool's JSON Schema, safely (METHODOLOGY.md §1).

Schemas come from customers' requests, so they are hostile input: this module
never touches the network or the file system, runs user regexes only with
re2 (linear time), refuses oversized schemas up front and stops a validation
that runs past its time budget. Anything it cannot check with certainty is
reported as ``unchecked`` with the reason, never raised.

Two validation paths give the same verdicts:

- a small compiled fast path for the keywords tool schemas actually use
  (``type``, ``properties``, ``required``, ``enum``, ...). It may only answer
  "valid"; whenever it cannot prove validity the full validator decides.
- ``jsonschema`` with the draft named by ``$schema`` (Draft 7 otherwise),
  extended so that regex keywords use re2 and every keyword checks the
  deadline. It decides every mismatch and produces its message.

Pure module: no Django.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin

import jsonschema_specifications
import re2
import referencing
import referencing.exceptions
from jsonschema import Draft7Validator, exceptions, validators
from jsonschema.exceptions import ValidationError

__all__ = [
    "MISMATCH",
    "UNCHECKED",
    "VALID",
    "CheckResult",
    "ValidatorCache",
    "canonical_json",
]

VALID = "valid"
MISMATCH = "mismatch"
UNCHECKED = "unchecked"

# Size limits (METHODOLOGY.md §1, "hostile schemas must not stall ingestion").
MAX_SCHEMA_BYTES = 512 * 1024
MAX_SCHEMA_NODES = 20_000
MAX_ENUM_ITEMS = 10_000
MAX_ARGUMENTS_BYTES = 1024 * 1024
# Compiling (metaschema check, regex compilation) is cached, so it gets a larger
# but still finite allowance than one validation.
COMPILE_BUDGET_MS = 500.0
# Error messages embed instance reprs; a stored message must stay small.
MAX_MESSAGE_CHARS = 1000
# Work units the fast path may spend on combinators before handing over to the
# deadline-checked validator (guards against anyOf-within-anyOf blow-ups).
_FAST_PATH_STEPS = 10_000

_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
# Values of these keywords are instance data, not schemas: a "$ref" or
# "pattern" key inside them means nothing.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
# Values of these keywords are maps of name -> schema: their keys are names.
_NAME_MAPS = frozenset(
    {"properties", "definitions", "$defs", "dependentSchemas", "dependencies"}
)


@dataclass(frozen=True, slots=True)
class CheckResult:
    status: str  # "valid" | "mismatch" | "unchecked"
    message: str  # first validator error with its JSON path, the unchecked reason, or ""


_VALID_RESULT = CheckResult(VALID, "")


def _unchecked(reason: str) -> CheckResult:
    return CheckResult(UNCHECKED, reason)


_CANONICAL_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), check_circular=False, ensure_ascii=False
)


def canonical_json(value: object) -> str | None:
    """Canonical JSON text of ``value`` (sorted keys, compact), or None if not JSON data.

    The cache key of a schema (METHODOLOGY.md §1, "cached by a hash of the
    canonical schema").
    """
    try:
        return _CANONICAL_ENCODER.encode(value)
    except (TypeError, ValueError, RecursionError):
        return None


# --- deadline ---------------------------------------------------------------


class _BudgetExceeded(Exception):
    pass


class _UnsupportedRegex(Exception):
    pass


class _Deadline(threading.local):
    # Class attribute: the default in threads that never set one.
    at = math.inf


_deadline = _Deadline()
_clock = time.perf_counter


def _with_deadline(keyword: Callable[..., Any]) -> Callable[..., Any]:
    # Every keyword call, and so every descent into a subschema, checks the
    # clock: a validation can overrun the budget by at most one keyword's own
    # work, and the keywords that loop over user data are linear (see below).
    def checked(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        if _clock() > _deadline.at:
            raise _BudgetExceeded
        return keyword(validator, value, instance, schema)

    return checked


# --- regexes via re2 --------------------------------------------------------

_regex_lock = threading.Lock()
_regex_cache: OrderedDict[str, Any] = OrderedDict()
_REGEX_CACHE_SIZE = 4096
_REGEX_OPTIONS = re2.Options()
# Unsupported patterns are expected input, not errors worth a stderr line each.
_REGEX_OPTIONS.log_errors = False


def _regex(pattern: str) -> Any:
    """Compiled re2 pattern; raises _UnsupportedRegex for what re2 cannot run."""
    with _regex_lock:
        compiled = _regex_cache.get(pattern)
        if compiled is not None:
            _regex_cache.move_to_end(pattern)
            return compiled
    try:
        compiled = re2.compile(pattern, _REGEX_OPTIONS)
    except Exception as error:  # re2.error, TypeError, ...: all mean "cannot run it"
        detail = error.args[0] if error.args else error
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise _UnsupportedRegex(
            f"pattern {pattern[:200]!r} is not supported by the linear-time regex engine"
            f" ({detail})"
        ) from None
    with _regex_lock:
        _regex_cache[pattern] = compiled
        if len(_regex_cache) > _REGEX_CACHE_SIZE:
            _regex_cache.popitem(last=False)
    return compiled


# Replacements for the jsonschema keywords that call Python's backtracking `re`
# (pattern, patternProperties, additionalProperties via its pattern filter) and
# for uniqueItems, whose fallback is quadratic. Messages match jsonschema's.


def _pattern(validator: Any, patrn: Any, instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "string") and not _regex(patrn).search(instance):
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


def _pattern_properties(validator: Any, pattern_properties: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        regex = _regex(pattern)
        for key, value in instance.items():
            if regex.search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, additional: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    regexes = [_regex(pattern) for pattern in schema.get("patternProperties", {})]
    extras = {
        key
        for key in instance
        if key not in properties and not any(regex.search(key) for regex in regexes)
    }
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        ordered = sorted(extras, key=str)
        if "patternProperties" in schema:
            verb = "does" if len(ordered) == 1 else "do"
            joined = ", ".join(repr(each) for each in ordered)
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
        else:
            verb = "was" if len(ordered) == 1 else "were"
            joined = ", ".join(repr(each) for each in ordered)
            yield ValidationError(
                f"Additional properties are not allowed ({joined} {verb} unexpected)"
            )


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Any:
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[object] = set()
    for item in instance:
        key = _freeze(item)
        if key in seen:
            yield ValidationError(f"{instance!r} has non-unique elements")
            return
        seen.add(key)


_OVERRIDES = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "uniqueItems": _unique_items,
}

_safe_classes: dict[type, type] = {}
_safe_classes_lock = threading.Lock()


def _safe_class(base: type) -> type:
    """``base`` with re2 regex keywords and a deadline check on every keyword."""
    with _safe_classes_lock:
        cls = _safe_classes.get(base)
        if cls is None:
            keywords = dict(base.VALIDATORS)  # type: ignore[attr-defined]
            keywords.update({k: v for k, v in _OVERRIDES.items() if k in keywords})
            cls = validators.extend(
                base, {name: _with_deadline(fn) for name, fn in keywords.items()}
            )
            _safe_classes[base] = cls
        return cls


def _refuse_retrieval(uri: str) -> referencing.Resource:
    # No schema may cause network or file access (METHODOLOGY.md §1).
    raise LookupError(f"remote reference {uri!r} is not retrieved")


_OFFLINE_REGISTRY: referencing.Registry = referencing.Registry(retrieve=_refuse_retrieval)
# jsonschema resolves these from its bundled copies (jsonschema-specifications), offline.
_BUNDLED_META_SCHEMAS = frozenset(
    urldefrag(uri)[0] for uri in jsonschema_specifications.REGISTRY
)
_UNKNOWN_DIALECT = object()


# --- equality keys ----------------------------------------------------------

_BOOL = object()
_LIST = object()
_DICT = object()


def _freeze(value: object) -> object:
    """Hashable key equal for exactly the values jsonschema's ``equal`` calls equal.

    Booleans are tagged so that True != 1 (JSON Schema equality); 1 and 1.0 stay
    equal, as in jsonschema.
    """
    if value is True or value is False:
        return (_BOOL, value)
    if isinstance(value, list):
        return (_LIST, tuple(_freeze(item) for item in value))
    if isinstance(value, dict):
        return (_DICT, frozenset((key, _freeze(item)) for key, item in value.items()))
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise TypeError(f"not JSON data: {type(value).__name__}")


# --- the fast path ----------------------------------------------------------


class _NoFastPath(Exception):
    pass


class _TooManySteps(Exception):
    pass


FastCheck = Callable[[object, list[int]], bool]

# Keywords no draft asserts (format is not asserted: no format checker is used).
_ANNOTATIONS = frozenset(
    {
        "title", "description", "default", "examples", "$comment", "format", "$schema",
        "$id", "id", "definitions", "$defs", "deprecated", "readOnly", "writeOnly",
        "nullable",
    }
)
_TYPE_CHECKS: dict[str, Callable[[object], bool]] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    # Floats such as 1.0 are integers in Draft 6+ only; the fast path just
    # declines them and lets the full validator apply the draft's rule.
    "integer": lambda x: isinstance(x, int) and not isinstance(x, bool),
    "number": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
}


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _compile_fast(schema: object) -> FastCheck:
    """Compile ``schema`` to a predicate that returns True only for valid instances.

    Raises _NoFastPath for any keyword it does not implement. Soundness rule:
    it may return False for a valid instance (the full validator then decides),
    never True for an invalid one.
    """
    if schema is True:
        return _always
    if not isinstance(schema, dict):
        raise _NoFastPath
    keywords = {k: v for k, v in schema.items() if k not in _ANNOTATIONS}
    special = _compile_common_shape(keywords)
    if special is not None:
        return special
    checks = [_compile_keyword(keyword, value, schema) for keyword, value in keywords.items()]
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def all_checks(x: object, steps: list[int]) -> bool:
        return all(check(x, steps) for check in checks)

    return all_checks


def _always(x: object, steps: list[int]) -> bool:
    return True


# Exact-type tests: JSON data holds no subclasses, and `type(x) is int`
# excludes booleans as JSON Schema requires.
_EXACT_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _compile_common_shape(keywords: dict) -> FastCheck | None:  # noqa: C901 - one branch per shape; being split up
    """Single-function checks for the shapes most tool schemas are made of.

    ``{"type": T}``, ``{"type": "string", "enum": [strings]}`` and objects with
    only properties/required/additionalProperties(bool). None for anything else.
    """
    kind = keywords.get("type")
    if not isinstance(kind, str) or kind not in _EXACT_TYPES:
        return None
    types = _EXACT_TYPES[kind]
    rest = keywords.keys() - {"type"}
    if not rest:
        if len(types) == 1:
            only = types[0]
            return lambda x, steps: type(x) is only
        return lambda x, steps: type(x) in types
    if kind == "string" and rest == {"enum"}:
        values = keywords["enum"]
        if isinstance(values, list) and all(type(v) is str for v in values):
            allowed = frozenset(values)
            return lambda x, steps: type(x) is str and x in allowed
        return None
    if kind in ("integer", "number") and rest <= {"minimum", "maximum"}:
        low = keywords.get("minimum", -math.inf)
        high = keywords.get("maximum", math.inf)
        if not (_is_number(low) and _is_number(high)):
            return None
        return lambda x, steps: type(x) in types and low <= x <= high
    if kind != "object" or not rest <= {"properties", "required", "additionalProperties"}:
        return None
    properties = keywords.get("properties", {})
    required = keywords.get("required", [])
    additional = keywords.get("additionalProperties", True)
    if (
        not isinstance(properties, dict)
        or not isinstance(required, list)
        or not all(isinstance(name, str) for name in required)
        or not isinstance(additional, bool)
    ):
        return None
    subs = {name: _compile_fast(sub) for name, sub in properties.items()}
    needed = frozenset(required)
    closed = not additional

    def obj(x: object, steps: list[int]) -> bool:
        if type(x) is not dict:
            return False
        for name, value in x.items():
            sub = subs.get(name)
            if sub is None:
                if closed:
                    return False
            elif not sub(value, steps):
                return False
        return needed.issubset(x)

    return obj


def _compile_keyword(keyword: str, value: Any, schema: dict) -> FastCheck:  # noqa: C901 - one branch per keyword; being split up
    if keyword == "type":
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(name in _TYPE_CHECKS for name in names):
            raise _NoFastPath
        tests = [_TYPE_CHECKS[name] for name in names]
        if len(tests) == 1:
            test = tests[0]
            return lambda x, steps: test(x)
        return lambda x, steps: any(test(x) for test in tests)
    if keyword == "properties":
        if not isinstance(value, dict):
            raise _NoFastPath
        subs = [(name, _compile_fast(sub)) for name, sub in value.items()]

        def properties(x: object, steps: list[int]) -> bool:
            if isinstance(x, dict):
                for name, sub in subs:
                    if name in x and not sub(x[name], steps):
                        return False
            return True

        return properties
    if keyword == "required":
        if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
            raise _NoFastPath  # Draft 3's boolean "required" among others
        names = tuple(value)
        return lambda x, steps: not isinstance(x, dict) or all(name in x for name in names)
    if keyword == "additionalProperties":
        if "patternProperties" in schema:
            raise _NoFastPath
        known = schema.get("properties", {})
        if not isinstance(known, dict):
            raise _NoFastPath
        known_names = frozenset(known)
        if value is True:
            return lambda x, steps: True
        if value is False:
            return lambda x, steps: not isinstance(x, dict) or known_names.issuperset(x)
        sub = _compile_fast(value)
        return lambda x, steps: not isinstance(x, dict) or all(
            sub(item, steps) for name, item in x.items() if name not in known_names
        )
    if keyword == "enum":
        if not isinstance(value, list):
            raise _NoFastPath
        try:
            allowed = frozenset(_freeze(item) for item in value)
        except (TypeError, RecursionError):
            raise _NoFastPath from None
        return lambda x, steps: _freeze(x) in allowed
    if keyword == "const":
        try:
            expected = _freeze(value)
        except (TypeError, RecursionError):
            raise _NoFastPath from None
        return lambda x, steps: _freeze(x) == expected
    if keyword in ("minLength", "maxLength", "minItems", "maxItems", "minProperties",
                   "maxProperties"):
        if not _is_count(value):
            raise _NoFastPath
        kind = str if keyword.endswith("Length") else list if "Items" in keyword else dict
        if keyword.startswith("min"):
            return lambda x, steps: not isinstance(x, kind) or len(x) >= value
        return lambda x, steps: not isinstance(x, kind) or len(x) <= value
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        # Draft 4's boolean exclusive* modifiers change minimum/maximum: decline.
        if not _is_number(value) or isinstance(schema.get("exclusiveMinimum"), bool) or \
                isinstance(schema.get("exclusiveMaximum"), bool):
            raise _NoFastPath
        if keyword == "minimum":
            return lambda x, steps: not _is_number(x) or x >= value
        if keyword == "maximum":
            return lambda x, steps: not _is_number(x) or x <= value
        if keyword == "exclusiveMinimum":
            return lambda x, steps: not _is_number(x) or x > value
        return lambda x, steps: not _is_number(x) or x < value
    if keyword == "pattern":
        if not isinstance(value, str):
            raise _NoFastPath
        try:
            search = _regex(value).search
        except _UnsupportedRegex:
            raise _NoFastPath from None
        return lambda x, steps: not isinstance(x, str) or search(x) is not None
    if keyword == "items":
        if "prefixItems" in schema or not isinstance(value, (dict, bool)):
            raise _NoFastPath  # tuple forms differ between drafts
        sub = _compile_fast(value)
        return lambda x, steps: not isinstance(x, list) or all(sub(item, steps) for item in x)
    # oneOf is left to the full validator: counting matches needs exact
    # answers, and the fast path's False does not mean "invalid".
    if keyword in ("anyOf", "allOf"):
        if not isinstance(value, list) or not value:
            raise _NoFastPath
        subs = [_compile_fast(sub) for sub in value]

        def combinator(x: object, steps: list[int]) -> bool:
            steps[0] -= len(subs)
            if steps[0] < 0:
                raise _TooManySteps
            if keyword == "anyOf":
                return any(sub(x, steps) for sub in subs)
            return all(sub(x, steps) for sub in subs)

        return combinator
    if keyword == "not":
        sub = _compile_fast(value)

        def negation(x: object, steps: list[int]) -> bool:
            # A False from the fast path does not prove invalidity, so "not"
            # can only be decided when the inner schema is proved valid.
            if sub(x, steps):
                return False
            raise _NoFastPath

        return negation
    raise _NoFastPath


# --- compiled schemas -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Compiled:
    validator: Any  # jsonschema validator, None when unusable
    fast: FastCheck | None
    unusable: str  # reason the schema cannot be used, "" when usable


def _scan(schema: object) -> str:  # noqa: C901 - one walk over every keyword; being split up
    """Reason the schema is unusable before compiling it, or "" (METHODOLOGY.md §1).

    Counts nodes, finds non-local references, oversized enums and regexes re2
    cannot run. Iterative: the schema may be arbitrarily deep.
    """
    nodes = 0
    has_unevaluated = False
    has_pattern_properties = False
    ids: set[str] = {""}  # resources defined inside the schema ("" = the root without $id)
    refs: list[tuple[str, str, str]] = []  # (keyword, reference, base URI where it appears)
    # (value, role, base URI): role "schema" = a schema position, "names" = a
    # map of name -> schema, "data" = instance data (skipped).
    stack: list[tuple[object, str, str]] = [(schema, "schema", "")]
    while stack:
        node, role, base = stack.pop()
        nodes += 1
        if nodes > MAX_SCHEMA_NODES:
            return f"schema has more than {MAX_SCHEMA_NODES} nodes"
        if isinstance(node, list):
            stack.extend((item, role, base) for item in node)
            continue
        if not isinstance(node, dict):
            continue
        if role == "names":
            stack.extend((item, "schema", base) for item in node.values())
            continue
        identifier = node.get("$id")
        if isinstance(identifier, str):
            base = _join(base, identifier)
            ids.add(urldefrag(base)[0])
        for keyword, value in node.items():
            if keyword in _DATA_KEYWORDS:
                if keyword == "enum" and isinstance(value, list) and len(value) > MAX_ENUM_ITEMS:
                    return f"enum has more than {MAX_ENUM_ITEMS} items"
                continue
            if keyword in _REF_KEYWORDS and isinstance(value, str):
                if not value.startswith("#"):
                    refs.append((keyword, value, base))
                continue
            if keyword == "pattern" and isinstance(value, str):
                try:
                    _regex(value)
                except _UnsupportedRegex as error:
                    return str(error)
                continue
            if keyword == "patternProperties" and isinstance(value, dict):
                has_pattern_properties = True
                for pattern in value:
                    try:
                        _regex(pattern)
                    except _UnsupportedRegex as error:
                        return str(error)
            if keyword == "unevaluatedProperties":
                has_unevaluated = True
            is_names = keyword in _NAME_MAPS or keyword == "patternProperties"
            stack.append((value, "names" if is_names else "schema", base))
    for keyword, value, base in refs:
        # Local: a resource whose $id is inside this schema, or a bundled
        # standard meta-schema (METHODOLOGY.md §1); nothing else is retrieved.
        target = urldefrag(_join(base, value))[0]
        if target not in ids and target not in _BUNDLED_META_SCHEMAS:
            return f"{keyword} {value[:200]!r} is not local"
    if has_unevaluated and has_pattern_properties:
        # jsonschema evaluates patternProperties for unevaluatedProperties with
        # Python's backtracking regex engine, which re2 cannot replace there.
        return "unevaluatedProperties combined with patternProperties is not supported"
    return ""


def _join(base: str, reference: str) -> str:
    """``reference`` resolved against ``base`` (RFC 3986; URNs are absolute as they are)."""
    if not base or ":" in reference.split("/", 1)[0]:
        return reference
    return urljoin(base, reference)


def _compile(schema: object) -> _Compiled:
    """Compile a schema once; every failure becomes an unusable reason (METHODOLOGY.md §1)."""
    reason = _scan(schema)
    if reason:
        return _Compiled(None, None, reason)
    try:
        base = validators.validator_for(schema, default=_UNKNOWN_DIALECT)
    except Exception:  # a non-string "$schema" and the like
        return _Compiled(None, None, "$schema is not a known draft")
    if base is _UNKNOWN_DIALECT:
        if isinstance(schema, dict) and "$schema" in schema:
            # An unknown dialect may change what keywords mean (METHODOLOGY.md §1).
            return _Compiled(None, None, _truncate(f"$schema {schema['$schema']!r} is an unknown dialect"))
        base = Draft7Validator
    previous = _deadline.at
    _deadline.at = _clock() + COMPILE_BUDGET_MS / 1000
    try:
        # The metaschema check runs under the deadline too: its class is also
        # made safe, and format_checker=None keeps Python's `re` from compiling
        # user patterns ("format": "regex" in the metaschemas).
        meta_cls = _safe_class(validators.validator_for(base.META_SCHEMA, default=base))
        error = next(
            meta_cls(base.META_SCHEMA, registry=_OFFLINE_REGISTRY).iter_errors(schema), None
        )
        if error is not None:
            best = exceptions.best_match([error])
            return _Compiled(None, None, _truncate(f"not a valid JSON Schema: {best.message}"))
        validator = _safe_class(base)(schema, registry=_OFFLINE_REGISTRY)
    except _BudgetExceeded:
        return _Compiled(None, None, "schema check exceeded its time budget")
    except RecursionError:
        return _Compiled(None, None, "schema is nested too deeply")
    except _UnsupportedRegex as error:
        return _Compiled(None, None, str(error))
    except Exception as error:  # unresolvable metaschema parts and other library errors
        return _Compiled(None, None, _truncate(f"schema cannot be compiled: {error}"))
    finally:
        _deadline.at = previous
    # The fast path never decides anything the full validator would not, so
    # Draft 3 (different "required"/"type" semantics) and schemas with
    # references or unusual keywords simply do without it.
    fast: FastCheck | None = None
    if base is not validators.Draft3Validator:
        try:
            fast = _compile_fast(schema)
        except (_NoFastPath, RecursionError):
            fast = None
    return _Compiled(validator, fast, "")


def _truncate(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return message[: MAX_MESSAGE_CHARS - 1] + "…"


class ValidatorCache:
    """Bounded LRU of compiled schemas keyed by sha256 of their canonical JSON (§1).

    Safe to share between threads: the map is guarded by a lock; compiled
    validators are immutable and the deadline is thread-local.
    """

    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[bytes, _Compiled] = OrderedDict()
        self._lock = threading.Lock()
        # Canonical text -> digest: tool tables keep their canonical strings,
        # whose hash Python caches, so a hit skips re-hashing with sha256.
        self._digests: dict[str, bytes] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _compiled(self, schema: object, canonical: str) -> _Compiled:
        key = self._digests.get(canonical)
        if key is None:
            key = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).digest()
            if len(self._digests) >= 2 * self.maxsize:
                self._digests.clear()
            self._digests[canonical] = key
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry
            self.misses += 1
        # Compile outside the lock: another thread may compile the same schema
        # concurrently, which only costs time.
        entry = _compile(schema)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return entry

    def check(
        self,
        parameters: object,
        arguments: object,
        budget_ms: float = 50,
        *,
        canonical: str | None = None,
        arguments_size: int | None = None,
    ) -> CheckResult:
        """Validate parsed ``arguments`` against the schema ``parameters`` (METHODOLOGY.md §1).

        ``canonical`` is ``canonical_json(parameters)`` when the caller already
        has it; ``arguments_size`` the length of the raw arguments JSON. Never raises.
        """
        try:
            return self._check(parameters, arguments, budget_ms, canonical, arguments_size)
        except RecursionError:
            return _unchecked("schema or arguments are nested too deeply")
        except Exception as error:  # last resort: hostile input must not stop ingestion
            return _unchecked(_truncate(f"validation failed: {type(error).__name__}: {error}"))

    def _check(
        self,
        parameters: object,
        arguments: object,
        budget_ms: float,
        canonical: str | None,
        arguments_size: int | None,
    ) -> CheckResult:
        if not isinstance(parameters, (dict, bool)):
            return _unchecked("parameters are not a JSON Schema object")
        if canonical is None:
            canonical = canonical_json(parameters)
            if canonical is None:
                return _unchecked("parameters are not JSON data")
        if len(canonical) > MAX_SCHEMA_BYTES:
            return _unchecked(f"schema is larger than {MAX_SCHEMA_BYTES} bytes")
        entry = self._compiled(parameters, canonical)
        if entry.unusable:
            return _unchecked(entry.unusable)
        if arguments_size is None:
            encoded = canonical_json(arguments)
            if encoded is None:
                return _unchecked("arguments are not JSON data")
            arguments_size = len(encoded)
        if arguments_size > MAX_ARGUMENTS_BYTES:
            return _unchecked(f"arguments are larger than {MAX_ARGUMENTS_BYTES} bytes")
        if entry.fast is not None:
            try:
                if entry.fast(arguments, [_FAST_PATH_STEPS]):
                    return _VALID_RESULT
            except (_NoFastPath, _TooManySteps, RecursionError, TypeError):
                pass
        return self._full_check(entry.validator, arguments, budget_ms)

    @staticmethod
    def _full_check(validator: Any, arguments: object, budget_ms: float) -> CheckResult:
        previous = _deadline.at
        _deadline.at = _clock() + max(budget_ms, 0.0) / 1000
        try:
            error = next(validator.iter_errors(arguments), None)
            if error is None:
                return _VALID_RESULT
            # Build the message inside the budget too: reprs can be large.
            return CheckResult(MISMATCH, _truncate(f"{error.json_path}: {error.message}"))
        except _BudgetExceeded:
            return _unchecked(f"validation exceeded its time budget ({budget_ms:g} ms)")
        except _UnsupportedRegex as error:
            return _unchecked(str(error))
        except (referencing.exceptions.Unresolvable, LookupError) as error:
            return _unchecked(_truncate(f"reference cannot be resolved: {error}"))
        finally:
            _deadline.at = previous
