"""Login lockout: 5 failures for an IP + username lock it for 15 minutes."""

import pytest

pytestmark = pytest.mark.django_db


def attempt(client, username, password, ip="203.0.113.7"):
    return client.post("/accounts/login/", {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def test_login_works_with_the_right_password(client, groq_user):
    response = attempt(client, "groq-team", "s3cret-pass-123")
    assert response.status_code == 302


def test_five_failures_lock_even_the_right_password(client, groq_user):
    for _ in range(5):
        assert attempt(client, "groq-team", "wrong").status_code == 200
    response = attempt(client, "groq-team", "s3cret-pass-123")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lock_is_per_ip_and_username(client, groq_user):
    for _ in range(5):
        attempt(client, "groq-team", "wrong")
    assert attempt(client, "groq-team", "s3cret-pass-123", ip="198.51.100.1").status_code == 302


def test_success_resets_the_failure_count(client, groq_user):
    for _ in range(4):
        attempt(client, "groq-team", "wrong")
    assert attempt(client, "groq-team", "s3cret-pass-123").status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "groq-team", "wrong")
    assert attempt(client, "groq-team", "s3cret-pass-123").status_code == 302
