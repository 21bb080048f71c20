"""Celery tasks: thin, idempotent, safe to retry; each calls one service."""

from celery import shared_task
from django.conf import settings

from metrics.choices import ProbeTrigger, RecomputeTrigger
from metrics.models import ProbeSettings
from metrics.services.partitions import ensure_rollup_partitions
from metrics.services.pools import recompute_all, recompute_models
from metrics.services.probes import claim_due_probes, probe_with_settings, run_claimed
from metrics.services.publication import end_embargoes
from metrics.services.retention import expire_old_rollups, expire_old_rows
from providers.choices import ApprovalStatus
from providers.models import LLMModel

# Models per task when the periodic recompute fans out: each task reads its models'
# figures in one query and writes in a fixed number of statements.
FAN_OUT_MODELS = 50


@shared_task(name="metrics.recompute_pools")
def recompute_pools(model_slug: str | None = None, trigger: str = RecomputeTrigger.SCHEDULE,
                    model_slugs: list[str] | None = None) -> int:
    """Recomputes one model's pool, a list of models', or every model's.

    With real workers the all-models run fans out one task per FAN_OUT_MODELS models, so N
    workers share the work (the per-model row locks keep concurrent runs of one model in
    order); in-process it runs them all here. Returns the number of models recomputed or
    queued.
    """
    if model_slug:
        model_slugs = [model_slug]
    if model_slugs:
        models = list(LLMModel.objects.filter(slug__in=model_slugs).order_by("slug"))
        return len(recompute_models(models, trigger=trigger)) if models else 0
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return len(recompute_all(trigger=trigger))
    # Pending models are not judged until approved (METHODOLOGY §9).
    slugs = list(LLMModel.objects.filter(status=ApprovalStatus.APPROVED).order_by("slug")
                 .values_list("slug", flat=True))
    for start in range(0, len(slugs), FAN_OUT_MODELS):
        recompute_pools.delay(trigger=trigger, model_slugs=slugs[start:start + FAN_OUT_MODELS])
    return len(slugs)


@shared_task(name="metrics.end_embargoes")
def publish_due_results() -> int:
    return end_embargoes()


@shared_task(name="metrics.expire_old_rows")
def expire_rows() -> dict:
    """Daily: creates the next months' rollup partitions ahead of their data, expires raw
    rows, then rollups past their retention; returns the rows removed, by kind."""
    ensure_rollup_partitions()
    return {**expire_old_rows(), **expire_old_rollups()}


@shared_task(name="metrics.run_due_probes")
def run_due_probes() -> int:
    """Starts every enabled endpoint probe whose schedule is due (METHODOLOGY §11).

    Each is claimed first (so a second beat tick cannot start it again), then run here
    in-process, or fanned out one task per endpoint to the workers. Returns how many."""
    claimed = claim_due_probes()
    for item in claimed:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            run_claimed(item)
        else:
            probe_endpoint.delay(item.pk, ProbeTrigger.SCHEDULE, claimed=True)
    return len(claimed)


@shared_task(name="metrics.probe_endpoint")
def probe_endpoint(settings_id: int, trigger: str = ProbeTrigger.ADMIN,
                   claimed: bool = False) -> int | None:
    """One probe run with an endpoint's stored settings; returns the probe run's id."""
    item = ProbeSettings.objects.select_related("endpoint__model", "endpoint__provider").filter(
        pk=settings_id).first()
    if item is None:
        return None
    run = run_claimed(item, trigger) if claimed else probe_with_settings(item, trigger=trigger)
    return run.pk
