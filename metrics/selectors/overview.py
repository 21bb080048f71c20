"""What admins look at first: holds, recent pool changes, open feedback, ingest freshness."""

from datetime import timedelta

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from metrics.models import IngestBatch, PoolChange
from providers.choices import OPEN_FEEDBACK_STATUSES, FeedbackStatus, RotationStatus
from providers.models import Endpoint, Feedback


def admin_overview(now=None, *, change_window: timedelta = timedelta(days=1)) -> dict:
    now = now or timezone.now()
    holds = [
        {
            "endpoint_id": e.pk, "endpoint": str(e), "model": e.model.slug,
            "provider": e.provider.slug, "quantization": e.quantization,
            "status": e.rotation_status, "status_display": e.get_rotation_status_display(),
            "reason": e.rotation_reason, "since": e.rotation_changed_at,
        }
        for e in Endpoint.objects.exclude(rotation_status=RotationStatus.ACTIVE)
        .select_related("model", "provider").order_by("-rotation_changed_at", "pk")
    ]
    since = now - change_window
    pool_changes = [
        {
            "at": c.snapshot.computed_at, "model": c.snapshot.model.slug,
            "sequence": c.snapshot.sequence, "endpoint_id": c.endpoint_id,
            "endpoint": str(c.endpoint), "change": c.change, "rules": c.rules, "reason": c.reason,
        }
        for c in PoolChange.objects.filter(snapshot__computed_at__gte=since)
        .select_related("snapshot__model", "endpoint__model", "endpoint__provider")
        .order_by("-snapshot__computed_at", "id")
    ]
    open_feedback = [
        {
            "model": row["model__slug"], "provider": row["provider__slug"],
            "endpoint_id": row["endpoint_id"],
            "new": row["new"], "triaged": row["triaged"], "forwarded": row["forwarded"],
            "total": row["total"], "oldest": row["oldest"],
        }
        for row in Feedback.objects.filter(status__in=OPEN_FEEDBACK_STATUSES)
        .values("model__slug", "provider__slug", "endpoint_id")
        .annotate(
            total=Count("id"),
            new=Count("id", filter=_status(FeedbackStatus.NEW)),
            triaged=Count("id", filter=_status(FeedbackStatus.TRIAGED)),
            forwarded=Count("id", filter=_status(FeedbackStatus.FORWARDED)),
            oldest=Min("created_at"),
        )
        .order_by("-total", "model__slug", "provider__slug")
    ]
    ingest = [
        {"kind": row["kind"], "source": row["source"], "last_at": row["last_at"],
         "batches": row["batches"]}
        for row in IngestBatch.objects.values("kind", "source")
        .annotate(last_at=Max("at"), batches=Count("id"))
        .order_by("kind", "-last_at")
    ]
    return {
        "generated_at": now, "holds": holds, "pool_changes": pool_changes,
        "pool_changes_since": since, "open_feedback": open_feedback, "ingest": ingest,
    }



def _status(value) -> Q:
    return Q(status=value)
