"""Helpers that start real Celery worker and beat processes against the pytest database."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from metrics.schedule import ensure_periodic_tasks

ROOT = Path(__file__).resolve().parents[3]
CELERY = str(Path(sys.executable).with_name("celery"))


def every_two_seconds(task_name: str) -> None:
    """Installs the beat schedule and makes `task_name` due every 2 s, enabled, for beat."""
    ensure_periodic_tasks()
    task = PeriodicTask.objects.get(name=task_name)
    task.interval, _ = IntervalSchedule.objects.get_or_create(
        every=2, period=IntervalSchedule.SECONDS)
    task.enabled = True
    task.save()
    PeriodicTasks.update_changed()


def unique_queue(prefix: str = "exacto-test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_database_url() -> str:
    """The URL of the database pytest-django created (test_<name>), for child processes."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def child_env(queue: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=test_database_url(),
        CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"],
        SECRET_KEY=settings.SECRET_KEY,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        DJANGO_SETTINGS_MODULE="exacto_site.settings",
        # Children must not keep connections that would block the test DB's flush and drop.
        CONN_MAX_AGE="0",
        PYTHONUNBUFFERED="1",
    )
    return env


class CeleryProcess:
    """A celery subprocess whose output goes to a temp file (read it on failure)."""

    def __init__(self, args: list[str], queue: str):
        self.args = [CELERY, "-A", "exacto_site", *args]
        self.queue = queue
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix="celery-", suffix=".log", delete=False)
        self.proc: subprocess.Popen | None = None

    def start(self) -> "CeleryProcess":
        self.proc = subprocess.Popen(  # noqa: S603
            self.args, cwd=ROOT, env=child_env(self.queue), stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-5000:]

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        # Own session: signal the whole group (the worker's pool children too), never by name.
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def worker(queue: str, concurrency: int = 1) -> CeleryProcess:
    pool = ["--pool=solo"] if concurrency == 1 else ["--pool=prefork", f"--concurrency={concurrency}"]
    return CeleryProcess(
        ["worker", *pool, "-Q", queue, "--without-heartbeat", "--without-gossip",
         "--without-mingle", "-l", "warning", "-n", f"{queue}@%h"],
        queue,
    )


def beat(queue: str) -> CeleryProcess:
    schedule = Path(tempfile.gettempdir()) / f"{queue}-beat-schedule"
    return CeleryProcess(
        ["beat", "-S", "django_celery_beat.schedulers:DatabaseScheduler", "-l", "warning",
         "--max-interval", "1", "-s", str(schedule)],
        queue,
    )


def wait_for(predicate, *, timeout: float, interval: float = 0.25, processes=()):
    """Polls `predicate` until truthy; fails early, with output, if a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for proc in processes:
            if not proc.alive():
                raise AssertionError(f"{proc.args[3]} exited early:\n{proc.output()}")
        time.sleep(interval)
    logs = "\n".join(f"--- {p.args[3]}:\n{p.output()}" for p in processes)
    raise AssertionError(f"timed out after {timeout}s\n{logs}")
