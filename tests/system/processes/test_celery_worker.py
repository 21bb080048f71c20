"""A real Celery worker, over the real broker, writes pool snapshots to the test database."""

import pytest
from django.db import close_old_connections

from exacto_site.celery import app
from metrics.models import PoolSnapshot
from tests.factories import EndpointFactory
from tests.system.processes import processes

pytestmark = [pytest.mark.integration]


@pytest.fixture
def queue():
    return processes.unique_queue("exacto-worker")


@pytest.fixture
def running_worker(transactional_db, queue):
    with processes.worker(queue) as proc:
        yield proc


def _snapshots(model, trigger=None):
    close_old_connections()
    qs = PoolSnapshot.objects.filter(model=model)
    if trigger:
        qs = qs.filter(trigger=trigger)
    return list(qs.order_by("sequence"))


def test_broker_configured_so_tasks_are_not_eager():
    assert app.conf.task_always_eager is False


def test_worker_recomputes_a_pool_sent_through_the_broker(running_worker, queue):
    endpoint = EndpointFactory(model__slug="testauthor/worker-model", provider__slug="worker-prov")
    model = endpoint.model
    assert _snapshots(model) == []

    app.send_task("metrics.recompute_pools", kwargs={"model_slug": model.slug, "trigger": "api"},
                  queue=queue)

    snapshots = processes.wait_for(lambda: _snapshots(model), timeout=60,
                                   processes=[running_worker])
    assert [s.sequence for s in snapshots] == [1]
    assert snapshots[0].trigger == "api"
    assert snapshots[0].verdicts.filter(endpoint=endpoint).exists()


def test_worker_recomputes_every_model_without_arguments(running_worker, queue):
    a = EndpointFactory(model__slug="testauthor/all-a", provider__slug="all-prov").model
    b = EndpointFactory(model__slug="testauthor/all-b", provider__slug="all-prov").model

    app.send_task("metrics.recompute_pools", queue=queue)

    processes.wait_for(lambda: _snapshots(a) and _snapshots(b), timeout=60,
                       processes=[running_worker])
    assert {s.trigger for s in _snapshots(a) + _snapshots(b)} == {"schedule"}
