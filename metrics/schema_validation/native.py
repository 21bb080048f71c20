"""The native fast path: ``jsonschema_rs`` for the schemas where it is provably safe.

It is a faster engine for a subset of what the Python fast path (fast.py) already
accepts, and like it may only prove "valid": whenever it answers anything else the
safe validator decides and writes the message (METHODOLOGY.md §1). A schema gets
one only when nothing in it can make ``jsonschema_rs`` differ from ``jsonschema``
or run long without a deadline:

- the Python fast path compiles it (no references, no ``oneOf``, no keyword it
  does not know), and its draft is 6, 7, 2019-09 or 2020-12 (Draft 4 has another
  notion of integer, Draft 3 other keywords);
- no ``pattern``/``patternProperties`` anywhere (its regex engine is linear-time
  but its ``\\d``/``\\w`` are Unicode where re2's are ASCII);
- it has no deadline, so its work must be small by construction: at most
  ``MAX_NATIVE_NODES`` JSON values in the schema (data included) and arguments of
  at most ``MAX_NATIVE_ARGUMENTS`` bytes; with no references, every schema node
  looks at each instance node at most once, so a check costs at most their
  product (a few ms of Rust), combinators and ``enum``s included;
- retrieval is refused, formats are not asserted (as in ``jsonschema`` without a
  format checker) and regexes would use the linear-time ``regex`` crate anyway.

It is used only on values our JSON decoder produced (plain JSON types: a tuple,
for instance, is an array to it and not to ``jsonschema``).

Pure module: no Django.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from jsonschema import validators

MAX_NATIVE_NODES = 256
MAX_NATIVE_ARGUMENTS = 64 * 1024
_DRAFTS = {
    validators.Draft6Validator: jsonschema_rs.Draft6Validator,
    validators.Draft7Validator: jsonschema_rs.Draft7Validator,
    validators.Draft201909Validator: jsonschema_rs.Draft201909Validator,
    validators.Draft202012Validator: jsonschema_rs.Draft202012Validator,
}
_EXCLUDED = frozenset({"pattern", "patternProperties"})


def _refuse_retrieval(uri: str) -> Any:
    # No schema may cause network or file access (METHODOLOGY.md §1).
    raise LookupError(f"remote reference {uri!r} is not retrieved")


def _eligible(schema: object) -> bool:
    """Small, and no regex keyword anywhere (keys of any object count: a property
    named "pattern" just costs the native path, never soundness)."""
    nodes = 0
    stack = [schema]
    while stack:
        node = stack.pop()
        nodes += 1
        if nodes > MAX_NATIVE_NODES:
            return False
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if not _EXCLUDED.isdisjoint(node):
                return False
            stack.extend(node.values())
    return True


def compile_native(schema: object, base: type) -> Any:
    """A ``jsonschema_rs`` validator for a schema the Python fast path accepted, or None."""
    native = _DRAFTS.get(base)
    if native is None or not _eligible(schema):
        return None
    try:
        return native(
            schema, validate_formats=False, retriever=_refuse_retrieval,
            pattern_options=jsonschema_rs.RegexOptions(),
        )
    except Exception:  # anything it cannot compile goes without it
        return None
