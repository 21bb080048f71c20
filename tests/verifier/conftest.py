"""The verifier against a live server over the seeded demo data, seeded once per module.

Same approach as tests/system/browser/conftest.py: pytest-django's LiveServer helper over rows
committed outside any test transaction, flushed when the module ends.
"""

import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import seeded_live_server

VERIFIER_DIR = Path(__file__).resolve().parents[2] / "verifier"


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker):
    def seed():
        call_command("seed_demo", "--admin-password", "pw", "--days", "8",
                     "--requests-per-day", "40", verbosity=0)

    with seeded_live_server(django_db_blocker, seed) as server:
        yield server


@pytest.fixture(scope="session")
def verifier():
    """The verifier module, imported from its file as an outsider would run it."""
    sys.path.insert(0, str(VERIFIER_DIR))
    try:
        import exacto_verify
    finally:
        sys.path.remove(str(VERIFIER_DIR))
    return exacto_verify
