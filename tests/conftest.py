"""Shared fixtures, and the rule for tests that need real PostgreSQL, Redis and Celery.

Integration tests run when DATABASE_URL names PostgreSQL and CELERY_BROKER_URL is set
(as `.ci/run` does), `postgresql` tests (PostgreSQL-only features) when DATABASE_URL names
PostgreSQL; otherwise they are deselected, with a note. When configured,
an unreachable service is a failure, never a skip.
"""

import contextlib
import os

import pytest
from django.conf import settings
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer
from rest_framework.test import APIClient

from tests.factories import key_client


def services_configured() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres") and bool(
        os.environ.get("CELERY_BROKER_URL")
    )


def pytest_collection_modifyitems(config, items):
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    notes = []
    for marker, runs, needs in (
        ("integration", services_configured(),
         "set DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis)"),
        ("postgresql", on_postgres, "set DATABASE_URL (PostgreSQL)"),
    ):
        if runs:
            continue
        deselected = [item for item in items if item.get_closest_marker(marker)]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if not item.get_closest_marker(marker)]
            notes.append(f"{len(deselected)} {marker} tests deselected: {needs} to run them, "
                         "as .ci/run does.")
    config._exacto_note = " ".join(notes)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    note = getattr(config, "_exacto_note", None)
    if note:
        terminalreporter.write_line(note)


@pytest.fixture
def ingest_client(db):
    return key_client("test-ingest", "ingest")


@pytest.fixture
def admin_client_api(db):
    return key_client("test-admin", "admin")


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Every test starts with no rate-limit counters of its own run (the key prefix names the
    test database, so two CI runs sharing one Redis never meet). Redis is cleared by prefix
    only: `cache.clear()` would FLUSHDB the Celery broker sharing that database."""
    from django.core.cache import cache

    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith("RedisCache"):
        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(match=f"{settings.CACHE_KEY_PREFIX}:*", count=1000):
            client.delete(key)
    elif backend.endswith("DatabaseCache"):
        # Inside a django_db test the rows are rolled back anyway; a test without database
        # access cannot reach this cache at all.
        with contextlib.suppress(RuntimeError):
            cache.clear()
    else:
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _plain_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


@pytest.fixture
def eager_tasks(settings):
    """Tasks run in this process even when a broker is configured (the integration tests
    cover real workers): both Celery's switch and the one our fan-out tasks read."""
    from exacto_site.celery import app

    # Read before anything changes: Celery's conf reads the Django settings, so reading it
    # after the settings change would "restore" the eager switch for every later test (the
    # integration tests need it off). monkeypatch.setitem has the same flaw for keys that
    # come from Celery's defaults.
    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


__all__ = ["settings"]


def _assert_test_database():
    """Never seed or flush a real database: only pytest-django's test database."""
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    assert name.startswith("test_") or "memorydb" in name or "mode=memory" in name, (
        f"refusing to seed/flush {name!r}: not a test database (mark the tests django_db)")


@contextlib.contextmanager
def seeded_live_server(django_db_blocker, seed):
    """pytest-django's LiveServer over rows `seed()` commits outside any test transaction
    (a module's pages or verifier read them from another thread), flushed at the end."""
    with django_db_blocker.unblock():
        _assert_test_database()
        seed()
        server = LiveServer(os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost")
        server._live_server_modified_settings.enable()
        try:
            yield server
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            _assert_test_database()
            call_command("flush", interactive=False, verbosity=0)
