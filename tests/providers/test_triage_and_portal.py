"""Feedback triage, provider responses in the portal, and who may reach the admin."""

import pytest
from django.core import mail

from providers.models import Feedback, ProviderResponse
from providers.services.feedback import update_status
from providers.services.responses import post_admin_reply

pytestmark = pytest.mark.django_db


def feedback_for(endpoint, **kw):
    return Feedback.objects.create(model=endpoint.model, provider=endpoint.provider,
                                   endpoint=endpoint, category="latency",
                                   description=kw.pop("description", "Slow tool calls"), **kw)


def test_resolving_feedback_with_email_mails_the_reporter(groq_endpoint, admin_user,
                                                          django_capture_on_commit_callbacks):
    item = feedback_for(groq_endpoint, email="reporter@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert update_status(item, "resolved", admin_user)
    item.refresh_from_db()
    assert item.resolved_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["reporter@example.com"]
    assert "resolved" in mail.outbox[0].subject


def test_resolving_feedback_without_email_sends_nothing_and_reopening_clears_time(
        groq_endpoint, admin_user, django_capture_on_commit_callbacks):
    item = feedback_for(groq_endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        update_status(item, "resolved", admin_user)
    assert mail.outbox == []
    update_status(item, "triaged", admin_user)
    item.refresh_from_db()
    assert item.resolved_at is None


def test_admin_changelist_status_edit_goes_through_the_service(
        admin_client, groq_endpoint, django_capture_on_commit_callbacks):
    item = feedback_for(groq_endpoint, email="reporter@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/providers/feedback/", {
            "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000", "form-0-id": str(item.pk),
            "form-0-status": "resolved", "form-0-assignee": "", "_save": "Save"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "resolved" and item.resolved_at is not None
    assert [m.to for m in mail.outbox] == [["reporter@example.com"]]


def test_forwarded_feedback_is_visible_only_in_that_providers_portal(
        client, groq_endpoint, groq_user, together_user, admin_user):
    item = feedback_for(groq_endpoint, description="Groq drops the last tool argument")
    update_status(item, "forwarded", admin_user)
    client.force_login(groq_user)
    assert "Groq drops the last tool argument" in client.get("/portal/").content.decode()
    client.force_login(together_user)
    assert "Groq drops the last tool argument" not in client.get("/portal/").content.decode()


def test_untriaged_feedback_is_not_shown_to_the_provider(client, groq_endpoint, groq_user):
    feedback_for(groq_endpoint, description="Private new report")
    client.force_login(groq_user)
    assert "Private new report" not in client.get("/portal/").content.decode()


def test_provider_user_responds_on_own_endpoint_and_sees_admin_answer(
        client, groq_endpoint, groq_user, admin_user):
    client.force_login(groq_user)
    response = client.post(f"/portal/endpoints/{groq_endpoint.pk}/respond/", {
        "text": "Our parser was fixed on Sept 3.", "links": "https://status.groq.com/x"})
    assert response.status_code == 302
    thread = ProviderResponse.objects.get()
    assert (thread.endpoint, thread.author, thread.from_admin) == (groq_endpoint, groq_user, False)
    post_admin_reply(thread, admin_user, "Thanks, we will re-run the benchmark.")
    body = client.get("/portal/").content.decode()
    assert "Our parser was fixed on Sept 3." in body
    assert "Thanks, we will re-run the benchmark." in body
    assert 'href="https://status.groq.com/x"' in body


def test_provider_user_cannot_respond_on_another_providers_endpoint(
        client, groq_user, together_endpoint):
    client.force_login(groq_user)
    response = client.post(f"/portal/endpoints/{together_endpoint.pk}/respond/",
                           {"text": "Their results are wrong."})
    assert response.status_code == 404
    assert not ProviderResponse.objects.exists()


def test_response_form_needs_csrf_and_valid_links(groq_endpoint, groq_user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(groq_user)
    url = f"/portal/endpoints/{groq_endpoint.pk}/respond/"
    assert strict.post(url, {"text": "Hello there"}).status_code == 403
    lax = Client()
    lax.force_login(groq_user)
    response = lax.post(url, {"text": "Hello there", "links": "javascript:alert(1)"})
    assert response.status_code == 400
    assert not ProviderResponse.objects.exists()


def test_admin_reply_inline_is_saved_as_admin_reply(admin_client, groq_endpoint, groq_user,
                                                    admin_user):
    thread = ProviderResponse.objects.create(endpoint=groq_endpoint, author=groq_user,
                                             text="Please re-check")
    response = admin_client.post(f"/admin/providers/providerresponse/{thread.pk}/change/", {
        "replies-TOTAL_FORMS": "1", "replies-INITIAL_FORMS": "0", "replies-MIN_NUM_FORMS": "0",
        "replies-MAX_NUM_FORMS": "1000", "replies-0-text": "Re-checked, figures stand.",
        "replies-0-links": "", "replies-0-parent": str(thread.pk), "_save": "Save"})
    assert response.status_code == 302, response.content[:2000]
    reply = ProviderResponse.objects.get(parent=thread)
    assert reply.from_admin and reply.author == admin_user
    assert reply.endpoint == groq_endpoint


def test_provider_user_cannot_reach_the_admin(client, groq_user):
    client.force_login(groq_user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    response = client.get("/admin/overview/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
