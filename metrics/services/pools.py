"""Exacto pool recompute (METHODOLOGY §7): figures → pure rules → snapshot, verdicts, diff.

A recompute locks the model's row, so concurrent recomputes (beat, admin, command)
queue up instead of writing two snapshots with the same sequence.
"""

import dataclasses
import hashlib
import json
from datetime import date, datetime
from typing import NamedTuple

import msgspec
from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from metrics.choices import OverrideAction
from metrics.models import PoolChange, PoolOverride, PoolSnapshot, PoolVerdict
from metrics.pools import (
    EndpointFigures,
    PoolResult,
    PoolSettings,
    diff_pools,
    judge_pool,
    verdict_to_dict,
)
from metrics.public_cache import bump
from metrics.selectors.ignores import ignore_rates, ignore_rates_of_models
from metrics.selectors.speed_stats import endpoint_performance
from metrics.selectors.toolcall_stats import endpoint_stats
from providers.choices import ApprovalStatus, RotationStatus
from providers.models import Endpoint, LLMModel
from providers.visibility import Viewer


def pool_settings() -> PoolSettings:
    return PoolSettings(
        min_calls=settings.EXACTO_POOL_MIN_CALLS,
        min_propensity_requests=settings.EXACTO_POOL_MIN_PROPENSITY_REQUESTS,
        accuracy_margin=settings.EXACTO_POOL_ACCURACY_MARGIN,
        propensity_k=settings.EXACTO_POOL_PROPENSITY_MAD_K,
        propensity_min_halfwidth=settings.EXACTO_POOL_PROPENSITY_MIN_HALFWIDTH,
        ignore_median_factor=settings.EXACTO_POOL_IGNORE_MEDIAN_FACTOR,
        ignore_floor=settings.EXACTO_POOL_IGNORE_FLOOR,
        min_status_requests=settings.EXACTO_POOL_MIN_STATUS_REQUESTS,
        min_uptime_upper=settings.EXACTO_POOL_MIN_UPTIME,
        throughput_margin=settings.EXACTO_POOL_THROUGHPUT_MARGIN,
    )


class EndpointRow(NamedTuple):
    """What a recompute reads of an endpoint: plain values, not model instances (a full
    recompute reads 10,000s of endpoints, and building instances cost more than the rules).
    Selectors and Viewer read the same attribute names off it as off an Endpoint."""

    pk: int
    model_id: int
    provider_id: int
    provider_slug: str
    quantization: str
    rotation_status: str
    is_reference: bool
    published_until: date | None

    @property
    def in_rotation(self) -> bool:
        return self.rotation_status == RotationStatus.ACTIVE


def endpoint_rows(queryset) -> list[EndpointRow]:
    fields = ("pk", "model_id", "provider_id", "provider__slug", "quantization",
              "rotation_status", "is_reference", "published_until")
    return [EndpointRow._make(row) for row in queryset.values_list(*fields)]


def _provider_slug(endpoint) -> str:
    return endpoint.provider_slug if isinstance(endpoint, EndpointRow) else endpoint.provider.slug


def model_figures(
    model: LLMModel, endpoints: list[Endpoint | EndpointRow], today=None, *, stats=None,
    overrides=None,
    ignores=None, speed=None,
) -> list[EndpointFigures]:
    """Plain figures of every endpoint: all data, published or not (pools route traffic now).

    `stats`, `overrides`, `ignores` and `speed` may be preloaded for many models at once;
    those of the public view give the published judgement (published_pools).
    """
    if stats is None:
        stats = endpoint_stats(endpoints, Viewer.everything(), today=today, buckets=False)
    if speed is None:
        speed = endpoint_performance(endpoints, Viewer.everything(), today=today)
    if ignores is None:
        windows = {e.pk: (stats[e.pk].window_start, stats[e.pk].window_end) for e in endpoints}
        ignores = ignore_rates(model, endpoints, windows)
    if overrides is None:
        overrides = {o.endpoint_id: o
                     for o in PoolOverride.objects.filter(endpoint__in=endpoints)}
    figures = []
    for endpoint in endpoints:
        capped = stats[endpoint.pk].total.capped
        override = overrides.get(endpoint.pk)
        figures.append(EndpointFigures(
            key=str(endpoint.pk), provider=_provider_slug(endpoint),
            quantization=endpoint.quantization, in_rotation=endpoint.in_rotation,
            rotation_status=endpoint.rotation_status, is_reference=endpoint.is_reference,
            calls=capped["calls"], correct=capped["valid"] + capped["unchecked"],
            propensity_requests=capped["propensity_requests"],
            propensity_with_calls=capped["propensity_requests_with_calls"],
            ignore_rate=ignores[endpoint.pk]["ignore_rate"],
            override=OverrideAction(override.action) if override else None,
            override_reason=override.reason if override else "",
            status_requests=speed[endpoint.pk]["requests"],
            ok_requests=speed[endpoint.pk]["ok"],
            throughput_p50=speed[endpoint.pk]["throughput_tps_p50"],
        ))
    return figures


