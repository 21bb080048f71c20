"""Issue 11, findings 6 and 7: one throttling mechanism for both login pages and feedback, on
a cache shared by every web worker, keyed on the client address seen through the configured
trusted proxies (METHODOLOGY §9)."""

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db

RIGHT = "s3cret-pass-123"


@pytest.fixture
def staff(db, django_user_model):
    return django_user_model.objects.create_user("boss", "b@example.com", RIGHT, is_staff=True)


def admin_login(client, password, ip="203.0.113.9", **headers):
    return client.post("/admin/login/?next=/admin/", {"username": "boss", "password": password},
                       REMOTE_ADDR=ip, **headers)


def test_admin_login_is_throttled_like_the_portal_login(staff):
    client = Client()
    for _ in range(settings.EXACTO_LOGIN_MAX_FAILURES):
        assert admin_login(client, "wrong").status_code == 200
    response = admin_login(client, RIGHT)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert admin_login(Client(), RIGHT, ip="198.51.100.4").status_code == 302


def test_forty_wrong_admin_passwords_do_not_end_in_a_login(staff):
    client = Client()
    for _ in range(40):
        admin_login(client, "wrong")
    assert admin_login(client, RIGHT).status_code == 429


def test_one_failure_count_for_both_login_pages(staff):
    client = Client()
    for _ in range(3):
        admin_login(client, "wrong")
    for _ in range(2):
        client.post("/accounts/login/", {"username": "boss", "password": "wrong"},
                    REMOTE_ADDR="203.0.113.9")
    assert admin_login(client, RIGHT).status_code == 429


def test_the_cache_is_shared_by_every_worker_process():
    """Redis or the database: never one process's memory (LocMemCache)."""
    backend = settings.CACHES["default"]["BACKEND"]
    # Redis when the settings found a Redis URL (CACHE_URL), else the database.
    assert backend == ("django.core.cache.backends.redis.RedisCache" if settings.CACHE_URL
                       else "django.core.cache.backends.db.DatabaseCache")
    caches["default"].set("shared-probe", 7, 60)
    if backend.endswith("DatabaseCache"):
        table = settings.CACHES["default"]["LOCATION"]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE cache_key LIKE %s",  # noqa: S608
                           ["%shared-probe"])
            assert cursor.fetchone()[0] == 1
    else:
        import redis

        client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
        assert client.exists(f"{settings.CACHE_KEY_PREFIX}:1:shared-probe")


def test_the_dead_drf_throttle_rates_are_gone():
    assert "DEFAULT_THROTTLE_RATES" not in settings.REST_FRAMEWORK


def _feedback(client, groq_endpoint, **meta):
    return client.post("/feedback/", {
        "model": groq_endpoint.model.slug, "provider": groq_endpoint.provider.slug,
        "category": "other", "description": "Calls fail with unknown tool names.",
        "request_id": "", "email": "", "website": ""}, **meta)


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(settings, groq_endpoint):
    settings.EXACTO_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(settings.EXACTO_FEEDBACK_PER_HOUR):
        assert _feedback(Client(), groq_endpoint, HTTP_X_FORWARDED_FOR="198.51.100.1",
                         **proxy).status_code == 302
    assert _feedback(Client(), groq_endpoint, HTTP_X_FORWARDED_FOR="198.51.100.1",
                     **proxy).status_code == 429
    # Another client behind the same proxy is not locked out by the first.
    assert _feedback(Client(), groq_endpoint, HTTP_X_FORWARDED_FOR="198.51.100.2",
                     **proxy).status_code == 302
    # A forged left-most entry does not make a new client: the proxy appends the real one.
    assert _feedback(Client(), groq_endpoint,
                     HTTP_X_FORWARDED_FOR="192.0.2.77, 198.51.100.1", **proxy).status_code == 429


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings, groq_endpoint):
    settings.EXACTO_TRUSTED_PROXIES = []
    for i in range(settings.EXACTO_FEEDBACK_PER_HOUR):
        _feedback(Client(), groq_endpoint, REMOTE_ADDR="203.0.113.50",
                  HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert _feedback(Client(), groq_endpoint, REMOTE_ADDR="203.0.113.50",
                     HTTP_X_FORWARDED_FOR="192.0.2.200").status_code == 429
