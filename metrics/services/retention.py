"""Expiry of raw, unbounded-growth rows (docs/design.md "past one PostgreSQL").

Rollups are kept; failure samples and idempotency keys are not needed forever: a sample
older than the retention has been seen, and a gateway resends a batch within minutes,
not months (an event id resent after its key expired would count again).
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from metrics.models import EventKey, FailureSample


def expire_old_rows(now=None) -> dict[str, int]:
    now = now or timezone.now()
    samples_before = now.date() - timedelta(days=settings.EXACTO_FAILURE_SAMPLE_RETENTION_DAYS)
    keys_before = now - timedelta(days=settings.EXACTO_EVENT_KEY_RETENTION_DAYS)
    samples, _ = FailureSample.objects.filter(day__lt=samples_before).delete()
    keys, _ = EventKey.objects.filter(received_at__lt=keys_before).delete()
    return {"failure_samples": samples, "event_keys": keys}
