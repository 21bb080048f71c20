"""Benchmark-result importers, run on the real shipped datasets and on fixtures."""

from __future__ import annotations

import csv
import json
import math
import statistics
from datetime import UTC, datetime
from pathlib import Path

import pytest

from metrics.importers import generic_csv, k2vv_summary, k2vv_tables, tau2
from metrics.importers.records import (
    MODEL_SLUG_RE,
    PROVIDER_SLUG_RE,
    RowProblem,
    default_provider_aliases,
    load_aliases,
    lookup_alias,
    parse_run_at,
)

ROOT = Path(__file__).resolve().parents[2]
K2VV_CSV = ROOT / "data" / "datasets" / "k2vv-tables" / "published-results.csv"
AA_CSV = ROOT / "data" / "datasets" / "aa-gpt-oss-120b" / "aime25-2025-08.csv"
FIXTURES = ROOT / "tests" / "fixtures" / "importers"
SUMMARY_RUN_AT = datetime(2025, 10, 10, 12, 0, tzinfo=UTC)


def k2vv_rows() -> list[dict[str, str]]:
    with K2VV_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def k2vv_records(benchmark: str):
    return [r for r in k2vv_tables.parse(K2VV_CSV).records if r.benchmark == benchmark]


# --- shipped data -----------------------------------------------------------


def test_every_shipped_dataset_file_is_named_in_sources():
    datasets = ROOT / "data" / "datasets"
    sources = (datasets / "SOURCES.md").read_text(encoding="utf-8")
    files = [p for p in datasets.rglob("*") if p.is_file() and p.name != "SOURCES.md"]
    assert len(files) == 4
    for path in files:
        assert path.relative_to(datasets).as_posix() in sources, path


def test_provider_aliases_map_to_lowercase_slugs():
    aliases = default_provider_aliases()
    assert aliases
    for alias, slug in aliases.items():
        assert PROVIDER_SLUG_RE.match(slug), (alias, slug)


def test_every_k2vv_vendor_maps_to_a_provider_slug():
    aliases = default_provider_aliases()
    vendors = {row["vendor"] for row in k2vv_rows()}
    unmapped = {vendor for vendor in vendors if lookup_alias(aliases, vendor) is None}
    assert unmapped == set()


def test_every_aa_provider_maps_to_itself():
    aliases = default_provider_aliases()
    for record in generic_csv.parse(AA_CSV).records:
        assert lookup_alias(aliases, record.vendor) == record.vendor


def test_infiniai_and_infinigence_are_one_provider():
    aliases = default_provider_aliases()
    assert lookup_alias(aliases, "InfiniAI") == "infinigence"
    assert lookup_alias(aliases, "Infinigence") == "infinigence"


def test_alias_lookup_ignores_case_and_spacing():
    aliases = default_provider_aliases()
    assert lookup_alias(aliases, "fireworks  ai") == "fireworks"
    assert lookup_alias(aliases, "MOONSHOT AI TURBO") == "moonshotai-turbo"
    assert lookup_alias(aliases, "nobody") is None


def test_alias_file_naming_one_alias_twice_with_different_targets_is_refused(tmp_path):
    path = tmp_path / "aliases.csv"
    path.write_text("alias,provider\nGroq,groq\ngroq,other\n", encoding="utf-8")
    with pytest.raises(ValueError, match="maps to"):
        load_aliases(path)


# --- K2VV published tables --------------------------------------------------


def test_k2vv_table_parses_without_errors():
    result = k2vv_tables.parse(K2VV_CSV)
    assert result.errors == ()
    assert [spec.slug for spec in result.benchmarks] == [
        "k2vv-schema-accuracy",
        "k2vv-tool-call-f1",
        "k2vv-similarity",
    ]


def test_k2vv_schema_accuracy_equals_the_published_value_for_every_row():
    rows = k2vv_rows()
    records = k2vv_records("k2vv-schema-accuracy")
    assert len(records) == len(rows)
    for row, record in zip(rows, records, strict=True):
        assert record.vendor == row["vendor"]
        assert record.score == float(row["schema_accuracy_pct"])
        assert record.samples == int(row["finish_tool_calls"])


