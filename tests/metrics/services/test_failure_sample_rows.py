"""Failure samples written as rows (metrics/services/upserts.py) read back as the ORM wrote them."""

from datetime import date

import pytest
from django.utils import timezone

from metrics.models import FailureSample
from metrics.services.upserts import insert_failure_samples
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("parameters", [None, {"type": "object", "x": [1, 2.5, "é"]}, True, "s", 0])
def test_a_sample_reads_back_as_written(parameters):
    endpoint = EndpointFactory()
    now = timezone.now()
    insert_failure_samples([{
        "endpoint_id": endpoint.pk, "day": date(2026, 11, 2), "outcome": "invalid_json",
        "event_id": "e-1", "app": "ä", "tool_name": "t", "parameters": parameters,
        "arguments": '{"a": "\\u00e9"', "message": "bad", "created_at": now,
    }])
    sample = FailureSample.objects.get()
    assert (sample.endpoint_id, sample.day, sample.outcome, sample.event_id, sample.app,
            sample.tool_name, sample.arguments, sample.message) == (
        endpoint.pk, date(2026, 11, 2), "invalid_json", "e-1", "ä", "t", '{"a": "\\u00e9"',
        "bad")
    assert abs((sample.created_at - now).total_seconds()) < 60  # the ORM sets its own now
    assert sample.parameters == parameters
    assert FailureSample.objects.filter(parameters__isnull=True).exists() == (parameters is None)
