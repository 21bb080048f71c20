"""`manage.py import_benchmarks FORMAT FILE`: load a published results file as benchmark runs."""

from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from metrics.importers import generic_csv, k2vv_summary, k2vv_tables, tau2
from metrics.services.imports import import_parse_result

FORMATS = {
    "csv": "generic CSV: model,provider,benchmark,score,stderr,samples,source,run_at",
    "k2vv-tables": "K2 Vendor Verifier published tables (published-results.csv)",
    "k2vv-summary": "K2 Vendor Verifier summary.json (needs --vendor, --model, --run-at)",
    "tau2": "tau2-bench leaderboard submission.json",
}


def parse_file(fmt: str, path: Path, *, vendor=None, model=None, run_at=None):
    if fmt == "csv":
        return generic_csv.parse(path)
    if fmt == "k2vv-tables":
        return k2vv_tables.parse(path)
    if fmt == "tau2":
        return tau2.parse(path)
    if not (vendor and model and run_at):
        raise CommandError("k2vv-summary needs --vendor, --model and --run-at.")
    return k2vv_summary.parse(path.read_text(encoding="utf-8"), vendor=vendor, model=model,
                              run_at=run_at)


class Command(BaseCommand):
    help = "Import benchmark results. Formats: " + "; ".join(f"{k} = {v}" for k, v in FORMATS.items())

    def add_arguments(self, parser):
        parser.add_argument("format", choices=sorted(FORMATS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--vendor")
        parser.add_argument("--model")
        parser.add_argument("--run-at", type=datetime.fromisoformat)
        parser.add_argument("--unpublished", action="store_true",
                            help="Keep the runs private (default: published, as their source is).")
        parser.add_argument("--source", default="", help="Label for the import log.")

    def handle(self, *args, **o):
        path: Path = o["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        run_at = o["run_at"]
        if run_at is not None and run_at.tzinfo is None:
            run_at = run_at.replace(tzinfo=UTC)
        parsed = parse_file(o["format"], path, vendor=o["vendor"], model=o["model"], run_at=run_at)
        with tqdm(total=len(parsed.records), desc=f"Importing {path.name}", unit="run",
                  disable=o["verbosity"] == 0) as bar:
            report = import_parse_result(
                parsed, source=o["source"] or f"import:{o['format']}",
                publish=not o["unpublished"], progress=bar,
            )
        for error in report.errors:
            self.stderr.write(f"refused {error}")
        for change in report.rotation_changes:
            self.stdout.write(f"rotation: {change}")
        self.stdout.write(report.summary())
