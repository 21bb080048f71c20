"""Enumerations of the metrics app, in one place (used by models, API and templates).

Values equal those of the pure modules (metrics/toolcalls.py, complexity.py, pools.py);
a test keeps them in step.
"""

from django.db import models


class Outcome(models.TextChoices):
    VALID = "valid", "Valid"
    UNCHECKED = "unchecked", "Unchecked (no usable schema)"
    INVALID_JSON = "invalid_json", "Invalid JSON"
    UNKNOWN_TOOL = "unknown_tool", "Unknown tool"
    SCHEMA_MISMATCH = "schema_mismatch", "Schema mismatch"
    # A call of a non-function tool (custom/freeform, hosted): counted, left out of accuracy.
    OTHER = "other", "Other (not a function tool; not judged)"


FAILURE_OUTCOMES = (Outcome.INVALID_JSON, Outcome.UNKNOWN_TOOL, Outcome.SCHEMA_MISMATCH)


class Bucket(models.TextChoices):
    SIMPLE = "simple", "Simple (≤ 5)"
    MEDIUM = "medium", "Medium (6–15)"
    COMPLEX = "complex", "Complex (> 15)"


class Tier(models.TextChoices):
    VERIFIED = "verified", "Verified"
    UNVERIFIED = "unverified", "Unverified"
    DERANKED = "deranked", "Deranked"


class OverrideAction(models.TextChoices):
    FORCE_IN = "force_in", "Force into the pool"
    FORCE_OUT = "force_out", "Force out of the pool"


class IgnoreAction(models.TextChoices):
    IGNORE = "ignore", "Ignore"
    UNIGNORE = "unignore", "Unignore"


# Scope of an ignore preference that covers every model of a provider (API.md: model null).
ALL_MODELS = "*"


class PoolChangeKind(models.TextChoices):
    ENTERED = "entered", "Entered"
    LEFT = "left", "Left"


class IngestKind(models.TextChoices):
    TOOL_CALLS = "tool_calls", "Tool-call telemetry"
    IGNORES = "ignores", "Ignore preferences"
    BENCHMARK_RUNS = "benchmark_runs", "Benchmark runs"


class RecomputeTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Periodic task"
    ADMIN = "admin", "Admin"
    COMMAND = "command", "Management command"
    API = "api", "API"
    # A rotation change, an override or an approval recomputes its model at once.
    CHANGE = "change", "Rotation, override or approval"


class ProbeTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    ADMIN = "admin", "Admin (probe now)"
    COMMAND = "command", "Management command"
    API = "api", "API"


# The benchmarks a probe run stores (METHODOLOGY §11).
PROBE_SCHEMA_ACCURACY = "probe-schema-accuracy"
PROBE_TOOL_CALL_F1 = "probe-tool-call-f1"
PROBE_BENCHMARKS = (PROBE_SCHEMA_ACCURACY, PROBE_TOOL_CALL_F1)


class RequestStatus(models.TextChoices):
    """How a request ended (METHODOLOGY §10); values equal metrics.speed.Status."""

    OK = "ok", "OK"
    ERROR = "error", "Error"
    TIMEOUT = "timeout", "Timeout"


class RotationActor(models.TextChoices):
    """Who changed an endpoint's rotation (metrics.RotationEvent, METHODOLOGY §6, §9)."""

    BENCHMARK_RULE = "benchmark_range", "Benchmark range rule (METHODOLOGY §6)"
    ADMIN = "admin", "Admin"
    SYSTEM = "system", "System"
