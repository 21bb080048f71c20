"""The safe validator: ``jsonschema`` made safe for hostile schemas (METHODOLOGY.md §1).

The draft named by ``$schema`` (Draft 7 otherwise), extended so that regex keywords use
re2 and every keyword checks the deadline, resolving nothing but the schema itself and
the bundled standard meta-schemas. It decides every mismatch and produces its message.
A schema is scanned before it is compiled: oversized, non-local or re2-incompatible
schemas are unusable, with the reason.

Pure module: no Django.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urldefrag, urljoin

import jsonschema_specifications
import referencing
import referencing.exceptions
from jsonschema import Draft7Validator, exceptions, validators
from jsonschema.exceptions import ValidationError

from metrics.schema_validation.common import (
    COMPILE_BUDGET_MS,
    MAX_ENUM_ITEMS,
    MAX_SCHEMA_NODES,
    MISMATCH,
    VALID_RESULT,
    CheckResult,
    freeze,
    truncate,
    unchecked,
)
from metrics.schema_validation.guards import (
    BudgetExceeded,
    UnsupportedRegex,
    clock,
    deadline,
    gc_paused,
    regex,
    with_deadline,
)

_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
# Values of these keywords are instance data, not schemas: a "$ref" or
# "pattern" key inside them means nothing.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
# Values of these keywords are maps of name -> schema: their keys are names.
_NAME_MAPS = frozenset(
    {"properties", "definitions", "$defs", "dependentSchemas", "dependencies",
     "patternProperties"}
)


# Replacements for the jsonschema keywords that call Python's backtracking `re`
# (pattern, patternProperties, additionalProperties via its pattern filter) and
# for uniqueItems, whose fallback is quadratic. Messages match jsonschema's.


def _pattern(validator: Any, patrn: Any, instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "string") and not regex(patrn).search(instance):
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


def _pattern_properties(validator: Any, pattern_properties: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        compiled = regex(pattern)
        for key, value in instance.items():
            if compiled.search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, additional: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    regexes = [regex(pattern) for pattern in schema.get("patternProperties", {})]
    extras = {
        key
        for key in instance
        if key not in properties and not any(each.search(key) for each in regexes)
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
        key = freeze(item)
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
                base, {name: with_deadline(fn) for name, fn in keywords.items()}
            )
            _safe_classes[base] = cls
        return cls


def refuse_retrieval(uri: str) -> referencing.Resource:
    # No schema may cause network or file access (METHODOLOGY.md §1).
    raise LookupError(f"remote reference {uri!r} is not retrieved")


_OFFLINE_REGISTRY: referencing.Registry = referencing.Registry(retrieve=refuse_retrieval)
# jsonschema resolves these from its bundled copies (jsonschema-specifications), offline.
_BUNDLED_META_SCHEMAS = frozenset(
    urldefrag(uri)[0] for uri in jsonschema_specifications.REGISTRY
)
_UNKNOWN_DIALECT = object()



# --- the scan before compiling ------------------------------------------------


class _Scan:
    """One iterative walk of a schema (it may be arbitrarily deep): counts nodes, collects
    `$id`s and non-fragment references, finds oversized enums and regexes re2 cannot run."""

    def __init__(self) -> None:
        self.nodes = 0
        self.has_unevaluated = False
        self.has_pattern_properties = False
        self.ids: set[str] = {""}  # resources defined inside the schema ("" = the root)
        self.refs: list[tuple[str, str, str]] = []  # (keyword, reference, base URI)
        # (value, role, base URI): role "schema" = a schema position, "names" = a map
        # of name -> schema; instance data (enum, const, ...) is never pushed.
        self.stack: list[tuple[object, str, str]] = []

    def run(self, schema: object) -> str:
        self.stack.append((schema, "schema", ""))
        while self.stack:
            node, role, base = self.stack.pop()
            self.nodes += 1
            if self.nodes > MAX_SCHEMA_NODES:
                return f"schema has more than {MAX_SCHEMA_NODES} nodes"
            if isinstance(node, list):
                self.stack.extend((item, role, base) for item in node)
            elif isinstance(node, dict) and role == "names":
                self.stack.extend((item, "schema", base) for item in node.values())
            elif isinstance(node, dict):
                reason = self._schema(node, base)
                if reason:
                    return reason
        return self._verdict()

    def _schema(self, node: dict, base: str) -> str:
        identifier = node.get("$id")
        if isinstance(identifier, str):
            base = _join(base, identifier)
            self.ids.add(urldefrag(base)[0])
        for keyword, value in node.items():
            reason = self._keyword(keyword, value, base)
            if reason:
                return reason
        return ""

    def _keyword(self, keyword: str, value: object, base: str) -> str:
        if keyword in _DATA_KEYWORDS:
            if keyword == "enum" and isinstance(value, list) and len(value) > MAX_ENUM_ITEMS:
                return f"enum has more than {MAX_ENUM_ITEMS} items"
            return ""
        if keyword in _REF_KEYWORDS and isinstance(value, str):
            if not value.startswith("#"):
                self.refs.append((keyword, value, base))
            return ""
        if keyword == "pattern" and isinstance(value, str):
            return _regex_problem(value)
        if keyword == "patternProperties" and isinstance(value, dict):
            self.has_pattern_properties = True
            for pattern in value:
                reason = _regex_problem(pattern)
                if reason:
                    return reason
        self.has_unevaluated |= keyword == "unevaluatedProperties"
        self.stack.append((value, "names" if keyword in _NAME_MAPS else "schema", base))
        return ""

    def _verdict(self) -> str:
        for keyword, value, base in self.refs:
            # Local: a resource whose $id is inside this schema, or a bundled
            # standard meta-schema (METHODOLOGY.md §1); nothing else is retrieved.
            target = urldefrag(_join(base, value))[0]
            if target not in self.ids and target not in _BUNDLED_META_SCHEMAS:
                return f"{keyword} {value[:200]!r} is not local"
        if self.has_unevaluated and self.has_pattern_properties:
            # jsonschema evaluates patternProperties for unevaluatedProperties with
            # Python's backtracking regex engine, which re2 cannot replace there.
            return "unevaluatedProperties combined with patternProperties is not supported"
        return ""


def _regex_problem(pattern: str) -> str:
    try:
        regex(pattern)
    except UnsupportedRegex as error:
        return str(error)
    return ""


def scan(schema: object) -> str:
    """Reason the schema is unusable before compiling it, or "" (METHODOLOGY.md §1)."""
    return _Scan().run(schema)


def _join(base: str, reference: str) -> str:
    """``reference`` resolved against ``base`` (RFC 3986; URNs are absolute as they are)."""
    if not base or ":" in reference.split("/", 1)[0]:
        return reference
    return urljoin(base, reference)


# --- compiling and checking ---------------------------------------------------


def draft_of(schema: object) -> tuple[type | None, str]:
    """(jsonschema validator class of the schema's dialect, "") or (None, reason)."""
    try:
        base = validators.validator_for(schema, default=_UNKNOWN_DIALECT)
    except Exception:  # a non-string "$schema" and the like
        return None, "$schema is not a known draft"
    if base is not _UNKNOWN_DIALECT:
        return base, ""
    if isinstance(schema, dict) and "$schema" in schema:
        # An unknown dialect may change what keywords mean (METHODOLOGY.md §1).
        return None, truncate(f"$schema {schema['$schema']!r} is an unknown dialect")
    return Draft7Validator, ""


def compile_safe(schema: object, base: type) -> tuple[Any, str]:
    """(safe validator, "") for a scanned schema of draft ``base``, or (None, reason).

    The metaschema check runs under the compile deadline too: its class is also made
    safe, and format_checker=None keeps Python's `re` from compiling user patterns
    ("format": "regex" in the metaschemas).
    """
    with gc_paused():  # a collection's pause is not the schema's cost
        return _compile_within_budget(schema, base)


def _compile_within_budget(schema: object, base: type) -> tuple[Any, str]:
    previous = deadline.at
    deadline.at = clock() + COMPILE_BUDGET_MS / 1000
    try:
        meta_cls = _safe_class(validators.validator_for(base.META_SCHEMA, default=base))
        error = next(
            meta_cls(base.META_SCHEMA, registry=_OFFLINE_REGISTRY).iter_errors(schema), None
        )
        if error is not None:
            best = exceptions.best_match([error])
            return None, truncate(f"not a valid JSON Schema: {best.message}")
        return _safe_class(base)(schema, registry=_OFFLINE_REGISTRY), ""
    except BudgetExceeded:
        return None, "schema check exceeded its time budget"
    except RecursionError:
        return None, "schema is nested too deeply"
    except UnsupportedRegex as error:
        return None, str(error)
    except Exception as error:  # unresolvable metaschema parts and other library errors
        return None, truncate(f"schema cannot be compiled: {error}")
    finally:
        deadline.at = previous


def check_safe(validator: Any, arguments: object, budget_ms: float) -> CheckResult:
    """The safe validator's verdict on ``arguments`` within ``budget_ms``."""
    with gc_paused():  # as in compile_safe: a collection's pause is not the schema's cost
        return _check_within_budget(validator, arguments, budget_ms)


def _check_within_budget(validator: Any, arguments: object, budget_ms: float) -> CheckResult:
    previous = deadline.at
    deadline.at = clock() + max(budget_ms, 0.0) / 1000
    try:
        error = next(validator.iter_errors(arguments), None)
        if error is None:
            return VALID_RESULT
        # Build the message inside the budget too: reprs can be large.
        return CheckResult(MISMATCH, truncate(f"{error.json_path}: {error.message}"))
    except BudgetExceeded:
        return unchecked(f"validation exceeded its time budget ({budget_ms:g} ms)")
    except UnsupportedRegex as error:
        return unchecked(str(error))
    except (referencing.exceptions.Unresolvable, LookupError) as error:
        return unchecked(truncate(f"reference cannot be resolved: {error}"))
    finally:
        deadline.at = previous
