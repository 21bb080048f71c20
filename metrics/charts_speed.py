"""Plotly specs and tables of the "Speed" section (METHODOLOGY §10; docs/DASHBOARD.md).

Pure: takes the endpoint rows of the selectors (their `performance` object, and their
`endpoint_id` to find the daily p50 throughput), returns JSON-ready figures, a one-line
takeaway and a table per chart. Providers are listed on the y axis (horizontal, sorted best
first, names never rotated), the p90 drawn as a whisker from the p50 bar, colours by tier as
in every other chart. Each figure follows metrics/charts.py's shape (takeaway, legend and
table beside data and layout, labels escaped for Plotly) so the chart_card tag
(metrics/templatetags/exacto.py) draws it.
"""

from __future__ import annotations

from datetime import date

from metrics.charts import FONT, ROW_PX, TIER_COLOURS, _legend_tiers, _tier, escaped, label
from metrics.choices import Tier
from metrics.presentation import interval as _interval
from metrics.presentation import pct as _pct

PLOT_CONFIG = {"responsive": True, "displayModeBar": False}

# (key, performance prefix, title, unit, higher is better)
TIMINGS = (
    ("throughput", "throughput_tps", "Output speed: p50 throughput, p90 whisker", "tokens/s",
     True),
    ("latency", "latency_ms", "Latency (request → last byte): p50, p90 whisker", "ms", False),
    ("ttft", "ttft_ms", "Time to first token: p50, p90 whisker", "ms", False),
)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms" and value >= 10_000:
        return f"{value / 1000:,.1f} s"
    return f"{value:,.0f} {unit}" if value >= 10 else f"{value:,.1f} {unit}"


def _layout(title: str, x_title: str, n: int, **extra) -> dict:
    # No Plotly title: the takeaway above the chart is its title, and a long title would
    # overflow a phone's width.
    return {
        "xaxis": {"title": {"text": x_title, "standoff": 6}, "automargin": True,
                  "rangemode": "tozero", "gridcolor": "#eceff3", "fixedrange": True},
        # First row at the top: the best provider reads first.
        "yaxis": {"automargin": True, "autorange": "reversed", "type": "category",
                  "fixedrange": True, "ticksuffix": "  "},
        "margin": {"l": 8, "r": 40, "t": 24, "b": 8},
        "height": 72 + ROW_PX * max(n, 3),
        "font": FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
        "hovermode": "closest",
        **extra,
    }


def _legend(rows: list) -> list[dict]:
    """Tier colours present in the chart, as the HTML legend under it."""
    return _legend_tiers([_tier(r) for r in rows])


def timing_chart(rows: list, key: str, prefix: str, title: str, unit: str,
                 higher_is_better: bool) -> dict | None:
    """Horizontal p50 bars with a p90 whisker, best first; None when nobody reported it."""
    known = [r for r in rows if r.performance[f"{prefix}_p50"] is not None]
    if not known:
        return None
    known.sort(key=lambda r: (-r.performance[f"{prefix}_p50"] if higher_is_better
                              else r.performance[f"{prefix}_p50"], label(r)))
    p50 = [r.performance[f"{prefix}_p50"] for r in known]
    p90 = [r.performance[f"{prefix}_p90"] for r in known]
    names = [label(r) for r in known]
    best = known[0]
    word = "Fastest" if higher_is_better else "Lowest"
    whisker_end = [max(a, b or a) for a, b in zip(p50, p90, strict=True)]
    figure = {
        "data": [
            {
                "type": "bar", "orientation": "h", "name": f"p50 {unit}", "y": names, "x": p50,
                "marker": {"color": [TIER_COLOURS.get(_tier(r), "#999999") for r in known]},
                "error_x": {"type": "data", "symmetric": False,
                            "array": [e - a for a, e in zip(p50, whisker_end, strict=True)],
                            "arrayminus": [0] * len(p50), "color": "#444444"},
                "customdata": [[_fmt(a, unit), _fmt(b, unit)] for a, b in zip(p50, p90,
                                                                              strict=True)],
                "hovertemplate": "%{y}: p50 %{customdata[0]}, p90 %{customdata[1]}"
                                 "<extra></extra>",
            },
            # The p50 as a label just past the whisker, where it never overlaps it.
            {
                "type": "scatter", "mode": "text", "name": "p50 label", "y": names,
                "x": whisker_end, "text": ["  " + _fmt(v, unit) for v in p50],
                "textposition": "middle right", "hoverinfo": "skip",
                "textfont": {"size": 11}, "cliponaxis": False,
            },
        ],
        "layout": _layout(title, f"{unit}: bar p50, whisker p90", len(known),
                          xaxis={"title": {"text": f"{unit}: bar p50, whisker p90",
                                           "standoff": 6},
                                 "automargin": True, "gridcolor": "#eceff3", "fixedrange": True,
                                 "range": [0, 1.45 * max(whisker_end)]}),
        "config": PLOT_CONFIG,
    }
    return {
        "key": key,
        "title": title,
        "takeaway": f"{word} p50: {label(best)} at {_fmt(p50[0], unit)}"
                    + (f" ({len(known)} providers)" if len(known) > 1 else ""),
        "legend": _legend(known),
        **figure,
        "table": {
            "columns": ["Provider", "p50", "p90", "Ok requests"],
            "rows": [[label(r), _fmt(r.performance[f"{prefix}_p50"], unit),
                      _fmt(r.performance[f"{prefix}_p90"], unit),
                      f"{r.performance['ok']:,}"] for r in known],
        },
    }


