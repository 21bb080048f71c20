"""Raw rows expire after their own retentions; rollups keep theirs, which is longer
(docs/design.md scale-out; tests/metrics/services/test_rollup_retention.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from metrics.models import EventKey, FailureSample, ToolCallRollup
from metrics.services.retention import expire_old_rows
from metrics.tasks import expire_rows
from tests.factories import EndpointFactory


@pytest.mark.django_db
def test_old_samples_and_keys_expire_and_rollups_within_their_retention_stay(settings):
    settings.EXACTO_FAILURE_SAMPLE_RETENTION_DAYS = 90
    settings.EXACTO_EVENT_KEY_RETENTION_DAYS = 30
    settings.EXACTO_ROLLUP_RETENTION_DAYS = 731
    endpoint = EndpointFactory()
    today = timezone.now().date()
    for days, event_id in ((91, "old"), (89, "recent")):
        FailureSample.objects.create(endpoint=endpoint, day=today - timedelta(days=days),
                                     outcome="invalid_json", event_id=event_id)
    ToolCallRollup.objects.create(endpoint=endpoint, bucket="simple",
                                  day=today - timedelta(days=400), calls=5)
    old = EventKey.objects.create(kind="tool_calls", key="k-old")
    EventKey.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=31))
    EventKey.objects.create(kind="tool_calls", key="k-new")
    assert expire_old_rows() == {"failure_samples": 1, "event_keys": 1}
    assert list(FailureSample.objects.values_list("event_id", flat=True)) == ["recent"]
    assert list(EventKey.objects.values_list("key", flat=True)) == ["k-new"]
    assert ToolCallRollup.objects.count() == 1
    result = expire_rows()
    assert (result["failure_samples"], result["event_keys"], result["rollups"]) == (0, 0, 0)
    assert ToolCallRollup.objects.count() == 1
