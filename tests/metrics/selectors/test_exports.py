"""Open data (API.md 1.1, issue 18): header-first CSV, JSON Lines, the dataset card, and
exports that change at a publication only by the days it publishes."""

import csv
import io
import json
from datetime import timedelta

import pandas
import pytest
from django.test import Client
from django.utils import timezone

from metrics.models import ToolCallRollup
from metrics.selectors.exports import TABLES
from metrics.services.publication import publish
from metrics.services.upserts import rebuild_day_totals
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory

pytestmark = pytest.mark.django_db

MODEL = "acme/open-model"


@pytest.fixture
def model_with_days():
    """Two endpoints with four days of rollups (two apps each day), published through d-3."""
    today = timezone.now().date()
    model = LLMModelFactory(slug=MODEL)
    endpoints = [EndpointFactory(model=model, provider=ProviderFactory(slug=slug))
                 for slug in ("alpha", "beta")]
    for e_index, endpoint in enumerate(endpoints):
        for back in range(1, 5):
            for app, calls in (("app-1", 60 + back), ("app-2", 40 + 3 * e_index)):
                bad = back + e_index
                ToolCallRollup.objects.create(
                    endpoint=endpoint, app=app, bucket="simple", day=today - timedelta(days=back),
                    requests_with_tools=calls, errored_requests=bad, propensity_requests=calls,
                    propensity_requests_with_calls=calls - 1, calls=calls, valid=calls - bad,
                    invalid_json=bad)
    rebuild_day_totals()  # rollups written outside ingestion
    publish(endpoints, through=today - timedelta(days=3))
    return {"model": model, "endpoints": endpoints, "today": today}


def _jsonl(client: Client, table: str, **params) -> list[dict]:
    response = client.get(f"/data/{table}.jsonl", {"model": MODEL, **params})
    assert response.status_code == 200, response.content
    return [json.loads(line) for line in response.content.decode().splitlines()]


def _all_tables(client: Client) -> dict[str, list[dict]]:
    return {name: _jsonl(client, name) for name in TABLES}


def test_csv_starts_with_its_header_and_reads_with_pandas_without_options(model_with_days):
    for url, params in (("/data/", {"format": "csv"}), ("/data/days.csv", {})):
        response = Client().get(url, {"model": MODEL, **params})
        text = response.content.decode()
        assert text.splitlines()[0].split(",") == TABLES["days"].column_names
        frame = pandas.read_csv(io.StringIO(text))
        assert list(frame.columns) == TABLES["days"].column_names
        assert len(frame) == 2 * 2  # two endpoints × two published days (d-4, d-3)
        assert frame["calls"].dtype.kind == "i" and frame["capped_calls"].dtype.kind == "f"


def test_every_table_reads_as_json_lines_csv_and_json_with_the_same_rows(model_with_days):
    client = Client()
    for name, table in TABLES.items():
        lines = _jsonl(client, name)
        assert all(list(row) == table.column_names for row in lines), name
        as_csv = list(csv.DictReader(io.StringIO(
            client.get(f"/data/{name}.csv", {"model": MODEL}).content.decode())))
        assert len(as_csv) == len(lines), name
        document = client.get(f"/data/{name}.json", {"model": MODEL}).json()
        assert document["rows"] == lines and document["columns"] == table.column_names
        assert document["licence"] == "CC BY 4.0" and document["table"] == name
    assert _jsonl(client, "days") and _jsonl(client, "pools") and _jsonl(client, "pool_verdicts")


