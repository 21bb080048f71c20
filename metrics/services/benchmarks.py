"""Benchmark runs and the rotation they decide (API.md POST /benchmark-runs/, METHODOLOGY §6).

Storing runs re-evaluates, in the same request, the rotation of every endpoint of
the models concerned: a new reference or median can move them all.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from metrics.choices import IngestKind
from metrics.events import BatchResult, BenchmarkRunItem, ItemError, parse_benchmark_run
from metrics.models import Benchmark, BenchmarkRun, IngestBatch
from metrics.public_cache import bump
from providers.choices import RotationActor, RotationStatus
from providers.models import Endpoint
from providers.rotation_rules import RunFigure, next_status, range_check, reference_for
from providers.services.endpoints import EndpointResolver
from providers.services.notify import notify_provider_on_commit
from providers.services.rotation import change_rotation


@dataclass(frozen=True)
class BenchmarkDefaults:
    name: str = ""
    unit: str = "%"
    higher_is_better: bool = True
    tolerance: float | None = None
    description: str = ""
    link: str = ""


def ensure_benchmarks(specs: dict[str, BenchmarkDefaults]) -> dict[str, Benchmark]:
    """Benchmarks by slug; unknown slugs are created (higher is better, default tolerance)."""
    found = {b.slug: b for b in Benchmark.objects.filter(slug__in=specs)}
    for slug, spec in specs.items():
        if slug not in found:
            found[slug], _ = Benchmark.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": spec.name or slug, "unit": spec.unit,
                    "higher_is_better": spec.higher_is_better,
                    "tolerance": spec.tolerance if spec.tolerance is not None
                    else settings.EXACTO_DEFAULT_TOLERANCE,
                    "description": spec.description, "link": spec.link,
                },
            )
    return found


def ingest_benchmark_runs(
    items: list, *, source: str, publish: bool = False, may_publish: bool = False,
    now: datetime | None = None,
) -> BatchResult:
    """The API batch: parse, store new runs, then re-evaluate rotation.

    An item's `"published": true` is honoured only when `may_publish` (an admin token):
    results go to the provider privately first.
    """
    now = now or timezone.now()
    result = BatchResult()
    parsed: list[tuple[int, BenchmarkRunItem]] = []
    for index, item in enumerate(items):
        try:
            parsed.append((index, parse_benchmark_run(item, now)))
        except ItemError as exc:
            result.reject(index, item, str(exc))
    resolver = EndpointResolver((run.model, run.provider) for _, run in parsed)
    ready = []
    for index, run in parsed:
        try:
            ready.append((run, resolver.resolve(run.model, run.provider, run.quantization)))
        except ValueError as exc:
            result.reject(index, items[index], str(exc))
    published = {
        run.id for index, run in parsed
        if publish or (may_publish and isinstance(items[index], dict)
                       and items[index].get("published") is True)
    }
    store_runs(ready, result, source=source, published_ids=published, now=now)
    return result


@transaction.atomic
def store_runs(
    ready: list[tuple[BenchmarkRunItem, Endpoint]],
    result: BatchResult,
    *,
    source: str,
    published_ids: set[str] = frozenset(),
    specs: dict[str, BenchmarkDefaults] | None = None,
    now: datetime | None = None,
) -> list:
    """Stores new runs (an id seen before is a duplicate) and re-evaluates rotation."""
    now = now or timezone.now()
    specs = dict(specs or {})
    for run, _ in ready:
        specs.setdefault(run.benchmark, BenchmarkDefaults())
    benchmarks = ensure_benchmarks(specs)
    existing = set(
        BenchmarkRun.objects.filter(external_id__in=[r.id for r, _ in ready])
        .values_list("external_id", flat=True)
    )
    new = []
    for run, endpoint in ready:
        if run.id in existing:
            result.duplicates += 1
            continue
        existing.add(run.id)
        result.accepted += 1
        new.append(BenchmarkRun(
            external_id=run.id, endpoint=endpoint, benchmark=benchmarks[run.benchmark],
            score=run.score, stderr=run.stderr, samples=run.samples, source=run.source,
            run_at=run.run_at, detail=run.detail,
            published_at=now if run.id in published_ids else None,
        ))
    BenchmarkRun.objects.bulk_create(new, ignore_conflicts=True)
    # Published runs show at once (bulk_create sends no signal); rotation changes bump too.
    bump({run.endpoint.model_id for run in new if run.published_at is not None})
    IngestBatch.objects.create(
        kind=IngestKind.BENCHMARK_RUNS, source=source[:128], accepted=result.accepted,
        duplicates=result.duplicates, rejected=len(result.rejected),
    )
    return evaluate_rotation({run.endpoint.model_id for run in new})


def latest_runs(model_id: int) -> dict[int, dict[int, BenchmarkRun]]:
    """{benchmark_id: {endpoint_id: latest run}} for one model."""
    latest: dict[int, dict[int, BenchmarkRun]] = defaultdict(dict)
    runs = (
        BenchmarkRun.objects.filter(endpoint__model_id=model_id)
        .select_related("benchmark").order_by("run_at", "id")
    )
    for run in runs:
        latest[run.benchmark_id][run.endpoint_id] = run
    return latest


def range_verdicts(model_id: int, endpoints: Iterable[Endpoint]) -> dict[int, list]:
    """Every endpoint's range verdict on every benchmark of the model (§6)."""
    reference_ids = {e.pk for e in endpoints if e.is_reference}
    verdicts: dict[int, list] = defaultdict(list)
    for runs in latest_runs(model_id).values():
        benchmark = next(iter(runs.values())).benchmark
        figures = [
            RunFigure(endpoint=str(endpoint_id), score=run.score, stderr=run.stderr,
                      run_at=run.run_at, is_reference=endpoint_id in reference_ids)
            for endpoint_id, run in runs.items()
        ]
        reference = reference_for(figures)
        if reference is None:
            continue
        for figure in figures:
            verdicts[int(figure.endpoint)].append(range_check(
                figure, reference, tolerance=benchmark.tolerance,
                higher_is_better=benchmark.higher_is_better, benchmark=benchmark.slug,
            ))
    return verdicts


