"""Tool-call telemetry ingestion (API.md POST /tool-calls/, METHODOLOGY §1–§5).

One transaction per batch holds the idempotency keys, the rollup increments, the
per-user activity and the sampled failures, so a batch is either counted whole
or not at all, and a resent batch changes nothing.
"""

import functools
import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from metrics.choices import FAILURE_OUTCOMES, IngestKind
from metrics.events import (
    BatchResult,
    ToolCallEvent,
    parse_tool_call_event,
    strict_json_text,
)
from metrics.models import ROLLUP_COUNTS, FailureSample, IngestBatch
from metrics.schema_validation import ValidatorCache
from metrics.schema_validation.guards import gc_paused
from metrics.services.ingest_names import name_mapper
from metrics.services.speed_rollups import SpeedDeltas
from metrics.services.upserts import (
    claim_event_keys,
    increment_rollups,
    insert_failure_samples,
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


def add_outcome(rollups: defaultdict[tuple, Counter], outcome: RequestOutcome,
                endpoint_id: int, app: str, day, generation: int) -> None:
    """Adds one classified request to the batch's rollup deltas, keyed by (endpoint, app,
    bucket, day, generation) (§1, §2): the request's counts under its bucket, each call's
    under the call's."""
    request_row = rollups[(endpoint_id, app, str(outcome.bucket), day, generation)]
    if outcome.offered_tools:
        request_row["requests_with_tools"] += 1
        request_row["errored_requests"] += outcome.errored
    if outcome.propensity_eligible:
        request_row["propensity_requests"] += 1
        request_row["propensity_requests_with_calls"] += outcome.called
    if outcome.other:
        request_row["other"] += outcome.other
    for call in outcome.calls:
        row = request_row if call.bucket == outcome.bucket else rollups[
            (endpoint_id, app, str(call.bucket), day, generation)]
        row["calls"] += 1
        row[call.outcome.value] += 1


def ingest_tool_calls(items: list, *, source: str, id_scope: str = "cli",
                      now: datetime | None = None,
                      tools_raw: Sequence[bytes | None] | None = None) -> BatchResult:
    """One batch. `id_scope` names the sender (its API key) whose ids are idempotency keys.
    `tools_raw`, per item, the raw JSON of its request's tools when the body's parser kept it
    (metrics/tool_call_batch.py): the classifier's exact key of the tools."""
    now = now or timezone.now()
    result = BatchResult()
    # A batch allocates ~10^5 objects and creates no reference cycles worth finding: left on,
    # the cyclic GC rescans the whole heap several times per batch (a third of its time).
    with gc_paused():
        parsed = _parse_items(items, now, result, tools_raw)
        ready = _classify_items(items, parsed, result)
        with transaction.atomic():
            _store(ready, result, source=source, id_scope=id_scope)
    return result


def _parse_items(items: list, now: datetime, result: BatchResult,
                 tools_raw: Sequence[bytes | None] | None) -> list[tuple[int, ToolCallEvent]]:
    """Each item as an event with its names mapped through the alias tables, or rejected."""
    max_future = timedelta(seconds=settings.EXACTO_EVENT_MAX_FUTURE_SECONDS)
    max_age = timedelta(days=settings.EXACTO_EVENT_MAX_AGE_DAYS)
    names = name_mapper() if items else None

    def parse(index, item) -> ToolCallEvent:
        event = parse_tool_call_event(item, now, max_future=max_future, max_age=max_age,
                                      tools_raw=tools_raw[index] if tools_raw else None)
        model, provider, model_note, provider_note = names.pair(event.model, event.provider)
        for note in (model_note, provider_note):
            if note:
                result.warn(index, item, note)
        if model != event.model or provider != event.provider:  # _replace() costs µs
            event = event._replace(model=model, provider=provider)
        return event

    return result.sift(items, enumerate(items), parse)


def _classify_items(items: list, parsed: list[tuple[int, ToolCallEvent]],
                    result: BatchResult) -> list[tuple]:
    """(event, endpoint, outcome) of each parsed event whose endpoint is known and whose
    calls were judged within the work bounds (§1); the others are rejected."""
    resolver = EndpointResolver((event.model, event.provider) for _, event in parsed)
    cache = validator_cache()
    budget = settings.EXACTO_VALIDATION_BUDGET_MS
    # §1 work bounds: no request holds a worker for long, whatever its schemas or size.
    bucket_bounds = (settings.EXACTO_BUCKET_SIMPLE_MAX, settings.EXACTO_BUCKET_MEDIUM_MAX)
    deadline = time.monotonic() + settings.EXACTO_BATCH_VALIDATION_BUDGET_MS / 1000
    max_calls = settings.EXACTO_MAX_CALLS_PER_EVENT

    def judge(_, event: ToolCallEvent):
        endpoint = resolver.resolve(event.model, event.provider, event.quantization)
        outcome = classify_exchange(event.exchange, cache=cache, budget_ms=budget,
                                    max_calls=max_calls, deadline=deadline,
                                    bucket_bounds=bucket_bounds
                                    ) if event.classified else None
        return event, endpoint, outcome

    return [triple for _, triple in result.sift(items, parsed, judge,
                                                errors=(ValueError, WorkBoundExceeded))]


def _store(ready: list[tuple], result: BatchResult, *, source: str, id_scope: str) -> None:
    """Counts the new events of the batch: rollups, user activity, speed, failure samples."""
    # Read under a lock: a publication cannot slip between this read and the commit.
    publications = lock_publications(endpoint.id for _, endpoint, _ in ready)
    new_ids = claim_event_keys(IngestKind.TOOL_CALLS, id_scope,
                               [event.id for event, _, _ in ready])
    rollups: defaultdict[tuple, Counter] = defaultdict(Counter)
    activity: set[tuple[int, str, object]] = set()
    hashed_user = functools.cache(hash_user)  # a batch repeats its users: one HMAC each
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
        endpoint_id = endpoint.id  # not .pk: a property lookup, per event
        generation = publications[endpoint_id] + 1
        speed.add(endpoint_id, day, generation, event)
        if outcome is None:
            continue  # an error or timeout: counted for uptime only (§10)
        add_outcome(rollups, outcome, endpoint_id, event.app, day, generation)
        if event.user and outcome.offered_tools:
            activity.add((endpoint.model_id, hashed_user(event.user), day))
        failures.extend((endpoint, day, event, call) for call in outcome.calls
                        if call.outcome in FAILURE_OUTCOMES)
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


def _store_failure_samples(failures: list) -> None:
    """Keeps at most N failing calls per endpoint × day × outcome (bounded storage)."""
    if not failures:
        return
    limit = settings.EXACTO_FAILURE_SAMPLES_PER_DAY
    keys = {(endpoint.pk, day) for endpoint, day, _, _ in failures}
    endpoints = {k[0] for k in keys}
    days = {k[1] for k in keys}
    # Counted by the database: one row per endpoint × day × outcome, not one per sample.
    taken = Counter({
        (endpoint_id, day, outcome): n for endpoint_id, day, outcome, n in
        FailureSample.objects.filter(endpoint_id__in=endpoints, day__in=days).order_by()
        .values("endpoint_id", "day", "outcome").annotate(n=Count("id"))
        .values_list("endpoint_id", "day", "outcome", "n")
    })
    new = []
    now = timezone.now()
    for endpoint, day, event, call in failures:
        key = (endpoint.pk, day, str(call.outcome))
        if taken[key] >= limit:
            continue
        taken[key] += 1
        new.append({
            "endpoint_id": endpoint.pk, "day": day, "outcome": str(call.outcome),
            "event_id": event.id, "app": event.app, "tool_name": _evidence(call.tool_name)[:200],
            "parameters": _bounded_json(call.parameters), "arguments": _evidence(call.arguments),
            "message": _evidence(call.message)[:2000], "created_at": now,
        })
    insert_failure_samples(new)


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

