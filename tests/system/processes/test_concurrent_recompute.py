"""Concurrent recomputes of one model queue on the row lock: consecutive sequences, no errors."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from metrics.models import PoolSnapshot, ToolCallRollup
from metrics.services.pools import recompute_model
from metrics.services.upserts import refresh_day_totals
from tests.factories import EndpointFactory
from tests.system.processes import processes

pytestmark = [pytest.mark.integration]

THREADS = 4


def test_threads_recomputing_one_model_get_distinct_consecutive_sequences(transactional_db):
    endpoint = EndpointFactory(model__slug="testauthor/race-model", provider__slug="race-prov")
    EndpointFactory(model=endpoint.model, provider__slug="race-prov-2")
    model = endpoint.model
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    sequences: list[int] = []

    def run(i: int):
        try:
            # Each thread brings new figures, so recomputes that see them write snapshots.
            with transaction.atomic():
                ToolCallRollup.objects.create(endpoint=endpoint, app=f"app-{i}", bucket="simple",
                                              day=timezone.now().date(), calls=10 + i, valid=10)
                # Written outside ingestion: refreshed as ingestion does (safe concurrently).
                refresh_day_totals([(endpoint.pk, timezone.now().date(), 0)])
            barrier.wait(timeout=10)
            sequences.append(recompute_model(model, trigger="api").sequence)
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    stored = list(PoolSnapshot.objects.filter(model=model).order_by("sequence")
                  .values_list("sequence", flat=True))
    # Serialised: consecutive sequences (a recompute that found nothing new wrote none).
    assert stored == list(range(1, len(stored) + 1)) and set(sequences) <= set(stored)
    # Every snapshot holds a full set of verdicts (no half-written snapshot).
    for snapshot in PoolSnapshot.objects.filter(model=model):
        assert snapshot.verdicts.count() == 2


def test_two_tasks_on_a_worker_with_concurrency_two(transactional_db):
    from exacto_site.celery import app

    model = EndpointFactory(model__slug="testauthor/race-worker", provider__slug="race-w").model
    queue = processes.unique_queue("exacto-race")
    with processes.worker(queue, concurrency=2) as worker:
        results = [app.send_task("metrics.recompute_pools",
                                 kwargs={"model_slug": model.slug, "trigger": "api"},
                                 queue=queue) for _ in range(4)]
        for result in results:
            result.get(timeout=60)
        log = worker.output()
    # The same figures four times: one snapshot, its time moved by the later three.
    snapshot = PoolSnapshot.objects.get(model=model)
    assert snapshot.sequence == 1 and snapshot.checked_at > snapshot.computed_at
    assert "IntegrityError" not in log
