"""Issue 11, finding 2: events that arrive after a day is published (backdated, retried,
clock-skewed) are shown to the provider and admins at once and become public only at the next
publication, never at ingest (METHODOLOGY §8). `created` is bounded (§9)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from metrics.services.publication import publish
from providers.models import Endpoint
from tests.metrics.api.helpers import endpoint_row, event, good, now_iso, post_events, register, tool_call

pytestmark = pytest.mark.django_db


def _bad(event_id, created):
    return event(event_id, [tool_call("get_weather", "{")], created=created)


def test_backdated_events_for_a_published_day_wait_for_the_next_publication(
        ingest_client, admin_client_api, anon_client):
    register(ingest_client)
    two_days_ago = now_iso(-timedelta(days=2))
    assert post_events(ingest_client, [good(f"g{i}", created=two_days_ago)
                                       for i in range(40)]).json()["accepted"] == 40
    publish(list(Endpoint.objects.all()))  # through yesterday
    public = endpoint_row(anon_client)["tool_calls"]
    assert public["calls"] == 40 and public["accuracy"] == 1.0

    # 60 invalid calls dated on the published day, after publication.
    body = post_events(ingest_client, [_bad(f"b{i}", two_days_ago) for i in range(60)]).json()
    assert body["accepted"] == 60

    assert endpoint_row(anon_client)["tool_calls"] == public  # frozen for the public
    private = endpoint_row(admin_client_api)["tool_calls"]
    assert private["calls"] == 100 and private["invalid_json"] == 60  # admins see them at once

    publish(list(Endpoint.objects.all()))  # the next publication folds them in
    after = endpoint_row(anon_client)["tool_calls"]
    assert after["calls"] == 100 and after["accuracy"] == pytest.approx(0.4)


def test_publishing_through_today_freezes_today_for_the_public(
        ingest_client, admin_client_api, anon_client):
    register(ingest_client)
    post_events(ingest_client, [good(f"g{i}") for i in range(10)])
    publish(list(Endpoint.objects.all()), through=timezone.now().date())
    assert endpoint_row(anon_client)["tool_calls"]["calls"] == 10

    post_events(ingest_client, [_bad(f"b{i}", now_iso(-timedelta(minutes=1))) for i in range(5)])
    assert endpoint_row(anon_client)["tool_calls"]["calls"] == 10
    assert endpoint_row(admin_client_api)["tool_calls"]["calls"] == 15


def test_provider_sees_its_late_events_at_once(ingest_client, anon_client, django_user_model):
    from django.test import Client

    from providers.models import ProviderUser

    register(ingest_client)
    post_events(ingest_client, [good("g1", created=now_iso(-timedelta(days=3)))])
    publish(list(Endpoint.objects.all()))
    post_events(ingest_client, [good("g2", created=now_iso(-timedelta(days=3)))])
    endpoint = Endpoint.objects.get()
    user = django_user_model.objects.create_user("team", password="pw-123456-x")
    ProviderUser.objects.create(user=user, provider=endpoint.provider)
    client = Client()
    client.force_login(user)
    rows = client.get("/api/v1/endpoints/", {"model": endpoint.model.slug}).json()
    assert rows[0]["tool_calls"]["calls"] == 2
    assert endpoint_row(anon_client)["tool_calls"]["calls"] == 1


@pytest.mark.parametrize("delta, ok", [
    (timedelta(minutes=4), True), (timedelta(minutes=6), False),
    (-timedelta(days=89), True), (-timedelta(days=91), False),
])
def test_created_bounds(ingest_client, delta, ok):
    register(ingest_client)
    body = post_events(ingest_client, [good("e", created=now_iso(delta))]).json()
    assert body["accepted"] == int(ok)
    if not ok:
        assert ("future" in body["rejected"][0]["error"]
                or "in the past" in body["rejected"][0]["error"])


def test_created_age_bound_is_a_setting(ingest_client, settings):
    settings.EXACTO_EVENT_MAX_AGE_DAYS = 3
    register(ingest_client)
    body = post_events(ingest_client, [good("e", created=now_iso(-timedelta(days=4)))]).json()
    assert body["rejected"][0]["error"] == "created is more than 3 days in the past."


def test_ignore_events_have_the_same_time_bounds(ingest_client):
    register(ingest_client)
    item = {"id": "i1", "user": "u", "provider": "fastinfer", "action": "ignore",
            "created": now_iso(-timedelta(days=120))}
    body = post_events(ingest_client, [item], path="/api/v1/ignores/").json()
    assert body["accepted"] == 0 and "in the past" in body["rejected"][0]["error"]


def test_reads_keep_a_constant_query_count_with_late_rows(ingest_client, anon_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    register(ingest_client)
    register(ingest_client, provider="second-host")
    post_events(ingest_client, [good("g1", created=now_iso(-timedelta(days=2)))])
    publish(list(Endpoint.objects.all()))
    with CaptureQueriesContext(connection) as before:
        endpoint_row(anon_client)
    for n in range(3):  # late rows in three more generations, on two endpoints
        post_events(ingest_client, [good(f"l{n}", created=now_iso(-timedelta(days=2))),
                                    good(f"m{n}", provider="second-host")])
        publish(list(Endpoint.objects.all()))
    post_events(ingest_client, [good("late", created=now_iso(-timedelta(days=2)))])
    with CaptureQueriesContext(connection) as after:
        assert endpoint_row(anon_client)["tool_calls"]["calls"] == 4
    assert len(after.captured_queries) == len(before.captured_queries)
