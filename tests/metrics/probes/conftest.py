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
