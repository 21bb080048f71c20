"""What each dashboard page shows, as one viewer may read it.

The privacy rule (providers.visibility.Viewer) and the disclosure of thresholds
(metrics.selectors.disclosure) are applied here, once: rows come out typed and final, with
private fields already in or out, so views only draw charts and render. Each function
issues a fixed number of queries, whatever the number of endpoints or days (a benchmark's
page: one more per model, for its burn-in).
"""

from dataclasses import dataclass, field, fields

from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from metrics import charts, presentation
from metrics.models import Benchmark, PoolChange, PoolSnapshot
from metrics.pools import PoolSettings
from metrics.selectors.benchmarks import (
    burn_in,
    endpoint_label,
    leaderboards,
    probe_results,
    visible_runs,
)
from metrics.selectors.disclosure import Disclosure
from metrics.selectors.endpoints import EndpointRow, Rows, model_endpoints, provider_endpoints
from metrics.selectors.speed_stats import daily_throughput
from metrics.selectors.toolcall_stats import daily_accuracy
from metrics.services.pools import pool_settings
from metrics.stats import Range
from providers.choices import OPEN_FEEDBACK_STATUSES
from providers.models import LLMModel, Provider
from providers.visibility import Viewer


@dataclass(frozen=True, kw_only=True)
class PageRow(EndpointRow):
    """An endpoint row as the pages draw it: the API row, its endpoint's id, its label, and
    the words and bars of the providers table."""

    endpoint_id: int
    label: str
    open_feedback: int = 0
    deciding: str = ""
    bars: dict = field(default_factory=dict)


def page_row(row: EndpointRow, endpoint_id: int, **extra) -> PageRow:
    own = {f.name: getattr(row, f.name) for f in fields(EndpointRow)}
    return PageRow(**own, endpoint_id=endpoint_id, label=charts.label(row), **extra)


@dataclass(frozen=True)
class Board:
    """One benchmark's latest visible run per endpoint of one model, judged by the range
    rule (§6) on what the reader can see; `series`: the burn-in points per endpoint."""

    benchmark: Benchmark
    rows: list[dict]
    reference: object  # metrics.rotation_rules.Reference, or None without runs
    model: LLMModel | None = None
    series: dict = field(default_factory=dict)


def _board(benchmark: Benchmark, latest: list[dict], **extra) -> Board:
    rows, reference = presentation.range_rows(latest, benchmark)
    rows.sort(key=lambda r: (-r["score"] if benchmark.higher_is_better else r["score"],
                             r["label"]))
    return Board(benchmark, rows, reference, **extra)


def visible_model(viewer: Viewer, slug: str) -> LLMModel:
    """The model, or 404 when it is unknown or pending and the viewer is not an admin."""
    return _known(viewer, LLMModel, slug)


def visible_provider(viewer: Viewer, slug: str) -> Provider:
    return _known(viewer, Provider, slug)


def _known(viewer: Viewer, model_class, slug: str):
    obj = get_object_or_404(model_class, slug=slug)
    if not viewer.knows(obj):
        raise Http404("Not found")
    return obj


@dataclass(frozen=True)
class ModelPage:
    model: LLMModel
    rows: list[PageRow]  # with tool-call figures, in table order
    quiet_rows: list[PageRow]  # known only from benchmark files: no telemetry
    pool: list[PageRow]  # in routing order
    snapshot: PoolSnapshot | None
    band: Range | None
    bar: float | None
    sees_private: bool  # some figures on the page include unpublished days
    rules: PoolSettings
    daily: dict[str, list[tuple[str, float]]]  # accuracy per day, by endpoint label
    throughput: dict[int, list]  # daily p50 throughput, by endpoint id
    boards: list[Board]
    probes: list[dict]


