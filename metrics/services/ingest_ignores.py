"""Ignore-preference ingestion (API.md POST /ignores/, METHODOLOGY §5).

Events are applied in time order per user × provider × scope: an event older than
the stored state never overwrites it, so batches may arrive in any order. Across
scopes the later action decides, when the ignore rate is read.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from metrics.choices import ALL_MODELS, IgnoreAction, IngestKind
from metrics.events import BatchResult, ItemError, parse_ignore_item
from metrics.models import IgnoreEvent, IngestBatch
from metrics.public_cache import bump
from metrics.services.upserts import claim_event_keys, upsert_ignore_states
from metrics.services.user_hash import hash_user
from providers.models import Endpoint, LLMModel, Provider


def ingest_ignores(items: list, *, source: str, id_scope: str = "cli",
                   now: datetime | None = None) -> BatchResult:
    """One batch. `id_scope` names the sender (its API key) whose ids are idempotency keys."""
    now = now or timezone.now()
    result = BatchResult()
    max_future = timedelta(seconds=settings.EXACTO_EVENT_MAX_FUTURE_SECONDS)
    max_age = timedelta(days=settings.EXACTO_EVENT_MAX_AGE_DAYS)
    parsed = result.sift(items, enumerate(items), lambda _, item: parse_ignore_item(
        item, now, max_future=max_future, max_age=max_age))
    providers = dict(
        Provider.objects.filter(slug__in={p.provider for _, p in parsed}).values_list("slug", "id")
    )
    models = dict(
        LLMModel.objects.filter(slug__in={p.model for _, p in parsed if p.model})
        .values_list("slug", "id")
    )

    def known(_, item):
        if item.provider not in providers:
            raise ItemError(f"unknown provider {item.provider!r}.")
        if item.model is not None and item.model not in models:
            raise ItemError(f"unknown model {item.model!r}.")
        return item

    ready = [item for _, item in result.sift(items, parsed, known)]

    with transaction.atomic():
        new_ids = claim_event_keys(IngestKind.IGNORES, id_scope, [item.id for item in ready])
        events = []
        for item in ready:
            if item.id not in new_ids:
                result.duplicates += 1
                continue
            new_ids.discard(item.id)
            result.accepted += 1
            events.append(
                IgnoreEvent(
                    id_scope=id_scope, external_id=item.id, user_hash=hash_user(item.user),
                    provider_id=providers[item.provider],
                    model_id=models[item.model] if item.model else None,
                    action=item.action, created=item.created,
                )
            )
        IgnoreEvent.objects.bulk_create(events)
        _apply_states(events, models)
        _bump_public(events)
        if ready or result.rejected:
            IngestBatch.objects.create(
                kind=IngestKind.IGNORES, source=source[:128], accepted=result.accepted,
                duplicates=result.duplicates, rejected=len(result.rejected),
            )
    return result


def _bump_public(events: list[IgnoreEvent]) -> None:
    """Public ignore rates use today's states (§5): the models concerned change now."""
    every_model_of = {e.provider_id for e in events if e.model_id is None}
    model_ids = {e.model_id for e in events if e.model_id is not None}
    if every_model_of:
        model_ids.update(Endpoint.objects.filter(provider_id__in=every_model_of)
                         .values_list("model_id", flat=True))
    bump(model_ids)


def _apply_states(events: list[IgnoreEvent], models: dict[str, int]) -> None:
    """Keeps the latest action per user × provider × scope, with its time.

    A one-model and an all-models state are both kept, never merged here: which one
    decides for a model is the later of the two (§5), and that can only be told by
    their times, which the reader (selectors.ignores) compares. Merging at ingest would
    lose the older scope's time, so a late-arriving older event could not be placed.
    """
    slug_of = {model_id: slug for slug, model_id in models.items()}
    latest: dict[tuple, IgnoreEvent] = {}
    for event in sorted(events, key=lambda e: e.created):
        scope = slug_of[event.model_id] if event.model_id else ALL_MODELS
        latest[(event.user_hash, event.provider_id, scope)] = event
    upsert_ignore_states([
        (user_hash, provider_id, event.model_id, scope,
         event.action == IgnoreAction.IGNORE, event.created)
        for (user_hash, provider_id, scope), event in latest.items()
    ])
