"""Rotation: the one way in for every change of an endpoint's rotation (METHODOLOGY §6, §9).

The benchmark range rule (metrics/rotation_rules.py, pure) is driven by benchmark runs, so
its service lives here beside them. Three things move an endpoint's rotation, and each
has one function: new runs, an approval or a new reference re-apply the rule
(`evaluate_rotation`, `set_reference`); an admin removes or restores (`set_rotation`).
Every change is written by `_change` with its audit record (RotationEvent); nothing else
writes `Endpoint.rotation_status` (docs/decisions.md).
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from metrics.choices import RotationActor
from metrics.models import BenchmarkRun, RotationEvent
from metrics.rotation_rules import RangeVerdict, RunFigure, next_status, range_check, reference_for
from metrics.selectors.disclosure import provider_reason
from providers.choices import RotationStatus
from providers.models import Endpoint
from providers.services.notify import notify_provider_on_commit


class RotationReasonRequired(ValueError):
    pass


@transaction.atomic
def _change(endpoint: Endpoint, new_status: str, *, actor: str, reason: str, user=None,
            figures: dict | None = None, source: str = "") -> bool:
    """Sets an endpoint's rotation status with an audit record. Returns True if it changed.

    The record names its source (METHODOLOGY §9): the admin user, the API key, or the rule
    and the run that triggered it."""
    if user is not None:
        who = f"user:{user.get_username()}"
        source = f"{who} ({source})" if source else who
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.rotation_status == new_status:
        return False
    RotationEvent.objects.create(
        endpoint=endpoint, old_status=endpoint.rotation_status, new_status=new_status,
        actor=actor, user=user, reason=reason, figures=figures or {}, source=source,
    )
    endpoint.rotation_status = new_status
    endpoint.rotation_reason = reason
    endpoint.rotation_changed_at = timezone.now()
    endpoint.save(update_fields=["rotation_status", "rotation_reason", "rotation_changed_at"])
    return True


def set_rotation(endpoint: Endpoint, status: str, reason: str, *, user=None,
                 source: str = "admin site") -> bool:
    """An admin removes an endpoint or restores it, with a reason (audited). Back in
    rotation, the range rule applies again at once: a restore lifts the admin's removal,
    not a benchmark hold. Returns True if the admin's change was made."""
    if not reason or not reason.strip():
        raise RotationReasonRequired("A reason is required to change rotation.")
    if status not in RotationStatus.values:
        raise ValueError(f"Unknown rotation status {status!r}.")
    changed = _change(endpoint, status, actor=RotationActor.ADMIN, reason=reason.strip(),
                      user=user, source=source)
    if status == RotationStatus.ACTIVE:
        who = f"user:{user.get_username()}" if user is not None else source
        evaluate_rotation([endpoint.model_id], cause=f"a restore by {who}")
    return changed


@transaction.atomic
def set_reference(endpoint: Endpoint, *, sender: str = "") -> bool:
    """Makes `endpoint` its model's reference (API.md 1.1: admins only, callers check).

    The reference is what every endpoint of the model is judged against (§6), so the rule is
    re-applied at once. Returns True if the reference changed; `endpoint` is refreshed."""
    if endpoint.is_reference:
        return False
    # Locks the model's endpoints in id order, as the rule and ingestion do.
    list(Endpoint.objects.select_for_update().filter(model_id=endpoint.model_id).order_by("pk")
         .values_list("pk", flat=True))
    Endpoint.objects.filter(model_id=endpoint.model_id, is_reference=True).update(
        is_reference=False)
    Endpoint.objects.filter(pk=endpoint.pk).update(is_reference=True)
    evaluate_rotation([endpoint.model_id], sender=sender,
                      cause=f"a new reference ({endpoint.provider.slug})")
    endpoint.refresh_from_db()
    return True


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
            _change(endpoint, status, actor=RotationActor.BENCHMARK_RULE, reason=reason,
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
