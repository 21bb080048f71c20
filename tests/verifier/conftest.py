"""The verifier against a live server over the seeded demo data, seeded once per module.

Same approach as tests/system/browser/conftest.py: pytest-django's LiveServer helper over rows
committed outside any test transaction, flushed when the module ends.
"""

import os
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer

VERIFIER_DIR = Path(__file__).resolve().parents[2] / "verifier"


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock():
        name = str(connection.settings_dict["NAME"])
        assert name.startswith("test_") or "memory" in name, name
        call_command("seed_demo", "--admin-password", "pw", "--days", "8",
                     "--requests-per-day", "40", verbosity=0)
        server = LiveServer(os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost")
        server._live_server_modified_settings.enable()
        try:
            yield server
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="session")
def verifier():
    """The verifier module, imported from its file as an outsider would run it."""
    sys.path.insert(0, str(VERIFIER_DIR))
    try:
        import exacto_verify
    finally:
        sys.path.remove(str(VERIFIER_DIR))
    return exacto_verify
