"""The Speed section's charts (docs/DASHBOARD.md conventions), pure."""

from types import SimpleNamespace

from metrics.charts_speed import speed_section, timing_chart, uptime_chart
from metrics.speed import performance


def row(provider, pk, *, tps=None, latency=None, ok=100, errors=0, tier="verified"):
    perf = performance(7, {}, {})
    perf.update(requests=ok + errors, ok=ok, errors=errors, uptime=ok / (ok + errors),
                uptime_ci95=[ok / (ok + errors) - 0.02, min(1.0, ok / (ok + errors) + 0.01)])
    if tps is not None:
        perf.update(throughput_tps_p50=tps, throughput_tps_p90=tps * 1.5)
    if latency is not None:
        perf.update(latency_ms_p50=latency, latency_ms_p90=latency * 2)
    # The fields of a page row (metrics.selectors.pages.PageRow) the charts read.
    return SimpleNamespace(provider=provider, quantization="fp8", performance=perf,
                           exacto={"tier": tier}, endpoint_id=pk)


ROWS = [row("slow", 1, tps=20, latency=3000), row("fast", 2, tps=300, latency=400),
        row("mid", 3, tps=80, latency=900, ok=80, errors=20, tier="deranked")]


def test_throughput_bars_are_horizontal_sorted_fastest_first_with_p90_whiskers():
    chart = timing_chart(ROWS, "throughput", "throughput_tps", "t", "tokens/s", True)
    bars = chart["data"][0]
    assert bars["orientation"] == "h"
    assert bars["y"] == ["fast (fp8)", "mid (fp8)", "slow (fp8)"]
    assert bars["x"] == [300, 80, 20]
    assert bars["error_x"]["array"] == [150, 40, 10] and bars["error_x"]["arrayminus"] == [0] * 3
    layout = chart["layout"]
    assert layout["yaxis"]["automargin"] and layout["xaxis"]["automargin"]
    assert layout["yaxis"]["autorange"] == "reversed"  # first row on top
    assert chart["takeaway"] == "Fastest p50: fast (fp8) at 300 tokens/s (3 providers)"
    assert chart["table"]["rows"][0] == ["fast (fp8)", "300 tokens/s", "450 tokens/s", "100"]


def test_latency_bars_put_the_lowest_first():
    chart = timing_chart(ROWS, "latency", "latency_ms", "l", "ms", False)
    assert chart["data"][0]["y"] == ["fast (fp8)", "mid (fp8)", "slow (fp8)"]
    assert chart["takeaway"].startswith("Lowest p50: fast (fp8) at 400 ms")


def test_uptime_names_the_lowest_with_its_interval_and_draws_the_pool_bar():
    chart = uptime_chart(ROWS, 0.95)
    assert chart["data"][0]["y"][-1] == "mid (fp8)"
    assert chart["takeaway"] == "Lowest uptime: mid (fp8) at 80.0% (78.0–81.0%) over 100 requests"
    assert chart["layout"]["shapes"][0]["x0"] == 95
    assert chart["table"]["rows"][-1] == ["mid (fp8)", "100", "80", "20", "0", "80.0%",
                                         "78.0–81.0%"]


def test_no_speed_data_draws_no_chart():
    quiet = [row("a", 1)]
    quiet[0].performance = performance(7, {}, {})
    section = speed_section(quiet, {}, prefix="speed", window_days=7, min_uptime=0.95)
    assert section["charts"] == []


def test_section_ids_are_unique_per_prefix_and_the_daily_chart_is_a_heat_map():
    from datetime import date

    daily = {1: [(date(2026, 1, 1), 20.0)], 2: [(date(2026, 1, 1), 290.0),
                                                 (date(2026, 1, 2), 310.0)]}
    section = speed_section(ROWS, daily, prefix="speed-9", window_days=7, min_uptime=0.95)
    ids = [c["id"] for c in section["charts"]]
    assert ids == ["speed-9-throughput", "speed-9-latency", "speed-9-uptime",
                   "speed-9-daily-throughput"]
    heat = section["charts"][-1]["data"][0]
    assert heat["type"] == "heatmap" and heat["y"] == ["fast (fp8)", "slow (fp8)"]
    assert heat["z"] == [[290.0, 310.0], [20.0, None]]
