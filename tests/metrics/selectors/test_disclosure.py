"""Issue 11, finding 4: a provider sees the thresholds it is judged against with their values
only where they rest on published figures or its own data (METHODOLOGY §8). The reference
endpoint is public, so its unpublished figures must never reach another provider."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from metrics.models import Benchmark, BenchmarkRun, ToolCallRollup
from metrics.services.pools import recompute_model
from metrics.services.rotation import evaluate_rotation
from metrics.services.upserts import rebuild_day_totals
from providers.models import ProviderUser
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory

pytestmark = pytest.mark.django_db

REFERENCE_SCORE = "91.37"  # the reference's unpublished run
THRESHOLD = "88.37"  # reference − 3


@pytest.fixture
def judged(db):
    model = LLMModelFactory(slug="openai/gpt-oss-120b")
    author = EndpointFactory(model=model, provider=ProviderFactory(slug="author"),
                             is_reference=True)
    b = EndpointFactory(model=model, provider=ProviderFactory(slug="provider-b"))
    c = EndpointFactory(model=model, provider=ProviderFactory(slug="provider-c"))
    bench = Benchmark.objects.create(slug="aime25", name="AIME 2025")
    now = timezone.now()
    ref_run = BenchmarkRun.objects.create(external_id="ref", endpoint=author, benchmark=bench,
                                          score=float(REFERENCE_SCORE), run_at=now)
    BenchmarkRun.objects.create(external_id="b", endpoint=b, benchmark=bench, score=50.0,
                                run_at=now, published_at=now)
    evaluate_rotation([model.pk])
    # Propensity: the reference (100%) centres the band; its figures are unpublished.
    day = now.date() - timedelta(days=1)
    for endpoint, with_calls in ((author, 300), (b, 240), (c, 280)):
        ToolCallRollup.objects.create(
            endpoint=endpoint, app="a", bucket="simple", day=day, requests_with_tools=300,
            propensity_requests=300, propensity_requests_with_calls=with_calls, calls=300,
            valid=300, generation=1)
    rebuild_day_totals()  # rollups written outside ingestion
    recompute_model(model, trigger="command")
    user = get_user_model().objects.create_user("b-team", password="pw-123456-x")
    ProviderUser.objects.create(user=user, provider=b.provider)
    client = Client()
    client.force_login(user)
    return {"model": model, "b": b, "ref_run": ref_run, "client": client}


def _pages(client, model):
    return "".join(client.get(url).content.decode() for url in (
        "/portal/", f"/models/{model.slug}/", f"/models/{model.slug}/history/"))


def test_the_reference_endpoints_unpublished_run_is_not_shown_to_another_provider(judged):
    assert judged["b"].__class__.objects.get(pk=judged["b"].pk).rotation_status == \
        "benchmark_hold"
    pages = _pages(judged["client"], judged["model"])
    assert "benchmark_hold" in pages
    assert REFERENCE_SCORE not in pages and THRESHOLD not in pages
    assert "score 50.0 below the acceptable range" in pages  # verdict and rule, own score
    # Nor in the private email that told B.
    bodies = "".join(m.body for m in mail.outbox)
    assert REFERENCE_SCORE not in bodies and THRESHOLD not in bodies


def test_the_reference_centred_band_is_not_shown_to_another_provider(judged):
    pages = _pages(judged["client"], judged["model"])
    assert "reference-centred" not in pages
    assert "propensity band" not in pages  # neither the model page's nor the portal's
    assert "shown to admins only" in pages


def test_published_reference_figures_are_shown_with_their_values(judged):
    BenchmarkRun.objects.filter(pk=judged["ref_run"].pk).update(published_at=timezone.now())
    pages = _pages(judged["client"], judged["model"])
    assert THRESHOLD in pages and REFERENCE_SCORE in pages


def test_admins_see_every_value(judged):
    staff = get_user_model().objects.create_superuser("root", "r@example.com", "pw-123456-x")
    client = Client()
    client.force_login(staff)
    page = client.get(f"/models/{judged['model'].slug}/").content.decode()
    assert "reference-centred" in page
