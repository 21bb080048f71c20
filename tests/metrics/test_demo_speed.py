"""Demo speed profiles (docs/demo-data.md): the trade-offs the Speed section shows."""

import copy
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from functools import cache

from metrics import histogram as h
from metrics.demo.catalog import MODELS
from metrics.demo.speed import (
    ACCURATE_BUT_SLOW,
    FAST_BUT_INACCURATE,
    OUTAGE,
    PROFILES,
    profile_of,
    with_speed,
)
from metrics.demo.traffic import generate_tool_call_events
from metrics.events import parse_tool_call_event
from metrics.speed import samples
from metrics.stats import wilson_interval

END = date(2025, 11, 20)


@cache
def events() -> tuple[dict, ...]:
    return tuple(with_speed(generate_tool_call_events(MODELS[:2], end=END, days=7), end=END))


def by_provider(metric):
    values = defaultdict(list)
    now = datetime(2025, 11, 21, tzinfo=UTC)
    for item in events():
        event = parse_tool_call_event(item, now)  # every demo event is valid API input
        for name, value in samples(event.speed, event.exchange and event.exchange.completion_tokens).items():
            if name == metric:
                values[item["provider"]].append(value)
    return values


def test_the_three_documented_trade_offs_exist():
    assert profile_of("chutes") is FAST_BUT_INACCURATE
    assert {p for p, prof in PROFILES.items() if prof is ACCURATE_BUT_SLOW} == {
        "moonshotai", "deepseek", "z-ai"}
    assert profile_of("together") is OUTAGE
    assert all(p.description for p in PROFILES.values())


def test_fast_provider_is_several_times_faster_than_the_slow_ones():
    tps = by_provider("throughput")
    chutes = h.exact_quantile(tps["chutes"], 0.5)
    moonshot = h.exact_quantile(tps["moonshotai"], 0.5)
    assert chutes > 5 * moonshot


def test_outage_day_brings_the_weeks_uptime_below_the_pool_bar_and_only_there():
    status = defaultdict(lambda: [0, 0])
    for item in events():
        status[(item["model"], item["provider"])][item["status"] == "ok"] += 1
    for (model, provider), (failed, ok) in status.items():
        upper = wilson_interval(ok, ok + failed)[1]
        assert (upper < 0.95) == (provider == "together"), (model, provider, failed, ok)
    outage = (END - timedelta(days=2)).isoformat()
    failed_days = {item["created"][:10] for item in events()
                   if item["provider"] == "together" and item["status"] != "ok"}
    assert outage in failed_days


def test_failed_attempts_have_no_response_and_unique_ids_and_the_rest_is_unchanged():
    items = events()
    assert len({item["id"] for item in items}) == len(items)
    failed = [item for item in items if item["status"] != "ok"]
    assert failed and all("response" not in item for item in failed)
    assert {item["status"] for item in failed} == {"error", "timeout"}
    plain = list(generate_tool_call_events(MODELS[:2], end=END, days=7))
    ok = [item for item in items if item["status"] == "ok"]
    assert [item["id"] for item in ok] == [item["id"] for item in plain]
    stripped = copy.deepcopy(ok[0])
    for key in ("latency_ms", "ttft_ms", "status", "http_status"):
        del stripped[key]
    del stripped["response"]["usage"]
    assert stripped == plain[0]


def test_same_input_gives_identical_speed_fields():
    again = tuple(with_speed(generate_tool_call_events(MODELS[:2], end=END, days=7), end=END))
    assert again == events()
