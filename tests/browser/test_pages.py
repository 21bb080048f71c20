"""The public pages in a real browser: they load cleanly, draw, sort and fit a phone."""

import json
import os
import shutil
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

KIMI = "moonshotai/kimi-k2-0905"
PAGES = [
    "/",
    f"/models/{KIMI}/",
    "/providers/groq/",
    "/benchmarks/",
    "/benchmarks/k2vv-schema-accuracy/",
    "/methodology/",
    "/data/",
    "/feedback/",
    f"/models/{KIMI}/history/",
]


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly_from_its_own_origin(demo_server, watched, path):
    response = watched.page.goto(demo_server.url + path, wait_until="networkidle")
    assert response is not None and response.status == 200, path
    assert not watched.console_errors, watched.console_errors
    assert not watched.failed, watched.failed
    outside = [u for u in watched.requests
               if not u.startswith(("data:", "blob:")) and origin(u) != demo_server.url]
    assert not outside, f"requests outside {demo_server.url}: {outside}"
    assert watched.page.locator("main").inner_text().strip()


def test_plotly_is_served_locally(demo_server, watched):
    watched.page.goto(demo_server.url + f"/models/{KIMI}/", wait_until="networkidle")
    plotly = [u for u in watched.requests if u.endswith("/static/vendor/plotly/plotly.min.js")]
    assert plotly and all(origin(u) == demo_server.url for u in plotly), watched.requests
    assert watched.page.evaluate("typeof window.Plotly") == "object"


def test_model_page_draws_charts_and_names_the_exacto_pool(demo_server, watched, screenshots):
    page = watched.page
    page.goto(demo_server.url + f"/models/{KIMI}/", wait_until="networkidle")
    page.wait_for_function(
        "document.querySelectorAll('[data-drawn=\"1\"] .main-svg, .js-plotly-plot').length >= 2",
        timeout=15000)
    assert page.locator(".js-plotly-plot").count() >= 2
    assert page.locator('[data-drawn="1"]').count() >= 2

    with urllib.request.urlopen(  # noqa: S310
            f"{demo_server.url}/api/v1/route/?model={KIMI}:exacto") as r:
        route = json.load(r)
    providers = [p["provider"] for p in route["providers"]]
    assert providers, route
    pool_text = page.locator("#exacto-pool").inner_text()
    assert any(p in pool_text for p in providers), (pool_text, providers)
    for p in providers:
        assert p in pool_text, (p, pool_text)

    page.screenshot(path=str(screenshots / "model-kimi-k2.png"), full_page=True)
    if os.environ.get("EXACTO_UPDATE_README_SHOT"):  # a test run leaves tracked files alone
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshots / "model-kimi-k2.png", docs / "model-kimi-k2.png")
    assert not watched.console_errors, watched.console_errors


def _column(page, index):
    return page.eval_on_selector_all(
        "#providers-table tbody tr",
        f"rows => rows.map(r => r.children[{index}].innerText.trim())")


def test_sortable_header_sorts_the_providers_table(demo_server, watched):
    page = watched.page
    page.goto(demo_server.url + f"/models/{KIMI}/", wait_until="networkidle")
    headers = page.locator("#providers-table thead th")
    names = [h.strip() for h in headers.all_inner_texts()]
    provider_col = names.index("Provider")
    before = _column(page, provider_col)
    assert len(before) >= 3, before

    header = headers.nth(provider_col)
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    ascending = _column(page, provider_col)
    assert ascending == sorted(before, key=str.lower)
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    descending = _column(page, provider_col)
    assert descending == list(reversed(ascending))
    assert ascending != descending

    # A numeric column sorts by its data-value, and only one header holds aria-sort.
    calls_col = names.index("Calls")
    headers.nth(calls_col).click()
    calls = [int(v) for v in _column(page, calls_col)]
    assert calls == sorted(calls)
    assert page.locator("#providers-table thead th[aria-sort]").count() == 1
    # Keyboard: Enter on a focused header sorts too.
    headers.nth(calls_col).focus()
    page.keyboard.press("Enter")
    assert headers.nth(calls_col).get_attribute("aria-sort") == "descending"


def test_phone_viewport_has_no_horizontal_page_overflow(demo_server, browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              device_scale_factor=2, has_touch=True)
    try:
        page = ctx.new_page()
        for path in (f"/models/{KIMI}/", "/"):
            page.goto(demo_server.url + path, wait_until="networkidle")
            page.wait_for_timeout(300)
            widths = page.evaluate(
                "({doc: document.documentElement.scrollWidth, body: document.body.scrollWidth,"
                " view: document.documentElement.clientWidth})")
            assert widths["doc"] <= widths["view"] and widths["body"] <= widths["view"], (path, widths)
    finally:
        ctx.close()


@pytest.mark.parametrize("name,path", [
    ("home", "/"),
    ("benchmark-k2vv-schema-accuracy", "/benchmarks/k2vv-schema-accuracy/"),
])
def test_screenshots(demo_server, watched, screenshots, name, path):
    watched.page.goto(demo_server.url + path, wait_until="networkidle")
    target = screenshots / f"{name}.png"
    watched.page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
