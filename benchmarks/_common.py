"""Shared set-up of the benchmark scripts: environment, database, Django, gunicorn, timing.

Every script imports this module first. It sets the environment (DATABASE_URL defaulting to
a local PostgreSQL database ``exacto_bench``, created when missing), runs ``django.setup()``
and migrates programmatically. Nothing here is part of the application.

The scripts import the project's models, services and Django helpers inside their functions,
after ``setup_django()``: a model cannot be imported before the app registry is ready, and
the environment (which database) must be set before settings load. That is why the
benchmarks have function-local imports where the application has none.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/exacto_bench"

os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
os.environ.setdefault("SECRET_KEY", "bench-" + "k" * 60)
os.environ["DEBUG"] = "0"
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["SESSION_COOKIE_SECURE"] = "0"
os.environ["CSRF_COOKIE_SECURE"] = "0"
os.environ["STATICFILES_BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
os.environ.pop("CELERY_BROKER_URL", None)  # tasks in-process: benchmarks time the code paths


def _redis_cache_url() -> str:
    """The production cache (Redis) when one answers here, else "" (the database cache)."""
    from urllib.parse import urlparse

    url = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/7")
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return url
    except OSError:
        return ""


os.environ.setdefault("CACHE_URL", _redis_cache_url())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exacto_site.settings")


def log(message: str) -> None:
    print(message, flush=True)


def progress(label: str, done: int, total: int, started: float) -> None:
    """One overwritten progress line on a terminal, a plain line every call otherwise."""
    elapsed = time.perf_counter() - started
    pct = 100.0 * done / total if total else 100.0
    line = f"  … {label}: {done:,}/{total:,} ({pct:5.1f}%) {elapsed:6.1f}s"
    if sys.stdout.isatty():
        end = "\n" if done >= total else ""
        print("\r" + line, end=end, flush=True)
    else:
        print(line, flush=True)


def _ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist."""
    from urllib.parse import urlparse

    import psycopg

    parts = urlparse(url)
    if not parts.scheme.startswith("postgres"):
        return
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 - our own name
            log(f"created database {name}")


def setup_django(*, migrate: bool = True) -> None:
    _ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)


def reset_data() -> None:
    """Empty every table (TRUNCATE via ``flush``): each script starts from a clean database."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


def machine() -> str:
    import platform

    cache = os.environ.get("CACHE_URL") or "database cache"
    return (f"{os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.platform()}, cache: {cache}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn exacto_site.wsgi`` on a free loopback port, with this process's environment."""

    def __init__(self, workers: int = 2) -> None:
        self.port = free_port()
        self.workers = workers
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        exe = Path(sys.executable).parent / "gunicorn"
        cmd = [
            str(exe), "exacto_site.wsgi", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers), "--timeout", "120", "--log-level", "warning",
        ]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within 30 s")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def goal(met: bool) -> str:
    return "goal met" if met else "GOAL MISSED"
