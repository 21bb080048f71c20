"""Browser fixtures: one live server per module over the seeded demo data, system Chromium.

pytest-django's `live_server` fixture flushes the database after every test that uses
it (it requests `transactional_db`), so the demo data would have to be reseeded per
test. Instead this module runs pytest-django's own LiveServer helper (same static-file
handling: django.contrib.staticfiles finders) once per module, over data committed
outside any test transaction, and flushes the database when the module ends.

Browser tests carry `django_db` (plain, not transactional) so pytest-django creates the
test database at all (it only does for tests that ask for one); each test then runs in
an atomic block that is rolled back, which leaves the seeded, committed rows alone.
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections

from tests.conftest import seeded_live_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


SKEWED = ("moonshotai/kimi-k2-0905", "groq")


def plant_schema_mix_skew():
    """Gives groq's Kimi K2 endpoint many complex-schema calls on a published day, so its
    complexity mix differs from the model's (METHODOLOGY §3 flag) and the pages must show it."""
    from metrics.models import ToolCallRollup
    from metrics.services.upserts import rebuild_day_totals
    from providers.models import Endpoint

    endpoint = Endpoint.objects.get(model__slug=SKEWED[0], provider__slug=SKEWED[1])
    ToolCallRollup.objects.create(
        endpoint=endpoint, app="complex-agent", bucket="complex", day=endpoint.published_until,
        requests_with_tools=600, propensity_requests=0, calls=600, valid=570, schema_mismatch=30)
    rebuild_day_totals()  # rollups written outside ingestion


@pytest.fixture(scope="module")
def demo_server(django_db_setup, django_db_blocker):
    def seed():
        call_command("seed_demo", "--admin-password", "pw", "--days", "10",
                     "--requests-per-day", "40", verbosity=0)
        plant_schema_mix_skew()

    with seeded_live_server(django_db_blocker, seed) as server:
        yield server


@pytest.fixture(scope="module")
def browser(demo_server):
    # Depends on demo_server so seeding and flushing (ORM) happen outside Playwright's
    # event loop: Django refuses ORM calls while an asyncio loop runs in the thread.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread; the per-test `db`
    # transaction (main thread, no browser call in flight) is safe, as pytest-playwright
    # documents for Django. Only while this module's browser is open.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield chromium
            # Tests ran with Playwright's greenlet active, where Django's connection
            # handler (context-local) opened its own connection: close it here, or it
            # outlives the run and blocks dropping the PostgreSQL test database.
            connections.close_all()
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PageWatch:
    """Collects console errors, page errors, failed requests and every requested URL."""

    def __init__(self, page):
        self.page = page
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(f"pageerror: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} {r.status}"))


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def watched(context):
    page = context.new_page()
    return PageWatch(page)


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
