"""Property-based contract check: no operation of the published OpenAPI schema answers 5xx.

The schema is read from the app's own /api/v1/schema/ through the WSGI app (no
network); every operation is called with an `ingest` token, so writes get past
authentication and exercise the parsers and services. Bounded to 25 examples per
operation so the whole module runs in well under a minute.

The schema is loaded eagerly at import: schemathesis' lazy `from_fixture` loader
does not work with pytest 9 (it reads the removed `Function._nodeid`).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from exacto_site.wsgi import application
from providers.models import ApiToken

# The app redirects plain HTTP to HTTPS; behind its proxy this header says "already HTTPS".
HTTPS = {"X-Forwarded-Proto": "https"}

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, headers=HTTPS)


@pytest.fixture
def keep_test_connection():
    """Calls go through the real WSGI handler, whose request signals close "old" DB connections.

    Inside the test transaction that would close PostgreSQL's connection mid-test; Django's own
    test client disconnects the same handler for the same reason.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def ingest_key(db, keep_test_connection):
    _, key = ApiToken.issue("schemathesis", "ingest")
    return key


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error(case, ingest_key):
    response = case.call_and_validate(
        headers={**HTTPS, "Authorization": f"Token {ingest_key}"}, checks=[not_a_server_error]
    )
    # The request really reached the view (no HTTPS redirect, no auth failure).
    assert response.status_code not in (301, 302, 401), response.text[:200]


def test_schema_lists_every_api_md_operation():
    paths = schema.raw_schema["paths"]
    operations = {(path, method) for path, item in paths.items() for method in item}
    for expected in [("/api/v1/endpoints/", "get"), ("/api/v1/endpoints/", "post"),
                     ("/api/v1/tool-calls/", "post"), ("/api/v1/ignores/", "post"),
                     ("/api/v1/benchmark-runs/", "post"), ("/api/v1/route/", "get")]:
        assert expected in operations


# Issue 11: hostile values the generators rarely reach, sent through the same schema and
# checks (no 5xx), each followed by every read of the model.
_HOSTILE_MODEL = "acme/hostile"
_SURROGATE = "\ud800"
_HOSTILE_BODIES = {
    ("/api/v1/endpoints/", "POST"): [
        {"model": _HOSTILE_MODEL + ":exacto", "provider": "p"},
        {"model": _HOSTILE_MODEL, "provider": "p", "quantization": '<a href="//e.vil/">x</a>'},
        {"model": _HOSTILE_MODEL, "provider": "p", "quantization": _SURROGATE},
        {"model": _HOSTILE_MODEL, "provider": "p", "reference": True},
    ],
    ("/api/v1/tool-calls/", "POST"): [
        {"events": [{"id": f"h-{field}", "model": _HOSTILE_MODEL, "provider": "hostile-host",
                     "request": {"tools": []}, "response": {"choices": []},
                     field: value}]}
        for field, value in (("user", _SURROGATE), ("app", _SURROGATE), ("id", _SURROGATE),
                             ("created", "0001-01-01T00:00:00+01:00"),
                             ("created", "9999-12-31T23:59:59-01:00"))
    ],
    ("/api/v1/ignores/", "POST"): [
        {"events": [{"id": "i", "user": _SURROGATE, "provider": "hostile-host",
                     "action": "ignore"}]},
        {"events": [{"id": "i", "user": "u", "provider": "hostile-host", "action": "ignore",
                     "created": "0001-01-01T00:00:00+01:00"}]},
    ],
    ("/api/v1/benchmark-runs/", "POST"): [
        {"runs": [{"id": f"r-{n}", "model": _HOSTILE_MODEL, "provider": "hostile-host",
                   "benchmark": "aime25", "score": 50, **extra}]}
        for n, extra in enumerate([
            # NaN and 1e999 cannot go through schemathesis' JSON encoder (strict): they are
            # sent as raw bodies in test_hostile_values.py.
            {"detail": {"x": _SURROGATE}}, {"source": _SURROGATE}, {"samples": 10**30},
            {"run_at": "0001-01-01T00:00:00+01:00"}, {"detail": {"x": 10**400}},
            {"score": 10**400}, {"stderr": 10**400},
        ])
    ],
}


@pytest.mark.django_db
@pytest.mark.parametrize("path, method, body", [
    (path, method, body) for (path, method), bodies in _HOSTILE_BODIES.items()
    for body in bodies])
def test_hostile_values_never_answer_a_server_error(path, method, body, ingest_key):
    from providers.services.endpoints import register_endpoint

    register_endpoint(_HOSTILE_MODEL, "hostile-host", "fp8")
    headers = {**HTTPS, "Authorization": f"Token {ingest_key}"}
    case = schema[path][method].Case(body=body, media_type="application/json")
    response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
    assert response.status_code in (200, 201, 400, 403) and response.status_code < 500
    for read in ("/api/v1/endpoints/", "/api/v1/benchmark-runs/", "/api/v1/burn-in/",
                 "/api/v1/route/"):
        read_case = schema[read]["GET"].Case(query={"model": _HOSTILE_MODEL})
        read_case.call_and_validate(headers=headers, checks=[not_a_server_error])
