"""The pages in a real browser at 1400 and 390 px (DASHBOARD.md "Checks that keep it so"):
they load cleanly from their own origin, no element is wider than the viewport, no two text
elements of any chart overlap or spill out of it, tables scroll inside their box with the
provider column sticky, and the figures the methodology says are shown are on the pages.
Screenshots go to test-artifacts/screenshots/ (looked at by a person, not compared)."""

import json
import os
import shutil
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.system.browser.conftest import ROOT, SKEWED

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

KIMI = "moonshotai/kimi-k2-0905"
QUIET = "moonshotai/kimi-k2-thinking"  # endpoints in rotation, no telemetry at all
PAGES = [
    "/",
    f"/models/{KIMI}/",
    f"/models/{QUIET}/",
    "/providers/groq/",
    "/benchmarks/",
    "/benchmarks/k2vv-schema-accuracy/",
    "/methodology/",
    "/data/",
    "/feedback/",
    f"/models/{KIMI}/history/",
]
# The pages whose layout is measured at both widths (issue 13), and the portal (logged in).
LAYOUT = {
    "home": "/",
    "model": f"/models/{KIMI}/",
    "model-no-telemetry": f"/models/{QUIET}/",
    "benchmark": "/benchmarks/k2vv-schema-accuracy/",
    "portal": "/portal/",
}
WIDTHS = (1400, 390)