def test_k2vv_schema_accuracy_stderr_is_binomial_in_points():
    record = next(
        r
        for r in k2vv_records("k2vv-schema-accuracy")
        if r.vendor == "vLLM" and r.run_at.day == 15 and r.model == "moonshotai/kimi-k2-0905"
    )
    p = 1007 / 1325
    assert record.stderr == pytest.approx(math.sqrt(p * (1 - p) / 1325) * 100)
    assert record.stderr == pytest.approx(1.173, abs=0.001)
    assert "binomial" in record.detail["stderr_note"]


def test_k2vv_moonshotai_rows_and_only_they_are_reference():
    records = k2vv_tables.parse(K2VV_CSV).records
    reference_vendors = {r.vendor for r in records if r.reference}
    assert reference_vendors == {"MoonshotAI"}
    assert all(r.reference for r in records if r.vendor == "MoonshotAI")
    assert sum(1 for r in k2vv_records("k2vv-schema-accuracy") if r.reference) == 4


def test_k2vv_band_only_rows_carry_no_f1_record_but_keep_the_band():
    rows = k2vv_rows()
    f1_keys = {(r.run_at.date().isoformat(), r.detail["source_model"], r.vendor)
               for r in k2vv_records("k2vv-tool-call-f1")}
    band_rows = [row for row in rows if row["tool_call_f1_band"]]
    assert band_rows
    for row in band_rows:
        assert (row["test_date"], row["model"], row["vendor"]) not in f1_keys
    schema = {(r.run_at.date().isoformat(), r.detail["source_model"], r.vendor): r
              for r in k2vv_records("k2vv-schema-accuracy")}
    for row in band_rows:
        key = (row["test_date"], row["model"], row["vendor"])
        assert schema[key].detail["tool_call_f1_band"] == row["tool_call_f1_band"]


def test_k2vv_numeric_f1_rows_become_f1_records_with_the_published_value():
    rows = [row for row in k2vv_rows() if row["tool_call_f1_pct"]]
    records = k2vv_records("k2vv-tool-call-f1")
    assert len(records) == len(rows) == 7
    published = {(row["test_date"], row["vendor"], row["model"]): float(row["tool_call_f1_pct"])
                 for row in rows}
    for record in records:
        key = (record.run_at.date().isoformat(), record.vendor, record.detail["source_model"])
        assert record.score == published[key]


def test_k2vv_similarity_comes_only_from_the_2025_10_10_rows():
    records = k2vv_records("k2vv-similarity")
    assert len(records) == 13
    assert {r.run_at for r in records} == {datetime(2025, 10, 10, tzinfo=UTC)}
    groq = next(r for r in records if r.vendor == "Groq")
    assert groq.score == 89.39


def test_k2vv_models_map_through_the_model_aliases():
    records = k2vv_tables.parse(K2VV_CSV).records
    assert {r.model for r in records} == {"moonshotai/kimi-k2-0905", "moonshotai/kimi-k2-thinking"}
    source_models = {r.detail["source_model"] for r in records}
    assert source_models == {"kimi-k2-0905-preview", "kimi-k2-thinking"}


def test_k2vv_external_ids_are_unique_and_deterministic():
    first = [r.external_id for r in k2vv_tables.parse(K2VV_CSV).records]
    second = [r.external_id for r in k2vv_tables.parse(K2VV_CSV.read_text()).records]
    assert first == second
    assert len(set(first)) == len(first)
    assert "k2vv:2025-11-15:0bc5061:kimi-k2-0905-preview:Groq:schema-accuracy" in first


def test_k2vv_run_at_is_test_date_midnight_utc_and_detail_is_json():
    for record in k2vv_tables.parse(K2VV_CSV).records:
        assert record.run_at.tzinfo is not None
        assert record.run_at.utcoffset().total_seconds() == 0
        assert (record.run_at.hour, record.run_at.minute) == (0, 0)
        json.dumps(record.detail)


def test_k2vv_bad_rows_become_errors_and_good_rows_survive():
    lines = K2VV_CSV.read_text(encoding="utf-8").splitlines()
    header, good = lines[0], lines[1]
    bad_score = good.replace(",100.00,", ",lots,")
    no_vendor = good.replace(",MoonshotAI,", ",,")
    bad_date = good.replace("2025-11-15", "2025-11-31", 1)
    text = "\n".join([header, bad_score, good, no_vendor, bad_date]) + "\n"
    result = k2vv_tables.parse(text)
    assert [r.vendor for r in result.records] == ["MoonshotAI"]
    assert [e.line for e in result.errors] == [2, 4, 5]
    assert "schema_accuracy_pct 'lots' is not a number" in result.errors[0].reason
    assert "vendor is empty" in result.errors[1].reason
    assert "test_date" in result.errors[2].reason


