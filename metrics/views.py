"""Dashboard pages: thin views over the selectors; charts are Plotly specs from charts.py."""

from pathlib import Path

import markdown
from django.conf import settings
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from metrics import charts, export_formats
from metrics.models import Benchmark, PoolChange, PoolSnapshot
from metrics.selectors.benchmarks import burn_in, endpoint_label, leaderboard, visible_runs
from metrics.selectors.disclosure import Disclosure
from metrics.selectors.endpoints import (
    home_cards,
    model_endpoints,
    provider_endpoints,
)
from metrics.selectors.exports import LICENCE, LICENCE_URL, SOURCE, TABLES, Table
from metrics.selectors.toolcall_stats import daily_figures
from providers.choices import OPEN_FEEDBACK_STATUSES, ApprovalStatus
from providers.models import LLMModel, Provider
from providers.visibility import Viewer

METHODOLOGY_PATH = Path(settings.BASE_DIR) / "docs" / "METHODOLOGY.md"


def _burn_in_x(point: dict):
    """Days since release; the run date when the model's release date is unknown."""
    days = point["days_since_release"]
    return days if days is not None else point["run_at"][:10]


def home(request):
    cards = home_cards(Viewer.from_request(request))
    return render(request, "dashboard/home.html",
                  {"cards": cards, "spread_figure": charts.spread_chart(cards)})


def _visible(viewer: Viewer, queryset, **lookup):
    """The object, or 404 when it is unknown or pending and the viewer is not an admin."""
    obj = get_object_or_404(queryset, **lookup)
    if not (viewer.sees_all or obj.approved):
        raise Http404("Not found")
    return obj


def model_page(request, slug):
    viewer = Viewer.from_request(request)
    model = _visible(viewer, LLMModel, slug=slug)
    rows, snapshot = model_endpoints(model, viewer)
    endpoints = [r["_endpoint"] for r in rows]
    # The band comes from every endpoint's unpublished days: admins see it, and a provider
    # only when it rests on its own endpoints alone (METHODOLOGY §8).
    disclosure = Disclosure(viewer, [snapshot])
    band = disclosure.band(snapshot)
    daily = daily_figures(endpoints, viewer, days=30)
    over_time = {
        endpoint_label(e): [(d.isoformat(), charts._pct(f["accuracy"])) for d, f in daily[e.pk]
                            if f["accuracy"] is not None]
        for e in endpoints
    }
    runs = burn_in(model, viewer)
    open_feedback = dict(
        model.feedback.filter(status__in=OPEN_FEEDBACK_STATUSES)
        .values_list("provider__slug").annotate(n=Count("id"))
    )
    for row in rows:
        row["open_feedback"] = open_feedback.get(row["provider"], 0)
        # Verdict reasons quote figures computed on all data, published or not: the
        # endpoint's own to its provider, other endpoints' thresholds to admins only.
        if viewer.sees_private(row["_endpoint"]) and row["_verdict"] is not None:
            row["verdict"] = disclosure.verdict(snapshot, row["_verdict"].detail)
    figures = {
        "accuracy": charts.accuracy_chart(rows),
        "failures": charts.failure_modes_chart(rows),
        "propensity": charts.propensity_chart(rows, band),
        "buckets": charts.bucket_chart(rows),
        "over_time": charts.series_chart(over_time, "Daily tool-call accuracy", "Day",
                                         "Accuracy (%)"),
    }
    for slug, series in runs.items():
        figures[f"burnin-{slug}"] = charts.series_chart(
            {name: [(_burn_in_x(p), p["score"]) for p in pts]
             for name, pts in series.items()},
            f"{slug}: score against days since release", "Days since release", "Score",
        )
    return render(request, "dashboard/model.html", {
        "model": model,
        # Endpoints known only from benchmark files have no telemetry: listed apart.
        "rows": [r for r in rows if r["tool_calls"]["calls"]],
        "quiet_rows": [r for r in rows if not r["tool_calls"]["calls"]],
        "snapshot": snapshot, "band": band, "figures": figures,
        "burn_in": runs, "window_days": settings.EXACTO_WINDOW_DAYS,
        "pool": [r for r in rows if (r.get("exacto") or {}).get("member")],
    })


def pool_history(request, slug):
    viewer = Viewer.from_request(request)
    model = _visible(viewer, LLMModel, slug=slug)
    snapshots = PoolSnapshot.objects.filter(model=model).order_by("-sequence")[:50]
    changes = list(
        PoolChange.objects.filter(snapshot__model=model)
        .select_related("snapshot", "endpoint__provider").order_by("-snapshot__sequence", "id")[:200]
    )
    disclosure = Disclosure(viewer, {c.snapshot for c in changes})
    for change in changes:
        # The reason quotes figures computed on all data; the rules alone are public, and
        # other endpoints' thresholds are for admins only (METHODOLOGY §8).
        change.visible_reason = (disclosure.change_reason(change)
                                 if viewer.sees_private(change.endpoint) else "")
    return render(request, "dashboard/pool_history.html", {
        "model": model, "snapshots": snapshots, "changes": changes})


