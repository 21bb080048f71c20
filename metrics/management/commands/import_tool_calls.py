"""`manage.py import_tool_calls FILE.jsonl`: gateway logs in the API event shape.

Same parsing, classification and idempotency as POST /api/v1/tool-calls/: a
re-import changes nothing. Bad lines are reported with their line number.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from metrics.services.ingest_tool_calls import ingest_tool_calls

BATCH = 1000


class Command(BaseCommand):
    help = "Import tool-call events from a JSON Lines file (one API event per line)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, verbosity=1, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
        batch: list[tuple[int, object]] = []

        def flush():
            result = ingest_tool_calls([item for _, item in batch], source=f"import:{file.name}")
            totals["accepted"] += result.accepted
            totals["duplicates"] += result.duplicates
            for rejected in result.rejected:
                totals["rejected"] += 1
                line = batch[rejected["index"]][0]
                self.stderr.write(f"line {line}: {rejected['error']}")
            batch.clear()

        size = file.stat().st_size
        with open(file, encoding="utf-8") as handle, tqdm(
            total=size, unit="B", unit_scale=True, desc=file.name, disable=verbosity == 0
        ) as bar:
            for number, line in enumerate(handle, start=1):
                bar.update(len(line.encode()))
                if not line.strip():
                    continue
                try:
                    batch.append((number, json.loads(line)))
                except (ValueError, RecursionError) as exc:
                    totals["rejected"] += 1
                    self.stderr.write(f"line {number}: not valid JSON ({exc})")
                    continue
                if len(batch) >= BATCH:
                    flush()
            if batch:
                flush()
        self.stdout.write(f"{totals['accepted']} accepted, {totals['duplicates']} duplicates, "
                          f"{totals['rejected']} rejected")
