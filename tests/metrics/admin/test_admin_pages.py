"""The admin overview and the results-file import page."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from metrics.models import BenchmarkRun, IngestBatch
from metrics.services.pools import recompute_model
from metrics.services.rotation import set_rotation
from providers.models import Feedback
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db

AIME = Path(settings.BASE_DIR) / "data/datasets/aa-gpt-oss-120b/aime25-2025-08.csv"


def test_admin_index_links_overview_and_import(admin_client):
    body = admin_client.get("/admin/").content.decode()
    assert 'href="/admin/overview/"' in body
    assert 'href="/admin/import-results/"' in body


def test_overview_shows_holds_open_feedback_and_ingest(admin_client, endpoint):
    set_rotation(endpoint, "admin_removed", "Broken tool parser")
    Feedback.objects.create(model=endpoint.model, provider=endpoint.provider, endpoint=endpoint,
                            category="latency", description="Slow tool calls all day")
    Feedback.objects.create(model=endpoint.model, provider=endpoint.provider, endpoint=endpoint,
                            category="other", description="Already handled", status="resolved")
    IngestBatch.objects.create(kind="tool_calls", source="gateway-1", accepted=3)
    recompute_model(endpoint.model, trigger="admin")

    response = admin_client.get("/admin/overview/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Broken tool parser" in body
    assert "gateway-1" in body
    rows = response.context["open_feedback"]
    assert [(r["provider"], r["new"], r["total"]) for r in rows] == [("groq", 1, 1)]


def test_overview_only_lists_pool_changes_of_the_last_day(admin_client, endpoint):
    old = recompute_model(endpoint.model, trigger="admin",
                          now=timezone.now() - timedelta(days=3))
    response = admin_client.get("/admin/overview/")
    assert all(c["sequence"] != old.sequence for c in response.context["pool_changes"])


def test_overview_is_not_for_anonymous_users(client):
    response = client.get("/admin/overview/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_import_page_imports_csv_and_reports_unmapped_vendors(admin_client):
    ProviderFactory(slug="cerebras")
    ProviderFactory(slug="groq")
    upload = SimpleUploadedFile("aime25-2025-08.csv", AIME.read_bytes(), "text/csv")
    response = admin_client.post("/admin/import-results/", {"format": "csv", "file": upload})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.accepted == 2
    assert BenchmarkRun.objects.filter(endpoint__provider__slug__in=["cerebras", "groq"]).count() == 2
    body = response.content.decode()
    assert "Unmapped vendor names" in body
    assert "nebius" in dict(response.context["unmapped"])
    assert IngestBatch.objects.filter(source="admin-import:csv").exists()


def test_import_page_reports_a_file_it_cannot_parse_and_stores_nothing(admin_client):
    upload = SimpleUploadedFile("x.json", b"not json", "application/json")
    response = admin_client.post("/admin/import-results/", {"format": "tau2", "file": upload})
    report = response.context["report"]
    assert report.accepted == 0 and report.errors
    assert "Refused rows" in response.content.decode()
    assert not BenchmarkRun.objects.exists()


def test_import_page_needs_vendor_model_and_date_for_k2vv_summary(admin_client):
    upload = SimpleUploadedFile("summary.json", b"{}", "application/json")
    response = admin_client.post("/admin/import-results/",
                                 {"format": "k2vv-summary", "file": upload})
    assert response.status_code == 400
    assert "k2vv-summary needs" in response.content.decode()


@pytest.mark.parametrize("url", [
    "/admin/providers/endpoint/", "/admin/providers/llmmodel/", "/admin/providers/feedback/",
    "/admin/providers/providerresponse/", "/admin/providers/providerresponse/add/",
    "/admin/metrics/pooloverride/add/", "/admin/import-results/",
])
def test_admin_pages_render_for_staff(admin_client, endpoint, url):
    assert admin_client.get(url).status_code == 200


def test_published_pools_are_read_only_and_kept(admin_client, endpoint):
    from metrics.services.published_pools import record_published_pool

    pool = record_published_pool(endpoint.model)
    assert admin_client.get(f"/admin/metrics/publishedpool/{pool.pk}/change/").status_code == 200
    assert admin_client.get("/admin/metrics/publishedpool/").status_code == 200
    assert admin_client.post(f"/admin/metrics/publishedpool/{pool.pk}/delete/",
                             {"post": "yes"}).status_code == 403
    assert type(pool).objects.filter(pk=pool.pk).exists()
