"""Benchmark reads shared by the API and the pages, with the publication filter applied."""

from collections import defaultdict

from metrics.charts import label_of
from metrics.choices import PROBE_BENCHMARKS, PROBE_SCHEMA_ACCURACY, PROBE_TOOL_CALL_F1
from metrics.models import Benchmark, BenchmarkRun
from metrics.rotation_rules import StandardError, standard_error
from providers.models import LLMModel
from providers.visibility import Viewer


def visible_runs(viewer: Viewer):
    return viewer.benchmark_runs(
        BenchmarkRun.objects.select_related("benchmark", "endpoint__provider", "endpoint__model")
    )


def endpoint_label(endpoint) -> str:
    return label_of(endpoint.provider.slug, endpoint.quantization)


def burn_in(model: LLMModel, viewer: Viewer) -> dict[str, dict[str, list[dict]]]:
    """{benchmark slug: {endpoint label: [points]}}, each point a run against days since the
    model's release (METHODOLOGY §6 burn-in)."""
    out: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    # Plain rows, not model instances: a model page reads every run of every endpoint.
    rows = (viewer.benchmark_runs(BenchmarkRun.objects.filter(endpoint__model=model))
            .order_by("run_at", "id")
            .values_list("benchmark__slug", "endpoint__provider__slug", "endpoint__quantization",
                         "run_at", "score", "stderr", "samples", "source", "published_at"))
    for slug, provider, quant, run_at, score, stderr, samples, source, published_at in rows:
        days = (run_at.date() - model.released).days if model.released else None
        out[slug][label_of(provider, quant)].append({
            "days_since_release": days, "run_at": run_at.isoformat(), "score": score,
            "stderr": stderr, "samples": samples, "source": source,
            "published": published_at is not None,
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
            "score": run.score, "stderr": run.stderr, "samples": run.samples,
            "run_at": run.run_at.isoformat(),
            "is_reference": endpoint.is_reference, "rotation_status": endpoint.rotation_status,
            "source": run.source, "published": run.published_at is not None,
            "probe": ({k: run.detail.get(k) for k in ("probe_run", "cases", "errors", "timeouts")}
                      if run.detail.get("probe_run") else None),
        })
    return dict(out)


def stderr_used(run: BenchmarkRun) -> StandardError:
    """The standard error §6 uses for a run: reported, else from its samples, else from the
    benchmark's item count, else 0 (``run.benchmark`` loaded)."""
    return standard_error(run.score, run.stderr, run.samples, run.benchmark.item_count)


def probe_results(runs) -> list[dict]:
    """Latest probe scores per endpoint from visible runs (already filtered by the caller to
    the endpoints wanted): one row per endpoint with both scores and the run's counts."""
    rows: dict[int, dict] = {}
    for run in runs.filter(benchmark__slug__in=PROBE_BENCHMARKS).order_by("run_at", "id"):
        probe_run = run.detail.get("probe_run")
        row = rows.get(run.endpoint_id)
        if row is None or row["probe_run"] != probe_run:
            row = rows[run.endpoint_id] = {
                "endpoint": run.endpoint, "label": endpoint_label(run.endpoint),
                "probe_run": probe_run, "run_at": run.run_at, "suite": run.detail.get("suite"),
                "cases": run.detail.get("cases"), "errors": run.detail.get("errors"),
                "timeouts": run.detail.get("timeouts"), "f1_against": run.detail.get("f1_against"),
                "schema_accuracy": None, "tool_call_f1": None, "published": True,
            }
        if run.benchmark.slug == PROBE_SCHEMA_ACCURACY:
            row["schema_accuracy"] = run.score
        elif run.benchmark.slug == PROBE_TOOL_CALL_F1:
            row["tool_call_f1"] = run.score
        row["published"] = row["published"] and run.published_at is not None
    return sorted(rows.values(), key=lambda r: r["label"])

