"""Dashboard pages: thin views over the selectors; charts are Plotly specs from charts.py."""

from pathlib import Path

import markdown
from django.conf import settings
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from metrics import charts, charts_speed, export_formats, presentation
from metrics.models import Benchmark, PoolChange, PoolSnapshot
from metrics.selectors.benchmarks import (
    burn_in,
    endpoint_label,
    leaderboards,
    probe_results,
    visible_runs,
)
from metrics.selectors.disclosure import Disclosure
from metrics.selectors.endpoints import (
    home_cards,
    model_endpoints,
    provider_endpoints,
)
from metrics.selectors.exports import LICENCE, LICENCE_URL, SOURCE, TABLES, Table
from metrics.selectors.speed_stats import daily_throughput
from metrics.selectors.toolcall_stats import daily_figures
from metrics.services.pools import pool_settings
from metrics.stats import Range
from providers.choices import OPEN_FEEDBACK_STATUSES, ApprovalStatus
from providers.models import LLMModel, Provider
from providers.visibility import Viewer

METHODOLOGY_PATH = Path(settings.BASE_DIR) / "docs" / "METHODOLOGY.md"


def _burn_in_x(point: dict):
    """Days since release; the run date when the model's release date is unknown."""
    days = point["days_since_release"]
    return days if days is not None else point["run_at"][:10]


def _range_view(benchmark: Benchmark, latest: list[dict]) -> dict:
    """One benchmark's latest visible run per endpoint, judged by the range rule (§6) on
    what the reader can see, as the chart draws it."""
    rows, reference = presentation.range_rows(latest, benchmark)
    rows.sort(key=lambda r: (-r["score"] if benchmark.higher_is_better else r["score"], r["label"]))
    return {
        "benchmark": benchmark, "rows": rows, "reference": reference,
        "figure": charts.benchmark_chart(
            rows, reference=reference.score if reference else None,
            reference_kind=reference.kind if reference else "", tolerance=benchmark.tolerance,
            higher_is_better=benchmark.higher_is_better, unit=benchmark.unit),
    }


def _burn_in(series: dict[str, list[dict]], unit: str) -> dict:
    """Burn-in small multiples: only endpoints with at least two runs have a trend."""
    trends = {name: [(_burn_in_x(p), p["score"]) for p in points]
              for name, points in series.items() if len(points) >= 2}
    days = any(p["days_since_release"] is not None for pts in series.values() for p in pts)
    return charts.sparklines(trends, unit="%" if unit == "%" else "",
                             x_prefix="day " if days else "")


