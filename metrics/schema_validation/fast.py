"""The fast path: a schema compiled to a predicate that may only answer "valid".

It implements the keywords tool schemas actually use (``type``, ``properties``,
``required``, ``enum``, ...). Soundness rule: it may return False for a valid
instance (the safe validator then decides), never True for an invalid one; any
keyword it does not implement makes the whole schema go without a fast path.
Regexes run on re2 (guards.py). It has no deadline, so its work is bounded by
construction: every check costs at most the size of the instance node it looks at
(objects are walked by their own keys, ``required`` only when the object is large
enough, ``enum``/``const`` never freeze a container), and objects, arrays and
combinators spend steps from a fixed allowance, past which the deadline-checked
validator decides.

Pure module: no Django.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from metrics.schema_validation.common import freeze
from metrics.schema_validation.guards import UnsupportedRegex, regex


class NoFastPath(Exception):
    pass


class TooManySteps(Exception):
    pass


FastCheck = Callable[[object, list[int]], bool]

# Work units (object keys, array items, combinator branches) the fast path may spend
# before handing over to the deadline-checked validator: a few ms of Python, whatever
# the schema (anyOf within anyOf, an `items` schema over a million elements).
FAST_PATH_STEPS = 100_000

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


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _always(x: object, steps: list[int]) -> bool:
    return True


def _spend(steps: list[int], units: int) -> None:
    steps[0] -= units
    if steps[0] < 0:
        raise TooManySteps


_CONTAINERS = (dict, list)


def compile_fast(schema: object) -> FastCheck:
    """Compile ``schema`` to a predicate that returns True only for valid instances.

    Raises NoFastPath for any keyword it does not implement.
    """
    if schema is True:
        return _always
    if not isinstance(schema, dict):
        raise NoFastPath
    keywords = {k: v for k, v in schema.items() if k not in _ANNOTATIONS}
    special = _common_shape(keywords)
    if special is not None:
        return special
    checks = [_keyword(keyword, value, schema) for keyword, value in keywords.items()]
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]

    def all_checks(x: object, steps: list[int]) -> bool:
        return all(check(x, steps) for check in checks)

    return all_checks


# --- single-function checks for the shapes most tool schemas are made of ------


def _common_shape(keywords: dict) -> FastCheck | None:
    """``{"type": T}``, ``{"type": "string", "enum": [strings]}``, numbers with bounds and
    objects with only properties/required/additionalProperties(bool); None for the rest."""
    kind = keywords.get("type")
    if not isinstance(kind, str) or kind not in _EXACT_TYPES:
        return None
    rest = keywords.keys() - {"type"}
    if not rest:
        return _exact_type(_EXACT_TYPES[kind])
    if kind == "string" and rest == {"enum"}:
        return _string_enum(keywords["enum"])
    if kind in ("integer", "number") and rest <= {"minimum", "maximum"}:
        return _bounded_number(_EXACT_TYPES[kind], keywords)
    if kind == "object" and rest <= {"properties", "required", "additionalProperties"}:
        return _plain_object(keywords)
    return None


def _exact_type(types: tuple[type, ...]) -> FastCheck:
    if len(types) == 1:
        only = types[0]
        return lambda x, steps: type(x) is only
    return lambda x, steps: type(x) in types


def _string_enum(values: object) -> FastCheck | None:
    if not isinstance(values, list) or not all(type(v) is str for v in values):
        return None
    allowed = frozenset(values)
    return lambda x, steps: type(x) is str and x in allowed


def _bounded_number(types: tuple[type, ...], keywords: dict) -> FastCheck | None:
    low = keywords.get("minimum", -math.inf)
    high = keywords.get("maximum", math.inf)
    if not (_is_number(low) and _is_number(high)):
        return None
    return lambda x, steps: type(x) in types and low <= x <= high


def _plain_object(keywords: dict) -> FastCheck | None:
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
    subs = {name: compile_fast(sub) for name, sub in properties.items()}
    needed = frozenset(required)
    closed = not additional

    def obj(x: object, steps: list[int]) -> bool:
        if type(x) is not dict:
            return False
        steps[0] -= len(x)
        if steps[0] < 0:
            raise TooManySteps
        for name, value in x.items():
            sub = subs.get(name)
            if sub is None:
                if closed:
                    return False
            elif not sub(value, steps):
                return False
        return len(x) >= len(needed) and needed.issubset(x)

    return obj


# --- one check per keyword ----------------------------------------------------

_KeywordCompiler = Callable[[Any, dict], FastCheck]


def _keyword(keyword: str, value: Any, schema: dict) -> FastCheck:
    compiler = _KEYWORDS.get(keyword)
    if compiler is None:
        raise NoFastPath
    return compiler(value, schema)


def _type(value: Any, schema: dict) -> FastCheck:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(name in _TYPE_CHECKS for name in names):
        raise NoFastPath
    tests = [_TYPE_CHECKS[name] for name in names]
    if len(tests) == 1:
        test = tests[0]
        return lambda x, steps: test(x)
    return lambda x, steps: any(test(x) for test in tests)


def _properties(value: Any, schema: dict) -> FastCheck:
    if not isinstance(value, dict):
        raise NoFastPath
    subs = {name: compile_fast(sub) for name, sub in value.items()}

    def properties(x: object, steps: list[int]) -> bool:
        if isinstance(x, dict):
            _spend(steps, len(x))
            for name, item in x.items():  # the instance's keys: never the schema's size
                sub = subs.get(name)
                if sub is not None and not sub(item, steps):
                    return False
        return True

    return properties


def _required(value: Any, schema: dict) -> FastCheck:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise NoFastPath  # Draft 3's boolean "required" among others
    needed = frozenset(value)
    return lambda x, steps: not isinstance(x, dict) or (
        len(x) >= len(needed) and needed.issubset(x))


def _additional_properties(value: Any, schema: dict) -> FastCheck:
    known = schema.get("properties", {})
    if "patternProperties" in schema or not isinstance(known, dict):
        raise NoFastPath
    known_names = frozenset(known)
    if value is True:
        return _always
    if value is False:
        return lambda x, steps: not isinstance(x, dict) or known_names.issuperset(x)
    sub = compile_fast(value)

    def additional(x: object, steps: list[int]) -> bool:
        if not isinstance(x, dict):
            return True
        _spend(steps, len(x))
        return all(sub(item, steps) for name, item in x.items() if name not in known_names)

    return additional


def _frozen(value: Any) -> object:
    try:
        return freeze(value)
    except (TypeError, RecursionError):
        raise NoFastPath from None


def _enum(value: Any, schema: dict) -> FastCheck:
    if not isinstance(value, list):
        raise NoFastPath
    allowed = frozenset(_frozen(item) for item in value)
    # A container is left to the safe validator: freezing it costs its whole size.
    return lambda x, steps: type(x) not in _CONTAINERS and freeze(x) in allowed


def _const(value: Any, schema: dict) -> FastCheck:
    expected = _frozen(value)
    return lambda x, steps: type(x) not in _CONTAINERS and freeze(x) == expected


def _size(kind: type, at_least: bool) -> _KeywordCompiler:
    def compiler(value: Any, schema: dict) -> FastCheck:
        if not _is_count(value):
            raise NoFastPath
        if at_least:
            return lambda x, steps: not isinstance(x, kind) or len(x) >= value
        return lambda x, steps: not isinstance(x, kind) or len(x) <= value

    return compiler


def _bound(holds: Callable[[Any, Any], bool]) -> _KeywordCompiler:
    def compiler(value: Any, schema: dict) -> FastCheck:
        # Draft 4's boolean exclusive* modifiers change minimum/maximum: decline.
        if (not _is_number(value) or isinstance(schema.get("exclusiveMinimum"), bool)
                or isinstance(schema.get("exclusiveMaximum"), bool)):
            raise NoFastPath
        return lambda x, steps: not _is_number(x) or holds(x, value)

    return compiler


def _pattern(value: Any, schema: dict) -> FastCheck:
    if not isinstance(value, str):
        raise NoFastPath
    try:
        search = regex(value).search
    except UnsupportedRegex:
        raise NoFastPath from None
    return lambda x, steps: not isinstance(x, str) or search(x) is not None


def _items(value: Any, schema: dict) -> FastCheck:
    if "prefixItems" in schema or not isinstance(value, (dict, bool)):
        raise NoFastPath  # tuple forms differ between drafts
    sub = compile_fast(value)

    def items(x: object, steps: list[int]) -> bool:
        if not isinstance(x, list):
            return True
        _spend(steps, len(x))
        return all(sub(item, steps) for item in x)

    return items


# oneOf is left to the full validator: counting matches needs exact answers, and
# the fast path's False does not mean "invalid".
def _combinator(every: bool) -> _KeywordCompiler:
    def compiler(value: Any, schema: dict) -> FastCheck:
        if not isinstance(value, list) or not value:
            raise NoFastPath
        subs = [compile_fast(sub) for sub in value]
        join = all if every else any

        def combinator(x: object, steps: list[int]) -> bool:
            _spend(steps, len(subs))
            return join(sub(x, steps) for sub in subs)

        return combinator

    return compiler


def _not(value: Any, schema: dict) -> FastCheck:
    sub = compile_fast(value)

    def negation(x: object, steps: list[int]) -> bool:
        # A False from the fast path does not prove invalidity, so "not"
        # can only be decided when the inner schema is proved valid.
        if sub(x, steps):
            return False
        raise NoFastPath

    return negation


_KEYWORDS: dict[str, _KeywordCompiler] = {
    "type": _type,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional_properties,
    "enum": _enum,
    "const": _const,
    "minLength": _size(str, at_least=True),
    "maxLength": _size(str, at_least=False),
    "minItems": _size(list, at_least=True),
    "maxItems": _size(list, at_least=False),
    "minProperties": _size(dict, at_least=True),
    "maxProperties": _size(dict, at_least=False),
    "minimum": _bound(lambda x, limit: x >= limit),
    "maximum": _bound(lambda x, limit: x <= limit),
    "exclusiveMinimum": _bound(lambda x, limit: x > limit),
    "exclusiveMaximum": _bound(lambda x, limit: x < limit),
    "pattern": _pattern,
    "items": _items,
    "anyOf": _combinator(every=False),
    "allOf": _combinator(every=True),
    "not": _not,
}
