"""The cache of compiled schemas, and the check that uses it (METHODOLOGY.md §1).

A schema is compiled once (scan, safe validator, fast path) and kept in a bounded
LRU keyed by the sha256 of its canonical JSON. A check tries the fast path, which
may only prove validity, then lets the safe validator decide within its budget.

Pure module: no Django.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jsonschema import validators

from metrics.lru import LRU
from metrics.schema_validation.common import (
    MAX_ARGUMENTS_BYTES,
    MAX_SCHEMA_BYTES,
    VALID_RESULT,
    CheckResult,
    canonical_json,
    truncate,
    unchecked,
)
from metrics.schema_validation.fast import (
    FAST_PATH_STEPS,
    FastCheck,
    NoFastPath,
    TooManySteps,
    compile_fast,
)
from metrics.schema_validation.native import MAX_NATIVE_ARGUMENTS, compile_native
from metrics.schema_validation.safe import check_safe, compile_safe, draft_of, scan

# safe.py's reason for a compile past COMPILE_BUDGET_MS: it may be a stall of this process,
# not the schema's cost, so such a schema is compiled again after a back-off that doubles from
# RETRY_FIRST_SECONDS to RETRY_MAX_SECONDS while it keeps exceeding (each attempt under the
# same budget; unchecked in between). Other unusable reasons are the schema's own: kept.
OVER_BUDGET = "schema check exceeded its time budget"
RETRY_FIRST_SECONDS = 60.0
RETRY_MAX_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Compiled:
    validator: Any  # the safe jsonschema validator, None when unusable
    fast: FastCheck | None
    unusable: str  # reason the schema cannot be used, "" when usable
    native: Any = None  # jsonschema_rs validator where provably safe (native.py)


def compile_schema(schema: object) -> Compiled:
    """Compile a schema once; every failure becomes an unusable reason (METHODOLOGY.md §1)."""
    reason = scan(schema)
    if reason:
        return Compiled(None, None, reason)
    base, reason = draft_of(schema)
    if base is None:
        return Compiled(None, None, reason)
    validator, reason = compile_safe(schema, base)
    if validator is None:
        return Compiled(None, None, reason)
    # The fast path never decides anything the full validator would not, so
    # Draft 3 (different "required"/"type" semantics) and schemas with
    # references or unusual keywords simply do without it.
    fast: FastCheck | None = None
    if base is not validators.Draft3Validator:
        try:
            fast = compile_fast(schema)
        except (NoFastPath, RecursionError):
            fast = None
    native = compile_native(schema, base) if fast is not None else None
    return Compiled(validator, fast, "", native)


class ValidatorCache:
    """Bounded LRU of compiled schemas keyed by sha256 of their canonical JSON (§1).

    Safe to share between threads: the LRU holds a lock; compiled validators are
    immutable and the deadline is thread-local.
    """

    def __init__(self, maxsize: int = 1024, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.maxsize = maxsize
        self._entries: LRU[bytes, Compiled] = LRU(maxsize)
        # Schemas whose compile ran over its budget: key -> (entry, retry at, back-off).
        # Not in _entries, so every read of those (hits included) finds them only here.
        self._over_budget: dict[bytes, tuple[Compiled, float, float]] = {}
        self._clock = clock
        # Canonical text -> digest: tool tables keep their canonical strings,
        # whose hash Python caches, so a hit skips re-hashing with sha256.
        self._digests: dict[str, bytes] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries) + len(self._over_budget)

    def compiled(self, schema: object, canonical: str) -> Compiled:
        """The compiled form of ``schema`` whose canonical JSON is ``canonical``."""
        key = self._digests.get(canonical)
        if key is None:
            key = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).digest()
            if len(self._digests) >= 2 * self.maxsize:
                self._digests.clear()
            self._digests[canonical] = key
        entry = self._entries.get(key)
        if entry is not None:
            self.hits += 1
            return entry
        backoff = 0.0
        over = self._over_budget.get(key)
        if over is not None:
            entry, retry_at, backoff = over
            now = self._clock()
            if now < retry_at:
                self.hits += 1
                return entry
            # Claimed: other threads keep the entry until this attempt ends.
            self._over_budget[key] = (entry, now + backoff, backoff)
        self.misses += 1
        # Compiled outside any lock: another thread may compile the same schema
        # concurrently, which only costs time.
        entry = compile_schema(schema)
        if entry.unusable == OVER_BUDGET:
            backoff = min(2 * backoff, RETRY_MAX_SECONDS) if backoff else RETRY_FIRST_SECONDS
            if over is None and len(self._over_budget) >= self.maxsize:
                self._over_budget.clear()
            self._over_budget[key] = (entry, self._clock() + backoff, backoff)
            return entry
        if over is not None:
            self._over_budget.pop(key, None)
        self._entries.put(key, entry)
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
        has it; ``arguments_size`` the length of the raw arguments JSON, given only
        when ``arguments`` were decoded from it (plain JSON types). Never raises.
        """
        try:
            return self._check(parameters, arguments, budget_ms, canonical, arguments_size)
        except RecursionError:
            return unchecked("schema or arguments are nested too deeply")
        except Exception as error:  # last resort: hostile input must not stop ingestion
            return unchecked(truncate(f"validation failed: {type(error).__name__}: {error}"))

    def check_decoded(
        self,
        parameters: object,
        canonical: str,
        arguments: object,
        arguments_size: int,
        budget_ms: float = 50,
    ) -> CheckResult:
        """``check(parameters, arguments, budget_ms, canonical=canonical,
        arguments_size=arguments_size)``, the per-call path of classification: when the
        schema is compiled already, the same tests in one frame instead of four (the result
        is the same; anything else, over-budget schemas waiting for their retry included,
        goes through ``check``)."""
        key = self._digests.get(canonical)
        entry = self._entries.get(key) if key is not None else None
        if (entry is None or not isinstance(parameters, (dict, bool))
                or len(canonical) > MAX_SCHEMA_BYTES or arguments_size > MAX_ARGUMENTS_BYTES):
            return self.check(parameters, arguments, budget_ms, canonical=canonical,
                              arguments_size=arguments_size)
        self.hits += 1
        if entry.unusable:
            return unchecked(entry.unusable)
        try:
            return check_compiled(entry, arguments, budget_ms, arguments_size)
        except RecursionError:
            return unchecked("schema or arguments are nested too deeply")
        except Exception as error:  # as in check
            return unchecked(truncate(f"validation failed: {type(error).__name__}: {error}"))

    def _check(
        self,
        parameters: object,
        arguments: object,
        budget_ms: float,
        canonical: str | None,
        arguments_size: int | None,
    ) -> CheckResult:
        if not isinstance(parameters, (dict, bool)):
            return unchecked("parameters are not a JSON Schema object")
        if canonical is None:
            canonical = canonical_json(parameters)
            if canonical is None:
                return unchecked("parameters are not JSON data")
        if len(canonical) > MAX_SCHEMA_BYTES:
            return unchecked(f"schema is larger than {MAX_SCHEMA_BYTES} bytes")
        entry = self.compiled(parameters, canonical)
        if entry.unusable:
            return unchecked(entry.unusable)
        decoded = arguments_size is not None
        if not decoded:
            encoded = canonical_json(arguments)
            if encoded is None:
                return unchecked("arguments are not JSON data")
            arguments_size = len(encoded)
        if arguments_size > MAX_ARGUMENTS_BYTES:
            return unchecked(f"arguments are larger than {MAX_ARGUMENTS_BYTES} bytes")
        return check_compiled(entry, arguments, budget_ms, arguments_size if decoded else None)


def check_compiled(entry: Compiled, arguments: object, budget_ms: float,
                   arguments_size: int | None = None) -> CheckResult:
    """The verdict of a usable compiled schema: a fast path proves valid, else the safe
    validator decides. ``arguments_size``: the length of the JSON text our decoder made
    ``arguments`` from, None when they did not come from it."""
    decoded = arguments_size is not None
    if decoded and entry.native is not None and arguments_size <= MAX_NATIVE_ARGUMENTS:
        try:
            valid = entry.native.is_valid(arguments)
        except Exception:  # a value it cannot take (a lone surrogate): the paths below decide
            valid = None
        if valid:
            return VALID_RESULT
        if valid is False:
            return check_safe(entry.validator, arguments, budget_ms)
    if entry.fast is not None:
        try:
            if entry.fast(arguments, [FAST_PATH_STEPS]):
                return VALID_RESULT
        except (NoFastPath, TooManySteps, RecursionError, TypeError):
            pass
    return check_safe(entry.validator, arguments, budget_ms)
