"""Audit records are read-only for everyone, and read as figures and names, not ids or JSON."""

import re

import pytest

from metrics.models import PoolSnapshot, RotationEvent
from metrics.services.pools import recompute_model
from metrics.services.rotation import set_rotation

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot(endpoint):
    return recompute_model(endpoint.model, trigger="admin")


def test_pool_snapshots_cannot_be_added_changed_or_deleted_even_by_a_superuser(
        admin_client, snapshot):
    base = "/admin/metrics/poolsnapshot/"
    listing = admin_client.get(base)
    assert listing.status_code == 200
    assert b"delete_selected" not in listing.content
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.get(f"{base}{snapshot.pk}/delete/").status_code == 403
    refused = admin_client.post(base, {"action": "delete_selected",
                                       "_selected_action": [snapshot.pk], "post": "yes"})
    assert refused.status_code == 200  # the list again, with "No action selected"
    assert PoolSnapshot.objects.filter(pk=snapshot.pk).exists()
    page = admin_client.get(f"{base}{snapshot.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # view only


def test_rotation_events_cannot_be_deleted(admin_client, endpoint):
    set_rotation(endpoint, "admin_removed", "broken template")
    event = RotationEvent.objects.get()
    assert admin_client.get(f"/admin/metrics/rotationevent/{event.pk}/delete/").status_code == 403
    assert b"delete_selected" not in admin_client.get("/admin/metrics/rotationevent/").content
    assert RotationEvent.objects.filter(pk=event.pk).exists()


def test_snapshot_page_formats_figures_and_names_endpoints(admin_client, snapshot, endpoint):
    html = admin_client.get(f"/admin/metrics/poolsnapshot/{snapshot.pk}/change/").content.decode()
    assert "best accuracy lower bound" in html and "ignore threshold" in html
    assert '"best_lower_bound"' not in html  # no raw JSON
    assert not re.search(r"\d\.\d{6,}", html)  # no 16-digit floats
    assert endpoint.provider.slug in html


def test_recompute_message_names_endpoints_not_ids(admin_client, endpoint):
    response = admin_client.post("/admin/providers/llmmodel/", {
        "action": "recompute_pool_action", "_selected_action": [endpoint.model.pk]}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages and "endpoint ids" not in messages[0]
    # The endpoint alone in rotation, without calls, is the fallback pool: named, not an id.
    assert messages[0].endswith(f"pool: {endpoint.provider.slug}"
                                f"{f' ({endpoint.quantization})' if endpoint.quantization else ''}.")
