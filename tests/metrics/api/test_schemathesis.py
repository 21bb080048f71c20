"""The published OpenAPI schema is the API: every schemathesis check passes on it, and it is valid.

The schema is read from the app's own /api/v1/schema/ through the WSGI app (no network).
Every operation is called with all of schemathesis' checks (response schema conformance,
documented status codes and content types, headers, negative data refused, positive data
accepted, authentication enforced, ...), with an `ingest` key and, for the admin operations, an
`admin` key. Generation is derandomized and bounded (max_examples) so the module runs in well
under a minute and never flakes.

One check is replaced, on the batch endpoints only: `negative_data_rejection` expects a 4xx for
a request outside the schema, but API.md "Errors" says a batch never fails as a whole for a bad
item: good items are stored and each bad one is listed in `rejected` with its index and reason.
`items_refused_by_index` checks exactly that instead: every item outside its schema is in
`rejected`. A batch whose own shape is outside the schema (not an object, no list, too many
items) still goes to `negative_data_rejection`.

The schema is loaded eagerly at import: schemathesis' lazy `from_fixture` loader does not
work with pytest 9 (it reads the removed `Function._nodeid`).
"""

import json
from types import SimpleNamespace

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from exacto_site.wsgi import application
from providers.models import ApiToken
from tests.metrics.api.helpers import MODEL, PROVIDER, event, good, tool_call

# The app redirects plain HTTP to HTTPS; behind its proxy this header says "already HTTPS".
HTTPS = {"X-Forwarded-Proto": "https"}

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, headers=HTTPS)

BOUNDED = hypothesis_settings(max_examples=25, deadline=None, derandomize=True, database=None,
                              suppress_health_check=list(HealthCheck))

# Batch operations: the key holding the items (None: the body is the list), the items' schema.
BATCHES = {
    "/api/v1/tool-calls/": ("events", "ToolCallEvent"),
    "/api/v1/ignores/": ("events", "IgnoreEvent"),
    "/api/v1/benchmark-runs/": ("runs", "BenchmarkRun"),
    "/api/v1/integrations/litellm/": (None, "LiteLLMPayload"),
}
ADMIN_PREFIX = "/api/v1/admin/"
# Runs a probe against the generated `base_url`: a connection to anywhere. Its contract is
# covered by tests/probes with a local fake server; here it is called with an ingest key (403).
NOT_CALLED_AS_ADMIN = {"/api/v1/admin/probes/"}


def _lines(text: str) -> list | None:
    """LiteLLM's body as the server reads it: JSON, else NDJSON (an unreadable line stays a
    string, which is not an object: it must be refused by its index)."""
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    else:
        return [whole] if isinstance(whole, dict) else whole if isinstance(whole, list) else None
    items = []
    for line in text.splitlines():
        if line.strip():
            try:
                items.append(json.loads(line))
            except ValueError:
                items.append(line)
    return items


def _items(case) -> list | None:
    """The batch's items when the batch itself is well formed, else None."""
    key, _ = BATCHES[case.operation.path]
    body = case.body
    if key is None and isinstance(body, bytes | str):
        try:
            return _lines(body.decode() if isinstance(body, bytes) else body)
        except UnicodeDecodeError:
            return None
    if case.media_type != "application/json":
        return None
    if key is None:
        body = [body] if isinstance(body, dict) else body
        items = body if isinstance(body, list) else None
    else:
        items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) > settings.EXACTO_MAX_BATCH_ITEMS:
        return None
    return items


# The one check left out anywhere, and why: `through` (the last day to publish) after today is
# refused with a 400, so no day is published as it is ingested, without the provider's private
# preview (METHODOLOGY §9). That bound moves with the clock; a static schema cannot state it.
EXCLUDED = {"/api/v1/admin/publish/": [positive_data_acceptance]}


def _query_outside_schema(case) -> bool:
    """A declared query parameter breaks its schema (unknown ones are ignored, as the server does)."""
    declared = schema.raw_schema["paths"][case.operation.path][case.operation.method.lower()]
    for parameter in declared.get("parameters", []):
        value = (case.query or {}).get(parameter["name"])
        if parameter["in"] == "query" and value is not None:
            values = value if isinstance(value, list) else [value]
            validator = Draft202012Validator(parameter["schema"])
            if not all(isinstance(v, str) and validator.is_valid(v) for v in values):
                return True
    return False


