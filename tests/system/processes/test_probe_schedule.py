"""Beat and a worker, as real processes on Redis and PostgreSQL, run scheduled probes
against a local fake provider (METHODOLOGY §11), and the range rule holds a broken one."""

import pytest
from django.db import close_old_connections

from metrics.models import ProbeRun, ProbeSettings, RotationEvent
from metrics.probes.fake_server import FakeOpenAI
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory
from tests.metrics.probes.conftest import SUITES
from tests.system.processes import processes

pytestmark = [pytest.mark.integration]


def test_beat_starts_due_probes_that_a_worker_runs(transactional_db):
    from metrics.probes.suite import load_suite

    suite = load_suite(SUITES, "exacto-core")
    model = LLMModelFactory(slug="testauthor/probe-model")
    reference = EndpointFactory(model=model, provider=ProviderFactory(slug="probe-ref"),
                                quantization="", is_reference=True)
    broken = EndpointFactory(model=model, provider=ProviderFactory(slug="probe-broken"),
                             quantization="")
    processes.every_two_seconds("Run due probes")

    with FakeOpenAI(suite, "correct") as good, FakeOpenAI(suite, "broken_json") as bad:
        ProbeSettings.objects.create(endpoint=reference, base_url=good.base_url)

        def reference_probed():
            close_old_connections()
            return ProbeRun.objects.filter(endpoint=reference, finished_at__isnull=False).exists()

        queue = processes.unique_queue("exacto-probe")
        with processes.worker(queue) as worker, processes.beat(queue) as beat:
            processes.wait_for(reference_probed, timeout=90, processes=[worker, beat])
            ProbeSettings.objects.create(endpoint=broken, base_url=bad.base_url)

            def broken_held():
                close_old_connections()
                return RotationEvent.objects.filter(endpoint=broken,
                                                    new_status="benchmark_hold").exists()

            processes.wait_for(broken_held, timeout=90, processes=[worker, beat])

    runs = list(ProbeRun.objects.filter(endpoint=broken, finished_at__isnull=False))
    assert runs and all(r.trigger == "schedule" and r.schema_accuracy == 0.0 for r in runs)
    # The daily schedule: each endpoint was started once, however many beat ticks passed.
    assert ProbeRun.objects.filter(endpoint=reference).count() == 1
    hold = RotationEvent.objects.get(endpoint=broken, new_status="benchmark_hold")
    assert hold.source.endswith(f"from {runs[0].label}")
