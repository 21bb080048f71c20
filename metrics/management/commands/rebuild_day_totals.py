"""`manage.py rebuild_day_totals`: rewrite every daily total from the rollups.

Run it after changing `EXACTO_APP_DAILY_CAP` (until then readers sum the rollups of days whose
totals were computed under the old cap: right, but slower) or after repairing rollups by hand.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from metrics.models import ToolCallDayTotal
from metrics.services.upserts import rebuild_day_totals


class Command(BaseCommand):
    help = "Rewrite the daily totals (ToolCallDayTotal) from the rollups, under the current cap."

    def handle(self, *args, **options):
        with transaction.atomic():
            rebuild_day_totals()
        self.stdout.write(f"{ToolCallDayTotal.objects.count()} daily totals written.")
