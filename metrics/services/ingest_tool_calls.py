"""Tool-call telemetry ingestion (API.md POST /tool-calls/, METHODOLOGY §1–§5).

One transaction per batch holds the idempotency keys, the rollup increments, the
per-user activity and the sampled failures, so a batch is either counted whole
or not at all, and a resent batch changes nothing.
"""

import re
import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from metrics.choices import FAILURE_OUTCOMES, IngestKind
from metrics.events import (
    BatchResult,
    ItemError,
    ToolCallEvent,
    parse_tool_call_event,
    strict_json_text,
)
from metrics.models import ROLLUP_COUNTS, FailureSample, IngestBatch
from metrics.schema_validation import ValidatorCache
from metrics.services.ingest_names import name_mapper
from metrics.services.speed_rollups import SpeedDeltas
from metrics.services.upserts import (
    claim_event_keys,
    increment_rollups,
    lock_publications,
    record_user_activity,
    refresh_day_totals,
)
from metrics.services.user_hash import hash_user
from metrics.toolcalls import RequestOutcome, WorkBoundExceeded, classify_exchange
from providers.services.endpoints import EndpointResolver

_cache: ValidatorCache | None = None
# NUL (PostgreSQL text cannot hold it) and lone surrogates (not encodable as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")



def validator_cache() -> ValidatorCache:
    global _cache
    if _cache is None:
        _cache = ValidatorCache(maxsize=settings.EXACTO_VALIDATOR_CACHE_SIZE)
    return _cache


def add_outcome(counts: dict, outcome: RequestOutcome) -> None:
    """Adds one classified request to rollup deltas keyed by bucket (§1, §2)."""
    request_row = counts[outcome.bucket]
    if outcome.offered_tools:
        request_row["requests_with_tools"] += 1
        request_row["errored_requests"] += outcome.errored
    if outcome.propensity_eligible:
        request_row["propensity_requests"] += 1
        request_row["propensity_requests_with_calls"] += outcome.called
    if outcome.other:
        request_row["other"] += outcome.other
    for call in outcome.calls:
        row = counts[call.bucket]
        row["calls"] += 1
        row[str(call.outcome)] += 1