def provider_page(request, slug):
    viewer = Viewer.from_request(request)
    provider = _visible(viewer, Provider, slug=slug)
    sections: dict = {}
    rows, _ = provider_endpoints(provider, viewer)
    for row in rows:
        sections.setdefault(row["_endpoint"].model, []).append(row)
    runs = visible_runs(viewer).filter(endpoint__provider=provider).order_by("-run_at")[:100]
    return render(request, "dashboard/provider.html", {
        "provider": provider,
        "sections": [{"model": m, "rows": rows} for m, rows in sections.items()],
        "runs": runs})


def benchmarks(request):
    viewer = Viewer.from_request(request)
    items = Benchmark.objects.annotate(
        n=Count("runs", filter=Q(runs__in=visible_runs(viewer)))).order_by("slug")
    return render(request, "dashboard/benchmarks.html", {"benchmarks": items})


def benchmark_page(request, slug):
    benchmark = get_object_or_404(Benchmark, slug=slug)
    viewer = Viewer.from_request(request)
    board = leaderboard(benchmark, viewer)
    by_model: dict = {}
    for run in board:
        by_model.setdefault(run.endpoint.model, []).append(run)
    figures = {}
    for model in by_model:
        series = burn_in(model, viewer).get(benchmark.slug, {})
        figures[model.slug] = charts.series_chart(
            {name: [(_burn_in_x(p), p["score"]) for p in pts]
             for name, pts in series.items()},
            f"{model.slug}: burn-in", "Days since release", f"Score ({benchmark.unit})",
        )
    return render(request, "dashboard/benchmark.html", {
        "benchmark": benchmark, "by_model": by_model, "figures": figures})


def methodology(request):
    text = METHODOLOGY_PATH.read_text(encoding="utf-8")
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "toc"])
    knobs = {name: getattr(settings, name) for name in dir(settings) if name.startswith("EXACTO_")}
    return render(request, "dashboard/methodology.html", {"html": html, "knobs": knobs})


def _export_scope(request):
    """The model (None: all) and days of an export request; 404 for an unknown model."""
    model_slug = request.GET.get("model")
    model = (LLMModel.objects.filter(slug=model_slug, status=ApprovalStatus.APPROVED).first()
             if model_slug else None)
    if model_slug and model is None:
        raise Http404("Unknown model")
    try:
        days = min(max(int(request.GET.get("days", "30")), 1), 366)
    except ValueError:
        days = 30
    return model, days


def _export_response(request, table: Table, fmt: str) -> HttpResponse:
    if fmt not in export_formats.FORMATS:
        raise Http404("Unknown format")
    model, days = _export_scope(request)
    rows = table.rows(model, days)
    card = request.build_absolute_uri(reverse("dashboard:exports"))
    meta = {"table": table.name, "licence": LICENCE, "licence_url": LICENCE_URL,
            "source": SOURCE, "dataset_card": card, "generated": timezone.now().isoformat()}
    body = export_formats.render(fmt, rows, table.column_names, meta)
    response = HttpResponse(body, content_type=export_formats.FORMATS[fmt])
    stamp = timezone.now().date().isoformat()
    scope = model.slug.replace("/", "_") if model else "all"
    response["Content-Disposition"] = f'inline; filename="exacto-{table.name}-{scope}-{stamp}.{fmt}"'
    # Licence and source travel beside the data, never inside it (API.md 1.1).
    response["Link"] = f'<{LICENCE_URL}>; rel="license", <{card}>; rel="describedby"'
    response["X-Licence"] = f"{LICENCE} {LICENCE_URL}"
    response["X-Source"] = SOURCE
    return response


def exports(request):
    """The dataset card; with ?format=… the day rows, at the address they always had."""
    fmt = request.GET.get("format")
    if fmt is not None:
        return _export_response(request, TABLES["days"], fmt)
    return render(request, "dashboard/exports.html", {
        "models": LLMModel.objects.filter(status=ApprovalStatus.APPROVED).order_by("slug"),
        "tables": TABLES.values(),
        "formats": list(export_formats.FORMATS), "licence": LICENCE,
        "cap": settings.EXACTO_APP_DAILY_CAP,
        "licence_url": LICENCE_URL, "source": SOURCE})


def export_table(request, table, fmt):
    if table not in TABLES:
        raise Http404("Unknown table")
    return _export_response(request, TABLES[table], fmt)
