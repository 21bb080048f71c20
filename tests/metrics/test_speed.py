"""Speed fields, completion tokens, throughput and the performance object (§10, API.md 1.1)."""

import pytest

from metrics import histogram as h
from metrics.choices import RequestStatus
from metrics.speed import (
    DEFAULT,
    Metric,
    SpeedFieldError,
    SpeedFields,
    parse_speed,
    performance,
    samples,
    throughput_tps,
)
from metrics.stats import wilson_interval

# Throughput (§10): tokens / ((latency − ttft) / 1000) when latency > ttft, else tokens / latency.

def test_throughput_counts_generation_time_after_the_first_token():
    assert throughput_tps(100, 2_500.0, 500.0) == pytest.approx(50.0)


def test_throughput_uses_the_whole_latency_when_it_does_not_exceed_ttft():
    assert throughput_tps(100, 500.0, 500.0) == pytest.approx(200.0)
    assert throughput_tps(30, 300.0, 900.0) == pytest.approx(100.0)


def test_throughput_needs_tokens_both_timings_and_time():
    assert throughput_tps(None, 1000.0, 100.0) is None
    assert throughput_tps(10, None, 100.0) is None
    assert throughput_tps(10, 1000.0, None) is None
    assert throughput_tps(10, 0.0, 0.0) is None
    assert throughput_tps(0, 1000.0, 100.0) == 0.0


def test_no_speed_fields_is_the_default():
    assert parse_speed({"id": "x"}) is DEFAULT
    assert SpeedFields(None, None, RequestStatus.OK, None) == DEFAULT


def test_speed_fields_parse():
    fields = parse_speed({"latency_ms": 1200, "ttft_ms": 300.5, "status": "timeout",
                          "http_status": 504})
    assert fields == SpeedFields(1200.0, 300.5, RequestStatus.TIMEOUT, 504)


@pytest.mark.parametrize(("item", "message"), [
    ({"latency_ms": -1}, "latency_ms must not be negative"),
    ({"ttft_ms": "12"}, "ttft_ms must be a finite number"),
    ({"latency_ms": True}, "latency_ms must be a finite number"),
    ({"latency_ms": 1e12}, "at most 86400000"),
    ({"ttft_ms": 10**400}, "at most 86400000"),  # an int too large for a float
    ({"status": "failed"}, "status must be one of ok, error, timeout"),
    ({"status": ["ok"]}, "status must be one of"),
    ({"http_status": 99}, "http_status must be an integer"),
    ({"http_status": "500"}, "http_status must be an integer"),
])
def test_invalid_speed_fields_say_why(item, message):
    with pytest.raises(SpeedFieldError, match=message):
        parse_speed(item)


def test_only_ok_requests_give_timing_samples():
    ok = SpeedFields(2_000.0, 400.0, RequestStatus.OK, 200)
    assert samples(ok, 80) == {Metric.LATENCY: 2_000.0, Metric.TTFT: 400.0,
                               Metric.THROUGHPUT: pytest.approx(50.0)}
    assert samples(ok, None) == {Metric.LATENCY: 2_000.0, Metric.TTFT: 400.0}
    assert samples(SpeedFields(2_000.0, 400.0, RequestStatus.ERROR, 500), 80) == {}


def test_performance_object_has_the_api_keys_and_nulls_when_empty():
    empty = performance(7, {}, {})
    assert list(empty) == [
        "window_days", "requests", "ok", "errors", "timeouts", "uptime", "uptime_ci95",
        "latency_ms_p50", "latency_ms_p90", "ttft_ms_p50", "ttft_ms_p90",
        "throughput_tps_p50", "throughput_tps_p90",
    ]
    assert empty["requests"] == 0 and empty["uptime"] is None and empty["uptime_ci95"] is None
    assert empty["latency_ms_p50"] is None


def test_performance_uptime_and_interval_are_exact():
    status = {RequestStatus.OK: 90, RequestStatus.ERROR: 7, RequestStatus.TIMEOUT: 3}
    figures = performance(7, {Metric.LATENCY: h.from_values([100.0] * 90)}, status)
    assert (figures["requests"], figures["ok"], figures["errors"], figures["timeouts"]) == (
        100, 90, 7, 3)
    assert figures["uptime"] == 0.9
    assert figures["uptime_ci95"] == list(wilson_interval(90, 100))
    assert figures["latency_ms_p50"] == pytest.approx(100.0, rel=0.02)
