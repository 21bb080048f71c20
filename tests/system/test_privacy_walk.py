"""Walks every URL of the URLconf as anonymous, as an ingest key, as provider A and as
provider B, against unpublished data planted for B, and fails on any leak."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from metrics.export_formats import FORMATS
from metrics.models import (
    AvailabilityRollup,
    Benchmark,
    BenchmarkRun,
    FailureSample,
    ToolCallRollup,
)
from metrics.selectors.exports import TABLES
from metrics.services.ingest_tool_calls import ingest_tool_calls
from metrics.services.pools import recompute_model
from metrics.services.published_pools import record_published_pool
from metrics.services.rotation import evaluate_rotation
from metrics.services.upserts import rebuild_day_totals
from providers.models import ApiToken, ProviderUser
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory
from tests.metrics.api.helpers import event, now_iso, tool_call

SECRET_CALLS = 77777  # total calls of B, only reachable with unpublished days included
SECRET_DAY_CALLS = str(SECRET_CALLS - 100)  # B's unpublished day alone (open data's day rows)
SECRET_SCORE = 12.345  # B's unpublished benchmark run
SECRET_ARGS = "SECRET-B-ARGUMENTS"  # B's sampled failing call
SECRET_PROBE = 23.456  # B's unpublished probe score (METHODOLOGY §11, shown on model pages)
SECRET_ERRORS = 7919  # B's failed requests on its unpublished day (METHODOLOGY §10)
SECRETS = (str(SECRET_CALLS), str(SECRET_SCORE), SECRET_ARGS, str(SECRET_PROBE),
           str(SECRET_ERRORS), f"{SECRET_ERRORS:,}")
# Every open-data table in every format (their route has parameters the walk cannot fill).
EXPORT_URLS = [f"/data/{table}.{fmt}" for table in TABLES for fmt in FORMATS]
# Issue 11: the reference endpoint's unpublished run, and the threshold B is judged by.
REFERENCE_SECRETS = ("91.37", "88.37")
# Issue 11: A's calls with events backdated onto its published day after publication.
LATE_CALLS = 300 + 37 * 127
LATE_SECRETS = (str(LATE_CALLS), f"{LATE_CALLS:,}")


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def concrete_urls(values: dict) -> list[str]:
    """Every route with its parameters filled in from `values` (by parameter name)."""
    urls = []
    for route, _ in _patterns(get_resolver()):
        route = route.lstrip("^").rstrip("$").replace("\\Z", "")
        if "(?P" in route or route.startswith("admin/"):
            continue  # regex routes are the admin's; it is staff-only and walked below
        for name, value in values.items():
            route = route.replace(f"<path:{name}>", value).replace(f"<slug:{name}>", value)
            route = route.replace(f"<{name}>", value).replace(f"<str:{name}>", value)
        if "<" in route:
            continue
        urls.append("/" + route)
    return sorted(set(urls))


@pytest.fixture
def planted(db):
    today = timezone.now().date()
    model = LLMModelFactory(slug="acme/secret-model")
    a = EndpointFactory(model=model, provider=ProviderFactory(slug="provider-a"),
                        published_until=today)
    published_day = today - timedelta(days=5)
    b = EndpointFactory(model=model, provider=ProviderFactory(slug="provider-b"),
                        published_until=published_day)
    # B's unpublished day is poor (half its calls mismatch): B fails the accuracy rule, with
    # figures in the verdict's reason that only B and admins may read.
    for endpoint, day, calls, bad in ((a, today, 300, 1), (b, published_day, 100, 1),
                                      (b, today - timedelta(days=1), SECRET_CALLS - 100,
                                       (SECRET_CALLS - 100) // 2)):
        ToolCallRollup.objects.create(
            endpoint=endpoint, app="app", bucket="simple", day=day, requests_with_tools=calls,
            propensity_requests=calls, propensity_requests_with_calls=calls, calls=calls,
            valid=calls - bad, schema_mismatch=bad,
        )
    rebuild_day_totals()  # rollups written outside ingestion
    # B's unpublished day also failed often: its uptime figures are as private (§8, §10).
    AvailabilityRollup.objects.create(endpoint=b, day=today - timedelta(days=1), ok=100,
                                      errors=SECRET_ERRORS)
    bench = Benchmark.objects.create(slug="secret-bench", name="Secret bench")
    BenchmarkRun.objects.create(external_id="run-b", endpoint=b, benchmark=bench,
                                score=SECRET_SCORE, run_at=timezone.now(), source="internal")
    probe = Benchmark.objects.create(slug="probe-tool-call-f1", name="Probe: tool-call F1")
    BenchmarkRun.objects.create(external_id="probe:1:probe-tool-call-f1", endpoint=b,
                                benchmark=probe, score=SECRET_PROBE, samples=113,
                                run_at=timezone.now(), source="Exacto probe",
                                detail={"probe_run": 1, "suite": "exacto-core", "cases": 113})
    FailureSample.objects.create(endpoint=b, day=today, outcome="schema_mismatch",
                                 event_id="e1", tool_name="t", arguments=SECRET_ARGS,
                                 message="m")
    # The reference endpoint's unpublished run holds B: B may learn that it is out of range,
    # not the reference's figure (METHODOLOGY §8).
    reference = EndpointFactory(model=model, provider=ProviderFactory(slug="provider-ref"),
                                is_reference=True)
    BenchmarkRun.objects.create(external_id="run-ref", endpoint=reference, benchmark=bench,
                                score=float(REFERENCE_SECRETS[0]), run_at=timezone.now())
    evaluate_rotation([model.pk])
    # Backdated events onto A's published day, sent after its publication: not public.
    late = ingest_tool_calls([
        event(f"late-{i}", [tool_call("get_weather", '{"city": "Paris"}', f"c{n}")
                            for n in range(127)], model=model.slug, provider="provider-a",
              created=now_iso(-timedelta(minutes=30)))
        for i in range(37)], source="test")
    assert late.accepted == 37
    recompute_model(model, trigger="command")
    # A published pool, as a publication records: the open data's pool tables are walked too.
    record_published_pool(model)
    User = get_user_model()
    users = {}
    for endpoint in (a, b, reference):
        user = User.objects.create_user(f"user-{endpoint.provider.slug}", password="pw-12345-x")
        ProviderUser.objects.create(user=user, provider=endpoint.provider)
        users[endpoint.provider.slug] = user
    values = {"slug": model.slug, "model": model.slug, "uidb64": "MQ", "token": "x"}
    return {"model": model, "a": a, "b": b, "users": users, "values": values}


def _get_all(client: Client, urls: list[str], model_slug: str, headers=None) -> dict[str, bytes]:
    pages = {}
    for url in urls:
        query = {"model": model_slug} if url.startswith("/api/") else {}
        queries = [dict(query, **({"format": fmt} if fmt else {}))
                   for fmt in ([None, *FORMATS] if url == "/data/" else [None])]
        if url in EXPORT_URLS:
            queries = [{}, {"model": model_slug}, {"model": model_slug, "days": "366"}]
        for q in queries:
            response = client.get(url, q, **(headers or {}))
            pages[f"{url}?{q}"] = response.content
    return pages


def _shows(body: bytes, secret: str) -> bool:
    """A figure counts as shown when it stands as a number of its own: "4999" inside a
    float's digits ("0.98134999…"), a timestamp's microseconds or a digest is chance."""
    if not re.fullmatch(r"[\d.,]+", secret):
        return secret.encode() in body
    return re.search(rb"(?<![\w.])" + re.escape(secret.encode()) + rb"(?!\w)", body) is not None


def _leaks(pages: dict[str, bytes], extra: tuple[str, ...] = (), reader_is_b=False) -> list[str]:
    """Every (page, secret) shown; B may read B's own secrets (`reader_is_b`)."""
    secrets = extra if reader_is_b else (*SECRETS, SECRET_DAY_CALLS, *extra)
    return [f"{url} shows {secret}" for url, body in pages.items()
            for secret in secrets if _shows(body, secret)]


