"""Rotation writes: every change goes through here and into the audit log (METHODOLOGY §6)."""

from django.db import transaction
from django.utils import timezone

from providers.choices import RotationActor, RotationStatus
from providers.models import Endpoint, RotationEvent


class RotationReasonRequired(ValueError):
    pass


@transaction.atomic
def change_rotation(
    endpoint: Endpoint,
    new_status: str,
    *,
    actor: str,
    reason: str,
    user=None,
    figures: dict | None = None,
    source: str = "",
) -> bool:
    """Set an endpoint's rotation status with an audit record. Returns True if it changed.

    The record names its source (METHODOLOGY §9): the admin user, the API key, or the rule
    and the run that triggered it."""
    if user is not None:
        who = f"user:{user.get_username()}"
        source = f"{who} ({source})" if source else who
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.rotation_status == new_status:
        return False
    RotationEvent.objects.create(
        endpoint=endpoint,
        old_status=endpoint.rotation_status,
        new_status=new_status,
        actor=actor,
        user=user,
        reason=reason,
        figures=figures or {},
        source=source,
    )
    endpoint.rotation_status = new_status
    endpoint.rotation_reason = reason
    endpoint.rotation_changed_at = timezone.now()
    endpoint.save(update_fields=["rotation_status", "rotation_reason", "rotation_changed_at"])
    return True


def set_rotation_by_admin(
    endpoint: Endpoint, status: str, reason: str, *, user=None, source: str = "admin site"
) -> bool:
    """An admin's toggle: a reason is required. Callers in the metrics app re-apply the
    benchmark range rule after a restore (metrics.services.benchmarks.evaluate_rotation)."""
    if not reason or not reason.strip():
        raise RotationReasonRequired("A reason is required to change rotation.")
    if status not in RotationStatus.values:
        raise ValueError(f"Unknown rotation status {status!r}.")
    return change_rotation(
        endpoint, status, actor=RotationActor.ADMIN, reason=reason.strip(), user=user,
        source=source,
    )
