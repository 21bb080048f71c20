from pathlib import Path

import pytest
from django.conf import settings

from metrics.probes.fake_server import FakeOpenAI
from metrics.probes.suite import load_suite

SUITES = Path(settings.BASE_DIR) / "data" / "probes"


@pytest.fixture(scope="session")
def suite():
    return load_suite(SUITES, "exacto-core")


@pytest.fixture
def fake(suite):
    """A started fake server; the test sets its behaviour."""
    with FakeOpenAI(suite, "correct") as server:
        yield server


@pytest.fixture
def eager_tasks(settings, monkeypatch):
    """Tasks run in this process even when a broker is configured (the integration tests
    cover real workers): both Celery's switch and the one our fan-out tasks read."""
    from exacto_site.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setitem(app.conf, "task_eager_propagates", True)
