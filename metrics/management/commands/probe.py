"""`manage.py probe MODEL PROVIDER --base-url URL …`: one probe run (METHODOLOGY §11).

Prints a progress bar on stderr and, alone on the last line of stdout, the JSON summary of
API.md 1.1 "Probes".
"""

import json

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from metrics.choices import ProbeTrigger
from metrics.services.probes import ProbeError, get_suite, resolve_endpoint, run_probe, summary


class Command(BaseCommand):
    help = "Probe an endpoint's OpenAI-compatible API with a probe suite and store the results."

    def add_arguments(self, parser):
        parser.add_argument("model", help="Model slug, e.g. moonshotai/kimi-k2-0905.")
        parser.add_argument("provider", help="Provider slug, e.g. groq.")
        parser.add_argument("--base-url", required=True,
                            help="OpenAI-compatible base URL (…/chat/completions is appended).")
        parser.add_argument("--quantization", default=None)
        parser.add_argument("--api-key-env", default="",
                            help="Name of the environment variable holding the API key.")
        parser.add_argument("--suite", default=None, help="Probe suite (default: the setting).")
        parser.add_argument("--limit", type=int, default=None,
                            help="Only the suite's first N cases, in the suite's order.")
        parser.add_argument("--upstream-model", default="",
                            help="Model id the provider expects (default: the model slug).")
        parser.add_argument("--concurrency", type=int, default=None)

    def handle(self, *args, model, provider, base_url, quantization, api_key_env, suite, limit,
               upstream_model, concurrency, verbosity=1, **options):
        try:
            endpoint = resolve_endpoint(model, provider, quantization)
            cases = len(get_suite(suite).first(limit))
            # The bar goes to the command's stderr stream (raw, so "\r" updates stay on a line).
            with tqdm(total=cases, desc="Probing", unit="case", disable=verbosity == 0,
                      file=self.stderr._out) as bar:
                run = run_probe(endpoint, base_url=base_url, api_key_env=api_key_env, suite=suite,
                                limit=limit, upstream_model=upstream_model,
                                trigger=ProbeTrigger.COMMAND, concurrency=concurrency,
                                on_answer=lambda _answer: bar.update(1))
        except ProbeError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity:
            self.stdout.write(f"{run.label}: {run.ok} answered, {run.errors} errors, "
                              f"{run.timeouts} timeouts; F1 against {run.f1_against}")
        self.stdout.write(json.dumps(summary(run)))
