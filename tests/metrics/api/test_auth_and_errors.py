"""Contract: API.md "Auth" and "Errors"."""

import io
import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from providers.models import ApiToken
from tests.metrics.api.helpers import MODEL, endpoint_row, good, post_events, register

pytestmark = pytest.mark.django_db

WRITES = [
    ("/api/v1/endpoints/", {"model": MODEL, "provider": "p"}),
    ("/api/v1/tool-calls/", {"events": []}),
    ("/api/v1/ignores/", {"events": []}),
    ("/api/v1/benchmark-runs/", {"runs": []}),
]


def assert_json_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["error"], str) and body["error"].strip()
    return body


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_write_without_key_is_401_json(anon_client, path, body):
    assert_json_error(anon_client.post(path, body, format="json"), 401)


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_write_with_bad_key_is_401_json(path, body):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert_json_error(client.post(path, body, format="json"), 401)


def test_revoked_key_is_401(db):
    token, key = ApiToken.issue("soon-revoked", "ingest")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at="2025-01-01T00:00:00Z")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert_json_error(client.post("/api/v1/tool-calls/", {"events": []}, format="json"), 401)


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_ingest_and_admin_keys_may_write(ingest_client, admin_client_api, path, body):
    # The endpoint is created by the first write (201) and found by the second (200).
    first, second = (201, 200) if path == "/api/v1/endpoints/" else (200, 200)
    assert ingest_client.post(path, body, format="json").status_code == first
    assert admin_client_api.post(path, body, format="json").status_code == second


def test_created_token_key_is_alone_on_last_line_and_works(db):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "gateway-1", "--scope", "ingest", stdout=out, stderr=err)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    key = lines[-1]
    assert key == key.strip() and " " not in key and len(key) >= 20
    assert ApiToken.objects.get(name="gateway-1").scope == "ingest"

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert register(client).status_code == 201
    assert post_events(client, [good("via-cli-key")]).json()["accepted"] == 1


def test_ingest_key_reads_only_published_figures_admin_key_reads_all(ingest_client, admin_client_api):
    register(ingest_client)
    post_events(ingest_client, [good("e1")])
    assert endpoint_row(admin_client_api)["tool_calls"]["calls"] == 1
    assert endpoint_row(ingest_client)["tool_calls"]["calls"] == 0


def test_body_over_limit_is_413_json(ingest_client, settings):
    settings.EXACTO_MAX_BODY_BYTES = 2000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    events = [good(f"e{i}") for i in range(20)]
    body = assert_json_error(post_events(ingest_client, events), 413)
    # The declared Content-Length is refused before the body is read (middleware).
    assert re.fullmatch(r"Request body of \d+ bytes exceeds the limit of 2000 bytes\.",
                        body["error"])


def test_more_than_1000_items_is_400(ingest_client):
    register(ingest_client)
    body = assert_json_error(post_events(ingest_client, [good(f"e{i}") for i in range(1001)]), 400)
    assert body.get("field") == "events"
    assert "1000" in body["error"]
    assert endpoint_row(ingest_client.__class__())["tool_calls"]["calls"] == 0


def test_exactly_1000_items_is_accepted(ingest_client, admin_client_api):
    register(ingest_client)
    response = post_events(ingest_client, [good(f"e{i}") for i in range(1000)])
    assert response.status_code == 200
    assert response.json()["accepted"] == 1000


@pytest.mark.parametrize("payload", [b"{not json", b"", b"\xff\xfe", b"[1, 2"])
def test_non_json_body_is_400_json(ingest_client, payload):
    response = ingest_client.generic("POST", "/api/v1/tool-calls/", payload,
                                     content_type="application/json")
    assert_json_error(response, 400)


@pytest.mark.parametrize("body", [[], {"events": "x"}, {"events": None}, {"items": []}, 42])
def test_wrong_batch_shape_is_400_json(ingest_client, body):
    response = ingest_client.post("/api/v1/tool-calls/", body, format="json")
    assert_json_error(response, 400)


def test_unsupported_media_type_is_json_error(ingest_client):
    response = ingest_client.generic("POST", "/api/v1/tool-calls/", b"events=1",
                                     content_type="application/x-www-form-urlencoded")
    assert_json_error(response, 415)


def test_method_not_allowed_is_json_error(ingest_client):
    assert_json_error(ingest_client.delete("/api/v1/endpoints/"), 405)
    assert_json_error(ingest_client.get("/api/v1/tool-calls/"), 405)


def test_unknown_api_path_is_404_json(anon_client):
    assert_json_error(anon_client.get("/api/v1/no-such-thing/"), 404)


@pytest.mark.parametrize(
    ("query", "status"), [({}, 400), ({"model": "nobody/none"}, 404), ({"model": "a/b:turbo"}, 400)],
    ids=["missing", "unknown", "bad-variant"],
)
def test_route_errors_are_json(anon_client, query, status):
    assert_json_error(anon_client.get("/api/v1/route/", query), status)


ADMIN_WRITES = ["/api/v1/admin/pools/recompute/", "/api/v1/admin/publish/",
                "/api/v1/admin/endpoints/rotation/", "/api/v1/admin/share/"]


@pytest.mark.parametrize("path", ADMIN_WRITES)
def test_admin_endpoints_refuse_ingest_key_with_403_and_no_key_with_401(
    ingest_client, anon_client, path
):
    body = assert_json_error(ingest_client.post(path, {}, format="json"), 403)
    assert "admin" in body["error"]
    assert_json_error(anon_client.post(path, {}, format="json"), 401)


def test_admin_key_may_recompute_pools(ingest_client, admin_client_api):
    register(ingest_client)
    response = admin_client_api.post("/api/v1/admin/pools/recompute/", {"model": MODEL},
                                     format="json")
    assert response.status_code == 200
    assert response.json()["snapshots"][0]["model"] == MODEL
    route = admin_client_api.get("/api/v1/route/", {"model": f"{MODEL}:exacto"}).json()
    assert route["computed_at"] is not None


def test_admin_overview_read_needs_admin(ingest_client, admin_client_api):
    assert_json_error(ingest_client.get("/api/v1/admin/overview/"), 403)
    assert admin_client_api.get("/api/v1/admin/overview/").status_code == 200
