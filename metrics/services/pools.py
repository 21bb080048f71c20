"""Exacto pool recompute (METHODOLOGY §7): figures → pure rules → snapshot, verdicts, diff.

A recompute locks the model's row, so concurrent recomputes (beat, admin, command)
queue up instead of writing two snapshots with the same sequence.
"""

import dataclasses
import json
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Subquery
from django.utils import timezone

from metrics.models import PoolChange, PoolOverride, PoolSnapshot, PoolVerdict
from metrics.pools import (
    EndpointFigures,
    Override,
    PoolResult,
    PoolSettings,
    diff_pools,
    judge_pool,
    verdict_to_dict,
)
from metrics.public_cache import bump
from metrics.selectors.ignores import ignore_rates
from metrics.selectors.toolcall_stats import endpoint_stats
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
    )


def model_figures(
    model: LLMModel, endpoints: list[Endpoint], today=None, *, stats=None, overrides=None
) -> list[EndpointFigures]:
    """Plain figures of every endpoint: all data, published or not (pools route traffic now).

    `stats` and `overrides` may be preloaded for many models at once (recompute_all).
    """
    if stats is None:
        stats = endpoint_stats(endpoints, Viewer.everything(), today=today)
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
            key=str(endpoint.pk), provider=endpoint.provider.slug,
            quantization=endpoint.quantization, in_rotation=endpoint.in_rotation,
            rotation_status=endpoint.rotation_status, is_reference=endpoint.is_reference,
            calls=capped["calls"], correct=capped["valid"] + capped["unchecked"],
            propensity_requests=capped["propensity_requests"],
            propensity_with_calls=capped["propensity_requests_with_calls"],
            ignore_rate=ignores[endpoint.pk]["ignore_rate"],
            override=Override(override.action) if override else None,
            override_reason=override.reason if override else "",
        ))
    return figures


def _shared_figures(result: PoolResult) -> dict:
    band = result.propensity_range
    return {
        "best_lower_bound": result.best_lower_bound,
        "best_endpoint": result.best_endpoint,
        "propensity_range": dataclasses.asdict(band) if band else None,
        "ignore_threshold": result.ignore_threshold,
        "pool": list(result.pool),
    }


@transaction.atomic
def recompute_model(
    model: LLMModel, *, trigger: str, now: datetime | None = None, today=None,
    stats=None, overrides=None,
) -> PoolSnapshot:
    now = now or timezone.now()
    # Bumping the model's public version first takes its row lock, which serialises
    # recomputes of one model across workers (PostgreSQL); SQLite's single writer
    # (IMMEDIATE transactions) does the same there. Every recompute changes what public
    # readers see, if only its time (API.md 1.1 `computed_at`).
    bump([model.pk])
    endpoints = list(Endpoint.objects.filter(model=model).select_related("provider"))
    if stats is not None and any(e.pk not in stats for e in endpoints):
        stats = None  # an endpoint registered since the preload: measure afresh
    figures = model_figures(model, endpoints, today=today, stats=stats, overrides=overrides)
    result = judge_pool(figures, pool_settings())
    return write_snapshot(model, result, {e.pk for e in endpoints}, trigger=trigger, now=now)


def _verdict_rows(result: PoolResult) -> list[dict]:
    """The verdict rows as stored (JSON round trip: tuples become lists, as read back)."""
    position = {key: i for i, key in enumerate(result.pool)}
    rows = [
        {"endpoint_id": int(v.key), "tier": v.tier.value, "member": v.member,
         "position": position.get(v.key), "forced": v.forced.value if v.forced else "",
         "failed": [r.value for r in v.failed], "detail": verdict_to_dict(v),
         "accuracy_lower": v.accuracy_ci95[0] if v.accuracy_ci95 else None}
        for v in result.verdicts
    ]
    return json.loads(json.dumps(sorted(rows, key=lambda r: r["endpoint_id"])))


def _previous(model: LLMModel) -> tuple[PoolSnapshot | None, list[dict]]:
    """The latest snapshot and its verdict rows, in one query."""
    latest = PoolSnapshot.objects.filter(model=model).order_by("-sequence").values("pk")[:1]
    found = list(
        PoolSnapshot.objects.filter(pk=Subquery(latest)).values(
            "pk", "sequence", "computed_at", "checked_at", "trigger", "fallback", "figures",
            *(f"verdicts__{f}" for f in VERDICT_FIELDS))
        .order_by("verdicts__endpoint_id")
    )
    if not found:
        return None, []
    head = found[0]
    snapshot = PoolSnapshot(
        pk=head["pk"], model=model, sequence=head["sequence"],
        computed_at=head["computed_at"], checked_at=head["checked_at"],
        trigger=head["trigger"], fallback=head["fallback"], figures=head["figures"])
    snapshot._state.adding, snapshot._state.db = False, "default"
    rows = [{f: row[f"verdicts__{f}"] for f in VERDICT_FIELDS}
            for row in found if row["verdicts__endpoint_id"] is not None]
    return snapshot, rows


