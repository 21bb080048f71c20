"""Benchmark reads shared by the API and the pages, with the publication filter applied."""

from collections import defaultdict

from metrics.models import Benchmark, BenchmarkRun
from providers.models import LLMModel
from providers.visibility import Viewer


def visible_runs(viewer: Viewer):
    return viewer.benchmark_runs(
        BenchmarkRun.objects.select_related("benchmark", "endpoint__provider", "endpoint__model")
    )


def endpoint_label(endpoint) -> str:
    quant = f" ({endpoint.quantization})" if endpoint.quantization else ""
    return f"{endpoint.provider.slug}{quant}"


def burn_in(model: LLMModel, viewer: Viewer) -> dict[str, dict[str, list[dict]]]:
    """{benchmark slug: {endpoint label: [points]}}, each point a run against days since the
    model's release (METHODOLOGY §6 burn-in)."""
    out: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for run in visible_runs(viewer).filter(endpoint__model=model).order_by("run_at", "id"):
        days = (run.run_at.date() - model.released).days if model.released else None
        out[run.benchmark.slug][endpoint_label(run.endpoint)].append({
            "days_since_release": days, "run_at": run.run_at.isoformat(), "score": run.score,
            "stderr": run.stderr, "samples": run.samples, "source": run.source,
            "published": run.published_at is not None,
        })
    return {slug: dict(series) for slug, series in out.items()}


def leaderboard(benchmark: Benchmark, viewer: Viewer) -> list[BenchmarkRun]:
    """The latest visible run of every endpoint on a benchmark, best first."""
    latest = {}
    runs = visible_runs(viewer).filter(benchmark=benchmark).order_by("run_at", "id")
    for run in runs:
        latest[run.endpoint_id] = run
    return sorted(latest.values(), key=lambda r: r.score, reverse=benchmark.higher_is_better)
