"""Celery tasks: thin, idempotent, safe to retry; each calls one service."""

from celery import shared_task

from metrics.choices import RecomputeTrigger
from metrics.services.pools import recompute_all, recompute_model
from metrics.services.publication import end_embargoes
from providers.models import LLMModel


@shared_task(name="metrics.recompute_pools")
def recompute_pools(model_slug: str | None = None, trigger: str = RecomputeTrigger.SCHEDULE) -> int:
    """Recomputes one model's pool, or every model's; returns the number of snapshots."""
    if model_slug:
        model = LLMModel.objects.filter(slug=model_slug).first()
        return 0 if model is None else int(bool(recompute_model(model, trigger=trigger)))
    return len(recompute_all(trigger=trigger))


@shared_task(name="metrics.end_embargoes")
def publish_due_results() -> int:
    return end_embargoes()