def _shared_figures(result: PoolResult, figures: list[EndpointFigures]) -> dict:
    band = result.propensity_range
    return {
        "best_lower_bound": result.best_lower_bound,
        "best_endpoint": result.best_endpoint,
        "propensity_range": dataclasses.asdict(band) if band else None,
        "ignore_threshold": result.ignore_threshold,
        "pool": list(result.pool),
        # Whose figures each shared threshold rests on (METHODOLOGY §8): a provider sees a
        # threshold's value only when all of them are its own endpoints.
        "sources": {
            "accuracy": [result.best_endpoint] if result.best_endpoint else [],
            "propensity": list(result.propensity_sources) if band else [],
            "ignores": [f.key for f in figures if f.ignore_rate is not None],
        },
    }


def recompute_model(
    model: LLMModel, *, trigger: str, now: datetime | None = None, today=None,
    stats=None, overrides=None, speed=None,
) -> PoolSnapshot:
    return recompute_models([model], trigger=trigger, now=now, today=today, stats=stats,
                            overrides=overrides, speed=speed)[0]


def recompute_models(
    models: list[LLMModel], *, trigger: str, now: datetime | None = None, today=None,
    stats=None, overrides=None, speed=None,
) -> list[PoolSnapshot]:
    """Recomputes these models in one transaction and a fixed number of statements,
    whatever their number: figures, ignores, overrides and previous snapshots are read for
    all of them at once, and all snapshots are written at once.

    `stats`, `speed` and `overrides` may be preloaded (recompute_all); otherwise the figures
    are read before the transaction, so the row locks are held only for the decisions and
    writes.
    """
    if stats is None or speed is None:
        endpoints = endpoint_rows(Endpoint.objects.filter(model__in=models).approved()
                                  .order_by("pk"))
        if stats is None:
            stats = endpoint_stats(endpoints, Viewer.everything(), today=today, buckets=False)
        if speed is None:
            speed = endpoint_performance(endpoints, Viewer.everything(), today=today)
    return _recompute_locked(models, trigger=trigger, now=now or timezone.now(), today=today,
                             stats=stats, overrides=overrides, speed=speed)


@transaction.atomic
def _recompute_locked(models, *, trigger, now, today, stats, overrides, speed
                      ) -> list[PoolSnapshot]:
    ids = sorted({m.pk for m in models})
    # Bumping the models' public versions first takes their row locks, which serialises
    # recomputes of a model across workers (PostgreSQL); SQLite's single writer (IMMEDIATE
    # transactions) does the same there. Every recompute changes what public readers see,
    # if only its time (API.md 1.1 `computed_at`).
    bump(ids)
    # Pending models and providers are neither judged nor shape the model's figures (§9).
    endpoints = endpoint_rows(Endpoint.objects.filter(model_id__in=ids).approved()
                              .order_by("pk"))
    missing = [e for e in endpoints if e.pk not in stats]
    if missing:  # registered since the figures were read
        stats = {**stats, **endpoint_stats(missing, Viewer.everything(), today=today, buckets=False)}
    missing = [e for e in endpoints if e.pk not in speed]
    if missing:
        speed = {**speed, **endpoint_performance(missing, Viewer.everything(), today=today)}
    by_model: dict[int, list[EndpointRow]] = {pk: [] for pk in ids}
    for endpoint in endpoints:
        by_model[endpoint.model_id].append(endpoint)
    windows = {e.pk: (stats[e.pk].window_start, stats[e.pk].window_end) for e in endpoints}
    ignores = ignore_rates_of_models(by_model, windows)
    if overrides is None:
        overrides = {o.endpoint_id: o
                     for o in PoolOverride.objects.filter(endpoint__model_id__in=ids)}
    rules = pool_settings()
    results = {}
    for model in models:
        figures = model_figures(model, by_model[model.pk], stats=stats, overrides=overrides,
                                ignores=ignores, speed=speed)
        results[model.pk] = (judge_pool(figures, rules), figures)
    written = write_snapshots(models, results, by_model, trigger=trigger, now=now)
    return [written[m.pk] for m in models]


