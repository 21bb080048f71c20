"""Importer for a tau2-bench leaderboard submission (submission.json).

Format as defined by sierra-research/tau2-bench,
web/leaderboard/public/submissions/schema.json (generated from
src/tau2/scripts/leaderboard/submission.py): required ``model_name``,
``model_organization``, ``submitting_organization``, ``submission_date``,
``results``; ``results`` maps a domain (retail, airline, telecom,
banking_knowledge) to ``pass_1``..``pass_4`` percentages (or null) plus
``cost``; optional ``methodology.evaluation_date`` and, for voice
submissions, ``voice_config.provider``.

Each published pass^k becomes a run of benchmark ``tau2-<domain>-pass<k>``
(underscores in domain names become hyphens), score as published.

Choices, because the schema has no "served by" field for text submissions:
``vendor`` is ``voice_config.provider`` when given (the audio-native provider
that served the model), else ``submitting_organization`` (who ran it: for
provider-run submissions such as Fireworks' this is the serving provider).
``run_at`` is ``methodology.evaluation_date`` when given, else
``submission_date``. The model name goes through the model aliases; without
an alias the slug is ``<model_organization>/<model_name>`` lowercased.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from metrics.importers.records import (
    MODEL_SLUG_RE,
    BenchmarkSpec,
    EndpointRun,
    ParseResult,
    RowError,
    RowProblem,
    RunRecord,
    aliases_or_default,
    line_of,
    lookup_alias,
    parse_run_at,
    parse_score,
    read_source,
    slugify,
)

SOURCE = "tau2-bench"
LINK = "https://github.com/sierra-research/tau2-bench"
_PASS_KEY_RE = re.compile(r"^pass_(\d+)$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DOMAIN_NAMES = {
    "retail": "retail",
    "airline": "airline",
    "telecom": "telecom",
    "banking_knowledge": "banking knowledge",
}
# Copied to every record's detail when present: what was run, and how.
DETAIL_KEYS = ("submission_type", "modality", "reasoning_effort", "trajectories_available")
METHODOLOGY_KEYS = ("evaluation_date", "tau2_bench_version", "user_simulator", "notes")


def benchmark_spec(domain: str, k: int) -> BenchmarkSpec:
    """The spec of tau2-bench pass^k on one domain."""
    label = DOMAIN_NAMES.get(domain, domain.replace("_", " "))
    return BenchmarkSpec(
        slug=f"tau2-{domain.replace('_', '-')}-pass{k}",
        name=f"τ²-bench {label} pass^{k}",
        description=(
            f"tau2-bench {label} domain: share of tasks the agent solved in all of {k} "
            f"independent trial(s) (pass^{k}), in percent, as published on the leaderboard."
        ),
        link=LINK,
    )


def parse(
    text_or_path: str | Path, *, model_aliases: Mapping[str, str] | None = None
) -> ParseResult:
    """Parse one submission.json; a bad score becomes a RowError, the rest parse."""
    text = read_source(text_or_path)
    aliases = aliases_or_default(model_aliases)
    try:
        submission = json.loads(text)
    except json.JSONDecodeError as exc:
        return ParseResult((), (), (RowError(exc.lineno, f"not valid JSON: {exc.msg}"),))
    if not isinstance(submission, dict):
        return ParseResult((), (), (RowError(1, "submission.json must hold a JSON object"),))
    try:
        header = _header(submission, aliases)
    except RowProblem as problem:
        return ParseResult((), (), (RowError(0, str(problem)),))

    results = submission["results"]
    run = EndpointRun(header["id_prefix"], header["model"], header["vendor"], SOURCE,
                      header["run_at"])
    results_line = line_of(text, '"results"')
    records: list[RunRecord] = []
    errors: list[RowError] = []
    specs: dict[str, BenchmarkSpec] = {}
    for domain, figures in results.items():
        domain_line = line_of(text, f'"{domain}"', max(results_line, 1)) or results_line
        if figures is None:
            continue
        if not isinstance(figures, dict):
            errors.append(RowError(domain_line, f"results.{domain} is not an object"))
            continue
        extras = {
            key: value
            for key, value in figures.items()
            if not _PASS_KEY_RE.match(key) and value is not None
        }
        for key, value in figures.items():
            match = _PASS_KEY_RE.match(key)
            if match is None or value is None:
                # null means not run (e.g. pass_4 with fewer than 4 scored trials).
                continue
            k = int(match.group(1))
            line = line_of(text, f'"{key}"', domain_line) or domain_line
            try:
                score = parse_score(value, f"results.{domain}.{key}")
            except RowProblem as problem:
                errors.append(RowError(line, str(problem)))
                continue
            spec = benchmark_spec(domain, k)
            specs[spec.slug] = spec
            detail = dict(header["detail"])
            detail.update({f"{domain}_{key}": value for key, value in extras.items()})
            detail["domain"] = domain
            records.append(run.record(spec.slug, spec.slug, score, detail=detail))
    benchmarks = tuple(specs[slug] for slug in sorted(specs))
    return ParseResult(benchmarks, tuple(records), tuple(errors))


def _run_at(submission_date: str, methodology: dict[str, Any]) -> datetime:
    """The evaluation date when the methodology gives one, else the submission date."""
    if not _DATE_RE.match(submission_date):
        raise RowProblem(f"submission_date {submission_date!r} is not YYYY-MM-DD")
    submitted = parse_run_at(submission_date, "submission_date")
    evaluation_date = methodology.get("evaluation_date")
    if isinstance(evaluation_date, str) and _DATE_RE.match(evaluation_date.strip()):
        return parse_run_at(evaluation_date.strip(), "methodology.evaluation_date")
    return submitted


def _header(submission: dict[str, Any], aliases: Mapping[str, str]) -> dict[str, Any]:
    """Model, vendor, date and shared detail of a submission, or RowProblem."""
    for key in ("model_name", "model_organization", "submitting_organization", "submission_date"):
        value = submission.get(key)
        if not isinstance(value, str) or not value.strip():
            raise RowProblem(f"submission lacks {key}")
    if not isinstance(submission.get("results"), dict):
        raise RowProblem("submission lacks a results object")

    model_name = submission["model_name"].strip()
    organization = submission["model_organization"].strip()
    model = lookup_alias(aliases, model_name) or f"{slugify(organization)}/{slugify(model_name)}"
    if not MODEL_SLUG_RE.match(model):
        raise RowProblem(f"model {model_name!r} gives no author/name slug ({model!r})")

    submitter = submission["submitting_organization"].strip()
    voice = submission.get("voice_config")
    served_by = voice.get("provider") if isinstance(voice, dict) else None
    vendor = served_by.strip() if isinstance(served_by, str) and served_by.strip() else submitter

    methodology = submission.get("methodology")
    methodology = methodology if isinstance(methodology, dict) else {}
    submission_date = submission["submission_date"].strip()
    run_at = _run_at(submission_date, methodology)

    detail: dict[str, Any] = {
        "source_model": model_name,
        "model_organization": organization,
        "submitting_organization": submitter,
        "submission_date": submission_date,
    }
    for key in DETAIL_KEYS:
        if submission.get(key) is not None:
            detail[key] = submission[key]
    for key in METHODOLOGY_KEYS:
        if methodology.get(key) is not None:
            detail[key] = methodology[key]
    if served_by:
        detail["voice_provider"] = served_by
        if isinstance(voice, dict) and voice.get("model"):
            detail["voice_model"] = voice["model"]

    id_prefix = f"tau2:{submission_date}:{model_name}:{submitter}"
    return {"model": model, "vendor": vendor, "run_at": run_at, "detail": detail,
            "id_prefix": id_prefix}