def model_page(model: LLMModel, viewer: Viewer) -> ModelPage:
    found = model_endpoints(model, viewer)
    snapshot = found.snapshots.get(model.pk)
    rules = pool_settings()
    # Bar and band from the figures this reader may see (published ones for the public);
    # tiers and failed rules are the stored verdict's, computed on all data.
    judgement = presentation.visible_judgement(found.rows, rules)
    endpoints = found.endpoints
    # Verdict reasons quote all data: the endpoint's own to its provider, other endpoints'
    # thresholds to admins only (METHODOLOGY §8). The public band is the rule applied to
    # published figures; a provider or admin sees the stored band when they may read it.
    disclosure = Disclosure(viewer, [snapshot])
    sees_private = any(viewer.sees_unpublished(e) for e in endpoints)
    band = judgement.propensity_range
    if sees_private:
        stored = disclosure.band(snapshot)
        band = Range(**stored) if stored else None
    open_feedback = dict(
        model.feedback.filter(status__in=OPEN_FEEDBACK_STATUSES)
        .values_list("provider__slug").annotate(n=Count("id"))
    )
    bars = presentation.table_bars(found.rows, band)
    rows = []
    for (endpoint, row), row_bars in zip(found.pairs(), bars, strict=True):
        verdict = disclosure.verdict(snapshot, endpoint, found.verdicts.get(endpoint.pk))
        rows.append(page_row(
            row, endpoint.pk, open_feedback=open_feedback.get(row.provider, 0), bars=row_bars,
            deciding=presentation.deciding_words(row, verdict, judgement, rules)))
    rows = presentation.sort_rows(rows)
    position = {pk: v.position for pk, v in found.verdicts.items()}
    pool = sorted((r for r in rows if (r.exacto or {}).get("member")),
                  key=lambda r: (position[r.endpoint_id] is None, position[r.endpoint_id] or 0))
    daily = daily_accuracy(endpoints, viewer, days=30)
    labels = {e.pk: endpoint_label(e) for e in endpoints}
    over_time = {labels[e.pk]: [(d.isoformat(), charts._pct(a)) for d, a in daily[e.pk]
                                if a is not None]
                 for e in endpoints}
    return ModelPage(
        model=model, rows=[r for r in rows if r.tool_calls["calls"]],
        quiet_rows=[r for r in rows if not r.tool_calls["calls"]], pool=pool,
        snapshot=snapshot, band=band, bar=presentation.accuracy_bar(judgement, rules),
        sees_private=sees_private, rules=rules, daily=over_time,
        throughput=daily_throughput(endpoints, viewer), boards=_model_boards(model, viewer, rows),
        probes=probe_results(visible_runs(viewer).filter(endpoint__model=model)),
    )


def _model_boards(model: LLMModel, viewer: Viewer, rows: list[PageRow]) -> list[Board]:
    runs = burn_in(model, viewer)
    reference_of = {r.label: r.reference for r in rows}
    benchmarks_by_slug = {b.slug: b for b in Benchmark.objects.filter(slug__in=list(runs))}
    boards = []
    for bench_slug, series in sorted(runs.items()):
        latest = [{"label": name, "score": pts[-1]["score"], "stderr": pts[-1]["stderr"],
                   "samples": pts[-1]["samples"],
                   "run_at": pts[-1]["run_at"], "is_reference": reference_of.get(name, False)}
                  for name, pts in series.items()]
        boards.append(_board(benchmarks_by_slug[bench_slug], latest, series=series))
    return boards


@dataclass(frozen=True)
class PoolHistory:
    snapshots: list[PoolSnapshot]
    changes: list[PoolChange]  # each with `visible_reason`, as this viewer may read it


def pool_history(model: LLMModel, viewer: Viewer) -> PoolHistory:
    snapshots = list(PoolSnapshot.objects.filter(model=model).order_by("-sequence")[:50])
    changes = list(
        PoolChange.objects.filter(snapshot__model=model)
        .select_related("snapshot", "endpoint__provider").order_by("-snapshot__sequence", "id")[:200]
    )
    disclosure = Disclosure(viewer, {c.snapshot for c in changes})
    for change in changes:
        # The reason quotes figures computed on all data; the rules alone are public, and
        # other endpoints' thresholds are for admins only (METHODOLOGY §8).
        change.visible_reason = disclosure.change_reason(change)
    return PoolHistory(snapshots, changes)


@dataclass(frozen=True)
class ProviderPage:
    rows: list[PageRow]
    runs: list


def provider_page(provider: Provider, viewer: Viewer) -> ProviderPage:
    found: Rows = provider_endpoints(provider, viewer)
    rows = [page_row(row, endpoint.pk) for endpoint, row in found.pairs()]
    runs = list(visible_runs(viewer).filter(endpoint__provider=provider).order_by("-run_at")[:100])
    return ProviderPage(rows, runs)


@dataclass(frozen=True)
class BenchmarkSection:
    benchmark: Benchmark
    boards: list[Board]


def benchmark_sections(viewer: Viewer) -> list[BenchmarkSection]:
    """Every benchmark, with one leaderboard per model: the latest visible run of each
    endpoint."""
    items = list(Benchmark.objects.annotate(
        n=Count("runs", filter=Q(runs__in=visible_runs(viewer)))).order_by("slug"))
    board_runs = leaderboards([b for b in items if b.n], viewer)
    return [BenchmarkSection(bench, [_board(bench, latest, model=model)
                                     for model, latest in board_runs.get(bench.pk, {}).items()])
            for bench in items]


def benchmark(slug: str) -> Benchmark:
    """A benchmark (its runs are filtered per viewer; the benchmark itself is public)."""
    return get_object_or_404(Benchmark, slug=slug)


def benchmark_boards(benchmark: Benchmark, viewer: Viewer) -> list[Board]:
    """One benchmark's leaderboard per model, each with its burn-in series."""
    board_runs = leaderboards([benchmark], viewer).get(benchmark.pk, {})
    return [_board(benchmark, latest, model=model,
                   series=burn_in(model, viewer).get(benchmark.slug, {}))
            for model, latest in board_runs.items()]
