"""Enumerations of the providers app, in one place (used by models, API and templates)."""

from django.db import models

from . import rotation_status

# Built from the pure enum (providers/rotation_status.py), so values and labels are written
# once for the pure rule and the model field alike.
RotationStatus = models.TextChoices("RotationStatus", [
    (status.name, (status.value, rotation_status.LABELS[status]))
    for status in rotation_status.RotationStatus
])


class ApprovalStatus(models.TextChoices):
    """METHODOLOGY §9: what an ingest key names first is pending until an admin approves it."""

    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"


class Quantization(models.TextChoices):
    """API.md 1.1 Registration: the fixed vocabulary, stored lower-case ("" = not given)."""

    INT4 = "int4", "int4"
    INT8 = "int8", "int8"
    FP4 = "fp4", "fp4"
    FP6 = "fp6", "fp6"
    FP8 = "fp8", "fp8"
    FP16 = "fp16", "fp16"
    BF16 = "bf16", "bf16"
    FP32 = "fp32", "fp32"
    UNKNOWN = "unknown", "unknown"


class TokenScope(models.TextChoices):
    INGEST = "ingest", "Ingest"
    ADMIN = "admin", "Admin"


class FeedbackCategory(models.TextChoices):
    TOOL_CALL_FAILURES = "tool_call_failures", "Tool-call failures"
    QUALITY_DROP = "quality_drop", "Quality drop"
    LATENCY = "latency", "Latency"
    OTHER = "other", "Other"


class FeedbackStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    FORWARDED = "forwarded", "Forwarded to provider"
    RESOLVED = "resolved", "Resolved"
    REJECTED = "rejected", "Rejected"


OPEN_FEEDBACK_STATUSES = (FeedbackStatus.NEW, FeedbackStatus.TRIAGED, FeedbackStatus.FORWARDED)
