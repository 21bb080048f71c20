"""One parser entry point for results files (metrics/importers/formats.py), shared by
`manage.py import_benchmarks` and the admin's import page; a refusal is a ValueError."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from metrics.importers.formats import FORMATS, parse_file
from metrics.importers.records import DATA_DIR

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "importers"
SUMMARY = FIXTURES / "k2vv-summary.json"


def test_a_summary_without_vendor_model_and_time_is_refused():
    with pytest.raises(ValueError, match="k2vv-summary needs"):
        parse_file("k2vv-summary", SUMMARY, vendor="Groq")


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        parse_file("xml", SUMMARY)


def test_a_summary_with_its_context_parses():
    parsed = parse_file("k2vv-summary", SUMMARY, vendor="Groq", model="kimi-k2-0905-preview",
                        run_at=datetime(2025, 10, 1, tzinfo=UTC))
    assert {record.vendor for record in parsed.records} == {"Groq"}


@pytest.mark.parametrize(("fmt", "path"), [
    ("csv", DATA_DIR / "datasets" / "aa-gpt-oss-120b" / "aime25-2025-08.csv"),
    ("k2vv-tables", DATA_DIR / "datasets" / "k2vv-tables" / "published-results.csv"),
    ("tau2", FIXTURES / "tau2-submission-fireworks.json"),
])
def test_every_file_format_parses_through_the_one_entry_point(fmt, path):
    assert fmt in FORMATS
    parsed = parse_file(fmt, path)
    assert parsed.records
    assert parsed.errors == ()


def test_the_command_reports_a_refusal_as_a_command_error():
    with pytest.raises(CommandError, match="k2vv-summary needs"):
        call_command("import_benchmarks", "k2vv-summary", str(SUMMARY), verbosity=0)