# --- generic CSV (Artificial Analysis file) ---------------------------------


def test_aa_file_gives_twelve_runs_with_the_published_scores():
    result = generic_csv.parse(AA_CSV)
    assert result.errors == ()
    assert len(result.records) == 12
    scores = {r.vendor: r.score for r in result.records}
    assert scores["groq"] == 86.7
    assert scores["compactifai"] == 36.7
    assert scores["parasail"] == 90.0
    assert statistics.median(scores.values()) == pytest.approx(93.3)
    assert {r.source for r in result.records} == {"Artificial Analysis"}
    assert not any(r.reference for r in result.records)


def test_aa_file_declares_aime25_with_its_display_name_and_keeps_notes():
    result = generic_csv.parse(AA_CSV)
    assert [(b.slug, b.name, b.tolerance) for b in result.benchmarks] == [
        ("aime25", "AIME 2025", 3.0)
    ]
    azure = next(r for r in result.records if r.vendor == "azure")
    assert azure.detail == {"note": "old vLLM ignored reasoning_effort; fixed later"}
    assert azure.run_at == datetime(2025, 8, 11, tzinfo=UTC)
    assert azure.stderr is None and azure.samples is None


def test_generic_csv_external_ids_are_unique_and_deterministic():
    first = [r.external_id for r in generic_csv.parse(AA_CSV).records]
    assert first == [r.external_id for r in generic_csv.parse(str(AA_CSV)).records]
    assert len(set(first)) == len(first)


def test_generic_csv_bad_rows_become_errors_and_good_rows_survive():
    text = (
        "model,provider,benchmark,score,source,run_at\n"
        "openai/gpt-oss-120b,groq,aime25,86.7,Artificial Analysis,2025-08-11\n"
        "openai/gpt-oss-120b,azure,aime25,eighty,Artificial Analysis,2025-08-11\n"
        ",together,aime25,93.3,Artificial Analysis,2025-08-11\n"
        "openai/gpt-oss-120b,novita,aime25,93.3,Artificial Analysis,11/08/2025\n"
        "openai/gpt-oss-120b,cerebras,aime25,150,Artificial Analysis,2025-08-11\n"
        "openai/gpt-oss-120b,nebius,aime25,nan,Artificial Analysis,2025-08-11\n"
        "openai/gpt-oss-120b,fireworks,aime25,93.3,Artificial Analysis,2025-08-11T09:30:00+02:00\n"
    )
    result = generic_csv.parse(text)
    assert [r.vendor for r in result.records] == ["groq", "fireworks"]
    assert result.records[1].run_at == datetime(2025, 8, 11, 7, 30, tzinfo=UTC)
    reasons = {e.line: e.reason for e in result.errors}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert "score 'eighty' is not a number" in reasons[3]
    assert "model is empty" in reasons[4]
    assert "run_at '11/08/2025'" in reasons[5]
    assert "score 150 is outside 0..100" in reasons[6]
    assert "not finite" in reasons[7]


def test_generic_csv_optional_columns_and_id_are_used():
    text = (
        "id,model,provider,benchmark,score,stderr,samples,run_at,reference,harness\n"
        "run-1,gpt-oss-120b,Groq,aime25,86.7,1.2,960,2025-08-11T00:00:00Z,true,openbench\n"
    )
    [record] = generic_csv.parse(text).records
    assert record.external_id == "run-1"
    assert record.model == "openai/gpt-oss-120b"
    assert record.vendor == "Groq"
    assert (record.stderr, record.samples, record.reference) == (1.2, 960, True)
    assert record.source == "internal"
    assert record.detail == {"harness": "openbench", "source_model": "gpt-oss-120b"}


def test_generic_csv_without_a_required_column_reports_the_header():
    text = "model,provider,score,run_at\nopenai/gpt-oss-120b,groq,86.7,2025-08-11\n"
    result = generic_csv.parse(text)
    assert result.records == ()
    assert result.errors[0].line == 1
    assert "benchmark" in result.errors[0].reason


