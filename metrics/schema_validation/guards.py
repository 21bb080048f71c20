"""The two run-time guards against hostile schemas (METHODOLOGY.md §1): a per-thread
deadline that every keyword checks, and user regexes compiled only by re2 (linear time).

Pure module: no Django.
"""

from __future__ import annotations

import gc
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import re2

from metrics.lru import LRU


class BudgetExceeded(Exception):
    pass


class UnsupportedRegex(Exception):
    pass


class _Deadline(threading.local):
    # Class attribute: the default in threads that never set one.
    at = math.inf


deadline = _Deadline()
clock = time.perf_counter


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic GC off for a block (as it was when the block ends).

    A deadline measures wall time: a full collection of a large heap (hundreds of ms) in the
    middle of a check would be charged to the schema, and a schema that is cheap would be
    cached as over budget. Parsed JSON, and the records made from it, hold no reference
    cycles, so nothing is lost by collecting later.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def with_deadline(keyword: Callable[..., Any]) -> Callable[..., Any]:
    """``keyword`` checking the clock first.

    Every keyword call, and so every descent into a subschema, checks the clock: a
    validation can overrun the budget by at most one keyword's own work, and the
    keywords that loop over user data are linear (see safe.py).
    """

    def checked(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        if clock() > deadline.at:
            raise BudgetExceeded
        return keyword(validator, value, instance, schema)

    return checked


_regexes: LRU[str, Any] = LRU(4096)
_REGEX_OPTIONS = re2.Options()
# Unsupported patterns are expected input, not errors worth a stderr line each.
_REGEX_OPTIONS.log_errors = False


def regex(pattern: str) -> Any:
    """Compiled re2 pattern; raises UnsupportedRegex for what re2 cannot run."""
    compiled = _regexes.get(pattern)
    if compiled is not None:
        return compiled
    try:
        compiled = re2.compile(pattern, _REGEX_OPTIONS)
    except Exception as error:  # re2.error, TypeError, ...: all mean "cannot run it"
        detail = error.args[0] if error.args else error
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise UnsupportedRegex(
            f"pattern {pattern[:200]!r} is not supported by the linear-time regex engine"
            f" ({detail})"
        ) from None
    _regexes.put(pattern, compiled)
    return compiled
