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
