"""Threads ingesting overlapping batches at once: each event id counted exactly once."""

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from metrics.models import EventKey, ToolCallDayTotal, ToolCallRollup
from metrics.services.ingest_tool_calls import ingest_tool_calls
from tests.factories import EndpointFactory

pytestmark = [pytest.mark.integration]

THREADS = 6
DISTINCT = 300
BATCH = 120

TOOLS = [{"type": "function", "function": {
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]},
}}]


def event(i: int, created) -> dict:
    arguments = '{"city": "Paris"}' if i % 3 else "{not json"
    return {
        "id": f"race-{i}",
        "model": "testauthor/ingest-model",
        "provider": "ingest-prov",
        "app": f"app-{i % 2}",
        "user": f"user-{i % 7}",
        "created": created.isoformat(),
        "request": {"tools": TOOLS, "tool_choice": "auto"},
        "response": {"choices": [{"message": {"role": "assistant", "tool_calls": [
            {"id": f"c{i}", "type": "function",
             "function": {"name": "get_weather", "arguments": arguments}}]}}]},
    }


def test_overlapping_batches_from_many_threads_count_each_event_once(transactional_db):
    EndpointFactory(model__slug="testauthor/ingest-model", provider__slug="ingest-prov")
    created = timezone.now() - timedelta(hours=2)
    events = [event(i, created) for i in range(DISTINCT)]
    rng = random.Random(11)
    # Every thread sends overlapping batches; together they cover every id several times.
    plans = []
    for t in range(THREADS):
        ids = list(range(DISTINCT))
        rng.shuffle(ids)
        plans.append([[events[i] for i in ids[s:s + BATCH]] for s in range(0, DISTINCT, BATCH)])
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    accepted: list[int] = []
    duplicates: list[int] = []

    def run(batches):
        try:
            barrier.wait(timeout=10)
            for batch in batches:
                result = ingest_tool_calls(batch, source="race-test")
                assert not result.rejected, result.rejected
                accepted.append(result.accepted)
                duplicates.append(result.duplicates)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sum(accepted) == DISTINCT
    assert sum(duplicates) == DISTINCT * (THREADS - 1)
    assert EventKey.objects.filter(key__startswith="race-").count() == DISTINCT
    totals = ToolCallRollup.objects.filter(endpoint__model__slug="testauthor/ingest-model").aggregate(
        calls=Sum("calls"), valid=Sum("valid"), invalid=Sum("invalid_json"),
        requests=Sum("requests_with_tools"))
    invalid = sum(1 for i in range(DISTINCT) if i % 3 == 0)
    assert totals == {"calls": DISTINCT, "valid": DISTINCT - invalid, "invalid": invalid,
                      "requests": DISTINCT}
    # The daily totals (one statement per batch, serialised per endpoint-day) missed nothing.
    day_totals = ToolCallDayTotal.objects.filter(
        endpoint__model__slug="testauthor/ingest-model").aggregate(
        calls=Sum("calls"), valid=Sum("valid"), invalid=Sum("invalid_json"),
        requests=Sum("requests_with_tools"))
    assert day_totals == totals
