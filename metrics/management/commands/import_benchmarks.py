"""`manage.py import_benchmarks FORMAT FILE`: load a published results file as benchmark runs."""

from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from metrics.importers.formats import FORMATS, parse_file
from metrics.services.imports import import_parse_result


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
        try:
            parsed = parse_file(o["format"], path, vendor=o["vendor"], model=o["model"],
                                run_at=o["run_at"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
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
