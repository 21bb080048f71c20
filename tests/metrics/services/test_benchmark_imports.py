"""The real published files in data/datasets, imported through the alias table (METHODOLOGY §6)."""

import csv
from io import StringIO

import pytest
from django.core.management import call_command

from metrics.importers import k2vv_tables
from metrics.importers.records import DATA_DIR
from metrics.models import Benchmark, BenchmarkRun
from metrics.services.imports import import_parse_result
from providers.models import Endpoint, ProviderAlias
from providers.services.aliases import load_alias_file

K2VV = DATA_DIR / "datasets" / "k2vv-tables" / "published-results.csv"
AA = DATA_DIR / "datasets" / "aa-gpt-oss-120b" / "aime25-2025-08.csv"
MODELS = {"kimi-k2-0905-preview": "moonshotai/kimi-k2-0905",
          "kimi-k2-thinking": "moonshotai/kimi-k2-thinking"}


@pytest.fixture
def aliases(db):
    load_alias_file(DATA_DIR / "provider_aliases.csv")


def test_k2vv_import_gives_the_published_schema_accuracy_for_every_vendor(aliases):
    report = import_parse_result(k2vv_tables.parse(K2VV), source="test")
    assert not report.unmapped and not report.errors
    published = list(csv.DictReader(K2VV.open(encoding="utf-8")))
    runs = BenchmarkRun.objects.filter(benchmark__slug="k2vv-schema-accuracy").select_related(
        "endpoint__provider", "endpoint__model")
    stored = {(r.run_at.date().isoformat(), r.endpoint.model.slug, r.detail["vendor"]): r.score
              for r in runs}
    assert len(stored) == len(published)
    for row in published:
        key = (row["test_date"], MODELS[row["model"]], row["vendor"])
        assert stored[key] == float(row["schema_accuracy_pct"]), key
    reference = Endpoint.objects.get(model__slug="moonshotai/kimi-k2-0905", is_reference=True)
    assert reference.provider.slug == "moonshotai"


def test_k2vv_import_holds_vendors_below_the_reference_and_keeps_the_reference(aliases):
    import_parse_result(k2vv_tables.parse(K2VV), source="test")
    kimi = Endpoint.objects.filter(model__slug="moonshotai/kimi-k2-0905")
    held = {e.provider.slug for e in kimi if e.rotation_status == "benchmark_hold"}
    # Latest (2025-11-15) schema accuracy well under MoonshotAI's 100%: vLLM 76.00, Together 71.96.
    assert {"vllm", "together", "baseten"} <= held
    assert kimi.get(provider__slug="moonshotai").rotation_status == "active"
    # Groq: 100% schema accuracy, F1 69.52 above the F1 median, similarity 89.39 above 88.05−3.
    assert kimi.get(provider__slug="groq").rotation_status == "active"


def test_reimporting_the_same_file_changes_nothing(aliases):
    first = import_parse_result(k2vv_tables.parse(K2VV), source="test")
    count = BenchmarkRun.objects.count()
    second = import_parse_result(k2vv_tables.parse(K2VV), source="test")
    assert first.accepted == count and second.accepted == 0 and second.duplicates == count


def test_unmapped_vendor_names_are_reported_not_guessed(aliases):
    ProviderAlias.objects.filter(alias="groq").delete()
    report = import_parse_result(k2vv_tables.parse(K2VV), source="test")
    assert report.unmapped["Groq"] > 0
    assert "Groq" in report.summary()
    assert not BenchmarkRun.objects.filter(detail__vendor="Groq").exists()


def test_aa_aime25_import_no_longer_holds_a_provider_for_one_question(aliases):
    """METHODOLOGY §6: the AA file publishes no stderr or samples, so each run gets
    se = 100·sqrt(p(1−p)/30) from AIME 2025's 30 questions. Parasail at 90.0 is one
    question (3.3 points) under the median 93.3: with se = 0 it was held (threshold 90.3);
    now it is in range, and so are groq, amazon-bedrock and azure, whose distance from the
    median is within the binomial noise of 30 questions (the median gets the same se, as a
    score on the same items). Only compactifai (36.7) stays held."""
    out = StringIO()
    call_command("import_benchmarks", "csv", str(AA), stdout=out, verbosity=0)
    gpt = {e.provider.slug: e for e in Endpoint.objects.filter(model__slug="openai/gpt-oss-120b")}
    assert {p for p, e in gpt.items() if e.rotation_status == "benchmark_hold"} == {"compactifai"}
    assert gpt["parasail"].rotation_status == "active"
    assert Benchmark.objects.get(slug="aime25").item_count == 30
    # se of compactifai's 36.7: 100·sqrt(0.367·0.633/30) = 8.8; of the median 93.3: 4.565;
    # threshold 93.3 − 2·sqrt(8.8² + 4.565²) = 73.473.
    assert "threshold 73.473 = median 93.3 − max(3.0, 2·√(8.8²+4.565²))" in (
        gpt["compactifai"].rotation_reason)
    assert "binomial from 30 benchmark items" in gpt["compactifai"].rotation_reason
    assert "12 runs stored" in out.getvalue()
