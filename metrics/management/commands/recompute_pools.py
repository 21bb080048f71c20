"""`manage.py recompute_pools [--model SLUG]`: recompute exacto pools now, synchronously."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from metrics.choices import RecomputeTrigger
from metrics.services.pools import recompute_model
from providers.models import LLMModel


class Command(BaseCommand):
    help = "Recompute every model's exacto pool now (or one with --model)."

    def add_arguments(self, parser):
        parser.add_argument("--model", help="Only this model slug.")

    def handle(self, *args, model=None, verbosity=1, **options):
        models = LLMModel.objects.order_by("slug")
        if model:
            models = models.filter(slug=model)
            if not models.exists():
                raise CommandError(f"Unknown model {model!r}.")
        for m in tqdm(list(models), desc="Recomputing pools", unit="model",
                      disable=verbosity == 0):
            snapshot = recompute_model(m, trigger=RecomputeTrigger.COMMAND)
            pool = snapshot.figures.get("pool", [])
            changes = snapshot.changes.count()
            self.stdout.write(f"{m.slug}: #{snapshot.sequence}, {len(pool)} in pool"
                              f"{' (fallback)' if snapshot.fallback else ''}, {changes} changes")