# Previous verdicts are read only for the diff (§7 history), and only these fields.
VERDICT_FIELDS = ("endpoint_id", "member", "failed", "forced")
SNAPSHOT_FIELDS = ("pk", "model_id", "sequence", "computed_at", "checked_at", "trigger",
                   "fallback", "figures", "digest")


def _verdict_rows(result: PoolResult) -> list[dict]:
    position = {key: i for i, key in enumerate(result.pool)}
    return [
        {"endpoint_id": int(v.key), "tier": v.tier.value, "member": v.member,
         "position": position.get(v.key), "forced": v.forced.value if v.forced else "",
         "failed": [r.value for r in v.failed], "detail": verdict_to_dict(v),
         "accuracy_lower": v.accuracy_ci95[0] if v.accuracy_ci95 else None}
        for v in sorted(result.verdicts, key=lambda v: int(v.key))
    ]


def _json(value) -> str:
    """Sorted-key JSON text. msgspec writes it in a tenth of json.dumps' time; numbers
    differ in spelling only (1e-05 is 0.00001 there), which PostgreSQL's jsonb stores alike."""
    return _ENCODER.encode(value).decode()


_ENCODER = msgspec.json.Encoder(order="sorted")
# Digests of the msgspec text carry this prefix (and 62 hex digits, to fit the column);
# those stored before it, without one, are of json.dumps' text (_legacy_digest).
DIGEST_VERSION = "2:"


def _digest(fallback: bool, shared: dict, rows_json: str) -> str:
    """sha256 of the JSON of [fallback, shared, rows] (rows already serialised: the same
    text is sent to PostgreSQL, so the verdicts are encoded once)."""
    text = f"[{_json(fallback)},{_json(shared)},{rows_json}]"
    return DIGEST_VERSION + hashlib.sha256(text.encode()).hexdigest()[:62]