# Every text element Plotly draws that a reader must read: titles, axis titles, tick labels,
# legend items, annotations. Bounding boxes in page coordinates, per chart.
CHART_TEXTS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(plot => {
  const svg = plot.querySelector('svg.main-svg').getBoundingClientRect();
  const sel = '.gtitle, .g-xtitle text, .g-ytitle text, .xtick text, .ytick text, .legendtext,'
            + ' .annotation-text, .g-x2title text, .g-y2title text';
  const texts = Array.from(plot.querySelectorAll(sel))
    .filter(t => t.textContent.trim() && getComputedStyle(t).display !== 'none'
                 && getComputedStyle(t).visibility !== 'hidden' && t.getAttribute('opacity') !== '0')
    .map(t => { const r = t.getBoundingClientRect();
                return {text: t.textContent.trim(),
                        cls: t.getAttribute('class') || t.parentNode.getAttribute('class'),
                        x0: r.left, x1: r.right, y0: r.top, y1: r.bottom}; })
    .filter(b => b.x1 - b.x0 > 0 && b.y1 - b.y0 > 0);
  return {id: plot.dataset.figure, svg: {x0: svg.left, x1: svg.right, y0: svg.top, y1: svg.bottom},
          texts: texts, modebar: !!plot.querySelector('.modebar-container .modebar')};
})
"""

# Elements wider than the viewport, or starting left of it, that no scrolling box contains.
OVERFLOWING = """
() => {
  const vw = document.documentElement.clientWidth;
  const scrolls = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false; };
  // Off-screen on purpose: Plotly's text-measuring SVG and the form's hidden honeypot field.
  const hidden = el => el.closest('#js-plotly-tester, [aria-hidden="true"]');
  return Array.from(document.body.querySelectorAll('*')).filter(el => {
    if (hidden(el)) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && (r.right > vw + 1 || r.left < -1) && !scrolls(el);
  }).map(el => { const r = el.getBoundingClientRect();
                 const cls = el.className && el.className.baseVal !== undefined
                   ? el.className.baseVal : el.className;
                 return el.tagName + '.' + cls + ' ' + Math.round(r.left) + '..' + Math.round(r.right); });
}
"""


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # `make setup-test` installs it (npm ci)
AXE_RUN = ("() => axe.run(document, {runOnly: {type: 'tag', values: "
           "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
           ".then(r => r.violations.map(v => v.id + ' (' + v.impact + '): '"
           " + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))")


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2 A/AA violations of the page as drawn (charts included)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make setup-test` (npm ci) first")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def overlaps(a: dict, b: dict, slack: float = 0.5) -> bool:
    return (min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > slack
            and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > slack)


def chart_problems(page) -> list[str]:
    problems = []
    for chart in page.evaluate(CHART_TEXTS):
        texts, svg = chart["texts"], chart["svg"]
        for i, a in enumerate(texts):
            if a["x0"] < svg["x0"] - 1 or a["x1"] > svg["x1"] + 1 or a["y0"] < svg["y0"] - 1 \
                    or a["y1"] > svg["y1"] + 1:
                problems.append(f"{chart['id']}: {a['text']!r} ({a['cls']}) is cut by the chart edge")
            for b in texts[i + 1:]:
                if overlaps(a, b):
                    problems.append(f"{chart['id']}: {a['text']!r} ({a['cls']}) overlaps "
                                    f"{b['text']!r} ({b['cls']})")
        if chart["modebar"]:
            problems.append(f"{chart['id']}: Plotly's modebar is shown")
    return problems


def assert_sound(page, errors: list, name: str, width: int) -> None:
    """Nothing sticks out of its box, no chart text is cut or overlapping, axe finds
    nothing and the page logged no error."""
    assert page.evaluate(OVERFLOWING) == [], (name, width)
    assert chart_problems(page) == [], (name, width)
    assert axe_violations(page) == [], (name, width)
    assert not errors, errors


@pytest.fixture(scope="module")
def portal_state(browser, demo_server, tmp_path_factory):
    """A logged-in provider user (groq-demo) as Playwright storage state."""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(demo_server.url + "/accounts/login/")
    page.fill("input[name=username]", "groq-demo")
    page.fill("input[name=password]", "pw")
    page.click("form [type=submit]")
    page.wait_for_load_state("networkidle")
    path = tmp_path_factory.mktemp("portal") / "state.json"
    ctx.storage_state(path=str(path))
    ctx.close()
    return str(path)


def open_page(browser, demo_server, path, width, storage_state=None):
    ctx = browser.new_context(
        viewport={"width": width, "height": 900 if width > 600 else 844},
        device_scale_factor=1, is_mobile=width < 600, has_touch=width < 600,
        storage_state=storage_state)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    response = page.goto(demo_server.url + path, wait_until="networkidle")
    assert response is not None and response.status == 200, (path, response and response.status)
    # Every chart on the page is drawn before anything is measured.
    page.wait_for_function(
        "Array.from(document.querySelectorAll('[data-figure]')).every(e => e.dataset.drawn === '1')",
        timeout=20000)
    page.wait_for_timeout(250)  # Plotly's responsive relayout after fonts settle
    return ctx, page, errors


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


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", LAYOUT)
def test_layout_fits_and_chart_texts_never_overlap(browser, demo_server, portal_state,
                                                   screenshots, name, width):
    ctx, page, errors = open_page(browser, demo_server, LAYOUT[name], width,
                                  portal_state if name == "portal" else None)
    try:
        page.screenshot(path=str(screenshots / f"{name}-{width}.png"))  # the first screen
        page.screenshot(path=str(screenshots / f"{name}-{width}-full.png"), full_page=True)
        widths = page.evaluate("({doc: document.documentElement.scrollWidth,"
                               " view: document.documentElement.clientWidth})")
        assert widths["doc"] <= widths["view"], (name, width, widths)
        assert_sound(page, errors, name, width)
    finally:
        ctx.close()


def test_pages_with_charts_draw_them(browser, demo_server):
    """The layout test above would pass on a page without charts: these pages must have them."""
    expected = {"/": 1, f"/models/{KIMI}/": 6, "/benchmarks/k2vv-schema-accuracy/": 1}
    for path, minimum in expected.items():
        ctx, page, _ = open_page(browser, demo_server, path, 1400)
        try:
            assert page.locator(".js-plotly-plot").count() >= minimum, path
            texts = sum(len(c["texts"]) for c in page.evaluate(CHART_TEXTS))
            assert texts >= 10 * minimum, (path, texts)  # tick labels really were measured
        finally:
            ctx.close()


def test_model_without_telemetry_says_so_and_draws_no_empty_axes(browser, demo_server):
    ctx, page, errors = open_page(browser, demo_server, f"/models/{QUIET}/", 1400)
    try:
        # No telemetry chart (no empty axes); its benchmark results are real data, drawn.
        drawn = page.eval_on_selector_all(".js-plotly-plot", "ps => ps.map(p => p.dataset.figure)")
        assert all(d.startswith("fig-bench-") for d in drawn), drawn
        main = page.locator("main").inner_text()
        assert "No tool-call telemetry for this model" in main
        assert "POST /api/v1/tool-calls/" in main
        assert page.locator("h1").count() == 1
        # The route is never empty while endpoints are in rotation: the page names it.
        assert "Fallback" in page.locator("#exacto-pool").inner_text()
        assert page.locator("#exacto-pool li").count() >= 1
        assert not errors, errors
    finally:
        ctx.close()


def test_plotly_is_served_locally(demo_server, watched):
    watched.page.goto(demo_server.url + f"/models/{KIMI}/", wait_until="networkidle")
    plotly = [u for u in watched.requests if u.endswith("/static/vendor/plotly/plotly.min.js")]
    assert plotly and all(origin(u) == demo_server.url for u in plotly), watched.requests
    assert watched.page.evaluate("typeof window.Plotly") == "object"


def test_model_page_leads_with_the_exacto_pool_in_routing_order(browser, demo_server):
    ctx, page, errors = open_page(browser, demo_server, f"/models/{KIMI}/", 1400)
    try:
        with urllib.request.urlopen(  # noqa: S310
                f"{demo_server.url}/api/v1/route/?model={KIMI}:exacto") as r:
            route = json.load(r)
        providers = [p["provider"] for p in route["providers"]]
        assert providers, route
        chips = [c.split()[0] for c in page.locator("#exacto-pool li").all_inner_texts()]
        assert chips == providers
        # The pool and the providers table are on the first screen at 1400 × 900.
        assert page.locator("#exacto-pool").bounding_box()["y"] < 400
        assert page.locator("#providers-table tbody tr").first.bounding_box()["y"] < 900
        # Every row states the rule that decided its tier, in words.
        rules = page.locator("#providers-table td.rule").all_inner_texts()
        assert rules and all(len(t.strip()) > 10 for t in rules), rules
        # The demo's Kimi K2 pool has members that pass every rule and a provider the range
        # rule holds (docs/demo-data.md).
        assert any(t.strip() == "passes all five rules" for t in rules), rules
        assert any(t.startswith("Held by the benchmark range rule") for t in rules), rules
        assert not errors, errors
    finally:
        ctx.close()


def test_readme_screenshot_is_the_first_screen_of_the_model_page(browser, demo_server,
                                                                 screenshots):
    ctx, page, errors = open_page(browser, demo_server, f"/models/{KIMI}/", 1400)
    try:
        target = screenshots / "model-kimi-k2.png"
        page.screenshot(path=str(target))  # viewport only: 1400 × 900
        assert target.stat().st_size > 20_000
        if os.environ.get("EXACTO_UPDATE_README_SHOT"):  # a test run leaves tracked files alone
            docs = ROOT / "docs" / "screenshots"
            docs.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, docs / "model-kimi-k2.png")
        assert not errors, errors
    finally:
        ctx.close()


def _row_figures(page, row_selector):
    row = page.locator(row_selector).first
    return {
        "raw": row.locator(".raw-calls").inner_text(),
        "capped": row.locator(".capped-calls").inner_text(),
        "app_matched": row.locator(".app-matched").inner_text(),
        "flag": row.locator(".mix-flag").count() and row.locator(".mix-flag").is_visible(),
    }


@pytest.mark.parametrize("where", ["model", "provider", "portal"])
def test_raw_and_capped_calls_app_matched_accuracy_and_mix_flag_are_shown(
        browser, demo_server, portal_state, where):
    """Issue 19 gap 3: the bucket-mix flag, raw beside capped counts and app-matched accuracy
    beside the raw figure, on the published model page, the provider page and the portal."""
    model, provider = SKEWED
    path, row, state = {
        "model": (f"/models/{model}/", f'#providers-table tr[data-provider="{provider}"]', None),
        "provider": (f"/providers/{provider}/", f'#provider-endpoints tr[data-model="{model}"]',
                     None),
        "portal": ("/portal/", f'section.endpoint-card[data-model="{model}"]', portal_state),
    }[where]
    ctx, page, errors = open_page(browser, demo_server, path, 1400, state)
    try:
        figures = _row_figures(page, row)
        assert figures["raw"].replace(",", "").strip().split()[0].isdigit(), figures
        wording = "after the per-app daily cap" if where == "portal" else "capped"
        assert figures["capped"].endswith(wording), figures
        raw = int(figures["raw"].replace(",", "").split()[0])
        capped = int(figures["capped"].replace(",", "").split()[0])
        assert raw >= 600 and capped <= raw, figures  # the planted 600 complex calls count
        assert "pts" in figures["app_matched"], figures
        assert figures["flag"], f"no bucket-mix flag on {where}: {figures}"
        assert not errors, errors
    finally:
        ctx.close()


def _column(page, index):
    return page.eval_on_selector_all(
        "#providers-table tbody tr",
        f"rows => rows.map(r => r.children[{index}].dataset.value ?? r.children[{index}].innerText.trim())")


def test_sortable_header_sorts_the_providers_table(demo_server, watched):
    page = watched.page
    page.goto(demo_server.url + f"/models/{KIMI}/", wait_until="networkidle")
    headers = page.locator("#providers-table thead th")
    names = [h.strip().split()[0] for h in headers.all_inner_texts()]
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
    calls = [float(v) for v in _column(page, calls_col)]
    assert calls == sorted(calls) and len(set(calls)) > 1
    assert page.locator("#providers-table thead th[aria-sort]").count() == 1
    # Keyboard: Enter on a focused header sorts too.
    headers.nth(calls_col).focus()
    page.keyboard.press("Enter")
    assert headers.nth(calls_col).get_attribute("aria-sort") == "descending"


def test_phone_table_scrolls_in_its_box_with_the_provider_column_sticky(browser, demo_server):
    ctx, page, errors = open_page(browser, demo_server, f"/models/{KIMI}/", 390)
    try:
        wrap = page.locator("#providers-table").locator("xpath=..")
        sizes = wrap.evaluate("w => ({scroll: w.scrollWidth, client: w.clientWidth})")
        assert sizes["scroll"] > sizes["client"]  # the table is wider than its box...
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # ...not the page
        cell = page.locator("#providers-table tbody tr").first.locator("td").first
        before = cell.bounding_box()["x"]
        tier = page.locator("#providers-table tbody tr").first.locator("td").nth(1)
        tier_before = tier.bounding_box()["x"]
        wrap.evaluate("w => { w.scrollLeft = 400; }")
        page.wait_for_timeout(100)
        assert abs(cell.bounding_box()["x"] - before) < 1  # sticky provider column
        assert tier.bounding_box()["x"] < tier_before - 100  # the rest scrolled
        assert not errors, errors
    finally:
        ctx.close()


@pytest.mark.parametrize("name,path", [
    ("benchmarks", "/benchmarks/"),
    ("methodology", "/methodology/"),
    ("open-data", "/data/"),
    ("provider", "/providers/groq/"),
    ("pool-history", f"/models/{KIMI}/history/"),
    ("feedback", "/feedback/"),
])
def test_other_pages_fit_both_widths(browser, demo_server, screenshots, name, path):
    for width in WIDTHS:
        ctx, page, errors = open_page(browser, demo_server, path, width)
        try:
            page.screenshot(path=str(screenshots / f"{name}-{width}.png"))
            assert_sound(page, errors, name, width)
        finally:
            ctx.close()