def ingest_tool_calls(items: list, *, source: str, id_scope: str = "cli",
                      now: datetime | None = None) -> BatchResult:
    """One batch. `id_scope` names the sender (its API key) whose ids are idempotency keys."""
    now = now or timezone.now()
    result = BatchResult()
    parsed: list[tuple[int, ToolCallEvent]] = []
    max_future = timedelta(seconds=settings.EXACTO_EVENT_MAX_FUTURE_SECONDS)
    max_age = timedelta(days=settings.EXACTO_EVENT_MAX_AGE_DAYS)
    names = name_mapper() if items else None
    for index, item in enumerate(items):
        try:
            event = parse_tool_call_event(item, now, max_future=max_future, max_age=max_age)
            provider, provider_note = names.provider(event.provider)
            model, model_note = names.model(event.model, provider)
        except (ItemError, ValueError) as exc:
            result.reject(index, item, str(exc))
            continue
        for note in (model_note, provider_note):
            if note:
                result.warn(index, item, note)
        parsed.append((index, replace(event, model=model, provider=provider)))

    resolver = EndpointResolver((event.model, event.provider) for _, event in parsed)
    cache = validator_cache()
    budget = settings.EXACTO_VALIDATION_BUDGET_MS
    # §1 work bounds: no request holds a worker for long, whatever its schemas or size.
    bucket_bounds = (settings.EXACTO_BUCKET_SIMPLE_MAX, settings.EXACTO_BUCKET_MEDIUM_MAX)
    deadline = time.monotonic() + settings.EXACTO_BATCH_VALIDATION_BUDGET_MS / 1000
    max_calls = settings.EXACTO_MAX_CALLS_PER_EVENT
    ready = []
    for index, event in parsed:
        try:
            endpoint = resolver.resolve(event.model, event.provider, event.quantization)
        except ValueError as exc:
            result.reject(index, items[index], str(exc))
            continue
        try:
            outcome = classify_exchange(event.exchange, cache=cache, budget_ms=budget,
                                        max_calls=max_calls, deadline=deadline,
                                        bucket_bounds=bucket_bounds
                                        ) if event.classified else None
        except WorkBoundExceeded as exc:
            result.reject(index, items[index], str(exc))
            continue
        ready.append((event, endpoint, outcome))

    with transaction.atomic():
        # Read under a lock: a publication cannot slip between this read and the commit.
        publications = lock_publications(endpoint.pk for _, endpoint, _ in ready)
        new_ids = claim_event_keys(IngestKind.TOOL_CALLS, id_scope,
                                   [event.id for event, _, _ in ready])
        rollups: dict[tuple, dict] = {}
        activity: set[tuple[int, str, object]] = set()
        failures = []
        speed = SpeedDeltas()
        for event, endpoint, outcome in ready:
            if event.id not in new_ids:
                result.duplicates += 1
                continue
            new_ids.discard(event.id)  # a repeated id inside one batch is a duplicate too
            result.accepted += 1
            day = event.created.date()
            # Counts become public with the endpoint's next publication, never at ingest
            # (METHODOLOGY §8), whatever day they are for.
            generation = publications[endpoint.pk] + 1
            speed.add(endpoint.pk, day, generation, event)
            if outcome is None:
                continue  # an error or timeout: counted for uptime only (§10)
            by_bucket = defaultdict(Counter)
            add_outcome(by_bucket, outcome)
            for bucket, counts in by_bucket.items():
                key = (endpoint.pk, event.app, str(bucket), day, generation)
                total = rollups.setdefault(key, Counter())
                total.update(counts)
            if event.user and outcome.offered_tools:
                activity.add((endpoint.model_id, hash_user(event.user), day))
            for call in outcome.calls:
                if call.outcome in FAILURE_OUTCOMES:
                    failures.append((endpoint, day, event, call))
        increment_rollups(rollups, ROLLUP_COUNTS)
        record_user_activity(activity)
        speed.write()
        _store_failure_samples(failures)
        if ready or result.rejected:
            IngestBatch.objects.create(
                kind=IngestKind.TOOL_CALLS, source=source[:128], accepted=result.accepted,
                duplicates=result.duplicates, rejected=len(result.rejected),
            )
        # Last: the per-key lock it takes is held only until this commit.
        refresh_day_totals((k[0], k[3], k[4]) for k in rollups)
    return result


def _store_failure_samples(failures: list) -> None:
    """Keeps at most N failing calls per endpoint × day × outcome (bounded storage)."""
    if not failures:
        return
    limit = settings.EXACTO_FAILURE_SAMPLES_PER_DAY
    keys = {(endpoint.pk, day) for endpoint, day, _, _ in failures}
    endpoints = {k[0] for k in keys}
    days = {k[1] for k in keys}
    taken = Counter()
    rows = (
        FailureSample.objects.filter(endpoint_id__in=endpoints, day__in=days)
        .values_list("endpoint_id", "day", "outcome")
    )
    # Counting in Python keeps this one indexed query; samples are few per day by design.
    for endpoint_id, day, outcome in rows:
        taken[(endpoint_id, day, outcome)] += 1
    new = []
    for endpoint, day, event, call in failures:
        key = (endpoint.pk, day, str(call.outcome))
        if taken[key] >= limit:
            continue
        taken[key] += 1
        new.append(
            FailureSample(
                endpoint=endpoint, day=day, outcome=str(call.outcome), event_id=event.id,
                app=event.app, tool_name=_evidence(call.tool_name)[:200],
                parameters=_bounded_json(call.parameters), arguments=_evidence(call.arguments),
                message=_evidence(call.message)[:2000],
            )
        )
    FailureSample.objects.bulk_create(new)


def _bounded_json(value: object) -> object:
    """A tool schema to keep with a sample, unless it is too large or cannot be stored as it
    is on both databases (NaN, 1e999, lone surrogates, NUL): evidence never fails a batch."""
    if value is None:
        return None
    text = strict_json_text(value)
    if text is None:
        return {"note": "schema not kept: not plain JSON (NaN, infinity, NUL or a lone "
                        "surrogate)"}
    return value if len(text) <= 20_000 else {"note": f"schema of {len(text)} bytes not kept"}


def _evidence(text: str) -> str:
    """Evidence text storable anywhere: NUL and lone surrogates shown as U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)

