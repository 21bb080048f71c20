"""`make run` runs the real loop (issue 13): its web server, Celery worker and Celery beat on
the filesystem broker recompute pools on schedule and right after an admin's removal.

Drives `make run` itself on a fresh SQLite file with a small demo seed, then stops it as
Ctrl-C does (SIGINT to its process group) and checks that nothing is left running.
"""

import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
MODEL = "moonshotai/kimi-k2-0905"
INTERVAL = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, proc=None, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"make run exited ({proc.returncode}) while waiting for {what}:\n"
                        + Path(log).read_text()[-3000:])
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout} s waiting for {what}" +
                (":\n" + Path(log).read_text()[-3000:] if log else ""))


@pytest.fixture
def make_run(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}", EXACTO_QUEUE_DIR=str(tmp_path / "q"),
        EXACTO_POOL_RECOMPUTE_SECONDS=str(INTERVAL), PORT=str(port), ADMIN_PASSWORD="pw-make-run",
        SEED_ARGS="--days 2 --requests-per-day 10", DEBUG="1", PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "make-run.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        yield {"proc": proc, "base": base, "log": log, "db": tmp_path / "run.sqlite3"}
    finally:
        # Ctrl-C: the terminal sends SIGINT to the whole foreground process group.
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # only if something outlived Ctrl-C
                leftover = True
            except ProcessLookupError:
                leftover = False
    assert not leftover, "a process of make run outlived Ctrl-C:\n" + log.read_text()[-2000:]


def route(base: str) -> dict | None:
    try:
        response = requests.get(f"{base}/api/v1/route/", params={"model": f"{MODEL}:exacto"},
                                timeout=5)
    except requests.ConnectionError:
        return None
    return response.json() if response.status_code == 200 else None


def csrf_of(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_make_run_recomputes_on_schedule_and_after_an_admin_removal(make_run):
    proc, base, log = make_run["proc"], make_run["base"], make_run["log"]
    first = wait_for(lambda: route(base), 240, "the web server", proc, log)
    assert first["providers"], first  # API.md 1.1: never an empty list while in rotation

    # 1. No action at all: beat's periodic task recomputes, computed_at advances.
    later = wait_for(
        lambda: (r := route(base)) and r["computed_at"] > first["computed_at"] and r,
        3 * INTERVAL, "a scheduled recompute", proc, log)
    since = datetime.fromisoformat(first["computed_at"]).replace(tzinfo=None)
    # Nothing else recomputes here. A recompute that changes no verdict writes no snapshot
    # but records when it ran on the latest one (`checked_at`, API.md 1.1 computed_at).
    with sqlite3.connect(make_run["db"]) as db:
        runs = [(at, t) for (at, t) in db.execute(
            "SELECT checked_at, trigger FROM metrics_poolsnapshot")
            if datetime.fromisoformat(at).replace(tzinfo=None) > since]
    assert runs, "no recompute recorded since the first answer"

    # 2. An admin removes the first provider of the route in the admin, with a reason.
    removed = later["providers"][0]
    with sqlite3.connect(make_run["db"]) as db:
        (endpoint_id,) = db.execute(
            "SELECT e.id FROM providers_endpoint e JOIN providers_provider p ON p.id = e.provider_id"
            " JOIN providers_llmmodel m ON m.id = e.model_id"
            " WHERE m.slug = ? AND p.slug = ? AND e.quantization = ?",
            (MODEL, removed["provider"], removed["quantization"])).fetchone()
    admin = requests.Session()
    login = admin.get(f"{base}/admin/login/", timeout=10)
    admin.post(f"{base}/admin/login/?next=/admin/", timeout=10, data={
        "csrfmiddlewaretoken": csrf_of(login.text), "username": "admin",
        "password": "pw-make-run", "next": "/admin/"})
    changelist = admin.get(f"{base}/admin/providers/endpoint/", timeout=10)
    assert changelist.status_code == 200 and "logout" in changelist.text.lower()
    removed_at = time.monotonic()
    done = admin.post(f"{base}/admin/providers/endpoint/", timeout=10, data={
        "csrfmiddlewaretoken": csrf_of(changelist.text), "action": "change_rotation",
        "_selected_action": str(endpoint_id), "apply": "1", "status": "admin_removed",
        "reason": "make run test: removed by an admin"})
    assert done.status_code == 200 and "Rotation changed for 1 endpoint" in done.text

    def left_the_route():
        r = route(base)
        names = [(p["provider"], p["quantization"]) for p in r["providers"]] if r else None
        return r if r and (removed["provider"], removed["quantization"]) not in names else None

    after = wait_for(left_the_route, 10, "the removed endpoint to leave the route", proc, log)
    elapsed = time.monotonic() - removed_at
    assert after["providers"], after  # another in-rotation endpoint takes its place
    with sqlite3.connect(make_run["db"]) as db:
        (trigger,) = db.execute("SELECT trigger FROM metrics_poolsnapshot s JOIN providers_llmmodel m"
                                " ON m.id = s.model_id WHERE m.slug = ? ORDER BY s.sequence DESC"
                                " LIMIT 1", (MODEL,)).fetchone()
    # Recomputed because of the change, by the worker, well before the next scheduled run.
    assert trigger == "change", trigger
    assert elapsed < 10, elapsed
