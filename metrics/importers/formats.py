"""Pure: the results-file formats and one entry point that parses a file in any of them.

Both ways of importing call it, `manage.py import_benchmarks` and the admin's "Import a
results file" page; each reports a ValueError in its own way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from metrics.importers import generic_csv, k2vv_summary, k2vv_tables, tau2
from metrics.importers.records import ParseResult

FORMATS = {
    "csv": "generic CSV: model,provider,benchmark,score,stderr,samples,source,run_at",
    "k2vv-tables": "K2 Vendor Verifier published tables (published-results.csv)",
    "k2vv-summary": "K2 Vendor Verifier summary.json (needs --vendor, --model, --run-at)",
    "tau2": "tau2-bench leaderboard submission.json",
}


def parse_file(fmt: str, path: Path, *, vendor: str | None = None, model: str | None = None,
               run_at: datetime | None = None) -> ParseResult:
    """The file's runs; ValueError for an unknown format or a k2vv summary without its
    vendor, model and run time (the summary itself names none of them). A run time without
    a zone is UTC."""
    if fmt == "csv":
        return generic_csv.parse(path)
    if fmt == "k2vv-tables":
        return k2vv_tables.parse(path)
    if fmt == "tau2":
        return tau2.parse(path)
    if fmt != "k2vv-summary":
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}.")
    if not (vendor and model and run_at):
        raise ValueError("k2vv-summary needs --vendor, --model and --run-at.")
    if run_at.tzinfo is None:
        run_at = run_at.replace(tzinfo=UTC)
    return k2vv_summary.parse(path.read_text(encoding="utf-8"), vendor=vendor, model=model,
                              run_at=run_at)
