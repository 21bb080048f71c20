"""Rotation changes need a reason, are audited, and the next recompute excludes the endpoint."""

import pytest

from metrics.models import PoolOverride, PoolSnapshot, PoolVerdict, RotationEvent
from metrics.services.pools import recompute_model
from providers.models import Endpoint

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


def test_rotation_field_is_not_editable_on_the_endpoint_form(admin_client, endpoint):
    response = admin_client.get(f"/admin/providers/endpoint/{endpoint.pk}/change/")
    assert response.status_code == 200
    assert b'name="rotation_status"' not in response.content
    assert Endpoint.objects.get(pk=endpoint.pk).rotation_status == "active"
