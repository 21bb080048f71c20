"""Dashboard pages: thin views over the selectors; charts are Plotly specs from charts.py."""

from pathlib import Path

import markdown
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from metrics import charts, charts_speed, export_formats
from metrics.selectors import pages
from metrics.selectors.endpoints import home_cards
from metrics.selectors.exports import (
    LICENCE,
    LICENCE_URL,
    SOURCE,
    TABLES,
    Table,
    open_data_file,
    open_models,
)
from providers.visibility import Viewer

METHODOLOGY_PATH = Path(settings.BASE_DIR) / "docs" / "METHODOLOGY.md"


def home(request):
    cards = home_cards(Viewer.for_request(request))
    return render(request, "dashboard/home.html",
                  {"cards": cards, "spread_figure": charts.spread_chart(cards),
                   "recompute_minutes": max(1, settings.EXACTO_POOL_RECOMPUTE_SECONDS // 60)})


def model_page(request, slug):
    viewer = Viewer.for_request(request)
    page = pages.model_page(pages.visible_model(viewer, slug), viewer)
    measured = page.rows
    return render(request, "dashboard/model.html", {
        "model": page.model,
        "rows": measured,
        # Endpoints known only from benchmark files have no telemetry: listed apart.
        "quiet_rows": page.quiet_rows,
        "snapshot": page.snapshot, "band": page.band, "bar": page.bar, "pool": page.pool,
        "figures": {
            "accuracy": charts.accuracy_chart(measured, page.bar),
            "failures": charts.failure_modes_chart(measured),
            "propensity": charts.propensity_chart(measured, page.band),
        },
        "buckets": charts.bucket_charts(measured),
        "daily": charts.sparklines(page.daily),
        "boards": [charts.board_figures(board) for board in page.boards],
        "window_days": settings.EXACTO_WINDOW_DAYS, "min_calls": page.rules.min_calls,
        "sees_private": page.sees_private,
        "speed": charts_speed.speed_section(
            page.rows + page.quiet_rows, page.throughput, prefix="speed",
            window_days=settings.EXACTO_WINDOW_DAYS, min_uptime=settings.EXACTO_POOL_MIN_UPTIME),
        "probes": page.probes,
    })


def pool_history(request, slug):
    viewer = Viewer.for_request(request)
    model = pages.visible_model(viewer, slug)
    history = pages.pool_history(model, viewer)
    return render(request, "dashboard/pool_history.html", {
        "model": model, "snapshots": history.snapshots, "changes": history.changes,
        "recompute_minutes": max(1, settings.EXACTO_POOL_RECOMPUTE_SECONDS // 60)})


def provider_page(request, slug):
    viewer = Viewer.for_request(request)
    provider = pages.visible_provider(viewer, slug)
    page = pages.provider_page(provider, viewer)
    return render(request, "dashboard/provider.html", {
        "provider": provider, "rows": page.rows, "runs": page.runs,
        "window_days": settings.EXACTO_WINDOW_DAYS})


def benchmarks(request):
    sections = pages.benchmark_sections(Viewer.for_request(request))
    return render(request, "dashboard/benchmarks.html", {"sections": [
        {"benchmark": section.benchmark,
         "boards": [charts.board_figures(board, burn_in=False) for board in section.boards]}
        for section in sections]})


def benchmark_page(request, slug):
    benchmark = pages.benchmark(slug)
    boards = pages.benchmark_boards(benchmark, Viewer.for_request(request))
    return render(request, "dashboard/benchmark.html",
                  {"benchmark": benchmark, "boards": [charts.board_figures(board) for board in boards]})


def methodology(request):
    text = METHODOLOGY_PATH.read_text(encoding="utf-8")
    # The page opens with the answer (its own template); the document follows without its
    # title and its paragraph about itself.
    body = text.split("\n## ", 1)
    words = body[0].split("Words:", 1)
    text = ("Words:" + words[1] if len(words) == 2 else "") + ("\n## " + body[1] if len(body) == 2 else "")
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "toc"])
    knobs = {name: getattr(settings, name) for name in dir(settings) if name.startswith("EXACTO_")}
    return render(request, "dashboard/methodology.html", {
        "html": html, "knobs": knobs, "s": settings,
        "recompute_minutes": max(1, settings.EXACTO_POOL_RECOMPUTE_SECONDS // 60),
        "margin_points": 100 * settings.EXACTO_POOL_ACCURACY_MARGIN,
        "ignore_floor": 100 * settings.EXACTO_POOL_IGNORE_FLOOR,
        "halfwidth": 100 * settings.EXACTO_POOL_PROPENSITY_MIN_HALFWIDTH})


def _export_response(request, table: Table, fmt: str) -> HttpResponse:
    file = open_data_file(table, fmt, request.GET.get("model"), request.GET.get("days"),
                          request.build_absolute_uri(reverse("dashboard:exports")))
    response = HttpResponse(file.body, content_type=file.content_type)
    response["Content-Disposition"] = f'inline; filename="{file.filename}"'
    for header, value in file.headers.items():
        response[header] = value
    return response


def exports(request):
    """The dataset card; with ?format=… the day rows, at the address they always had."""
    fmt = request.GET.get("format")
    if fmt is not None:
        return _export_response(request, TABLES["days"], fmt)
    return render(request, "dashboard/exports.html", {
        "models": open_models(),
        "tables": TABLES.values(),
        "formats": list(export_formats.FORMATS), "licence": LICENCE,
        "cap": settings.EXACTO_APP_DAILY_CAP,
        "licence_url": LICENCE_URL, "source": SOURCE})


def export_table(request, table, fmt):
    if table not in TABLES:
        raise Http404("Unknown table")
    return _export_response(request, TABLES[table], fmt)
