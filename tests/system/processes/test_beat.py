"""Beat (DatabaseScheduler) and a worker, as real processes, recompute pools on schedule."""

import pytest
from django.db import close_old_connections
from django.db.models import F

from metrics.models import PoolSnapshot
from tests.factories import EndpointFactory
from tests.system.processes import processes

pytestmark = [pytest.mark.integration]


def test_beat_schedules_recomputes_that_a_worker_runs(transactional_db):
    model = EndpointFactory(model__slug="testauthor/beat-model", provider__slug="beat-prov").model
    processes.every_two_seconds("Recompute exacto pools")

    def scheduled():
        close_old_connections()
        # Two scheduled runs: the second changes nothing, so it writes no snapshot and
        # records its time on the first (API.md 1.1 computed_at).
        return PoolSnapshot.objects.filter(model=model, trigger="schedule",
                                           checked_at__gt=F("computed_at")).exists()

    queue = processes.unique_queue("exacto-beat")
    with processes.worker(queue) as worker, processes.beat(queue) as beat:
        processes.wait_for(scheduled, timeout=60, processes=[worker, beat])

    sequences = list(PoolSnapshot.objects.filter(model=model).order_by("sequence")
                     .values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
