"""Private notices to a provider's users (console email backend by default)."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from providers.models import Provider


def notify_provider(provider: Provider, subject: str, body: str) -> int:
    """Emails every provider user who asked for notices; returns how many were sent."""
    recipients = [
        pu.user.email
        for pu in provider.users.select_related("user").filter(notify=True, user__is_active=True)
        if pu.user.email
    ]
    messages = [
        (f"[Exacto] {subject}", body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients
    ]
    return send_mass_mail(messages, fail_silently=False) if messages else 0


def notify_provider_on_commit(provider: Provider, subject: str, body: str) -> None:
    """Sends the notice once the current transaction commits: never for a rolled-back change."""
    transaction.on_commit(lambda: notify_provider(provider, subject, body))
