"""The public feedback form: linked, CSRF-protected, validated, honeypotted, rate-limited."""

import pytest
from django.test import Client

from providers.models import Feedback

pytestmark = pytest.mark.django_db


def valid_data(**extra):
    return {"model": "moonshotai/kimi-k2-0905", "provider": "groq", "category": "latency",
            "description": "Tool calls time out after 30 seconds.", "request_id": "gen-123",
            "email": "", "website": "", **extra}


def test_home_page_links_to_feedback_form(client, groq_endpoint):
    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/feedback/"' in response.content.decode()


def test_post_without_csrf_token_is_refused(groq_endpoint):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/feedback/", valid_data())
    assert response.status_code == 403
    assert not Feedback.objects.exists()


def test_empty_submission_returns_form_with_errors_and_keeps_typed_values(client, groq_endpoint):
    response = client.post("/feedback/", {"description": "", "request_id": "gen-typed-42"})
    assert response.status_code == 400
    form = response.context["form"]
    assert {"model", "provider", "category", "description"} <= set(form.errors)
    assert 'value="gen-typed-42"' in response.content.decode()
    assert not Feedback.objects.exists()


def test_filled_honeypot_is_refused(client, groq_endpoint):
    response = client.post("/feedback/", valid_data(website="http://spam.example"))
    assert response.status_code == 400
    assert "website" in response.context["form"].errors
    assert not Feedback.objects.exists()


def test_valid_submission_redirects_to_thanks_and_is_stored(client, groq_endpoint):
    response = client.post("/feedback/", valid_data(email="me@example.com"))
    assert response.status_code == 302
    assert response["Location"] == "/feedback/thanks/"
    stored = Feedback.objects.get()
    assert (stored.provider.slug, stored.endpoint, stored.status) == ("groq", groq_endpoint, "new")
    assert stored.email == "me@example.com"


def test_sixth_report_within_the_hour_is_rate_limited(client, groq_endpoint):
    for _ in range(5):
        assert client.post("/feedback/", valid_data()).status_code == 302
    response = client.post("/feedback/", valid_data())
    assert response.status_code == 429
    assert Feedback.objects.count() == 5
