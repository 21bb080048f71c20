"""`manage.py run_local`: what `make run` serves — the web server plus the real task loop.

Without CELERY_BROKER_URL it starts three processes on Kombu's filesystem broker (a
folder, no server): a Celery worker, Celery beat (the periodic pool recompute every
EXACTO_POOL_RECOMPUTE_SECONDS, embargo ends, expiry) and the development web server,
which enqueues a model's recompute when its rotation or overrides change. Ctrl-C (or
SIGTERM) stops all three. With CELERY_BROKER_URL set (Redis), only the web server
starts: run `make worker` and `make beat` beside it, as in production.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

GRACE_SECONDS = 10


class Command(BaseCommand):
    help = "Serve the site with a Celery worker and beat on a filesystem broker (make run)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, port: int, host: str, **options):
        env = dict(os.environ)
        commands = []
        if not env.get("CELERY_BROKER_URL"):
            queue = settings.QUEUE_DIR
            queue.mkdir(parents=True, exist_ok=True)
            env["CELERY_BROKER_URL"] = "filesystem://"
            env["EXACTO_QUEUE_DIR"] = str(queue)
            celery = [sys.executable, "-m", "celery", "-A", "exacto_site"]
            commands += [
                ("worker", [*celery, "worker", "--pool=solo", "--loglevel=warning",
                            "--without-gossip", "--without-mingle", "--without-heartbeat",
                            "-Q", settings.CELERY_TASK_DEFAULT_QUEUE]),
                ("beat", [*celery, "beat", "--loglevel=warning"]),
            ]
            self.stdout.write(
                f"Celery worker and beat on the filesystem broker in {queue}: pools recompute "
                f"every {settings.EXACTO_POOL_RECOMPUTE_SECONDS} s, and at once after a "
                "rotation change or override.")
        else:
            self.stdout.write("CELERY_BROKER_URL is set: run `make worker` and `make beat` too.")
        commands.append(("web", [sys.executable, "manage.py", "runserver", "--noreload",
                                 f"{host}:{port}"]))

        children: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(signum=None, frame=None):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            for name, command in commands:
                # Our own fixed commands (this interpreter, manage.py, celery), no user input.
                children[name] = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)  # noqa: S603
            while not stopping:
                ended = [name for name, child in children.items() if child.poll() is not None]
                if ended:
                    self.stderr.write(f"{', '.join(ended)} stopped; stopping the others.")
                    break
                time.sleep(0.5)
        finally:
            self._stop(children)
        self.stdout.write("Stopped the web server, worker and beat.")

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