def test_generic_csv_refuses_an_unknown_model_name_without_slug():
    result = generic_csv.parse(
        "model,provider,benchmark,score,run_at\nMystery Model,groq,aime25,50,2025-08-11\n",
        model_aliases={},
    )
    assert result.records == ()
    assert "no entry in the model aliases" in result.errors[0].reason


def test_generic_csv_repeated_id_is_an_error_for_the_second_row():
    text = (
        "id,model,provider,benchmark,score,run_at\n"
        "x,openai/gpt-oss-120b,groq,aime25,86.7,2025-08-11\n"
        "x,openai/gpt-oss-120b,groq,aime25,87.0,2025-08-12\n"
    )
    result = generic_csv.parse(text)
    assert len(result.records) == 1
    assert result.errors[0].line == 3 and "repeats line 2" in result.errors[0].reason


def test_timestamps_without_offset_are_refused():
    with pytest.raises(RowProblem, match="RFC 3339"):
        parse_run_at("2025-08-11T10:00:00")


# --- K2VV tool summary.json -------------------------------------------------


def test_k2vv_summary_fixture_gives_schema_accuracy_like_the_tables():
    result = k2vv_summary.parse(
        FIXTURES / "k2vv-summary.json",
        vendor="NovitaAI",
        model="kimi-k2-0905-preview",
        run_at=SUMMARY_RUN_AT,
    )
    assert result.errors == ()
    [record] = result.records
    assert record.benchmark == "k2vv-schema-accuracy"
    assert record.score == 84.75  # the table's published figure for the same counts
    assert record.samples == 1279
    p = 1084 / 1279
    assert record.stderr == pytest.approx(math.sqrt(p * (1 - p) / 1279) * 100)
    assert record.model == "moonshotai/kimi-k2-0905"
    assert record.vendor == "NovitaAI"
    assert record.reference is False
    assert record.run_at == SUMMARY_RUN_AT
    assert record.detail["finish_stop"] == 2717
    assert record.detail["finish_others_detail"] == {"length": 4}
    assert record.external_id == (
        "k2vv-run:2025-10-10T12:00:00Z:kimi-k2-0905-preview:NovitaAI:schema-accuracy"
    )
    assert [b.slug for b in result.benchmarks] == ["k2vv-schema-accuracy"]


def test_k2vv_summary_with_f1_gives_an_f1_run_and_moonshot_is_reference():
    summary = json.loads((FIXTURES / "k2vv-summary.json").read_text())
    summary["tool_call_f1_pct"] = 82.71
    result = k2vv_summary.parse(
        json.dumps(summary), vendor="MoonshotAI", model="kimi-k2-0905-preview",
        run_at=SUMMARY_RUN_AT,
    )
    assert [r.benchmark for r in result.records] == ["k2vv-schema-accuracy", "k2vv-tool-call-f1"]
    assert result.records[1].score == 82.71
    assert all(r.reference for r in result.records)


def test_k2vv_summary_with_inconsistent_counts_is_an_error():
    summary = json.loads((FIXTURES / "k2vv-summary.json").read_text())
    summary["successful_tool_call_count"] = 1100
    text = json.dumps(summary, indent=4)
    result = k2vv_summary.parse(
        text, vendor="Groq", model="kimi-k2-0905-preview", run_at=SUMMARY_RUN_AT
    )
    assert result.records == ()
    assert "!= finish_tool_calls 1279" in result.errors[0].reason
    tool_calls_line = 1 + text.splitlines().index('    "finish_tool_calls": 1279,')
    assert result.errors[0].line == tool_calls_line


def test_k2vv_summary_that_is_not_json_is_an_error_with_its_line():
    result = k2vv_summary.parse(
        '{\n  "finish_tool_calls": 3,\n  oops\n}', vendor="Groq",
        model="kimi-k2-0905-preview", run_at=SUMMARY_RUN_AT,
    )
    assert result.records == ()
    assert result.errors[0].line == 3


def test_k2vv_summary_needs_an_aware_run_at():
    with pytest.raises(ValueError, match="timezone-aware"):
        k2vv_summary.parse(
            FIXTURES / "k2vv-summary.json", vendor="Groq", model="kimi-k2-0905-preview",
            run_at=datetime(2025, 10, 10),
        )