def test_licence_and_dataset_card_travel_in_the_http_headers(model_with_days):
    response = Client().get("/data/days.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'rel="license"' in response["Link"] and "creativecommons.org" in response["Link"]
    assert 'rel="describedby"' in response["Link"] and "/data/" in response["Link"]
    assert "licence" not in response.content.decode().lower()


def test_dataset_card_lists_every_table_and_column_with_its_meaning(model_with_days):
    page = Client().get("/data/").content.decode()
    assert "CC BY 4.0" in page and 'rel="license"' in page
    for name, table in TABLES.items():
        assert f"/data/{name}.jsonl" in page and f"/data/{name}.csv" in page
        for column, meaning in table.columns:
            assert f"<code>{column}</code>" in page, column
            assert meaning.split(";")[0][:20] in page.replace("&#x27;", "'"), column
    assert 'id="check-our-numbers"' in page and "verifier/exacto_verify.py" in page


def test_methodology_page_says_how_to_check_our_numbers(db):
    page = Client().get("/methodology/").content.decode()
    assert 'id="check-our-numbers"' in page and "python3 verifier/exacto_verify.py" in page


def test_unknown_table_format_or_model_is_404(model_with_days):
    client = Client()
    assert client.get("/data/secrets.csv").status_code == 404
    assert client.get("/data/days.xlsx").status_code == 404
    assert client.get("/data/days.csv", {"model": "nobody/none"}).status_code == 404


def test_capped_counts_are_exported_beside_raw_ones(model_with_days, settings):
    settings.EXACTO_APP_DAILY_CAP = 50
    rows = _jsonl(Client(), "days")
    alpha = [r for r in rows if r["provider"] == "alpha"]
    for row in alpha:
        # app-1 sent over 50 requests and is scaled to 50; app-2 (40) is not.
        assert row["requests_with_tools"] > row["capped_requests_with_tools"] == pytest.approx(90)
        assert row["accuracy"] == pytest.approx(
            (row["capped_valid"] + row["capped_unchecked"]) / row["capped_calls"])
        assert row["accuracy"] != pytest.approx(row["valid"] / row["calls"])


def test_a_publication_changes_the_export_only_by_the_newly_published_days(model_with_days):
    client = Client()
    today = model_with_days["today"]
    before = _all_tables(client)
    published = {(today - timedelta(days=b)).isoformat() for b in (3, 4)}
    newly = {(today - timedelta(days=b)).isoformat() for b in (1, 2)}
    # Nothing unpublished before: the day tables stop at the last published day.
    assert {r["day"] for r in before["days"]} == published
    assert {r["day"] for r in before["day_buckets"]} == published

    publish(model_with_days["endpoints"], through=today - timedelta(days=1))
    after = _all_tables(client)

    for name in ("days", "day_buckets"):
        assert all(row in after[name] for row in before[name]), name
        added = [row for row in after[name] if row not in before[name]]
        assert {row["day"] for row in added} == newly, name
        assert len(added) == len(after[name]) - len(before[name])
    for name in ("pools", "pool_verdicts"):
        assert all(row in after[name] for row in before[name]), name
        assert {row["sequence"] for row in after[name] if row not in before[name]} == {2}
    assert after["rotation"] == before["rotation"]
    assert after["benchmark_runs"] == before["benchmark_runs"]
    moved = {"published_until", "window_start", "window_end", "ignoring_users", "active_users",
             "ignore_rate"}
    for old, new in zip(before["endpoints"], after["endpoints"], strict=True):
        assert {k for k in old if old[k] != new[k]} <= moved
        assert new["published_until"] == max(newly)


def test_readme_lists_every_table_and_column_of_the_open_data():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme[readme.index("## Check our numbers"):]
    section = section[:section.index("\n## ", 5)]
    patterns = ("capped_", "_ci95_low", "_ci95_high")
    for name, table in TABLES.items():
        assert f"**`{name}`**" in section, name
        for column in table.column_names:
            # Families are written once as patterns: capped_<count>, <rate>_ci95_low/high.
            if column.startswith("capped_") and f"`{column[7:]}`" in section \
                    and table.name in ("days", "day_buckets"):
                continue
            if column.endswith(patterns[1:]) and table.name in ("days", "day_buckets"):
                continue
            if column.startswith("setting_") and "settings in force" in section:
                continue  # one per setting of the rules; the dataset card lists them all
            if column in ("model", "provider", "quantization", "endpoint_key") and \
                    table.name in ("rotation", "benchmark_runs", "endpoints"):
                continue  # "identity"
            assert f"`{column}`" in section, (name, column)


def test_benchmark_runs_carry_the_se_the_range_rule_uses_and_how(model_with_days):
    from metrics.models import Benchmark, BenchmarkRun

    bench = Benchmark.objects.create(slug="open-bench", item_count=30)
    alpha = model_with_days["endpoints"][0]
    now = timezone.now()
    for run_id, stderr, samples in (("reported", 1.5, None), ("sampled", None, 100),
                                    ("items", None, None)):
        BenchmarkRun.objects.create(external_id=run_id, endpoint=alpha, benchmark=bench,
                                    score=90.0, stderr=stderr, samples=samples, run_at=now,
                                    published_at=now)
    rows = {r["run_id"]: r for r in _jsonl(Client(), "benchmark_runs")}
    assert (rows["reported"]["se"], rows["reported"]["se_derivation"]) == (1.5, "reported")
    assert rows["sampled"]["se"] == pytest.approx(3.0)  # 100·sqrt(0.9·0.1/100)
    assert rows["sampled"]["se_derivation"] == "samples (n=100)"
    assert rows["items"]["se"] == pytest.approx(100 * (0.9 * 0.1 / 30) ** 0.5)
    assert rows["items"]["se_derivation"] == "items (n=30)"
    assert rows["items"]["stderr"] is None
