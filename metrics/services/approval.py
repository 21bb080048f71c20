"""Approval of pending models and providers (METHODOLOGY §9, API.md 1.1 Registration).

What an ingest key names first is pending: stored and counted, but not public, not in
medians, ranges or pools, not routed. Approving one is the single place where that ends, so
everything that depends on the approved set is brought up to date here, at once: the
benchmark range rule (a new member of the median) and the pools of the models concerned.
Callers: the admin API (`POST /api/v1/admin/approve/`), the Django admin's action and field.
"""

from django.db import transaction

from metrics.choices import RecomputeTrigger
from metrics.services.benchmarks import evaluate_rotation
from metrics.services.pools import recompute_model
from providers.choices import ApprovalStatus
from providers.models import Endpoint, LLMModel, Provider


def approve_model(model: LLMModel, *, by: str = "") -> bool:
    """Approves a pending model; returns True if it was pending."""
    with transaction.atomic():
        changed = LLMModel.objects.filter(pk=model.pk, status=ApprovalStatus.PENDING).update(
            status=ApprovalStatus.APPROVED)
    model.status = ApprovalStatus.APPROVED
    if changed:
        _refresh([model.pk], by)
    return bool(changed)


def approve_provider(provider: Provider, *, by: str = "") -> bool:
    """Approves a pending provider; returns True if it was pending."""
    with transaction.atomic():
        changed = Provider.objects.filter(pk=provider.pk, status=ApprovalStatus.PENDING).update(
            status=ApprovalStatus.APPROVED)
    provider.status = ApprovalStatus.APPROVED
    if changed:
        _refresh(Endpoint.objects.filter(provider=provider).values_list("model_id", flat=True),
                 by)
    return bool(changed)


def after_status_change(model_ids, *, by: str = "") -> None:
    """Re-applies what depends on the approved set (an admin edited a status by hand)."""
    _refresh(model_ids, by)


def _refresh(model_ids, by: str) -> None:
    ids = sorted(set(model_ids))
    evaluate_rotation(ids, cause=f"an approval by {by}" if by else "an approval")
    for model in LLMModel.objects.filter(pk__in=ids, status=ApprovalStatus.APPROVED):
        recompute_model(model, trigger=RecomputeTrigger.ADMIN)