def _legacy_digest(fallback: bool, shared: dict, rows: list[dict]) -> str:
    """The digest as stored before DIGEST_VERSION: of json.dumps' text."""
    text = json.dumps([fallback, shared, rows], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _unchanged(before: PoolSnapshot | None, digest: str, fallback: bool, shared: dict,
               rows: list[dict]) -> bool:
    if before is None:
        return False
    if before.digest.startswith(DIGEST_VERSION):
        return before.digest == digest
    return before.digest == _legacy_digest(fallback, shared, rows)


def _previous(model_ids: list[int]) -> dict[int, PoolSnapshot]:
    """Each model's latest snapshot (its verdicts are read later, only for a diff)."""
    of_models = PoolSnapshot.objects.filter(model_id__in=model_ids)
    if connection.vendor == "postgresql":
        latest = of_models.order_by("model_id", "-sequence").distinct("model_id")
    else:
        newest = (PoolSnapshot.objects.filter(model_id=OuterRef("model_id"))
                  .order_by("-sequence").values("sequence")[:1])
        latest = of_models.filter(sequence=Subquery(newest))
    previous = {}
    for snapshot in latest.only(*(f for f in SNAPSHOT_FIELDS if f != "pk")):
        previous[snapshot.model_id] = snapshot
    return previous


def _previous_states(snapshot_ids: list[int]) -> dict[int, dict[str, dict]]:
    """The diff's view of earlier verdicts: {snapshot id: {endpoint key: state}}."""
    states: dict[int, dict[str, dict]] = {pk: {} for pk in snapshot_ids}
    # No ordering: PoolVerdict's default one joins and sorts by the snapshots, for nothing.
    rows = PoolVerdict.objects.filter(snapshot_id__in=snapshot_ids).order_by().values_list(
        "snapshot_id", *VERDICT_FIELDS)
    for snapshot_id, endpoint_id, member, failed, forced in rows:
        # Without the stored flag, diff_pools infers a fallback member from its failures.
        states[snapshot_id][str(endpoint_id)] = {
            "member": member, "failed": failed, "forced": forced or None}
    return states


def write_snapshots(
    models: list[LLMModel], results: dict[int, tuple[PoolResult, list[EndpointFigures]]],
    endpoints: dict[int, list[EndpointRow]], *, trigger: str, now: datetime,
) -> dict[int, PoolSnapshot]:
    """Stores the results in O(1) statements: one UPDATE for the models whose verdicts did
    not change since their previous snapshot (same digest: its `checked_at` moves), and one
    statement for all new snapshots with their verdicts and changes on PostgreSQL (three
    elsewhere), after one read of the previous snapshots and one of their verdicts."""
    previous = _previous([m.pk for m in models])
    written: dict[int, PoolSnapshot] = {}
    pending, legacy = [], []
    for model in models:
        result, figures = results[model.pk]
        rows = _verdict_rows(result)
        rows_json = _json(rows)
        shared = _shared_figures(result, figures)
        digest = _digest(result.fallback, shared, rows_json)
        before = previous.get(model.pk)
        if _unchanged(before, digest, result.fallback, shared, rows):
            before.checked_at = now
            if before.digest != digest:  # stored before DIGEST_VERSION: now in its form
                before.digest = digest
                legacy.append(before)
            written[model.pk] = before
            continue
        snapshot = PoolSnapshot(
            model=model, sequence=(before.sequence + 1) if before else 1, computed_at=now,
            checked_at=now, trigger=trigger, fallback=result.fallback, figures=shared,
            digest=digest,
        )
        written[model.pk] = snapshot
        pending.append((model, result, before, snapshot, rows, rows_json))
    unchanged = [s.pk for s in written.values() if s.pk is not None]
    if unchanged:
        PoolSnapshot.objects.filter(pk__in=unchanged).update(checked_at=now)
    if legacy:  # once per snapshot, the first recompute after the change of form
        PoolSnapshot.objects.bulk_update(legacy, ["digest"])
    states = _previous_states([b.pk for _, _, b, _, _, _ in pending if b is not None])
    new = []
    for model, result, before, snapshot, rows, rows_json in pending:
        endpoint_ids = {e.pk for e in endpoints[model.pk]}
        changes = [
            {"endpoint_id": int(c.key), "change": c.change, "rules": list(c.rules),
             "reason": c.reason}
            for c in diff_pools(states[before.pk] if before else None, result)
            if int(c.key) in endpoint_ids
        ]
        new.append((snapshot, rows, changes, rows_json))
    if new and connection.vendor == "postgresql":
        _insert_snapshots_pg(new)
    elif new:  # bulk_create returns the new ids here too (RETURNING)
        PoolSnapshot.objects.bulk_create([snapshot for snapshot, _, _, _ in new])
        PoolVerdict.objects.bulk_create([PoolVerdict(snapshot=snapshot, **r)
                                         for snapshot, rows, _, _ in new for r in rows])
        PoolChange.objects.bulk_create([PoolChange(snapshot=snapshot, **c)
                                        for snapshot, _, changes, _ in new for c in changes])
    return written


def _insert_snapshots_pg(new: list[tuple[PoolSnapshot, list[dict], list[dict], str]]) -> None:
    """Snapshots, verdicts and changes in one statement; the rows travel as three JSON
    parameters that PostgreSQL unpacks (no per-value quoting on the client). Verdicts go
    as each model's rows JSON already made for its digest."""
    s, v, c = (m._meta.db_table for m in (PoolSnapshot, PoolVerdict, PoolChange))
    first = new[0][0]
    snapshots = [{"model_id": snap.model_id, "sequence": snap.sequence,
                  "fallback": snap.fallback, "figures": snap.figures, "digest": snap.digest}
                 for snap, _, _, _ in new]
    verdicts = "[" + ",".join(f'{{"model_id":{int(snap.model_id)},"rows":{rows_json}}}'
                              for snap, _, _, rows_json in new) + "]"
    changes = [{"model_id": snap.model_id, **row} for snap, _, rows, _ in new for row in rows]
    with _server_binding_cursor() as cursor:
        cursor.execute(
            f"""WITH s AS (
                INSERT INTO {s} (model_id, sequence, computed_at, checked_at, trigger,
                                 fallback, figures, digest)
                SELECT r.model_id, r.sequence, %s, %s, %s, r.fallback, r.figures, r.digest
                FROM jsonb_to_recordset(%s::jsonb) AS r(
                    model_id bigint, sequence integer, fallback boolean, figures jsonb,
                    digest text)
                RETURNING id, model_id),
            v AS (
                INSERT INTO {v} (snapshot_id, endpoint_id, tier, member, position, forced,
                                 failed, detail, accuracy_lower)
                SELECT s.id, r.endpoint_id, r.tier, r.member, r.position, r.forced,
                       r.failed, r.detail, r.accuracy_lower
                FROM jsonb_to_recordset(%s::jsonb) AS m(model_id bigint, rows jsonb)
                CROSS JOIN LATERAL jsonb_to_recordset(m.rows) AS r(
                    endpoint_id bigint, tier text, member boolean,
                    position integer, forced text, failed jsonb, detail jsonb,
                    accuracy_lower double precision)
                JOIN s ON s.model_id = m.model_id),
            c AS (
                INSERT INTO {c} (snapshot_id, endpoint_id, change, rules, reason)
                SELECT s.id, r.endpoint_id, r.change, r.rules, r.reason
                FROM jsonb_to_recordset(%s::jsonb) AS r(
                    model_id bigint, endpoint_id bigint, change text, rules jsonb,
                    reason text)
                JOIN s ON s.model_id = r.model_id)
            SELECT id, model_id FROM s""",  # noqa: S608 - our own table names
            [first.computed_at, first.checked_at, first.trigger, _json(snapshots),
             verdicts, _json(changes)],
        )
        ids = dict((model_id, pk) for pk, model_id in cursor.fetchall())
    for snapshot, _, _, _ in new:
        snapshot.pk = ids[snapshot.model_id]
        snapshot._state.adding, snapshot._state.db = False, "default"


def _server_binding_cursor():
    """A cursor that sends its parameters apart from the statement (psycopg's server-side
    binding) instead of quoting them into its text, as Django's default cursor does: the
    verdicts are megabytes of JSON, which would be escaped here and lexed there as one
    string literal (a third of the statement's time). Wrapped as Django wraps its own
    cursors, so query logging and execute_wrapper still see the statement."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    return connection._prepare_cursor(ServerBindingCursor(connection.connection))


# Models per transaction in recompute_all: short transactions, few statements.
RECOMPUTE_CHUNK = 100


def recompute_all(*, trigger: str, progress=None) -> list[PoolSnapshot]:
    """Every model; figures of all endpoints are read in one query up front, then models
    are recomputed RECOMPUTE_CHUNK at a time."""
    # Pending ones are never judged (§9).
    endpoints = endpoint_rows(Endpoint.objects.approved().order_by("pk"))
    stats = endpoint_stats(endpoints, Viewer.everything(), buckets=False)
    speed = endpoint_performance(endpoints, Viewer.everything())
    overrides = {o.endpoint_id: o for o in PoolOverride.objects.all()}
    models = list(LLMModel.objects.filter(status=ApprovalStatus.APPROVED).order_by("slug"))
    snapshots = []
    for start in range(0, len(models), RECOMPUTE_CHUNK):
        chunk = models[start:start + RECOMPUTE_CHUNK]
        snapshots.extend(recompute_models(chunk, trigger=trigger, stats=stats,
                                          overrides=overrides, speed=speed))
        if progress is not None:
            progress.update(len(chunk))
    return snapshots
