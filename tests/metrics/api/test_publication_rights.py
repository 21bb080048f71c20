"""Publication stays an admin's call (METHODOLOGY §8, §9): an ingest key's runs are private
whatever they ask, and no one publishes through a day that has not happened."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from metrics.models import BenchmarkRun
from providers.models import Endpoint
from tests.metrics.api.helpers import run_item

pytestmark = pytest.mark.django_db
RUNS = "/api/v1/benchmark-runs/"


def test_ingest_key_cannot_publish_runs_but_admin_key_can(ingest_client, admin_client_api,
                                                           ref_and_other):
    ingest_client.post(RUNS, {"runs": [run_item("r1", "ref", 90, published=True)]}, format="json")
    admin_client_api.post(RUNS, {"runs": [run_item("r2", "other", 90, published=True)]},
                          format="json")
    assert BenchmarkRun.objects.get(external_id="r1").published_at is None
    assert BenchmarkRun.objects.get(external_id="r2").published_at is not None
    public = Client().get(RUNS, {"model": "acme/m"}).json()
    assert [r["id"] for r in public] == ["r2"]


def test_publish_through_a_future_day_is_refused(admin_client_api, ref_and_other):
    future = (timezone.now().date() + timedelta(days=10)).isoformat()
    response = admin_client_api.post("/api/v1/admin/publish/", {
        "model": "acme/m", "through": future}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "through"
    assert not Endpoint.objects.filter(published_until__isnull=False).exists()