def items_refused_by_index(ctx, response, case):
    """negative_data_rejection, except that a well-formed batch answers 200 and lists each item
    outside its schema in `rejected` (API.md "Errors")."""
    if (case.operation.path not in BATCHES or _query_outside_schema(case)
            or (items := _items(case)) is None):
        return negative_data_rejection(ctx, response, case)
    if response.status_code != 200 or response.request.method != case.operation.method.upper():
        return None  # a refusal of the whole batch (or an OPTIONS probe): the other checks
    _, item = BATCHES[case.operation.path]
    validator = Draft202012Validator(schema.raw_schema["components"]["schemas"][item])
    refused = {entry["index"] for entry in response.json()["rejected"]}
    stored_yet_invalid = [index for index, value in enumerate(items)
                          if index not in refused and not validator.is_valid(value)]
    assert stored_yet_invalid == [], (
        f"{item} items outside the schema were not refused: "
        f"{[items[i] for i in stored_yet_invalid]!r:.500}")
    return None


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


@pytest.fixture
def admin_key(db, keep_test_connection):
    _, key = ApiToken.issue("schemathesis-admin", "admin")
    return key


def _call(case, key):
    return case.call_and_validate(
        headers={**HTTPS, "Authorization": f"Token {key}"},
        excluded_checks=[negative_data_rejection, *EXCLUDED.get(case.operation.path, [])],
        additional_checks=[items_refused_by_index])


@pytest.mark.django_db
@schema.parametrize()
@BOUNDED
def test_every_operation_keeps_the_schema_with_an_ingest_key(case, ingest_key):
    response = _call(case, ingest_key)
    # The request really reached the view (no HTTPS redirect, no auth failure).
    assert response.status_code not in (301, 302, 401), response.text[:200]


@pytest.mark.django_db
@schema.include(path_regex=f"^{ADMIN_PREFIX}").exclude(
    path=sorted(NOT_CALLED_AS_ADMIN)).parametrize()
@BOUNDED
def test_admin_operations_keep_the_schema_with_an_admin_key(case, admin_key):
    response = _call(case, admin_key)
    assert response.status_code not in (301, 302, 401, 403), response.text[:200]


def test_an_invalid_item_left_unrefused_fails_the_batch_check():
    """items_refused_by_index can fail: an item outside its schema answered as stored."""
    case = schema["/api/v1/ignores/"]["POST"].Case(
        body={"events": [{"id": "ok", "user": "u", "provider": "groq", "action": "ignore"},
                         {"id": "bad", "user": "u", "provider": "Not A Slug", "action": "ignore"}]},
        media_type="application/json")

    def answer(rejected):
        return SimpleNamespace(status_code=200, request=SimpleNamespace(method="POST"),
                               json=lambda: {"accepted": 2 - len(rejected), "duplicates": 0,
                                             "rejected": rejected})

    assert items_refused_by_index(None, answer([{"index": 1, "id": "bad", "error": "e"}]),
                                  case) is None
    with pytest.raises(AssertionError, match="Not A Slug"):
        items_refused_by_index(None, answer([]), case)


def test_served_schema_is_valid_openapi():
    body = Client().get("/api/v1/schema/?format=json", headers=HTTPS).content
    validate_openapi(json.loads(body))  # raises on an invalid schema or a dangling $ref


