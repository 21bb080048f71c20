"""Production settings pass `manage.py check --deploy` with no warning (issue: foundation)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECURE_SSL_REDIRECT")}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="exacto.example.com")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_enum_values_match_the_pure_modules():
    from metrics import choices
    from metrics.complexity import Bucket
    from metrics.pools import Override, Tier
    from metrics.toolcalls import Outcome
    from providers.choices import RotationStatus
    from providers.rotation_rules import RotationStatus as PureRotationStatus

    assert set(choices.Outcome.values) == {o.value for o in Outcome}
    assert set(choices.Bucket.values) == {b.value for b in Bucket}
    assert set(choices.Tier.values) == {t.value for t in Tier}
    assert set(choices.OverrideAction.values) == {o.value for o in Override}
    assert set(RotationStatus.values) == {s.value for s in PureRotationStatus}
