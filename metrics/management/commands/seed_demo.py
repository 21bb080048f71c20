"""`manage.py seed_demo`: idempotent demo data through the real pipeline (docs/demo-data.md).

Five launch models with realistic providers, three weeks of simulated tool-call
telemetry with documented behaviours, ignore preferences, and the real published
benchmark results shipped in data/datasets/ (loaded, not retyped).
"""

import itertools
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone
from tqdm import tqdm

from metrics.choices import RecomputeTrigger
from metrics.demo.catalog import MODELS, PROVIDERS
from metrics.demo.probes import seed_probe_runs
from metrics.demo.speed import with_speed
from metrics.demo.traffic import generate_ignore_events, generate_tool_call_events
from metrics.importers import generic_csv, k2vv_tables
from metrics.importers.records import DATA_DIR
from metrics.models import IngestBatch
from metrics.services.imports import import_parse_result
from metrics.services.ingest_ignores import ingest_ignores
from metrics.services.ingest_tool_calls import ingest_tool_calls
from metrics.services.pools import recompute_all
from metrics.services.publication import publish, share_results
from metrics.services.rotation import set_reference
from providers.models import Endpoint, LLMModel, Provider, ProviderUser
from providers.services.aliases import load_alias_file
from providers.services.endpoints import register_endpoint

BATCH = 500
DATASETS = (
    (k2vv_tables, DATA_DIR / "datasets" / "k2vv-tables" / "published-results.csv"),
    (generic_csv, DATA_DIR / "datasets" / "aa-gpt-oss-120b" / "aime25-2025-08.csv"),
)
# Results of these endpoints were shared privately and are under embargo in the demo,
# so the portal and publication workflow have something to show.
EMBARGOED = {("z-ai/glm-4.6", "chutes"), ("z-ai/glm-4.6", "atlascloud")}


def batched(iterable, size):
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class Command(BaseCommand):
    help = "Load the demo catalog, simulated telemetry and the shipped real benchmark results."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=21)
        parser.add_argument("--requests-per-day", type=int, default=40)
        parser.add_argument("--admin-password", default=None,
                            help="Password for the 'admin' user (default: a new random one).")

    def handle(self, *args, days, requests_per_day, admin_password, verbosity, **options):
        quiet = verbosity == 0
        today = timezone.now().date()
        self._catalog(today)
        # Up to yesterday: today's events would sit partly in the future.
        end = today - timedelta(days=1)
        events = list(with_speed(generate_tool_call_events(
            MODELS, end=end, days=days, requests_per_day=requests_per_day), end=end))
        totals = [0, 0]
        with tqdm(total=len(events), desc="Tool-call events", unit="ev", disable=quiet) as bar:
            for chunk in batched(events, BATCH):
                result = ingest_tool_calls(chunk, source="seed_demo", now=timezone.now())
                totals[0] += result.accepted
                totals[1] += result.duplicates
                bar.update(len(chunk))
        ignores = list(generate_ignore_events(MODELS, end=today - timedelta(days=1), days=days))
        for chunk in batched(ignores, BATCH):
            ingest_ignores(chunk, source="seed_demo")
        self.stdout.write(f"tool-call events: {totals[0]} new, {totals[1]} already stored; "
                          f"ignore events: {len(ignores)}")
        for parser, path in DATASETS:
            parsed = parser.parse(path)
            with tqdm(total=len(parsed.records), desc=path.name, unit="run",
                      disable=quiet) as bar:
                report = import_parse_result(parsed, source=f"seed:{path.name}", progress=bar)
            self.stdout.write(f"{path.relative_to(DATA_DIR.parent)}: {report.summary()}")
        probes = seed_probe_runs()
        self.stdout.write(f"probe runs: {len(probes)} (docs/demo-data.md)")
        self._publish(today)  # each publication also records the published pools
        self._recompute()
        self._users(admin_password)

    def _catalog(self, today):
        load_alias_file(DATA_DIR / "provider_aliases.csv")
        for p in PROVIDERS:
            Provider.objects.update_or_create(slug=p.slug, defaults={"name": p.name,
                                                                     "website": p.website})
        for m in MODELS:
            LLMModel.objects.update_or_create(slug=m.slug, defaults={
                "name": m.name, "author": m.author, "released": m.released})
            for e in m.endpoints:
                endpoint, _ = register_endpoint(m.slug, e.provider, e.quantization)
                if e.provider == m.reference_provider:
                    set_reference(endpoint, sender="seed_demo")

    def _publish(self, today):
        """Demo results are published through yesterday, except the embargoed endpoints:
        published through two weeks ago, then shared (the embargo runs). Through the
        publication service, like every publication (METHODOLOGY §8)."""
        endpoints = list(Endpoint.objects.select_related("model", "provider"))
        embargoed = [e for e in endpoints if (e.model.slug, e.provider.slug) in EMBARGOED]
        publish([e for e in endpoints if e not in embargoed], through=today - timedelta(days=1))
        publish(embargoed, through=today - timedelta(days=14))
        share_results(embargoed)

    def _recompute(self):
        recompute_all(trigger=RecomputeTrigger.COMMAND)

    def _users(self, admin_password):
        User = get_user_model()
        password = admin_password or secrets.token_urlsafe(12)
        admin, _ = User.objects.get_or_create(username="admin", defaults={
            "email": "admin@example.com", "is_staff": True, "is_superuser": True})
        admin.set_password(password)
        admin.save()
        provider = Provider.objects.get(slug="groq")
        demo, created = User.objects.get_or_create(username="groq-demo",
                                                   defaults={"email": "ops@groq.example"})
        if created:
            demo.set_password(password)
            demo.save()
        ProviderUser.objects.get_or_create(user=demo, defaults={"provider": provider})
        batches = IngestBatch.objects.count()
        self.stdout.write(f"{batches} ingest batches recorded.")
        self.stdout.write(f"Admin login: admin / {password}   (provider portal: groq-demo)")
