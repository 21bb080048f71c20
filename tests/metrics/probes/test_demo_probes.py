"""The demo's probe runs (docs/demo-data.md): exact figures from the suite, published, once."""

import pytest

from metrics.demo.probes import MODEL, seed_probe_runs
from metrics.models import BenchmarkRun
from metrics.services.rotation import set_reference
from providers.services.endpoints import register_endpoint

pytestmark = pytest.mark.django_db


def test_demo_probes_run_once_with_their_behaviours(suite):
    for provider in ("moonshotai", "fireworks", "groq", "atlascloud"):
        endpoint, _ = register_endpoint(MODEL, provider, "fp8")
        if provider == "moonshotai":
            set_reference(endpoint)
    runs = {r.endpoint.provider.slug: r for r in seed_probe_runs()}
    assert list(runs) == ["moonshotai", "fireworks", "groq", "atlascloud"]
    calls = sum(len(c.expected_calls) for c in suite.cases)
    broken = sum(len(c.expected_calls) for i, c in enumerate(suite.cases) if i % 5 == 0)
    assert runs["atlascloud"].invalid_json == broken
    assert runs["atlascloud"].schema_accuracy == (calls - broken) / calls
    skipped = sum(c.expect_call for i, c in enumerate(suite.cases) if i % 40 == 0)
    calling = sum(c.expect_call for c in suite.cases)
    assert (runs["groq"].tp, runs["groq"].fn) == (calling - skipped, skipped)
    assert runs["groq"].f1_against == f"reference {runs['moonshotai'].label}"
    runs["groq"].endpoint.refresh_from_db()
    assert runs["groq"].endpoint.rotation_status == "active"  # ≈ 98: within range
    runs["atlascloud"].endpoint.refresh_from_db()
    assert runs["atlascloud"].endpoint.rotation_status == "benchmark_hold"
    assert not BenchmarkRun.objects.filter(published_at__isnull=True).exists()
    assert seed_probe_runs() == []
