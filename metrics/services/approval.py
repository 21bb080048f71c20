"""Approval of pending models and providers (METHODOLOGY §9, API.md 1.1 Registration).

What an ingest key names first is pending: stored and counted, but not public, not in
medians, ranges or pools, not routed. Approving one is the single place where that ends, so
everything that depends on the approved set is brought up to date here, at once: the
benchmark range rule (a new member of the median) and the pools of the models concerned.
Callers: the admin API (`POST /api/v1/admin/approve/`), the Django admin's action and field.
"""

from django.db import transaction

from metrics.choices import RecomputeTrigger
from metrics.public_cache import bump
from metrics.services.pools import recompute_models
from metrics.services.rotation import evaluate_rotation
from providers.choices import ApprovalStatus
from providers.models import Endpoint, LLMModel, Provider


def approve_model(model: LLMModel, *, by: str = "") -> bool:
    """Approves a pending model; returns True if it was pending."""
    with transaction.atomic():
        changed = LLMModel.objects.filter(pk=model.pk, status=ApprovalStatus.PENDING).update(
            status=ApprovalStatus.APPROVED)
        bump([model.pk])  # what the public sees changes with this commit
    model.status = ApprovalStatus.APPROVED
    if changed:
        _refresh([model.pk], by)
    return bool(changed)


def approve_provider(provider: Provider, *, by: str = "") -> bool:
    """Approves a pending provider; returns True if it was pending."""
    with transaction.atomic():
        changed = Provider.objects.filter(pk=provider.pk, status=ApprovalStatus.PENDING).update(
            status=ApprovalStatus.APPROVED)
        model_ids = list(Endpoint.objects.filter(provider=provider)
                         .values_list("model_id", flat=True))
        bump(model_ids)
    provider.status = ApprovalStatus.APPROVED
    if changed:
        _refresh(model_ids, by)
    return bool(changed)


def _refresh(model_ids, by: str) -> None:
    ids = sorted(set(model_ids))
    evaluate_rotation(ids, cause=f"an approval by {by}" if by else "an approval")
    models = list(LLMModel.objects.filter(pk__in=ids, status=ApprovalStatus.APPROVED))
    if models:
        recompute_models(models, trigger=RecomputeTrigger.ADMIN)
