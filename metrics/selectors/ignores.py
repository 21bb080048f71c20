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
    return ignore_rates_of_models({model.pk: list(endpoints)}, windows)


def ignore_rates_of_models(
    endpoints_by_model: dict[int, list], windows: dict[int, tuple[date, date] | None]
) -> dict[int, dict]:
    """ignore_rates() of many models at once, still two queries per distinct window."""
    activity = UserActivity._meta.db_table
    states = IgnoreState._meta.db_table
    by_window: dict[tuple, list] = defaultdict(list)
    out = {}
    for endpoints in endpoints_by_model.values():
        for endpoint in endpoints:
            out[endpoint.pk] = {"ignore_rate": None, "ignoring_users": 0, "active_users": 0}
            window = windows.get(endpoint.pk)
            if window is not None:
                by_window[window].append(endpoint)
    for (start, end), group in by_window.items():
        model_ids = sorted({e.model_id for e in group})
        provider_ids = sorted({e.provider_id for e in group})
        models = ", ".join(["%s"] * len(model_ids))
        providers = ", ".join(["%s"] * len(provider_ids))
        users = (f"SELECT DISTINCT model_id, user_hash FROM {activity} "  # noqa: S608
                 f"WHERE model_id IN ({models}) AND day BETWEEN %s AND %s")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT model_id, COUNT(*) FROM ({users}) AS u GROUP BY model_id",  # noqa: S608
                           [*model_ids, start, end])
            active = dict(cursor.fetchall())
            cursor.execute(
                f"SELECT u.model_id, s.user_hash, s.provider_id, s.scope, s.ignoring, "  # noqa: S608
                f"s.as_of FROM {states} s JOIN ({users}) AS u ON u.user_hash = s.user_hash "
                f"WHERE s.provider_id IN ({providers}) "
                "AND (s.model_id = u.model_id OR s.scope = %s)",
                [*model_ids, start, end, *provider_ids, ALL_MODELS],
            )
            rows_of: dict[int, list] = defaultdict(list)
            for model_id, *row in cursor.fetchall():
                rows_of[model_id].append(row)
        ignoring = {model_id: _ignoring_users(rows) for model_id, rows in rows_of.items()}
        for endpoint in group:
            n = len(ignoring.get(endpoint.model_id, {}).get(endpoint.provider_id, ()))
            users_of_model = active.get(endpoint.model_id, 0)
            out[endpoint.pk] = {
                "ignore_rate": n / users_of_model if users_of_model else None,
                "ignoring_users": n,
                "active_users": users_of_model,
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