def evaluate_rotation(model_ids: Iterable[int]) -> list[tuple[Endpoint, str, str]]:
    """Applies the range rule to every endpoint of the models; returns the changes made."""
    changes = []
    for model_id in sorted(set(model_ids)):
        endpoints = list(Endpoint.objects.filter(model_id=model_id).select_related(
            "provider", "model"))
        verdicts = range_verdicts(model_id, endpoints)
        for endpoint in endpoints:
            mine = verdicts.get(endpoint.pk, [])
            status, reason = next_status(RotationStatus(endpoint.rotation_status), mine)
            if status == endpoint.rotation_status:
                continue
            figures = {"verdicts": [
                {"benchmark": v.benchmark, "in_range": v.in_range, "score": v.score,
                 "reference": v.reference, "threshold": v.threshold, "kind": v.kind}
                for v in mine
            ]}
            old = endpoint.rotation_status
            change_rotation(endpoint, status, actor=RotationActor.BENCHMARK_RULE, reason=reason,
                            figures=figures)
            changes.append((endpoint, old, str(status)))
            _tell_provider(endpoint, str(status), reason)
    return changes


def _tell_provider(endpoint: Endpoint, status: str, reason: str) -> None:
    if status == RotationStatus.BENCHMARK_HOLD:
        subject = f"{endpoint} taken out of rotation"
        body = (f"Your endpoint {endpoint} is outside the acceptable benchmark range and is out "
                f"of rotation until a run in range arrives.\n\n{reason}\n")
    else:
        subject = f"{endpoint} back in rotation"
        body = f"Your endpoint {endpoint} is back in range and in rotation.\n\n{reason}\n"
    notify_provider_on_commit(endpoint.provider, subject, body)
