"""Benchmark runs and the rotation they decide (API.md POST /benchmark-runs/, METHODOLOGY §6).

Storing runs re-evaluates, in the same request, the rotation of every endpoint of
the models concerned: a new reference or median can move them all.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from metrics.choices import IngestKind
from metrics.events import BatchResult, BenchmarkRunItem, parse_benchmark_run
from metrics.models import Benchmark, BenchmarkRun, IngestBatch
from metrics.public_cache import bump
from metrics.selectors.disclosure import provider_reason
from providers.choices import RotationActor, RotationStatus
from providers.models import Endpoint
from providers.rotation_rules import (
    RangeVerdict,
    RunFigure,
    next_status,
    range_check,
    reference_for,
)
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


def run_figure(run: BenchmarkRun, is_reference: bool = False) -> RunFigure:
    """The figures of a stored run the range rule needs, with the benchmark's item count
    for the §6 standard error (``run.benchmark`` must be loaded)."""
    return RunFigure(endpoint=str(run.endpoint_id), score=run.score, stderr=run.stderr,
                     run_at=run.run_at, is_reference=is_reference, samples=run.samples,
                     items=run.benchmark.item_count)


def range_verdicts(model_id: int, endpoints: Iterable[Endpoint]
                   ) -> dict[int, list[tuple[RangeVerdict, list[int]]]]:
    """Every endpoint's range verdict on every benchmark of the model (§6), each with the
    ids of the runs its reference rests on (the reference run, or the runs of the median).

    Only approved endpoints shape the reference or the median (METHODOLOGY §9): a pending
    provider's runs are judged, never the yardstick."""
    endpoints = list(endpoints)
    reference_ids = {e.pk for e in endpoints if e.is_reference and e.approved}
    approved = {e.pk for e in endpoints if e.approved}
    verdicts: dict[int, list] = defaultdict(list)
    for runs in latest_runs(model_id).values():
        benchmark = next(iter(runs.values())).benchmark
        figures = {endpoint_id: run_figure(run, endpoint_id in reference_ids)
                   for endpoint_id, run in runs.items()}
        yardstick = [figures[e] for e in figures if e in approved]
        reference = reference_for(yardstick)
        if reference is None:
            continue
        basis = ([runs[int(reference.endpoint)].pk] if reference.endpoint is not None
                 else sorted(runs[int(f.endpoint)].pk for f in yardstick))
        for figure in figures.values():
            verdicts[int(figure.endpoint)].append((range_check(
                figure, reference, tolerance=benchmark.tolerance,
                higher_is_better=benchmark.higher_is_better, benchmark=benchmark.slug,
            ), basis))
    return verdicts


def evaluate_rotation(model_ids: Iterable[int], *, triggered_by: Iterable[BenchmarkRun] = (),
                      sender: str = "", cause: str = "") -> list[tuple[Endpoint, str, str]]:
    """Applies the range rule to every endpoint of the models; returns the changes made.

    Each change is audited with its source (METHODOLOGY §9): the rule, the runs that
    triggered it and who sent them (`triggered_by`, `sender`), or the admin action that
    re-applied the rule (`cause`)."""
    runs_by_model: dict[int, list[BenchmarkRun]] = defaultdict(list)
    for run in triggered_by:
        runs_by_model[run.endpoint.model_id].append(run)
    changes = []
    for model_id in sorted(set(model_ids)):
        # Endpoint order: rotation rows are locked in id order, as ingestion locks them.
        endpoints = list(Endpoint.objects.filter(model_id=model_id).select_related(
            "provider", "model").order_by("pk"))
        verdicts = range_verdicts(model_id, endpoints)
        trigger_ids = [run.external_id for run in runs_by_model.get(model_id, [])]
        source = _rule_source(trigger_ids, sender, cause)
        for endpoint in endpoints:
            mine = verdicts.get(endpoint.pk, [])
            status, reason = next_status(RotationStatus(endpoint.rotation_status),
                                         [v for v, _ in mine])
            if status == endpoint.rotation_status:
                continue
            rows = [
                {"benchmark": v.benchmark, "in_range": v.in_range, "score": v.score,
                 "reference": v.reference, "threshold": v.threshold, "kind": v.kind,
                 "basis_runs": basis, "reason": v.reason}
                for v, basis in mine
            ]
            figures = {"verdicts": rows, "trigger_runs": trigger_ids, "sender": sender}
            old = endpoint.rotation_status
            change_rotation(endpoint, status, actor=RotationActor.BENCHMARK_RULE, reason=reason,
                            figures=figures, source=source)
            changes.append((endpoint, old, str(status)))
            _tell_provider(endpoint, str(status), rows)
    return changes


def _rule_source(run_ids: list[str], sender: str, cause: str) -> str:
    source = "rule:benchmark_range"
    if run_ids:
        shown = ",".join(run_ids[:3]) + (f",+{len(run_ids) - 3}" if len(run_ids) > 3 else "")
        source += f" run:{shown}"
    if sender:
        source += f" from {sender}"
    if cause:
        source += f" after {cause}"
    return source[:160]


def _tell_provider(endpoint: Endpoint, status: str, verdicts: list[dict]) -> None:
    """Tells the provider privately, quoting a reference's value only where the provider may
    see it (METHODOLOGY §8: its own or published runs). `verdicts` are the audit's rows."""
    reason = provider_reason(endpoint.provider_id, status, verdicts)
    if status == RotationStatus.BENCHMARK_HOLD:
        subject = f"{endpoint} taken out of rotation"
        body = (f"Your endpoint {endpoint} is outside the acceptable benchmark range and is out "
                f"of rotation until a run in range arrives.\n\n{reason}\n")
    else:
        subject = f"{endpoint} back in rotation"
        body = f"Your endpoint {endpoint} is back in range and in rotation.\n\n{reason}\n"
    notify_provider_on_commit(endpoint.provider, subject, body)
