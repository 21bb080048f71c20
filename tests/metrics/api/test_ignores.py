"""Contract: POST /api/v1/ignores/ and the ignore rate (API.md, METHODOLOGY §5)."""

from datetime import timedelta

import pytest

from metrics.models import IgnoreEvent, IgnoreState
from tests.metrics.api.helpers import (
    MODEL,
    PROVIDER,
    endpoint_row,
    good,
    now_iso,
    post_events,
    posted,
    register,
)

pytestmark = pytest.mark.django_db

OTHER = "otherhost"


def ignore(event_id, user, action="ignore", provider=PROVIDER, model=MODEL, minutes_ago=10):
    item = {"id": event_id, "user": user, "provider": provider, "action": action,
            "created": now_iso(-timedelta(minutes=minutes_ago))}
    if model is not ...:
        item["model"] = model
    return item


def post_ignores(client, events):
    return posted(client, events, "/api/v1/ignores/", "events")


@pytest.fixture
def users(ingest_client):
    """Ten distinct users sent tool requests for MODEL in the window (to both endpoints)."""
    register(ingest_client)
    register(ingest_client, provider=OTHER)
    events = [good(f"u{i}", user=f"user-{i}", provider=PROVIDER if i % 2 else OTHER)
              for i in range(10)]
    assert post_events(ingest_client, events).json()["accepted"] == 10
    return [f"user-{i}" for i in range(10)]


def rate(client, provider=PROVIDER):
    return endpoint_row(client, provider=provider)["ignore_rate"]


def test_batch_is_stored_and_idempotent(ingest_client, users):
    batch = [ignore("i1", "user-1"), ignore("i2", "user-2")]
    assert post_ignores(ingest_client, batch) == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert post_ignores(ingest_client, batch) == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert IgnoreEvent.objects.count() == 2
    assert not IgnoreEvent.objects.filter(user_hash__in=["user-1", "user-2"]).exists()


def test_ignore_rate_is_ignoring_active_users_over_active_users(ingest_client, admin_client_api, users):
    assert rate(admin_client_api) == 0.0
    post_ignores(ingest_client, [ignore("i1", "user-1"), ignore("i2", "user-2"),
                                 ignore("i3", "user-3"),
                                 # not active for this model: not counted
                                 ignore("i4", "someone-idle"),
                                 # ignoring the other provider only
                                 ignore("i5", "user-4", provider=OTHER)])
    assert rate(admin_client_api) == pytest.approx(3 / 10)
    assert rate(admin_client_api, OTHER) == pytest.approx(1 / 10)


def test_model_null_or_absent_means_all_models(ingest_client, admin_client_api, users):
    post_ignores(ingest_client, [ignore("g1", "user-5", model=None),
                                 ignore("g2", "user-6", model=...)])
    assert rate(admin_client_api) == pytest.approx(2 / 10)
    assert IgnoreState.objects.filter(model__isnull=True, ignoring=True).count() == 2


def test_ignore_for_another_model_does_not_count(ingest_client, admin_client_api, users):
    register(ingest_client, model="acme/other-model")
    post_ignores(ingest_client, [ignore("o1", "user-1", model="acme/other-model")])
    assert rate(admin_client_api) == 0.0


def test_later_unignore_wins(ingest_client, admin_client_api, users):
    post_ignores(ingest_client, [ignore("a", "user-1", minutes_ago=30),
                                 ignore("b", "user-1", "unignore", minutes_ago=20),
                                 ignore("c", "user-2", minutes_ago=30)])
    assert rate(admin_client_api) == pytest.approx(1 / 10)


def test_older_event_arriving_later_does_not_overwrite(ingest_client, admin_client_api, users):
    post_ignores(ingest_client, [ignore("new-unignore", "user-1", "unignore", minutes_ago=5)])
    post_ignores(ingest_client, [ignore("old-ignore", "user-1", minutes_ago=60)])
    assert rate(admin_client_api) == 0.0

    post_ignores(ingest_client, [ignore("new-ignore", "user-2", minutes_ago=5)])
    post_ignores(ingest_client, [ignore("old-unignore", "user-2", "unignore", minutes_ago=60)])
    assert rate(admin_client_api) == pytest.approx(1 / 10)


def test_later_all_models_unignore_lifts_an_earlier_one_model_ignore(ingest_client,
                                                                     admin_client_api, users):
    """§5: the latest action that covers the model decides, whatever its scope."""
    day = 24 * 60
    post_ignores(ingest_client, [ignore("m", "user-1", minutes_ago=3 * day),
                                 ignore("g", "user-1", "unignore", model=None, minutes_ago=day)])
    assert rate(admin_client_api) == 0.0


def test_later_one_model_ignore_wins_over_an_earlier_all_models_unignore(ingest_client,
                                                                         admin_client_api, users):
    day = 24 * 60
    post_ignores(ingest_client, [ignore("g", "user-1", "unignore", model=None,
                                        minutes_ago=3 * day),
                                 ignore("m", "user-1", minutes_ago=day)])
    assert rate(admin_client_api) == pytest.approx(1 / 10)


def test_scopes_resolve_by_time_whatever_the_order_of_arrival(ingest_client, admin_client_api,
                                                              users):
    day = 24 * 60
    post_ignores(ingest_client, [ignore("g", "user-1", "unignore", model=None, minutes_ago=day)])
    post_ignores(ingest_client, [ignore("m", "user-1", minutes_ago=3 * day)])
    assert rate(admin_client_api) == 0.0
    post_ignores(ingest_client, [ignore("g2", "user-1", model=None, minutes_ago=60)])
    assert rate(admin_client_api) == pytest.approx(1 / 10)


def test_ignore_rate_is_null_without_active_users(ingest_client, admin_client_api):
    register(ingest_client)
    post_ignores(ingest_client, [ignore("x", "user-1")])
    assert rate(admin_client_api) is None


def test_bad_and_unknown_items_are_rejected(ingest_client, users):
    body = post_ignores(ingest_client, [
        ignore("ok", "user-1"),
        ignore("bad-action", "user-1", action="mute"),
        ignore("no-provider", "user-1", provider="nobody-here"),
        ignore("no-model", "user-1", model="nobody/none"),
        {"id": "no-user", "provider": PROVIDER, "action": "ignore"},
        "nope",
    ])
    assert body["accepted"] == 1
    assert sorted((r["index"], r["id"] or "") for r in body["rejected"]) == [
        (1, "bad-action"), (2, "no-provider"), (3, "no-model"), (4, "no-user"), (5, "")]
    assert all(r["error"] for r in body["rejected"])


def test_unignoring_for_this_model_overrides_an_all_models_ignore(ingest_client,
                                                                   admin_client_api, users):
    post_ignores(ingest_client, [
        ignore("g1", "user-1", model=None, minutes_ago=30),  # everywhere
        ignore("g2", "user-2", model=None, minutes_ago=30),
        ignore("m1", "user-1", action="unignore", minutes_ago=5),  # but not for MODEL
    ])
    assert rate(admin_client_api) == pytest.approx(1 / 10)
