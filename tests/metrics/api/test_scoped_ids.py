"""Issue 11, finding 9: idempotency ids are scoped per API key (METHODOLOGY §9)."""

import pytest

from metrics.models import BenchmarkRun, IgnoreEvent
from tests.factories import key_client
from tests.metrics.api.helpers import MODEL, PROVIDER, endpoint_row, good, now_iso, post_events, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_gateway(db):
    return key_client("gateway-2", "ingest")


def test_two_gateways_may_use_the_same_event_ids(ingest_client, second_gateway,
                                                 admin_client_api):
    register(ingest_client)
    register(ingest_client, provider="other-host")
    first = post_events(ingest_client, [good("evt-0001")]).json()
    second = post_events(second_gateway, [good("evt-0001", provider="other-host")]).json()
    assert first["accepted"] == 1
    assert second == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert endpoint_row(admin_client_api, provider="other-host")["tool_calls"]["calls"] == 1
    # Within one key an id is still a duplicate forever after.
    again = post_events(second_gateway, [good("evt-0001", provider="other-host")]).json()
    assert again == {"accepted": 0, "duplicates": 1, "rejected": []}


def test_ignore_and_benchmark_ids_are_scoped_per_key_too(ingest_client, second_gateway):
    register(ingest_client)
    ignore = {"id": "ign-1", "user": "u", "provider": PROVIDER, "action": "ignore"}
    run = {"id": "run-1", "model": MODEL, "provider": PROVIDER, "benchmark": "aime25",
           "score": 80.0, "run_at": now_iso()}
    for client in (ingest_client, second_gateway):
        assert post_events(client, [ignore], path="/api/v1/ignores/").json()["accepted"] == 1
        assert client.post("/api/v1/benchmark-runs/", {"runs": [run]},
                           format="json").json()["accepted"] == 1
    assert IgnoreEvent.objects.count() == 2 and BenchmarkRun.objects.count() == 2
    assert post_events(second_gateway, [ignore], path="/api/v1/ignores/").json()["duplicates"] == 1


def test_a_key_stored_before_scoping_still_counts_as_seen_for_every_sender(db):
    from django.utils import timezone

    from metrics.choices import IngestKind
    from metrics.models import EventKey
    from metrics.services.upserts import claim_event_keys

    EventKey.objects.create(kind=IngestKind.TOOL_CALLS, scope="", key="old-1",
                            received_at=timezone.now())
    new = claim_event_keys(IngestKind.TOOL_CALLS, "key:7", ["b", "old-1", "a", "b"])
    assert new == {"a", "b"}
    assert set(EventKey.objects.filter(scope="key:7").values_list("key", flat=True)) == {"a", "b"}
    assert claim_event_keys(IngestKind.TOOL_CALLS, "key:7", ["a", "c"]) == {"c"}
    # The legacy key itself is not claimed again under any scope, "" included.
    assert claim_event_keys(IngestKind.TOOL_CALLS, "", ["old-1", "d"]) == {"d"}
