"""Validate tool-call arguments against a tool's JSON Schema, safely (METHODOLOGY.md §1).

Schemas come from customers' requests, so they are hostile input: this package
never touches the network or the file system, runs user regexes only with re2
(linear time), refuses oversized schemas up front and stops a validation that
runs past its time budget. Anything it cannot check with certainty is reported
as ``unchecked`` with the reason, never raised.

- ``fast``: a schema compiled to a predicate that may only prove "valid";
- ``safe``: ``jsonschema`` with re2, a deadline and offline references, which
  decides every mismatch and writes its message;
- ``cache``: compiled schemas in an LRU keyed by their canonical JSON's hash;
- ``guards``: the deadline and the re2 regex cache; ``common``: results and limits.

Pure package: no Django.
"""

from metrics.schema_validation.cache import ValidatorCache
from metrics.schema_validation.common import (
    MAX_ARGUMENTS_BYTES,
    MAX_ENUM_ITEMS,
    MAX_MESSAGE_CHARS,
    MAX_SCHEMA_BYTES,
    MAX_SCHEMA_NODES,
    MISMATCH,
    UNCHECKED,
    VALID,
    CheckResult,
    canonical_json,
)

__all__ = [
    "MAX_ARGUMENTS_BYTES",
    "MAX_ENUM_ITEMS",
    "MAX_MESSAGE_CHARS",
    "MAX_SCHEMA_BYTES",
    "MAX_SCHEMA_NODES",
    "MISMATCH",
    "UNCHECKED",
    "VALID",
    "CheckResult",
    "ValidatorCache",
    "canonical_json",
]