def _verdict_reasons_of_b(planted) -> tuple[str, ...]:
    """B's verdict and pool-change reasons quote figures computed on unpublished days."""
    from django.utils.html import escape

    from metrics.models import PoolChange, PoolVerdict

    def texts(endpoint):
        found = set()
        for verdict in PoolVerdict.objects.filter(endpoint=endpoint):
            found.update(verdict.detail.get("reasons", {}).values())
        found.update(PoolChange.objects.filter(endpoint=endpoint).values_list("reason", flat=True))
        return {t for t in found if any(ch.isdigit() for ch in t)}

    mine = texts(planted["b"]) - texts(planted["a"])
    assert mine, "the planted data must give B verdict reasons with figures"
    return tuple(escape(t) for t in mine)


def _urls(planted):
    values = dict(planted["values"])
    urls = concrete_urls(values)
    # Slug routes that name a provider or benchmark rather than the model.
    urls += ["/providers/provider-b/", "/providers/provider-a/", "/benchmarks/secret-bench/",
             "/models/acme/secret-model/history/", *EXPORT_URLS]
    return sorted(set(urls))


@pytest.mark.django_db
def test_anonymous_visitor_sees_no_unpublished_figure_anywhere(planted):
    pages = _get_all(Client(), _urls(planted), planted["model"].slug)
    assert len(pages) > 15
    assert _leaks(pages, (*_verdict_reasons_of_b(planted), *REFERENCE_SECRETS,
                          *LATE_SECRETS)) == []


