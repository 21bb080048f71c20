"""Contract: speed fields of tool-call events and the `performance` figures (METHODOLOGY §10,
API.md 1.1), their publication (§8), the open-data export, and their use by the pool."""

import math
import random
from datetime import timedelta

import pytest

from metrics.histogram import bucket_of, exact_quantile, value_of
from metrics.models import PoolVerdict
from metrics.public_cache import bump
from metrics.services.pools import recompute_model
from metrics.services.publication import publish
from metrics.stats import wilson_interval
from providers.models import Endpoint, LLMModel
from tests.metrics.api.helpers import MODEL, endpoint_row, good, now_iso, post_events, register
from tests.wire_payloads import COMPLETION_TOKENS, FORMATS, pair

pytestmark = pytest.mark.django_db


def timed(event_id, latency, ttft, tokens, **kw) -> dict:
    item = good(event_id, **kw)
    item["response"]["usage"] = {"prompt_tokens": 12, "completion_tokens": tokens}
    item.update(latency_ms=latency, ttft_ms=ttft, status="ok", http_status=200)
    return item


def failed(event_id, status="error", **kw) -> dict:
    """A failed request as a gateway logs it: no response."""
    item = good(event_id, **kw)
    del item["response"]
    item.update(status=status, http_status=502 if status == "error" else None)
    return item


def accept_all(client, items) -> None:
    for start in range(0, len(items), 1000):
        body = post_events(client, items[start:start + 1000]).json()
        assert body["rejected"] == [], body["rejected"][:3]


def tps(tokens, latency, ttft):
    return tokens / ((latency - ttft if latency > ttft else latency) / 1000)


def test_percentiles_of_known_timings_are_within_two_percent(ingest_client, admin_client_api):
    register(ingest_client)
    rng = random.Random(15)
    rows = []
    for _ in range(300):
        ttft = rng.lognormvariate(math.log(400), 0.5)
        tokens = rng.randint(5, 400)
        latency = ttft + tokens / rng.uniform(20, 150) * 1000
        rows.append((round(latency, 2), round(ttft, 2), tokens))
    accept_all(ingest_client, [timed(f"t{i}", *row) for i, row in enumerate(rows)])

    perf = endpoint_row(admin_client_api)["performance"]
    exact = {
        "latency_ms": [r[0] for r in rows],
        "ttft_ms": [r[1] for r in rows],
        "throughput_tps": [tps(r[2], r[0], r[1]) for r in rows],
    }
    for name, values in exact.items():
        for q, suffix in ((0.5, "p50"), (0.9, "p90")):
            truth = exact_quantile(values, q)
            assert perf[f"{name}_{suffix}"] == pytest.approx(truth, rel=0.02), name
    assert (perf["requests"], perf["ok"], perf["errors"], perf["timeouts"]) == (300, 300, 0, 0)
    assert perf["window_days"] == 7


def test_uptime_and_its_interval_are_exact(ingest_client, admin_client_api):
    register(ingest_client)
    items = [timed(f"ok{i}", 900.0, 300.0, 60) for i in range(80)]
    items += [failed(f"err{i}") for i in range(15)]
    items += [failed(f"to{i}", status="timeout") for i in range(5)]
    items[-1].pop("request")  # a timeout may come with neither request nor response
    accept_all(ingest_client, items)

    row = endpoint_row(admin_client_api)
    perf = row["performance"]
    assert (perf["requests"], perf["ok"], perf["errors"], perf["timeouts"]) == (100, 80, 15, 5)
    assert perf["uptime"] == 0.8
    assert perf["uptime_ci95"] == list(wilson_interval(80, 100))
    # Failed requests count only for uptime: no tool calls, no timings.
    assert row["tool_calls"]["calls"] == 80
    assert row["tool_calls"]["requests_with_tools"] == 80
    assert perf["latency_ms_p50"] == pytest.approx(900.0, rel=0.02)
    assert perf["throughput_tps_p50"] == pytest.approx(100.0, rel=0.02)


def test_events_without_speed_fields_count_as_ok_with_null_timings(ingest_client,
                                                                  admin_client_api):
    register(ingest_client)
    accept_all(ingest_client, [good("plain")])
    perf = endpoint_row(admin_client_api)["performance"]
    assert (perf["requests"], perf["ok"], perf["uptime"]) == (1, 1, 1.0)
    assert perf["latency_ms_p50"] is None and perf["throughput_tps_p90"] is None


