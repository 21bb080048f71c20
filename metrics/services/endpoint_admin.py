"""Endpoint changes that move the benchmark range rule (METHODOLOGY §6), applied at once.

The providers app records them (registration, the audited rotation toggle); these wrappers
re-run the rule afterwards, since providers may not import metrics.
"""

from providers.choices import RotationStatus
from providers.models import Endpoint
from providers.services.endpoints import register_endpoint
from providers.services.rotation import set_rotation_by_admin

from .benchmarks import evaluate_rotation


def register(model: str, provider: str, quantization: str = "", reference: bool = False, *,
             pending: bool = False, sender: str = "") -> tuple[Endpoint, bool]:
    """Idempotent registration; a new reference moves every endpoint's acceptable range.

    Callers check who may do what (API.md 1.1): only admins mark a reference, and what an
    ingest key names first is created `pending`."""
    previous = (Endpoint.objects.filter(model__slug=model, is_reference=True)
                .values_list("pk", flat=True).first())
    endpoint, created = register_endpoint(model, provider, quantization, reference,
                                          pending=pending)
    if endpoint.is_reference and endpoint.pk != previous:
        evaluate_rotation([endpoint.model_id], sender=sender,
                          cause=f"a new reference ({endpoint.provider.slug})")
        endpoint.refresh_from_db()
    return endpoint, created


def set_rotation(endpoint: Endpoint, status: str, reason: str, *, user=None,
                 source: str = "admin site") -> bool:
    """An admin's audited toggle; back in rotation, the range rule applies again at once."""
    changed = set_rotation_by_admin(endpoint, status, reason, user=user, source=source)
    if status == RotationStatus.ACTIVE:
        who = f"user:{user.get_username()}" if user is not None else source
        evaluate_rotation([endpoint.model_id], cause=f"a restore by {who}")
    return changed
