"""Ignore rates per endpoint (METHODOLOGY §5), from user activity and current ignore states."""

from collections import defaultdict
from datetime import date

from django.db import connection

from metrics.choices import ALL_MODELS
from metrics.models import IgnoreState, UserActivity


def ignore_rates(
    model, endpoints, windows: dict[int, tuple[date, date] | None]
) -> dict[int, dict]:
    """{endpoint_id: {"ignore_rate", "ignoring_users", "active_users"}} — two queries per window."""
    activity = UserActivity._meta.db_table
    states = IgnoreState._meta.db_table
    by_window = defaultdict(list)
    for endpoint in endpoints:
        window = windows.get(endpoint.pk)
        if window is not None:
            by_window[window].append(endpoint)
    out = {e.pk: {"ignore_rate": None, "ignoring_users": 0, "active_users": 0} for e in endpoints}
    for (start, end), group in by_window.items():
        provider_ids = sorted({e.provider_id for e in group})
        marks = ", ".join(["%s"] * len(provider_ids))
        users = (f"SELECT DISTINCT user_hash FROM {activity} "  # noqa: S608
                 "WHERE model_id = %s AND day BETWEEN %s AND %s")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({users}) AS u", [model.pk, start, end])  # noqa: S608
            active = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT s.user_hash, s.provider_id, s.scope, s.ignoring, s.as_of FROM {states} s "  # noqa: S608
                f"JOIN ({users}) AS u ON u.user_hash = s.user_hash "
                f"WHERE s.provider_id IN ({marks}) AND (s.model_id = %s OR s.scope = %s)",
                [model.pk, start, end, *provider_ids, model.pk, ALL_MODELS],
            )
            ignoring = _ignoring_users(cursor.fetchall())
        for endpoint in group:
            n = len(ignoring.get(endpoint.provider_id, ()))
            out[endpoint.pk] = {
                "ignore_rate": n / active if active else None,
                "ignoring_users": n,
                "active_users": active,
            }
    return out


def _ignoring_users(rows) -> dict[int, set[str]]:
    """Users ignoring each provider for the model: of a user's one-model and all-models
    states, the later action decides (§5), so an all-models `unignore` after a one-model
    `ignore` resumes routing, and a one-model `unignore` after an all-models `ignore`
    does too. At equal times the one-model state, the more specific, decides."""
    decided: dict[tuple[str, int], tuple[object, bool, bool]] = {}
    for user_hash, provider_id, scope, ignoring, as_of in rows:
        key = (user_hash, provider_id)
        candidate = (as_of, scope != ALL_MODELS, bool(ignoring))
        if key not in decided or candidate[:2] > decided[key][:2]:
            decided[key] = candidate
    out: dict[int, set[str]] = defaultdict(set)
    for (user_hash, provider_id), (_, _, ignoring) in decided.items():
        if ignoring:
            out[provider_id].add(user_hash)
    return out