@pytest.mark.django_db
def test_ingest_key_reader_sees_no_unpublished_figure_anywhere(planted):
    _, key = ApiToken.issue("ingest", "ingest")
    pages = _get_all(Client(), _urls(planted), planted["model"].slug,
                     {"HTTP_AUTHORIZATION": f"Token {key}"})
    assert _leaks(pages, (*_verdict_reasons_of_b(planted), *REFERENCE_SECRETS,
                          *LATE_SECRETS)) == []


@pytest.mark.django_db
def test_other_provider_sees_none_of_b_unpublished_data(planted):
    client = Client()
    client.force_login(planted["users"]["provider-a"])
    pages = _get_all(client, _urls(planted) + ["/portal/"], planted["model"].slug)
    assert _leaks(pages, (*_verdict_reasons_of_b(planted), *REFERENCE_SECRETS)) == []


@pytest.mark.django_db
def test_a_held_provider_never_sees_the_reference_figures_that_hold_it(planted):
    """Issue 11, finding 4: B is on hold against the reference's unpublished run."""
    assert planted["b"].__class__.objects.get(pk=planted["b"].pk).rotation_status == \
        "benchmark_hold"
    client = Client()
    client.force_login(planted["users"]["provider-b"])
    pages = _get_all(client, _urls(planted) + ["/portal/"], planted["model"].slug)
    assert any(b"benchmark_hold" in body for body in pages.values())
    assert _leaks(pages, (*REFERENCE_SECRETS, *LATE_SECRETS), reader_is_b=True) == []


@pytest.mark.django_db
def test_the_owner_of_late_events_and_the_reference_see_their_own_figures(planted):
    """The two walks above can see a leak: the owners do see these figures."""
    client = Client()
    client.force_login(planted["users"]["provider-a"])
    rows = client.get("/api/v1/endpoints/", {"model": planted["model"].slug}).json()
    assert next(r for r in rows if r["provider"] == "provider-a")["tool_calls"]["calls"] == \
        LATE_CALLS
    client.force_login(planted["users"]["provider-ref"])
    assert REFERENCE_SECRETS[0].encode() in client.get("/portal/").content


@pytest.mark.django_db
def test_provider_b_sees_its_own_unpublished_data(planted):
    """The walk above can see a leak: the owner does see every planted secret."""
    client = Client()
    client.force_login(planted["users"]["provider-b"])
    pages = _get_all(client, ["/portal/", "/api/v1/endpoints/"], planted["model"].slug)
    found = {secret for body in pages.values() for secret in SECRETS if _shows(body, secret)}
    assert found == set(SECRETS)


@pytest.mark.django_db
def test_admin_key_reads_unpublished_figures_through_the_same_endpoint(planted):
    _, key = ApiToken.issue("admin", "admin")
    client = Client()
    rows = client.get("/api/v1/endpoints/", {"model": planted["model"].slug},
                      HTTP_AUTHORIZATION=f"Token {key}").json()
    b = next(r for r in rows if r["provider"] == "provider-b")
    assert b["tool_calls"]["calls"] == SECRET_CALLS
    anon = Client().get("/api/v1/endpoints/", {"model": planted["model"].slug}).json()
    b_public = next(r for r in anon if r["provider"] == "provider-b")
    assert b_public["tool_calls"]["calls"] == 100


@pytest.mark.django_db
def test_provider_users_cannot_enter_the_django_admin(planted):
    client = Client()
    client.force_login(planted["users"]["provider-b"])
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
