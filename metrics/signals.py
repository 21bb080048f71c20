"""Recompute a model's pool as soon as something that decides it changes (METHODOLOGY §7).

A rotation change (admin or benchmark rule: every one writes a RotationEvent) and an
admin override enqueue a recompute of that model once their transaction commits, so the
`:exacto` route follows within seconds instead of at the next periodic run. In-process
(no broker) the recompute runs right after the commit; with workers it is a task.

Other changes that decide membership (e.g. approving a pending endpoint) call
`recompute_after_commit(model_id)` from their service.
"""

from django.db import transaction

from metrics.choices import RecomputeTrigger


def recompute_after_commit(model_id: int, trigger: str = RecomputeTrigger.CHANGE) -> None:
    def enqueue():
        from metrics.tasks import recompute_pools
        from providers.models import LLMModel

        slug = LLMModel.objects.filter(pk=model_id).values_list("slug", flat=True).first()
        if slug is not None:
            recompute_pools.delay(slug, trigger)

    transaction.on_commit(enqueue)


def _model_of(endpoint_id: int) -> int | None:
    from providers.models import Endpoint

    return Endpoint.objects.filter(pk=endpoint_id).values_list("model_id", flat=True).first()


def rotation_event_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw and (model_id := _model_of(instance.endpoint_id)) is not None:
        recompute_after_commit(model_id)


def override_changed(sender, instance, raw=False, **kwargs) -> None:
    # Also on delete: an endpoint deleted with its override has no model left to recompute.
    if not raw and (model_id := _model_of(instance.endpoint_id)) is not None:
        recompute_after_commit(model_id)
