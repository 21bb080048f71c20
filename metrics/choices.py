"""Enumerations of the metrics app, each defined once (NetBox's ``choices.py``).

Pure module: no Django. The pure methodology (toolcalls, complexity, pools, speed) and
the Django side (model fields, admin, API) import the same classes; a model field takes
``choices=Outcome.choices`` as from Django's ``TextChoices``. Members are ``str``, so
they compare equal to the stored values and serialise as plain strings.
"""

from __future__ import annotations

import enum


class _ChoicesType(enum.EnumType):
    # Class properties, as on Django's TextChoices: ``Outcome.choices``, ``Outcome.values``.
    @property
    def choices(cls) -> list[tuple[str, str]]:
        """The ``(value, label)`` pairs of a Django field's ``choices``."""
        return [(member.value, member.label) for member in cls]

    @property
    def values(cls) -> list[str]:
        return [member.value for member in cls]


class Choices(enum.StrEnum, metaclass=_ChoicesType):
    """A StrEnum whose members carry a label for forms and the admin:
    ``VALID = "valid", "Valid"``; without a label the value is the label."""

    label: str

    def __new__(cls, value: str, label: str | None = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label if label is not None else value
        return member


class Outcome(Choices):
    VALID = "valid", "Valid"
    UNCHECKED = "unchecked", "Unchecked (no usable schema)"
    INVALID_JSON = "invalid_json", "Invalid JSON"
    UNKNOWN_TOOL = "unknown_tool", "Unknown tool"
    SCHEMA_MISMATCH = "schema_mismatch", "Schema mismatch"
    # A call of a non-function tool (custom/freeform, hosted): counted, left out of accuracy.
    OTHER = "other", "Other (not a function tool; not judged)"


# Outcomes counted as correct calls (METHODOLOGY §1: unchecked counts as valid) and the
# failure modes shown and exported; OTHER is in neither (never judged).
OK_OUTCOMES = (Outcome.VALID, Outcome.UNCHECKED)
FAILURE_OUTCOMES = (Outcome.INVALID_JSON, Outcome.UNKNOWN_TOOL, Outcome.SCHEMA_MISMATCH)


class Bucket(Choices):
    # The bounds between buckets are settings (EXACTO_BUCKET_*_MAX), so no label names them.
    SIMPLE = "simple", "Simple"
    MEDIUM = "medium", "Medium"
    COMPLEX = "complex", "Complex"


class Tier(Choices):
    VERIFIED = "verified", "Verified"
    UNVERIFIED = "unverified", "Unverified"
    DERANKED = "deranked", "Deranked"


class OverrideAction(Choices):
    FORCE_IN = "force_in", "Force into the pool"
    FORCE_OUT = "force_out", "Force out of the pool"


class IgnoreAction(Choices):
    IGNORE = "ignore", "Ignore"
    UNIGNORE = "unignore", "Unignore"


# Scope of an ignore preference that covers every model of a provider (API.md: model null).
ALL_MODELS = "*"


class PoolChangeKind(Choices):
    ENTERED = "entered", "Entered"
    LEFT = "left", "Left"


class IngestKind(Choices):
    TOOL_CALLS = "tool_calls", "Tool-call telemetry"
    IGNORES = "ignores", "Ignore preferences"
    BENCHMARK_RUNS = "benchmark_runs", "Benchmark runs"


class RecomputeTrigger(Choices):
    SCHEDULE = "schedule", "Periodic task"
    ADMIN = "admin", "Admin"
    COMMAND = "command", "Management command"
    API = "api", "API"
    # A rotation change, an override or an approval recomputes its model at once.
    CHANGE = "change", "Rotation, override or approval"


class ProbeTrigger(Choices):
    SCHEDULE = "schedule", "Schedule"
    ADMIN = "admin", "Admin (probe now)"
    COMMAND = "command", "Management command"
    API = "api", "API"


# The benchmarks a probe run stores (METHODOLOGY §11).
PROBE_SCHEMA_ACCURACY = "probe-schema-accuracy"
PROBE_TOOL_CALL_F1 = "probe-tool-call-f1"
PROBE_BENCHMARKS = (PROBE_SCHEMA_ACCURACY, PROBE_TOOL_CALL_F1)


class RequestStatus(Choices):
    """How a request ended (METHODOLOGY §10)."""

    OK = "ok", "OK"
    ERROR = "error", "Error"
    TIMEOUT = "timeout", "Timeout"


class RotationActor(Choices):
    """Who changed an endpoint's rotation (metrics.RotationEvent, METHODOLOGY §6, §9)."""

    BENCHMARK_RULE = "benchmark_range", "Benchmark range rule (METHODOLOGY §6)"
    ADMIN = "admin", "Admin"
    SYSTEM = "system", "System"
