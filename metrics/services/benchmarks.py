"""Benchmark runs (API.md POST /benchmark-runs/, METHODOLOGY §6).

Storing runs re-evaluates, in the same request, the rotation of every endpoint of
the models concerned (metrics/services/rotation.py): a new median can move them all.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from metrics.choices import IngestKind
from metrics.events import BatchResult, BenchmarkRunItem, parse_benchmark_run
from metrics.models import Benchmark, BenchmarkRun, IngestBatch
from metrics.public_cache import bump
from metrics.services.rotation import evaluate_rotation
from providers.models import Endpoint
from providers.services.endpoints import EndpointResolver


@dataclass(frozen=True)
class BenchmarkDefaults:
    name: str = ""
    unit: str = "%"
    higher_is_better: bool = True
    tolerance: float | None = None
    description: str = ""
    link: str = ""
    item_count: int | None = None


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
                    "item_count": spec.item_count,
                },
            )
    return found


def ingest_benchmark_runs(
    items: list, *, source: str, id_scope: str = "cli", publish: bool = False,
    may_publish: bool = False, now: datetime | None = None,
) -> BatchResult:
    """The API batch: parse, store new runs, then re-evaluate rotation.

    An item's `"published": true` is honoured only when `may_publish` (an admin token):
    results go to the provider privately first. `id_scope` names the sender (its API key)
    whose ids are idempotency keys (METHODOLOGY §9).
    """
    now = now or timezone.now()
    result = BatchResult()
    parsed: list[tuple[int, BenchmarkRunItem]] = result.sift(
        items, enumerate(items), lambda _, item: parse_benchmark_run(item, now))
    resolver = EndpointResolver((run.model, run.provider) for _, run in parsed)
    ready = [pair for _, pair in result.sift(items, parsed, lambda _, run: (
        run, resolver.resolve(run.model, run.provider, run.quantization)))]
    published = {
        run.id for index, run in parsed
        if publish or (may_publish and isinstance(items[index], dict)
                       and items[index].get("published") is True)
    }
    index_of = {run.id: index for index, run in reversed(parsed)}
    store_runs(ready, result, source=source, id_scope=id_scope, published_ids=published,
               now=now, index_of=index_of)
    return result


@transaction.atomic
def store_runs(
    ready: list[tuple[BenchmarkRunItem, Endpoint]],
    result: BatchResult,
    *,
    source: str,
    id_scope: str = "cli",
    published_ids: set[str] = frozenset(),
    specs: dict[str, BenchmarkDefaults] | None = None,
    now: datetime | None = None,
    index_of: dict[str, int] | None = None,
) -> list:
    """Stores new runs (an id this sender stored before is a duplicate) and re-evaluates
    rotation. Every run counted as accepted is stored: nothing is silently dropped."""
    now = now or timezone.now()
    specs = dict(specs or {})
    for run, _ in ready:
        specs.setdefault(run.benchmark, BenchmarkDefaults())
    benchmarks = ensure_benchmarks(specs)
    # Runs stored before ids were scoped (scope "") still count as seen for every sender.
    existing = set(
        BenchmarkRun.objects.filter(external_id__in=[r.id for r, _ in ready],
                                    id_scope__in={id_scope, ""})
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
            id_scope=id_scope, external_id=run.id, endpoint=endpoint, benchmark=benchmarks[run.benchmark],
            score=run.score, stderr=run.stderr, samples=run.samples, source=run.source,
            run_at=run.run_at, detail=run.detail,
            published_at=now if run.id in published_ids else None,
        ))
    new = _insert_runs(new, result, index_of or {})
    # Published runs show at once (bulk inserts send no signal); rotation changes bump too.
    bump({run.endpoint.model_id for run in new if run.published_at is not None})
    IngestBatch.objects.create(
        kind=IngestKind.BENCHMARK_RUNS, source=source[:128], accepted=result.accepted,
        duplicates=result.duplicates, rejected=len(result.rejected),
    )
    return evaluate_rotation({run.endpoint.model_id for run in new}, triggered_by=new,
                             sender=source)


def _insert_runs(new: list[BenchmarkRun], result: BatchResult,
                 index_of: dict[str, int]) -> list[BenchmarkRun]:
    """Inserts the runs; returns those stored.

    No `ignore_conflicts`: on SQLite that is INSERT OR IGNORE, which also swallows CHECK
    failures and so loses runs answered as accepted. A conflict (a concurrent batch stored
    the same id) falls back to one insert per run, each a duplicate, stored, or rejected
    with its reason.
    """
    try:
        with transaction.atomic():
            BenchmarkRun.objects.bulk_create(new)
        return new
    except IntegrityError:
        pass
    stored = []
    for run in new:
        try:
            with transaction.atomic():
                run.pk = None
                run.save(force_insert=True)
            stored.append(run)
            continue
        except IntegrityError as exc:
            error = exc
        result.accepted -= 1
        if BenchmarkRun.objects.filter(id_scope=run.id_scope,
                                       external_id=run.external_id).exists():
            result.duplicates += 1
        else:
            result.rejected.append({"index": index_of.get(run.external_id),
                                    "id": run.external_id,
                                    "error": f"could not be stored: {str(error)[:200]}"})
    return stored