def home(request):
    cards = home_cards(Viewer.from_request(request))
    return render(request, "dashboard/home.html",
                  {"cards": cards, "spread_figure": charts.spread_chart(cards),
                   "recompute_minutes": max(1, settings.EXACTO_POOL_RECOMPUTE_SECONDS // 60)})


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
    rules = pool_settings()
    # Bar and band from the figures this reader may see (published ones for the public);
    # tiers and failed rules are the stored verdict's, computed on all data.
    judgement = presentation.visible_judgement(rows, rules)
    bar = presentation.accuracy_bar(judgement, rules)
    endpoints = [r["_endpoint"] for r in rows]
    # Verdict reasons quote all data: the endpoint's own to its provider, other endpoints'
    # thresholds to admins only (METHODOLOGY §8). The public band is the rule applied to
    # published figures; a provider or admin sees the stored band when they may read it.
    disclosure = Disclosure(viewer, [snapshot])
    sees_private = any(viewer.sees_private(e) for e in endpoints)
    band = judgement.propensity_range
    if sees_private:
        stored = disclosure.band(snapshot)
        band = Range(**stored) if stored else None
    daily = daily_figures(endpoints, viewer, days=30)
    labels = {e.pk: endpoint_label(e) for e in endpoints}
    over_time = {labels[e.pk]: [(d.isoformat(), charts._pct(f["accuracy"])) for d, f in daily[e.pk]
                                if f["accuracy"] is not None]
                 for e in endpoints}
    open_feedback = dict(
        model.feedback.filter(status__in=OPEN_FEEDBACK_STATUSES)
        .values_list("provider__slug").annotate(n=Count("id"))
    )
    for row in rows:
        row["label"] = charts.label(row)
        row["open_feedback"] = open_feedback.get(row["provider"], 0)
        private = viewer.sees_private(row["_endpoint"]) and row["_verdict"] is not None
        if private:
            row["verdict"] = disclosure.verdict(snapshot, row["_verdict"].detail)
        row["deciding"] = presentation.deciding_words(row, judgement, rules, private=private)
    presentation.add_bars(rows, band)
    rows = presentation.sort_rows(rows)
    measured = [r for r in rows if r["tool_calls"]["calls"]]
    pool = sorted((r for r in rows if (r.get("exacto") or {}).get("member")),
                  key=lambda r: (r["_verdict"].position is None, r["_verdict"].position or 0))
    runs = burn_in(model, viewer)
    reference_of = {charts.label(r): r["reference"] for r in rows}
    benchmarks_by_slug = {b.slug: b for b in Benchmark.objects.filter(slug__in=list(runs))}
    boards = []
    for bench_slug, series in sorted(runs.items()):
        latest = [{"label": name, "score": pts[-1]["score"], "stderr": pts[-1]["stderr"],
                   "samples": pts[-1]["samples"],
                   "run_at": pts[-1]["run_at"], "is_reference": reference_of.get(name, False)}
                  for name, pts in series.items()]
        board = _range_view(benchmarks_by_slug[bench_slug], latest)
        board["burn_in"] = _burn_in(series, board["benchmark"].unit)
        board["series"] = series
        boards.append(board)
    return render(request, "dashboard/model.html", {
        "model": model,
        "rows": measured,
        # Endpoints known only from benchmark files have no telemetry: listed apart.
        "quiet_rows": [r for r in rows if not r["tool_calls"]["calls"]],
        "snapshot": snapshot, "band": band, "bar": bar, "pool": pool,
        "figures": {
            "accuracy": charts.accuracy_chart(measured, bar),
            "failures": charts.failure_modes_chart(measured),
            "propensity": charts.propensity_chart(measured, band),
        },
        "buckets": charts.bucket_charts(measured),
        "daily": charts.sparklines(over_time),
        "boards": boards,
        "window_days": settings.EXACTO_WINDOW_DAYS, "min_calls": rules.min_calls,
        "sees_private": sees_private,
        "speed": charts_speed.speed_section(
            rows, daily_throughput(endpoints, viewer), prefix="speed",
            window_days=settings.EXACTO_WINDOW_DAYS, min_uptime=settings.EXACTO_POOL_MIN_UPTIME),
        "probes": probe_results(visible_runs(viewer).filter(endpoint__model=model)),
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
        "model": model, "snapshots": snapshots, "changes": changes,
        "recompute_minutes": max(1, settings.EXACTO_POOL_RECOMPUTE_SECONDS // 60)})


def provider_page(request, slug):
    viewer = Viewer.from_request(request)
    provider = _visible(viewer, Provider, slug=slug)
    sections: dict = {}
    rows, _ = provider_endpoints(provider, viewer)
    for row in rows:
        row["label"] = charts.label(row)
        sections.setdefault(row["_endpoint"].model, []).append(row)
    runs = visible_runs(viewer).filter(endpoint__provider=provider).order_by("-run_at")[:100]
    return render(request, "dashboard/provider.html", {
        "provider": provider,
        "sections": [{"model": m, "rows": rows} for m, rows in sections.items()],
        "rows": rows, "runs": runs, "window_days": settings.EXACTO_WINDOW_DAYS})


def benchmarks(request):
    viewer = Viewer.from_request(request)
    items = list(Benchmark.objects.annotate(
        n=Count("runs", filter=Q(runs__in=visible_runs(viewer)))).order_by("slug"))
    # One leaderboard per benchmark and model: the latest visible run of each endpoint.
    board_runs = leaderboards([b for b in items if b.n], viewer)
    sections = []
    for bench in items:
        boards = []
        for model, latest in board_runs.get(bench.pk, {}).items():
            board = _range_view(bench, latest)
            board["model"] = model
            boards.append(board)
        sections.append({"benchmark": bench, "boards": boards})
    return render(request, "dashboard/benchmarks.html", {"sections": sections})


def benchmark_page(request, slug):
    benchmark = get_object_or_404(Benchmark, slug=slug)
    viewer = Viewer.from_request(request)
    board_runs = leaderboards([benchmark], viewer).get(benchmark.pk, {})
    boards = []
    for model, latest in board_runs.items():
        board = _range_view(benchmark, latest)
        board["model"] = model
        series = burn_in(model, viewer).get(benchmark.slug, {})
        board["burn_in"] = _burn_in(series, benchmark.unit)
        board["status"] = {r["label"]: r for r in latest}
        boards.append(board)
    return render(request, "dashboard/benchmark.html", {"benchmark": benchmark, "boards": boards})


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
