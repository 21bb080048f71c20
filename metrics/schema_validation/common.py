"""Results, limits and JSON helpers shared by the fast path, the safe validator and the cache.

Pure module: no Django.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class CheckResult:
    status: str  # "valid" | "mismatch" | "unchecked"
    message: str  # first validator error with its JSON path, the unchecked reason, or ""


VALID_RESULT = CheckResult(VALID, "")


def unchecked(reason: str) -> CheckResult:
    return CheckResult(UNCHECKED, reason)


def truncate(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return message[: MAX_MESSAGE_CHARS - 1] + "…"


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


_BOOL = object()
_LIST = object()
_DICT = object()


def freeze(value: object) -> object:
    """Hashable key equal for exactly the values jsonschema's ``equal`` calls equal.

    Booleans are tagged so that True != 1 (JSON Schema equality); 1 and 1.0 stay
    equal, as in jsonschema.
    """
    if value is True or value is False:
        return (_BOOL, value)
    if isinstance(value, list):
        return (_LIST, tuple(freeze(item) for item in value))
    if isinstance(value, dict):
        return (_DICT, frozenset((key, freeze(item)) for key, item in value.items()))
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise TypeError(f"not JSON data: {type(value).__name__}")
