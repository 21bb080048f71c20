"""Demo probe runs (docs/demo-data.md): one model's endpoints probed against the local fake
OpenAI-compatible server, with invented behaviours, so the probe sections have data.

Runs once: endpoints that already have a probe run are left alone (seed_demo is idempotent).
"""

from django.conf import settings
from django.utils import timezone

from metrics.models import BenchmarkRun, ProbeRun
from metrics.probes.fake_server import FakeOpenAI
from metrics.probes.suite import load_suite
from metrics.services.probes import run_probe
from providers.models import Endpoint

MODEL = "moonshotai/kimi-k2-0905"
# provider: (fake behaviour, applied to every n-th case). Invented, like all demo behaviours.
BEHAVIOURS = {
    "moonshotai": ("correct", 1),      # the reference: probed first, F1 is judged against it
    "fireworks": ("correct", 1),
    "groq": ("never_calls", 40),        # low propensity: skips a call now and then
    "atlascloud": ("broken_json", 5),   # broken parser: every 5th case's arguments cut short
}


def seed_probe_runs(progress=None) -> list[ProbeRun]:
    suite = load_suite(settings.PROBE_SUITES_DIR, settings.EXACTO_PROBE_DEFAULT_SUITE)
    runs = []
    endpoints = {e.provider.slug: e for e in Endpoint.objects.filter(
        model__slug=MODEL, provider__slug__in=BEHAVIOURS).select_related("model", "provider")}
    for provider, (behaviour, every) in BEHAVIOURS.items():
        endpoint = endpoints.get(provider)
        if endpoint is None or ProbeRun.objects.filter(endpoint=endpoint).exists():
            continue
        with FakeOpenAI(suite, behaviour, every=every) as fake:
            runs.append(run_probe(endpoint, base_url=fake.base_url, concurrency=8))
        if progress is not None:
            progress.update(1)
    # Demo results are published like the demo's benchmark files.
    BenchmarkRun.objects.filter(external_id__in=[
        f"probe:{run.pk}:{slug}" for run in runs
        for slug in ("probe-schema-accuracy", "probe-tool-call-f1")
    ]).update(published_at=timezone.now())
    return runs