def test_a_dangling_ref_fails_the_validator():
    """The validator above can fail: the burn-in answer once named a component that did not exist."""
    broken = json.loads(json.dumps(schema.raw_schema))
    broken["paths"]["/api/v1/burn-in/"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"] = {"$ref": "#/components/schemas/BurnInPointOut"}
    broken["components"]["schemas"].pop("BurnInPointOut")
    with pytest.raises(Exception, match="BurnInPointOut"):
        validate_openapi(broken)


def test_schema_lists_every_api_md_operation():
    paths = schema.raw_schema["paths"]
    operations = {(path, method) for path, item in paths.items() for method in item}
    for expected in [("/api/v1/endpoints/", "get"), ("/api/v1/endpoints/", "post"),
                     ("/api/v1/tool-calls/", "post"), ("/api/v1/ignores/", "post"),
                     ("/api/v1/benchmark-runs/", "post"), ("/api/v1/route/", "get"),
                     ("/api/v1/models/", "get")]:
        assert expected in operations


@pytest.mark.django_db
def test_answers_with_figures_keep_the_schema(ingest_key, admin_key):
    """Generated slugs seldom name a model, so the reads above mostly answer 404: here every
    read and admin answer of a model with figures, a pool, runs and a hold is checked too."""
    ingest = {**HTTPS, "Authorization": f"Token {ingest_key}"}
    admin = {**HTTPS, "Authorization": f"Token {admin_key}"}

    def call(path, method, headers, **kw):
        response = schema[path][method].Case(**kw).call_and_validate(
            headers=headers, excluded_checks=[negative_data_rejection],
            additional_checks=[items_refused_by_index])
        created = path == "/api/v1/endpoints/" and method == "POST"  # each one is new here
        assert response.status_code == (201 if created else 200), (path, response.text[:300])
        return response.json()

    for provider, reference in ((PROVIDER, True), ("other-host", False)):
        call("/api/v1/endpoints/", "POST", admin, body={
            "model": MODEL, "provider": provider, "quantization": "fp8", "reference": reference})
    events = [good(f"g{n}") for n in range(6)] + [
        event("bad-json", [tool_call("get_weather", "{")]),
        {**good("late", provider="other-host"), "status": "timeout", "latency_ms": 30000.0},
        {"id": "refused", "model": MODEL, "provider": PROVIDER},
    ]
    answer = call("/api/v1/tool-calls/", "POST", ingest, body={"events": events})
    assert [entry["index"] for entry in answer["rejected"]] == [8]
    call("/api/v1/ignores/", "POST", ingest, body={"events": [
        {"id": "i1", "user": "u1", "provider": "other-host", "model": MODEL, "action": "ignore"}]})
    call("/api/v1/benchmark-runs/", "POST", admin, body={"runs": [
        {"id": f"r-{provider}", "model": MODEL, "provider": provider, "benchmark": "aime25",
         "score": score, "stderr": 1.0} for provider, score in ((PROVIDER, 90.0), ("other-host", 40.0))]})
    call("/api/v1/admin/pools/recompute/", "POST", admin, body={"model": MODEL})
    call("/api/v1/admin/share/", "POST", admin, body={"model": MODEL})
    call("/api/v1/admin/publish/", "POST", admin, body={"model": MODEL})
    call("/api/v1/admin/endpoints/rotation/", "POST", admin, body={
        "model": MODEL, "provider": "other-host", "quantization": "fp8",
        "status": "admin_removed", "reason": "schema check"})
    call("/api/v1/endpoints/", "POST", ingest, body={"model": "newco/pending", "provider": "p"})
    call("/api/v1/admin/approve/", "POST", admin, body={"model": "newco/pending"})
    assert call("/api/v1/admin/overview/", "GET", admin)["holds"]

    for headers in (admin, HTTPS):  # private and public figures
        rows = call("/api/v1/endpoints/", "GET", headers, query={"model": MODEL})
        assert {row["provider"] for row in rows} == {PROVIDER, "other-host"}
        assert call("/api/v1/burn-in/", "GET", headers, query={"model": MODEL})["benchmarks"]
        assert call("/api/v1/benchmark-runs/", "GET", headers, query={"model": MODEL})
        assert call("/api/v1/models/", "GET", headers)
        for route_model in (MODEL, f"{MODEL}:exacto"):
            call("/api/v1/route/", "GET", headers, query={"model": route_model})
    assert any(row["exacto"] is not None for row in call(
        "/api/v1/endpoints/", "GET", admin, query={"model": MODEL}))


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
# A run's `detail` is free-form JSON kept as sent: a huge integer there is valid JSON that
# both databases store, so that run is accepted; every other hostile item is rejected.
_KEPT_AS_SENT = "/api/v1/benchmark-runs/", {"x": 10**400}


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
    # Registration refuses each hostile value (400), or the reference flag from an ingest key
    # (403); a batch answers 200 and lists the hostile item in `rejected`.
    if path == "/api/v1/endpoints/":
        assert response.status_code == (403 if body.get("reference") else 400), response.text
    else:
        kept = (path, (body.get("runs") or [{}])[0].get("detail")) == _KEPT_AS_SENT
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == (1 if kept else 0), response.text
        assert [item["index"] for item in response.json()["rejected"]] == ([] if kept else [0])
    for read in ("/api/v1/endpoints/", "/api/v1/benchmark-runs/", "/api/v1/burn-in/",
                 "/api/v1/route/"):
        read_case = schema[read]["GET"].Case(query={"model": _HOSTILE_MODEL})
        read_case.call_and_validate(headers=headers, checks=[not_a_server_error])
