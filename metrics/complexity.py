"""Schema complexity score and bucket of a tool's ``parameters`` (METHODOLOGY.md §3).

Pure module: no Django, no I/O. The walk is iterative so that hostile schemas
(thousands of levels deep) cannot exhaust the Python stack.
"""

from __future__ import annotations

from metrics.choices import Bucket

__all__ = ["DEFAULT_BUCKET_BOUNDS", "bucket_for", "complexity_score"]


# Keywords whose value is a map of name -> subschema. "properties",
# "patternProperties", "additionalProperties", "items", ... descend into the
# *instance* (a property value or an array element) and so add one nesting level.
_DESCENDING_MAPS = ("properties", "patternProperties")
_DESCENDING_SCHEMAS = (
    "additionalProperties",
    "unevaluatedProperties",
    "items",
    "additionalItems",
    "unevaluatedItems",
    "contains",
    "prefixItems",
)
# Keywords whose subschemas apply to the *same* instance, so they add no level.
_SAME_LEVEL_MAPS = ("definitions", "$defs", "dependentSchemas", "dependencies")
_SAME_LEVEL_SCHEMAS = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else", "propertyNames")
_COUNTED_KEYWORDS = ("enum", "anyOf", "oneOf", "allOf")


def complexity_score(parameters: object) -> int:
    """Complexity score of one tool's ``parameters`` (METHODOLOGY.md §3).

    score = P + 2 * D + K + R, where, over every subschema reachable through
    schema keywords (``$ref`` is not followed):

    - P: number of properties at all depths (the size of every ``properties``
      map, wherever it appears, including inside ``items``, combinators and
      ``definitions``/``$defs``);
    - D: maximum nesting depth. The root schema is at depth 0; a subschema is
      one level deeper than its parent when it describes a *part* of the
      parent's instance: a value of ``properties``/``patternProperties``, or
      ``additionalProperties``, ``unevaluatedProperties``, ``items`` (schema or
      list form), ``prefixItems``, ``additionalItems``, ``unevaluatedItems``,
      ``contains``. Subschemas that apply to the same instance (``allOf``,
      ``anyOf``, ``oneOf``, ``not``, ``if``/``then``/``else``,
      ``propertyNames``, ``dependentSchemas``/``dependencies``) and
      ``definitions``/``$defs`` stay at their parent's depth. D is the largest
      depth of any subschema, so ``{}`` is 0, a flat object with scalar
      properties is 1, an array of objects with scalar properties is 2;
    - K: number of ``enum``, ``anyOf``, ``oneOf`` and ``allOf`` keywords;
    - R: number of required fields (string entries of every ``required`` list).

    Total: anything that is not a JSON Schema object scores 0 or what can be
    read from it; never raises.
    """
    if not isinstance(parameters, dict):
        return 0
    properties = 0
    max_depth = 0
    keywords = 0
    required = 0
    stack: list[tuple[object, int]] = [(parameters, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, dict):
            continue  # boolean schemas and malformed entries carry nothing to count
        max_depth = max(max_depth, depth)
        keywords += sum(1 for keyword in _COUNTED_KEYWORDS if keyword in node)
        names = node.get("required")
        if isinstance(names, list):
            required += sum(1 for name in names if isinstance(name, str))
        own = node.get("properties")
        if isinstance(own, dict):
            properties += len(own)
        _push_children(stack, node, depth)
    return properties + 2 * max_depth + keywords + required


def _push_children(stack: list[tuple[object, int]], node: dict, depth: int) -> None:
    """Every subschema of `node`, one level deeper when it describes a part of the instance."""
    for keywords, child_depth in ((_DESCENDING_MAPS, depth + 1), (_SAME_LEVEL_MAPS, depth)):
        for keyword in keywords:
            children = node.get(keyword)
            if isinstance(children, dict):
                stack.extend((child, child_depth) for child in children.values())
    for keywords, child_depth in ((_DESCENDING_SCHEMAS, depth + 1), (_SAME_LEVEL_SCHEMAS, depth)):
        for keyword in keywords:
            _push(stack, node.get(keyword), child_depth)


def _push(stack: list[tuple[object, int]], value: object, depth: int) -> None:
    # A keyword holds either one subschema or a list of them (items, allOf, ...).
    if isinstance(value, dict):
        stack.append((value, depth))
    elif isinstance(value, list):
        stack.extend((child, depth) for child in value)


# The §3 defaults; the settings EXACTO_BUCKET_SIMPLE_MAX / _MEDIUM_MAX override them.
DEFAULT_BUCKET_BOUNDS = (5, 15)


def bucket_for(score: int, *, simple_max: int = DEFAULT_BUCKET_BOUNDS[0],
               medium_max: int = DEFAULT_BUCKET_BOUNDS[1]) -> Bucket:
    """Bucket of a complexity score: simple <= 5, medium 6-15, complex > 15 (METHODOLOGY.md §3)."""
    if score <= simple_max:
        return Bucket.SIMPLE
    if score <= medium_max:
        return Bucket.MEDIUM
    return Bucket.COMPLEX
