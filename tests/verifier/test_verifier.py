"""The standalone verifier (verifier/exacto_verify.py, issue 18): an outsider's check that
recomputes public figures and published pool verdicts from the open data over HTTP."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from metrics.models import PublishedPool
from providers.models import Endpoint, LLMModel

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "verifier" / "exacto_verify.py"
SERVER_PACKAGES = {"django", "rest_framework", "metrics", "providers", "exacto_site", "celery",
                   "tests"}


def test_verifier_uses_the_standard_library_only():
    tree = ast.parse(VERIFIER.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def test_running_the_verifier_loads_no_module_of_the_server():
    probe = ("import runpy, sys; runpy.run_path(sys.argv[1], run_name='verifier');"
             "print(sorted({m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-I", "-c", probe, str(VERIFIER)], cwd="/",
                         capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out.replace("'", '"')))
    assert not loaded & SERVER_PACKAGES, loaded & SERVER_PACKAGES


@pytest.mark.django_db
def test_verifier_agrees_on_every_public_figure_verdict_and_pool_order_of_the_demo(demo_site):
    run = subprocess.run([sys.executable, "-I", str(VERIFIER), demo_site.url, "--verbose"],
                         cwd="/", capture_output=True, text=True, timeout=300)
    out = run.stdout
    assert run.returncode == 0, out[-4000:] + run.stderr
    assert "DISAGREE" not in out and "ALL AGREE" in out
    models = list(LLMModel.objects.values_list("slug", flat=True))
    endpoints = Endpoint.objects.count()
    # Every model's latest published pool: its order and each endpoint's verdict compared.
    for slug in models:
        assert re.search(rf"^agree +pool figures +{re.escape(slug)} #\d+ +pool order +ours=",
                         out, re.M), slug
    assert len(re.findall(r"^agree +pool verdicts .* tier +ours=", out, re.M)) == endpoints
    assert len(re.findall(r"^agree +public .* accuracy_ci95 +ours=", out, re.M)) == endpoints
    assert len(re.findall(r"^agree +ignores .* ignore_rate \(API\) +ours=", out, re.M)) \
        == endpoints
    # The closing summary gives agreement per figure.
    assert re.search(rf"^agree +pool verdicts +tier +{endpoints}/{endpoints}$", out, re.M)
    assert re.search(rf"^agree +pool figures +pool order +{len(models)}/{len(models)}$", out,
                     re.M)
    # The demo's published pools decide something: real members, and some endpoints out.
    verdicts = [v for p in PublishedPool.objects.all() for v in p.verdicts]
    assert sum(v["member"] and not v["fallback"] for v in verdicts) >= 10
    assert {v["tier"] for v in verdicts} >= {"verified", "deranked", "unverified"}


