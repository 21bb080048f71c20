"""Feedback writes: public submissions (rate-limited per client) and triage (status changes,
resolution time, telling the reporter)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from exacto_site.throttle import feedback_limit
from providers.choices import FeedbackStatus
from providers.models import Feedback

CLOSED_STATUSES = (FeedbackStatus.RESOLVED, FeedbackStatus.REJECTED)


@transaction.atomic
def update_status(feedback: Feedback, status: str, user=None) -> bool:
    """Moves feedback to `status`; returns True if the status changed.

    Closing (resolved/rejected) stamps resolved_at, reopening clears it. When it becomes
    resolved and the reporter left an email, they are told (after the commit). Forwarded
    feedback is listed in that provider's portal. Other edited fields of `feedback`
    (assignee, notes) are saved with it. An unassigned item gets the acting user.
    """
    if status not in FeedbackStatus.values:
        raise ValueError(f"Unknown feedback status {status!r}.")
    previous = (
        Feedback.objects.filter(pk=feedback.pk).values_list("status", flat=True).first()
        if feedback.pk else None
    )
    changed = previous != status
    feedback.status = status
    if status in CLOSED_STATUSES:
        if feedback.resolved_at is None or changed:
            feedback.resolved_at = timezone.now()
    else:
        feedback.resolved_at = None
    if user is not None and getattr(user, "is_staff", False) and feedback.assignee_id is None \
            and changed:
        feedback.assignee = user
    feedback.save()
    if changed and status == FeedbackStatus.RESOLVED and feedback.email:
        subject = f"[Exacto] Your report about {feedback.provider.slug} is resolved"
        body = (
            f"Thank you for your report about {feedback.provider.slug} serving "
            f"{feedback.model.slug} ({feedback.get_category_display()}), sent on "
            f"{feedback.created_at:%Y-%m-%d}.\n\nWe have looked into it and marked it resolved."
        )
        email = feedback.email
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email],
                              fail_silently=True)
        )
    return changed


def submit(data: dict, client: str) -> Feedback:
    """Stores a report from the public form and counts it against the client's limit."""
    feedback = Feedback.objects.create(
        model=data["model"], provider=data["provider"], endpoint=data.get("endpoint"),
        category=data["category"], description=data["description"],
        request_id=data["request_id"], email=data["email"], client_hash=client,
    )
    feedback_limit().hit(client)
    return feedback