# --- tau2-bench submission.json ---------------------------------------------


def test_tau2_submission_gives_one_run_per_domain_and_k():
    result = tau2.parse(FIXTURES / "tau2-submission-fireworks.json")
    assert result.errors == ()
    scores = {r.benchmark: r.score for r in result.records}
    assert len(scores) == 15  # 3 domains x 4, banking_knowledge x 3 (pass_4 is null)
    assert scores["tau2-retail-pass1"] == 79.16666666666666
    assert scores["tau2-airline-pass4"] == 74.0
    assert scores["tau2-banking-knowledge-pass3"] == 25.51546391752577
    assert "tau2-banking-knowledge-pass4" not in scores
    assert sorted(b.slug for b in result.benchmarks) == sorted(scores)


def test_tau2_submission_vendor_model_date_and_detail():
    result = tau2.parse(FIXTURES / "tau2-submission-fireworks.json")
    record = next(r for r in result.records if r.benchmark == "tau2-banking-knowledge-pass1")
    assert record.vendor == "Fireworks AI"
    assert record.model == "deepseek/deepseek-v4-flash-0731"
    assert record.source == "tau2-bench"
    assert record.run_at == datetime(2026, 8, 10, tzinfo=UTC)
    assert record.stderr is None and record.samples is None and record.reference is False
    assert record.detail["source_model"] == "DeepSeek-V4-Flash-0731"
    assert record.detail["banking_knowledge_retrieval_config"] == "alltools"
    assert record.detail["submission_type"] == "standard"
    assert record.external_id == (
        "tau2:2026-08-10:DeepSeek-V4-Flash-0731:Fireworks AI:tau2-banking-knowledge-pass1"
    )
    json.dumps(record.detail)


def test_tau2_submission_model_maps_through_aliases():
    result = tau2.parse(FIXTURES / "tau2-submission-nori.json")
    assert {r.model for r in result.records} == {"openai/gpt-oss-120b"}
    assert {r.vendor for r in result.records} == {"Nori"}
    assert {r.benchmark: r.score for r in result.records} == {
        "tau2-retail-pass1": 53.51,
        "tau2-airline-pass1": 38.0,
        "tau2-telecom-pass1": 44.74,
    }


def test_tau2_voice_submission_names_its_serving_provider_as_vendor():
    submission = json.loads((FIXTURES / "tau2-submission-nori.json").read_text())
    submission["voice_config"] = {"provider": "openai", "model": "gpt-realtime-1.5"}
    result = tau2.parse(json.dumps(submission))
    assert {r.vendor for r in result.records} == {"openai"}
    assert result.records[0].detail["submitting_organization"] == "Nori"


def test_tau2_bad_score_is_an_error_and_the_other_scores_survive():
    submission = json.loads((FIXTURES / "tau2-submission-fireworks.json").read_text())
    submission["results"]["airline"]["pass_2"] = 150
    submission["results"]["retail"]["pass_1"] = "high"
    result = tau2.parse(json.dumps(submission, indent=2))
    assert len(result.records) == 13
    reasons = sorted(e.reason for e in result.errors)
    assert reasons == [
        "results.airline.pass_2 150 is outside 0..100",
        "results.retail.pass_1 'high' is not a number",
    ]
    assert all(e.line > 0 for e in result.errors)


def test_tau2_submission_without_results_is_a_file_error():
    result = tau2.parse('{"model_name": "x", "model_organization": "y", '
                        '"submitting_organization": "z", "submission_date": "2025-01-01"}')
    assert result.records == ()
    assert "results" in result.errors[0].reason


def test_tau2_external_ids_are_unique_and_deterministic():
    path = FIXTURES / "tau2-submission-fireworks.json"
    first = [r.external_id for r in tau2.parse(path).records]
    second = [r.external_id for r in tau2.parse(path.read_text()).records]
    assert first == second
    assert len(set(first)) == len(first)


def test_all_imported_models_are_author_name_slugs():
    records = (
        k2vv_tables.parse(K2VV_CSV).records
        + generic_csv.parse(AA_CSV).records
        + tau2.parse(FIXTURES / "tau2-submission-fireworks.json").records
    )
    assert all(MODEL_SLUG_RE.match(r.model) for r in records)