def uptime_chart(rows: list, minimum: float) -> dict | None:
    """Uptime with its 95% interval per provider, the rule-6 bar as a line (§10)."""
    known = [r for r in rows if r.performance["uptime"] is not None]
    if not known:
        return None
    known.sort(key=lambda r: (-r.performance["uptime"], label(r)))
    up = [round(100 * r.performance["uptime"], 3) for r in known]
    lo = [round(100 * r.performance["uptime_ci95"][0], 3) for r in known]
    hi = [round(100 * r.performance["uptime_ci95"][1], 3) for r in known]
    worst = known[-1]
    figure = {
        "data": [{
            "type": "scatter", "mode": "markers", "name": "uptime", "y": [label(r) for r in known],
            "x": up,
            "marker": {"size": 11, "color": [TIER_COLOURS.get(_tier(r), "#999999")
                                             for r in known]},
            "error_x": {"type": "data", "symmetric": False,
                        "array": [h - u for h, u in zip(hi, up, strict=True)],
                        "arrayminus": [u - low for u, low in zip(up, lo, strict=True)]},
            "customdata": [_interval(r.performance["uptime_ci95"]) for r in known],
            "hovertemplate": "%{y}: %{x:.1f}% (95% interval %{customdata})<extra></extra>",
        }],
        "layout": _layout("Uptime with 95% interval", "Uptime (%): ok / all requests",
                          len(known),
                          xaxis={"title": {"text": "Uptime (%): ok / all requests",
                                           "standoff": 6},
                                 "automargin": True, "gridcolor": "#eceff3", "fixedrange": True,
                                 "range": [min(min(lo), 100 * minimum) - 2, 100.5]},
                          shapes=[{
                              "type": "line", "xref": "x", "x0": 100 * minimum,
                              "x1": 100 * minimum, "yref": "paper", "y0": 0, "y1": 1,
                              "line": {"color": TIER_COLOURS[Tier.DERANKED], "dash": "dash",
                                       "width": 1.5}}]),
        "config": PLOT_CONFIG,
    }
    perf = worst.performance
    return {
        "key": "uptime",
        "title": "Uptime with 95% interval",
        "takeaway": f"Lowest uptime: {label(worst)} at {_pct(perf['uptime'])} "
                    f"({_interval(perf['uptime_ci95'])}) over {perf['requests']:,} requests",
        # The pool's bar is named in the HTML legend: an in-plot label is cut at narrow widths.
        "legend": [*_legend(known), {"label": f"pool bar: upper bound ≥ {100 * minimum:g}%",
                                     "colour": TIER_COLOURS[Tier.DERANKED], "shape": "dash"}],
        **figure,
        "table": {
            "columns": ["Provider", "Requests", "Ok", "Errors", "Timeouts", "Uptime",
                        "95% interval"],
            "rows": [[label(r), f"{r.performance['requests']:,}", f"{r.performance['ok']:,}",
                      f"{r.performance['errors']:,}", f"{r.performance['timeouts']:,}",
                      _pct(r.performance["uptime"]),
                      _interval(r.performance["uptime_ci95"])] for r in known],
        },
    }


def daily_throughput_chart(rows: list, daily: dict[int, list[tuple[date, float]]]
                           ) -> dict | None:
    """Daily p50 throughput as a provider × day heat map (no tangle of lines)."""
    series = {label(r): dict(daily.get(r.endpoint_id, [])) for r in rows}
    series = {name: points for name, points in series.items() if points}
    if not series:
        return None
    days = sorted({d for points in series.values() for d in points})
    # Fastest recent provider first: ordered by its latest day's p50.
    names = sorted(series, key=lambda n: (-series[n][max(series[n])], n))
    z = [[series[n].get(d) for d in days] for n in names]
    x = [d.isoformat() for d in days]
    figure = {
        "data": [{
            "type": "heatmap", "x": x, "y": names, "z": z, "colorscale": "Cividis",
            # Title beside the bar, not above it, and few ticks on a short bar: a map of one
            # or two providers is that many rows high, and its tick labels overlapped.
            "colorbar": {"title": {"text": "tokens/s", "side": "right"}, "thickness": 12,
                         "nticks": 4 if len(names) < 4 else 8},
            "hovertemplate": "%{y}, %{x}: p50 %{z:.0f} tokens/s<extra></extra>",
            "xgap": 1, "ygap": 1,
        }],
        "layout": _layout("Daily p50 throughput", "Day", len(names),
                          xaxis={"title": {"text": "Day", "standoff": 6}, "automargin": True,
                                 "type": "date", "fixedrange": True}),
        "config": PLOT_CONFIG,
    }
    return {
        "key": "daily-throughput",
        "title": "Daily p50 throughput",
        "takeaway": f"Daily p50 throughput over {len(days)} day{'s' if len(days) != 1 else ''}"
                    f", fastest on the latest day first",
        "legend": [],
        **figure,
        "table": {
            "columns": ["Day", *names],
            "rows": [[d.isoformat(), *(_fmt(series[n].get(d), "tokens/s") for n in names)]
                     for d in days],
        },
    }


def speed_section(rows: list, daily: dict[int, list[tuple[date, float]]], *,
                  prefix: str, window_days: int, min_uptime: float) -> dict:
    """What templates/dashboard/_speed.html draws: charts with takeaways and tables."""
    measured = [r for r in rows if r.performance["requests"]]
    charts = [
        timing_chart(measured, key, perf, title, unit, better)
        for key, perf, title, unit, better in TIMINGS
    ]
    charts += [uptime_chart(measured, min_uptime), daily_throughput_chart(measured, daily)]
    # Labels (provider, quantization) escaped for Plotly as metrics.charts does: text only.
    charts = [escaped(lambda c=c: c)() for c in charts if c is not None]
    for chart in charts:
        chart["id"] = f"{prefix}-{chart['key']}"
    return {"prefix": prefix, "charts": charts, "window_days": window_days}
