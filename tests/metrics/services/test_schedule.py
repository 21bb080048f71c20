"""The periodic recompute's interval: installed once, an admin's edit kept, unless the
environment names EXACTO_POOL_RECOMPUTE_SECONDS (then `migrate`, run by `make run`, applies it)."""

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from metrics.schedule import ensure_periodic_tasks

pytestmark = pytest.mark.django_db
NAME = "Recompute exacto pools"


def interval() -> int:
    return PeriodicTask.objects.get(name=NAME).interval.every


def edit_by_admin(seconds: int) -> None:
    every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(name=NAME).update(interval=every)


def test_an_admins_interval_is_kept_when_the_environment_says_nothing(settings, monkeypatch):
    monkeypatch.delenv("EXACTO_POOL_RECOMPUTE_SECONDS", raising=False)
    settings.EXACTO_POOL_RECOMPUTE_SECONDS = 300
    ensure_periodic_tasks()
    edit_by_admin(120)
    ensure_periodic_tasks()
    assert interval() == 120


def test_the_environment_wins_when_it_names_the_interval(settings, monkeypatch):
    ensure_periodic_tasks()
    edit_by_admin(120)
    monkeypatch.setenv("EXACTO_POOL_RECOMPUTE_SECONDS", "20")
    settings.EXACTO_POOL_RECOMPUTE_SECONDS = 20
    ensure_periodic_tasks()
    assert interval() == 20