VERDICT_FIELDS = ("endpoint_id", "tier", "member", "position", "forced", "failed", "detail",
                  "accuracy_lower")


def write_snapshot(model: LLMModel, result: PoolResult, endpoint_ids: set[int], *,
                   trigger: str, now: datetime) -> PoolSnapshot:
    """Stores the result in O(1) statements: one UPDATE when nothing changed since the
    previous snapshot, else the snapshot, its verdicts and changes in one statement on
    PostgreSQL (three elsewhere)."""
    rows = _verdict_rows(result)
    shared = json.loads(json.dumps(_shared_figures(result)))
    previous, previous_rows = _previous(model)
    if (previous is not None and previous.fallback == result.fallback
            and previous.figures == shared and previous_rows == rows):
        PoolSnapshot.objects.filter(pk=previous.pk).update(checked_at=now)
        previous.checked_at = now
        return previous
    previous_state = None
    if previous is not None:
        previous_state = {
            str(r["endpoint_id"]): {"member": r["member"], "failed": r["failed"],
                                    "forced": r["forced"] or None,
                                    "fallback": r["detail"].get("fallback", False)}
            for r in previous_rows
        }
    changes = [
        {"endpoint_id": int(c.key), "change": c.change, "rules": list(c.rules),
         "reason": c.reason}
        for c in diff_pools(previous_state, result) if int(c.key) in endpoint_ids
    ]
    snapshot = PoolSnapshot(
        model=model, sequence=(previous.sequence + 1) if previous else 1, computed_at=now,
        checked_at=now, trigger=trigger, fallback=result.fallback, figures=shared,
    )
    if connection.vendor == "postgresql":
        _insert_snapshot_pg(snapshot, rows, changes)
    else:
        snapshot.save(force_insert=True)
        PoolVerdict.objects.bulk_create([PoolVerdict(snapshot=snapshot, **r) for r in rows])
        PoolChange.objects.bulk_create([PoolChange(snapshot=snapshot, **c) for c in changes])
    return snapshot


def _insert_snapshot_pg(snapshot: PoolSnapshot, rows: list[dict], changes: list[dict]) -> None:
    """Snapshot, verdicts and changes in one statement; the rows travel as two JSON
    parameters that PostgreSQL unpacks (no per-value quoting on the client)."""
    s, v, c = (m._meta.db_table for m in (PoolSnapshot, PoolVerdict, PoolChange))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH s AS (
                INSERT INTO {s} (model_id, sequence, computed_at, checked_at, trigger,
                                 fallback, figures)
                VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb) RETURNING id),
            v AS (
                INSERT INTO {v} (snapshot_id, endpoint_id, tier, member, position, forced,
                                 failed, detail, accuracy_lower)
                SELECT s.id, r.endpoint_id, r.tier, r.member, r.position, r.forced,
                       r.failed, r.detail, r.accuracy_lower
                FROM s, jsonb_to_recordset(%s::jsonb) AS r(
                    endpoint_id bigint, tier text, member boolean, position integer,
                    forced text, failed jsonb, detail jsonb, accuracy_lower double precision)),
            c AS (
                INSERT INTO {c} (snapshot_id, endpoint_id, change, rules, reason)
                SELECT s.id, r.endpoint_id, r.change, r.rules, r.reason
                FROM s, jsonb_to_recordset(%s::jsonb) AS r(
                    endpoint_id bigint, change text, rules jsonb, reason text))
            SELECT id FROM s""",  # noqa: S608 - our own table names
            [snapshot.model_id, snapshot.sequence, snapshot.computed_at, snapshot.checked_at,
             snapshot.trigger, snapshot.fallback, json.dumps(snapshot.figures),
             json.dumps(rows), json.dumps(changes)],
        )
        snapshot.pk = cursor.fetchone()[0]
    snapshot._state.adding, snapshot._state.db = False, "default"


def recompute_all(*, trigger: str, progress=None) -> list[PoolSnapshot]:
    """Every model; figures of all endpoints are read in one query up front."""
    endpoints = list(Endpoint.objects.all())
    stats = endpoint_stats(endpoints, Viewer.everything())
    overrides = {o.endpoint_id: o for o in PoolOverride.objects.all()}
    snapshots = []
    for model in LLMModel.objects.order_by("slug"):
        snapshots.append(recompute_model(model, trigger=trigger, stats=stats,
                                         overrides=overrides))
        if progress is not None:
            progress.update(1)
    return snapshots
