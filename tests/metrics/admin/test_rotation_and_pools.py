"""Rotation changes need a reason, are audited, and the next recompute excludes the endpoint."""

import pytest

from metrics.models import PoolOverride, PoolSnapshot, PoolVerdict, RotationEvent
from metrics.services.pools import recompute_model
from providers.models import Endpoint
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/providers/endpoint/"


def rotation_post(client, endpoint, reason):
    return client.post(CHANGELIST, {
        "action": "change_rotation", "_selected_action": [endpoint.pk], "apply": "1",
        "status": "admin_removed", "reason": reason,
    })


def test_admin_action_without_reason_rerenders_form_with_error(admin_client, endpoint):
    response = rotation_post(admin_client, endpoint, "")
    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert b'name="reason"' in response.content
    endpoint.refresh_from_db()
    assert endpoint.rotation_status == "active"
    assert not RotationEvent.objects.exists()


def test_admin_action_with_reason_is_audited_and_next_recompute_excludes_endpoint(
        admin_client, endpoint, admin_user):
    response = rotation_post(admin_client, endpoint, "Serving a broken chat template")
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.rotation_status == "admin_removed"
    event = RotationEvent.objects.get(endpoint=endpoint)
    assert (event.old_status, event.new_status, event.actor) == ("active", "admin_removed", "admin")
    assert event.user == admin_user
    assert event.reason == "Serving a broken chat template"

    snapshot = recompute_model(endpoint.model, trigger="admin")
    verdict = PoolVerdict.objects.get(snapshot=snapshot, endpoint=endpoint)
    assert "rotation" in verdict.failed
    assert not verdict.member


def test_recompute_pool_admin_action_creates_a_snapshot(admin_client, endpoint):
    response = admin_client.post("/admin/providers/llmmodel/", {
        "action": "recompute_pool_action", "_selected_action": [endpoint.model.pk]})
    assert response.status_code == 302
    snapshot = PoolSnapshot.objects.get(model=endpoint.model)
    assert snapshot.trigger == "admin"
    assert snapshot.verdicts.filter(endpoint=endpoint).exists()


def test_publish_model_action_publishes_every_endpoint(admin_client, endpoint):
    admin_client.post("/admin/providers/llmmodel/", {
        "action": "publish_model_action", "_selected_action": [endpoint.model.pk]})
    endpoint.refresh_from_db()
    assert endpoint.published_until is not None


def test_share_action_starts_embargo_and_publish_action_ends_it(admin_client, endpoint):
    admin_client.post(CHANGELIST, {"action": "share_results_action",
                                   "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert endpoint.embargo_until is not None and endpoint.published_until is None
    admin_client.post(CHANGELIST, {"action": "publish_now_action",
                                   "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert endpoint.embargo_until is None and endpoint.published_until is not None


@pytest.mark.parametrize("reason", ["", "   "])
def test_pool_override_without_reason_is_refused(admin_client, endpoint, reason):
    response = admin_client.post("/admin/metrics/pooloverride/add/", {
        "endpoint": endpoint.pk, "action": "force_out", "reason": reason})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reason"]
    assert not PoolOverride.objects.exists()


def test_pool_override_with_reason_records_who(admin_client, endpoint, admin_user):
    response = admin_client.post("/admin/metrics/pooloverride/add/", {
        "endpoint": endpoint.pk, "action": "force_out", "reason": "Provider asked to pause"})
    assert response.status_code == 302
    override = PoolOverride.objects.get(endpoint=endpoint)
    assert override.created_by == admin_user


@pytest.mark.parametrize("field", ["rotation_status", "is_reference", "published_until",
                                   "embargo_until"])
def test_rotation_reference_and_publication_are_not_editable_on_the_endpoint_form(
        admin_client, endpoint, field):
    """They change through the audited actions only (one way in, docs/decisions.md)."""
    response = admin_client.get(f"/admin/providers/endpoint/{endpoint.pk}/change/")
    assert response.status_code == 200
    assert f'name="{field}"'.encode() not in response.content


def test_rotation_and_reference_are_not_editable_on_the_model_form(admin_client, endpoint):
    response = admin_client.get(f"/admin/providers/llmmodel/{endpoint.model.pk}/change/")
    assert response.status_code == 200
    assert b'name="endpoints-0-is_reference"' not in response.content
    assert b'name="endpoints-0-provider"' in response.content


def test_make_reference_action_moves_the_reference(admin_client, endpoint):
    old = EndpointFactory(model=endpoint.model, is_reference=True)
    response = admin_client.post(CHANGELIST, {"action": "make_reference",
                                              "_selected_action": [endpoint.pk]})
    assert response.status_code == 302
    assert list(Endpoint.objects.filter(is_reference=True)) == [endpoint]
    assert Endpoint.objects.get(pk=old.pk).is_reference is False


def test_make_reference_action_takes_one_endpoint(admin_client, endpoint):
    other = EndpointFactory(model=endpoint.model)
    admin_client.post(CHANGELIST, {"action": "make_reference",
                                   "_selected_action": [endpoint.pk, other.pk]})
    assert not Endpoint.objects.filter(is_reference=True).exists()
