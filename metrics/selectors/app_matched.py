"""§4's app-matched accuracy per model, stored for published-only readers (AppMatchedFigures).

Of a model page's figures only this one reads a row per app (endpoint × app × day in the
window). What it is computed from, for a reader who sees published figures only, is fixed
by few values: each endpoint's window, its publication and the cap. Rows of published
generations are never rewritten: ingestion adds later counts to the next generation,
repairs go through rebuild_day_totals (which forgets the stored rows) and retention never
reaches a recent window. Those values, hashed, are the stored row's key; a reader with the
same key reads the stored figures, any other reader computes them (and a published-only
reader stores them).

A publication that commits between reading the endpoints and the rollups leaves newer
figures under the older key, read only by readers who still hold the older publication —
never older figures under the newer key.
"""

import hashlib
import json
import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from metrics.models import AppMatchedFigures
from providers.models import Endpoint

logger = logging.getLogger(__name__)

# Bumped when the computation changes, so that stored figures of older code are not read.
FORMULA = 1

Window = tuple[date, date, bool]  # first day, last day, published rows only


def group_key(endpoints: list[Endpoint], windows: dict[int, Window], today: date
              ) -> str | None:
    """The key of one model's figures as read through `windows`; None when a window
    includes unpublished days (such figures change with every ingested batch) or days that
    rollup retention may delete (then they change without a new key)."""
    # Retention never deletes a day ingestion may still write to (its cutoff is at least
    # EXACTO_EVENT_MAX_AGE_DAYS + 1 days back, metrics.services.retention): windows that
    # start on or after that day keep every row they were computed from.
    kept_from = today - timedelta(days=settings.EXACTO_EVENT_MAX_AGE_DAYS + 1)
    inputs = []
    for endpoint in sorted(endpoints, key=lambda e: e.pk):
        window = windows.get(endpoint.pk)
        if window is None:
            continue  # no window: no rows, no figure, and no influence on the others'
        start, end, published_only = window
        if not published_only or start < kept_from:
            return None
        inputs.append([endpoint.pk, endpoint.publication, start.isoformat(), end.isoformat()])
    text = json.dumps([FORMULA, settings.EXACTO_APP_DAILY_CAP, inputs], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def stored(keys: dict[int, str | None]) -> dict[int, dict[int, dict]]:
    """Per model whose stored key equals the one given: app-matched figures by endpoint id.
    One query (none when no key may be stored)."""
    wanted = {model_id: key for model_id, key in keys.items() if key is not None}
    if not wanted:
        return {}
    rows = AppMatchedFigures.objects.filter(model_id__in=list(wanted)).values_list(
        "model_id", "key", "figures")
    return {model_id: {int(pk): figures for pk, figures in found.items()}
            for model_id, key, found in rows if wanted[model_id] == key}


def store(figures: dict[int, tuple[str, dict[int, dict]]]) -> None:
    """Replaces each model's stored figures (model id: (key, figures by endpoint id)), in
    one statement. Storing only saves later work: when it fails in a request (a locked
    SQLite database, a model deleted meanwhile) the reader still gets the figures just
    computed. Inside a caller's transaction a failure is the caller's, as any query's."""
    if not figures:
        return
    now = timezone.now()
    rows = [AppMatchedFigures(model_id=model_id, key=key, computed_at=now,
                              figures={str(pk): value for pk, value in found.items()})
            for model_id, (key, found) in sorted(figures.items())]

    def write():
        AppMatchedFigures.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["model"],
            update_fields=["key", "figures", "computed_at"])

    if connection.in_atomic_block:
        write()
        return
    try:
        write()  # its own transaction, rolled back whole on failure
    except DatabaseError:
        logger.warning("app-matched figures not stored; computed again next time",
                       exc_info=True)


def forget(endpoint_ids=None) -> None:
    """Drops the stored figures of these endpoints' models (all, without ids): for rollups
    written or deleted outside ingestion, which may change published rows."""
    rows = AppMatchedFigures.objects.all()
    if endpoint_ids is not None:
        rows = rows.filter(model_id__in=Endpoint.objects.filter(pk__in=list(endpoint_ids))
                           .values("model_id"))
    rows.delete()
