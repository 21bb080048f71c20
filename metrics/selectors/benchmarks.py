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


def leaderboards(benchmarks: list[Benchmark], viewer: Viewer) -> dict[int, dict]:
    """{benchmark id: {model: [latest visible run of each endpoint, as a dict]}}, in one query.

    Each dict carries what the range rule and the pages need: label, score, stderr,
    run date, whether the endpoint is the model's reference, and its rotation status.
    """
    latest: dict[tuple[int, int], BenchmarkRun] = {}
    runs = visible_runs(viewer).filter(benchmark__in=benchmarks).order_by("run_at", "id")
    for run in runs:
        latest[(run.benchmark_id, run.endpoint_id)] = run
    out: dict[int, dict] = defaultdict(dict)
    for (bench_id, _), run in sorted(latest.items(),
                                     key=lambda kv: (kv[1].endpoint.model.slug, kv[0])):
        endpoint = run.endpoint
        out[bench_id].setdefault(endpoint.model, []).append({
            "label": endpoint_label(endpoint), "provider": endpoint.provider.slug,
            "score": run.score, "stderr": run.stderr, "run_at": run.run_at.isoformat(),
            "is_reference": endpoint.is_reference, "rotation_status": endpoint.rotation_status,
            "source": run.source, "published": run.published_at is not None,
        })
    return dict(out)
