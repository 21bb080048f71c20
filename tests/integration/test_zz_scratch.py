import pytest

from metrics.services import ingest_tool_calls as itc
from metrics.services.upserts import claim_event_keys
from tests.integration.test_concurrent_ingest import (
    test_overlapping_batches_from_many_threads_count_each_event_once as base,
)

pytestmark = [pytest.mark.integration]

def test_sorted(transactional_db, monkeypatch):
    monkeypatch.setattr(itc, "claim_event_keys", lambda kind, keys: claim_event_keys(kind, sorted(set(keys))))
    base(transactional_db)