def test_nothing_reported_gives_nulls(ingest_client, admin_client_api):
    register(ingest_client)
    perf = endpoint_row(admin_client_api)["performance"]
    assert perf["requests"] == 0 and perf["uptime"] is None and perf["uptime_ci95"] is None
    assert perf["ttft_ms_p50"] is None


def test_bad_speed_fields_are_rejected_by_index_and_the_rest_stored(ingest_client,
                                                                   admin_client_api):
    register(ingest_client)
    items = [
        timed("fine", 500.0, 100.0, 10),
        dict(good("neg"), latency_ms=-5),
        dict(good("text"), ttft_ms="fast"),
        dict(good("huge"), latency_ms=1e12),
        dict(good("status"), status="failed"),
        dict(good("http"), http_status=999),
        {k: v for k, v in good("noresp").items() if k != "response"},  # ok needs a response
        failed("fine-error"),
        dict(good("bigint"), latency_ms=10**400),  # too large for a float: no 500
    ]
    body = ingest_client.post("/api/v1/tool-calls/", {"events": items}, format="json")
    assert body.status_code == 200
    result = body.json()
    assert result["accepted"] == 2
    rejected = {r["index"]: (r["id"], r["error"]) for r in result["rejected"]}
    assert rejected == {
        1: ("neg", "latency_ms must not be negative."),
        2: ("text", "ttft_ms must be a finite number of milliseconds."),
        3: ("huge", "latency_ms must be at most 86400000 (one day in milliseconds)."),
        4: ("status", "status must be one of ok, error, timeout."),
        5: ("http", "http_status must be an integer HTTP status code (100-599)."),
        6: ("noresp", "response is required: the response body (or stream) as the client "
                      "received it."),
        8: ("bigint", "latency_ms must be at most 86400000 (one day in milliseconds)."),
    }
    perf = endpoint_row(admin_client_api)["performance"]
    assert (perf["requests"], perf["ok"], perf["errors"]) == (2, 1, 1)


def test_resent_batch_changes_no_speed_figure(ingest_client, admin_client_api):
    register(ingest_client)
    items = [timed("a", 700.0, 200.0, 50), failed("b")]
    accept_all(ingest_client, items)
    before = endpoint_row(admin_client_api)["performance"]
    assert post_events(ingest_client, items).json()["duplicates"] == 2
    assert endpoint_row(admin_client_api)["performance"] == before


def test_public_readers_see_published_days_only(ingest_client, anon_client, admin_client_api):
    register(ingest_client)
    yesterday = now_iso(-timedelta(days=1))
    accept_all(ingest_client, [timed("old", 1000.0, 200.0, 80, created=yesterday),
                               failed("today-error"), timed("today", 5000.0, 200.0, 80)])
    publish(Endpoint.objects.all())  # through yesterday

    public = endpoint_row(anon_client)["performance"]
    assert (public["requests"], public["ok"], public["errors"]) == (1, 1, 0)
    assert public["latency_ms_p90"] == pytest.approx(1000.0, rel=0.02)
    private = endpoint_row(admin_client_api)["performance"]
    assert (private["requests"], private["errors"]) == (3, 1)
    assert private["latency_ms_p90"] == pytest.approx(5000.0, rel=0.02)

    # A bare UPDATE bypasses the services that bump the public version (metrics.public_cache).
    Endpoint.objects.update(published_until=None)
    bump(list(Endpoint.objects.values_list("model_id", flat=True)))
    assert endpoint_row(anon_client)["performance"]["requests"] == 0


def test_late_events_for_a_published_day_wait_for_the_next_publication(
        ingest_client, anon_client, admin_client_api):
    register(ingest_client)
    yesterday = now_iso(-timedelta(days=1))
    accept_all(ingest_client, [timed("first", 1000.0, 200.0, 80, created=yesterday)])
    publish(Endpoint.objects.all())
    # A retry or backfill for the day already published (METHODOLOGY §8).
    accept_all(ingest_client, [failed("late-error", created=yesterday),
                               timed("late", 9000.0, 200.0, 80, created=yesterday)])
    public = endpoint_row(anon_client)["performance"]
    assert (public["requests"], public["errors"]) == (1, 0)
    assert public["latency_ms_p90"] == pytest.approx(1000.0, rel=0.02)
    assert endpoint_row(admin_client_api)["performance"]["requests"] == 3
    publish(Endpoint.objects.all())
    public = endpoint_row(anon_client)["performance"]
    assert (public["requests"], public["errors"]) == (3, 1)
    assert public["latency_ms_p90"] == pytest.approx(9000.0, rel=0.02)


