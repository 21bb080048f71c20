"""Ignore rates per endpoint (METHODOLOGY §5), from user activity and current ignore states."""

from collections import defaultdict
from datetime import date

from django.db import connection

from metrics.models import IgnoreState, UserActivity
from metrics.services.ingest_ignores import ALL_MODELS


def ignore_rates(
    model, endpoints, windows: dict[int, tuple[date, date] | None]
) -> dict[int, dict]:
    """{endpoint_id: {"ignore_rate", "ignoring_users", "active_users"}} — one query per window."""
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
        sql = f"""
            WITH users AS (
                SELECT DISTINCT user_hash FROM {activity}
                WHERE model_id = %s AND day BETWEEN %s AND %s
            )
            SELECT NULL, COUNT(*) FROM users
            UNION ALL
            SELECT s.provider_id, COUNT(DISTINCT s.user_hash)
            FROM {states} s JOIN users u ON u.user_hash = s.user_hash
            WHERE s.ignoring AND s.provider_id IN ({marks})
              AND (s.model_id = %s OR s.scope = %s)
            GROUP BY s.provider_id
        """  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [model.pk, start, end, *provider_ids, model.pk, ALL_MODELS])
            rows = cursor.fetchall()
        active = next(count for provider_id, count in rows if provider_id is None)
        ignoring = {provider_id: count for provider_id, count in rows if provider_id is not None}
        for endpoint in group:
            n = ignoring.get(endpoint.provider_id, 0)
            out[endpoint.pk] = {
                "ignore_rate": n / active if active else None,
                "ignoring_users": n,
                "active_users": active,
            }
    return out
