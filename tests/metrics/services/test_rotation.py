"""The rotation service is the one way in (docs/decisions.md "Rotation lives in metrics"):
whoever marks a reference, the range rule is re-applied at once."""

from datetime import UTC, datetime

import pytest

from metrics.importers.records import ParseResult, RunRecord
from metrics.models import RotationEvent
from metrics.services.imports import import_parse_result
from providers.models import Endpoint
from providers.services.endpoints import register_endpoint

pytestmark = pytest.mark.django_db
MODEL = "acme/m"
SCORES = {"host-a": 90.0, "host-b": 89.0, "host-c": 70.0}


def parsed(reference: str = "") -> ParseResult:
    return ParseResult(benchmarks=(), errors=(), records=tuple(
        RunRecord(external_id=f"run-{vendor}", model=MODEL, vendor=vendor, benchmark="b",
                  score=score, stderr=None, samples=None, source="file",
                  run_at=datetime(2025, 10, 1, tzinfo=UTC), reference=vendor == reference)
        for vendor, score in SCORES.items()))


def status(provider: str) -> str:
    return Endpoint.objects.get(provider__slug=provider).rotation_status


def test_a_file_naming_a_new_reference_re_applies_the_rule_without_new_runs():
    for provider in SCORES:
        register_endpoint(MODEL, provider)
    import_parse_result(parsed(), source="first")
    assert status("host-c") == "benchmark_hold"  # 70 < median 89 − 3

    report = import_parse_result(parsed(reference="host-c"), source="second")

    assert report.accepted == 0 and report.duplicates == 3
    assert Endpoint.objects.get(is_reference=True).provider.slug == "host-c"
    assert status("host-c") == "active"  # judged against itself now
    restore = RotationEvent.objects.get(endpoint__provider__slug="host-c", new_status="active")
    assert restore.source == "rule:benchmark_range from second after a new reference (host-c)"


def test_registering_never_marks_a_reference():
    endpoint, created = register_endpoint(MODEL, "host-a", "fp8")
    assert created and not endpoint.is_reference
    with pytest.raises(TypeError):
        register_endpoint(MODEL, "host-b", "fp8", True)  # the reference is set_reference's
