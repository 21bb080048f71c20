"""Production settings pass `manage.py check --deploy` with no warning (issue: foundation)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECURE_SSL_REDIRECT")}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="exacto.example.com")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DEBUG", "SECURE_SSL_REDIRECT", "SECRET_KEY")}
    env.update(DEBUG="0", ALLOWED_HOSTS="exacto.example.com", **extra)
    return env


@pytest.mark.parametrize("key", [None, "insecure-dev-key-change-me-" + "x" * 40])
@pytest.mark.parametrize("entry", ["import exacto_site.wsgi", "import exacto_site.asgi"])
def test_production_refuses_to_start_without_a_real_secret_key(key, entry):
    """Issue 11, finding 10: no silent fallback to the repository's public key."""
    env = _production_env(**({"SECRET_KEY": key} if key else {}))
    result = subprocess.run([sys.executable, "-c", entry], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set (or is the repository's development key)" in result.stderr


def test_celery_workers_refuse_the_development_key_too():
    code = ("from celery.signals import worker_init\n"
            "import exacto_site\n"
            "worker_init.send(sender=None)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_production_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


def test_the_app_starts_with_a_real_key_and_check_deploy_flags_a_missing_one():
    ok = subprocess.run([sys.executable, "-c", "import exacto_site.wsgi"], cwd=ROOT,
                        env=_production_env(SECRET_KEY=secrets.token_urlsafe(50)),
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    check = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT,
                           env=_production_env(), capture_output=True, text=True, timeout=120)
    assert check.returncode != 0 and "exacto.E001" in check.stderr
