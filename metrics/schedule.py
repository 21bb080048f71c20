"""Installs the periodic tasks in django-celery-beat's tables once; admins edit them after."""

import os

from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

PERIODIC = {
    "Recompute exacto pools": ("metrics.recompute_pools", "EXACTO_POOL_RECOMPUTE_SECONDS", 0),
    "Publish results whose embargo ended": ("metrics.end_embargoes", None, 3600),
    "Expire old failure samples and event keys": ("metrics.expire_old_rows", None, 86400),
    # Looks for endpoints whose probe schedule (default daily, per endpoint) is due.
    "Run due probes": ("metrics.run_due_probes", "EXACTO_PROBE_CHECK_SECONDS", 0),
}


def ensure_periodic_tasks(**kwargs) -> None:
    for name, (task, setting, default) in PERIODIC.items():
        seconds = getattr(settings, setting) if setting else default
        every, _ = IntervalSchedule.objects.get_or_create(every=seconds,
                                                          period=IntervalSchedule.SECONDS)
        # An admin's later change of the interval is never overwritten, unless the
        # environment names the interval explicitly (then the environment wins at migrate).
        task_row, created = PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "interval": every})
        if not created and setting and setting in os.environ and task_row.interval != every:
            task_row.interval = every
            task_row.save(update_fields=["interval"])
