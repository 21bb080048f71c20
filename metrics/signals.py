"""Recompute a model's pool as soon as something that decides it changes (METHODOLOGY §7).

A rotation change (admin or benchmark rule: every one writes a RotationEvent) and an
admin override enqueue a recompute of that model once their transaction commits, so the
`:exacto` route follows within seconds instead of at the next periodic run. In-process
(no broker) the recompute runs right after the commit; with workers it is a task.

An approval (a pending provider or model saved as approved, METHODOLOGY §9) recomputes
the models concerned the same way. Other services that change membership call
`recompute_after_commit(model_id)`.
"""

from django.db import transaction

from metrics.choices import RecomputeTrigger
from metrics.tasks import recompute_pools
from providers.models import Endpoint, LLMModel


def recompute_after_commit(model_id: int, trigger: str = RecomputeTrigger.CHANGE) -> None:
    def enqueue():
        slug = LLMModel.objects.filter(pk=model_id).values_list("slug", flat=True).first()
        if slug is not None:
            recompute_pools.delay(slug, trigger)

    transaction.on_commit(enqueue)


def _model_of(endpoint_id: int) -> int | None:
    return Endpoint.objects.filter(pk=endpoint_id).values_list("model_id", flat=True).first()


def rotation_event_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw and (model_id := _model_of(instance.endpoint_id)) is not None:
        recompute_after_commit(model_id)


def override_changed(sender, instance, raw=False, **kwargs) -> None:
    # Also on delete: an endpoint deleted with its override has no model left to recompute.
    if not raw and (model_id := _model_of(instance.endpoint_id)) is not None:
        recompute_after_commit(model_id)


def _status_may_have_changed(created: bool, raw: bool, update_fields) -> bool:
    return not created and not raw and (update_fields is None or "status" in update_fields)


def provider_saved(sender, instance, created, raw=False, update_fields=None, **kwargs) -> None:
    """An approved (or re-pended) provider: every model it serves is judged again."""
    if _status_may_have_changed(created, raw, update_fields):
        for model_id in set(Endpoint.objects.filter(provider_id=instance.pk)
                            .values_list("model_id", flat=True)):
            recompute_after_commit(model_id)


def model_saved(sender, instance, created, raw=False, update_fields=None, **kwargs) -> None:
    if _status_may_have_changed(created, raw, update_fields):
        recompute_after_commit(instance.pk)
