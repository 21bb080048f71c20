"""Installs the periodic tasks in django-celery-beat's tables once; admins edit them after."""

from django.conf import settings

PERIODIC = {
    "Recompute exacto pools": ("metrics.recompute_pools", "EXACTO_POOL_RECOMPUTE_SECONDS"),
    "Publish results whose embargo ended": ("metrics.end_embargoes", None),
}


def ensure_periodic_tasks(**kwargs) -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    for name, (task, setting) in PERIODIC.items():
        seconds = getattr(settings, setting) if setting else 3600
        every, _ = IntervalSchedule.objects.get_or_create(every=seconds,
                                                          period=IntervalSchedule.SECONDS)
        # get_or_create: an admin's later change of the interval is never overwritten.
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": every})