def test_open_data_export_has_published_speed_figures(ingest_client, client):
    register(ingest_client)
    yesterday = now_iso(-timedelta(days=1))
    accept_all(ingest_client, [timed("old", 1000.0, 200.0, 80, created=yesterday),
                               failed("old-error", created=yesterday), timed("new", 3000.0, 1.0, 5)])
    publish(Endpoint.objects.all())  # through yesterday
    rows = client.get("/data/", {"model": MODEL, "format": "json"}).json()["rows"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["requests"], row["ok"], row["errors"], row["timeouts"]) == (2, 1, 1, 0)
    assert row["uptime"] == 0.5
    assert row["latency_ms_p50"] == pytest.approx(1000.0, rel=0.02)
    assert row["throughput_tps_p50"] == pytest.approx(100.0, rel=0.02)
    csv = client.get("/data/", {"model": MODEL, "format": "csv"}).content.decode()
    assert "latency_ms_p50" in csv and "uptime_ci95_low" in csv


def test_pool_orders_equal_accuracy_by_throughput_and_deranks_twenty_percent_errors(
        ingest_client, anon_client):
    for provider in ("aaa-slow", "bbb-fast", "ccc-flaky"):
        register(ingest_client, provider=provider)
    items = []
    for i in range(250):  # equal accuracy (every call valid), 50 vs 200 tokens/s
        items.append(timed(f"s{i}", 2100.0, 100.0, 100, provider="aaa-slow", tool_choice="auto"))
        items.append(timed(f"f{i}", 600.0, 100.0, 100, provider="bbb-fast", tool_choice="auto"))
    for i in range(250):  # the fastest, but one request in five fails
        items.append(timed(f"x{i}", 300.0, 100.0, 100, provider="ccc-flaky", tool_choice="auto")
                     if i % 5 else failed(f"x{i}", provider="ccc-flaky"))
    accept_all(ingest_client, items)
    model = LLMModel.objects.get(slug=MODEL)
    snapshot = recompute_model(model, trigger="command")

    route = anon_client.get("/api/v1/route/", {"model": f"{MODEL}:exacto"}).json()
    assert [p["provider"] for p in route["providers"]] == ["bbb-fast", "aaa-slow"]
    assert route["excluded"] == [{"provider": "ccc-flaky", "quantization": "fp8",
                                  "tier": "deranked", "failed": ["availability"],
                                  "forced": False}]
    verdicts = {v.endpoint.provider.slug: v for v in
                PoolVerdict.objects.filter(snapshot=snapshot).select_related("endpoint__provider")}
    flaky = verdicts["ccc-flaky"]
    assert flaky.failed == ["availability"] and flaky.tier == "deranked"
    upper = wilson_interval(200, 250)[1]
    assert flaky.detail["reasons"]["availability"] == (
        f"uptime 80.0% (upper 95% bound {100 * upper:.1f}% < 95.0%) over 250 requests")
    assert flaky.detail["figures"]["availability"]["upper95"] == upper
    shown = value_of(bucket_of(200.0))  # the histogram's representative of 200 tokens/s
    assert verdicts["bbb-fast"].detail["order"].startswith(
        f"by p50 throughput {shown:.0f} tokens/s: accuracy lower bound within 0.5 points")
    assert verdicts["bbb-fast"].detail["throughput_p50"] == pytest.approx(200, rel=0.02)
    assert (verdicts["bbb-fast"].position, verdicts["aaa-slow"].position) == (0, 1)


@pytest.mark.parametrize("fmt", FORMATS)
def test_throughput_uses_the_completion_tokens_of_every_wire_format(fmt, ingest_client,
                                                                    admin_client_api):
    """`usage.completion_tokens` or `output_tokens`, whole or streamed (client libraries'
    own types, tests/wire_payloads.py): 17 tokens over 170 ms after the first token."""
    register(ingest_client)
    request, response = pair(fmt, "valid")
    item = {"id": f"w-{fmt}", "model": MODEL, "provider": "fastinfer", "request": request,
            "response": response, "format": fmt, "latency_ms": 270, "ttft_ms": 100,
            "created": now_iso(-timedelta(minutes=5))}
    accept_all(ingest_client, [item])
    perf = endpoint_row(admin_client_api)["performance"]
    assert perf["throughput_tps_p50"] == pytest.approx(COMPLETION_TOKENS / 0.17, rel=0.02)

