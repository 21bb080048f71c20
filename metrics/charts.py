"""Plotly figure specs (plain dicts) for the dashboard; drawn by the local plotly.js. Pure.

Conventions (DASHBOARD.md): one point per chart, stated as its takeaway above it; anything
listed by provider is horizontal, sorted best first, with the provider names on the y axis;
height follows the number of rows; intervals drawn as whiskers; one Okabe–Ito palette for
tiers and one for failure modes, shared by every chart and the table badges. Legends are
HTML under the plot (`legend`), never inside the SVG, so they cannot cover axis titles or
data; every figure carries its numbers as a table (`table`) for screen readers and copying.
"""

from dataclasses import replace
from functools import wraps
from statistics import median

from metrics.choices import FAILURE_OUTCOMES, Bucket, Outcome, Tier

# Plotly renders a subset of HTML in every label (`<a href>`, `<b>`, `<br>`, …): a provider,
# model or quantization name must be shown as text, never followed as a link.
_TEXT_KEYS = frozenset({"x", "y", "name", "text", "hovertext", "ticktext", "title",
                        "categoryarray"})


def plotly_text(value: str) -> str:
    """A label as Plotly must receive it: its HTML-like markup escaped as entities."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape(value, key: str | None = None):
    """Strings under a label key (at any depth below it) escaped; ours like hovertemplate
    kept. The HTML around the chart (takeaway, legend, table) is escaped by the template."""
    if isinstance(value, str):
        return plotly_text(value) if key in _TEXT_KEYS else value
    if isinstance(value, dict):
        return {k: _escape(v, k if k in _TEXT_KEYS else None) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escape(v, key) for v in value]
    return value


def escaped(chart):
    """Every label of the figure a chart function returns is escaped for Plotly."""

    @wraps(chart)
    def wrapper(*args, **kwargs):
        figure = chart(*args, **kwargs)
        return {**figure, "data": _escape(figure["data"]), "layout": _escape(figure["layout"])}

    return wrapper

TIER_COLOURS = {Tier.VERIFIED: "#009E73", Tier.UNVERIFIED: "#E69F00", Tier.DERANKED: "#D55E00",
                None: "#8A8F98"}
TIER_LABELS = {Tier.VERIFIED: "verified", Tier.UNVERIFIED: "unverified", Tier.DERANKED: "deranked",
               None: "not judged"}
# Keyed in FAILURE_OUTCOMES' order: the stacking order of the failure chart.
FAILURE_COLOURS = dict(zip(FAILURE_OUTCOMES, ("#0072B2", "#CC79A7", "#F0E442"), strict=True))
FAILURE_LABELS = {Outcome.INVALID_JSON: "invalid JSON", Outcome.UNKNOWN_TOOL: "unknown tool",
                  Outcome.SCHEMA_MISMATCH: "schema mismatch"}
BUCKET_LABELS = {Bucket.SIMPLE: "Simple schemas", Bucket.MEDIUM: "Medium schemas",
                 Bucket.COMPLEX: "Complex schemas"}
NEUTRAL = "#5B6470"
BAND = "#56B4E9"
ROW_PX = 28
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12,
        "color": "#1b1f24"}


def _pct(value):
    return None if value is None else round(100 * value, 3)


def label_of(provider: str, quantization: str) -> str:
    """An endpoint's name on every page and chart: its provider, then its quantization."""
    return f"{provider} ({quantization})" if quantization else provider


def label(row) -> str:
    return label_of(row.provider, row.quantization)


def _tier(row):
    return (row.exacto or {}).get("tier")


def _layout(n_rows: int, *, x_title: str = "", x_range=None, **extra) -> dict:
    """A horizontal chart: categories on y (first at the top), values on x."""
    return {
        # Room for the tick labels and the axis title even with one or two rows.
        "height": ROW_PX * max(n_rows, 3) + 72,
        "margin": {"l": 8, "r": 16, "t": 8, "b": 8},
        "font": FONT,
        "showlegend": False,
        "hovermode": "closest",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {"title": {"text": x_title, "standoff": 6}, "automargin": True,
                  "zeroline": False, "gridcolor": "#eceff3", "fixedrange": True,
                  **({"range": x_range} if x_range else {})},
        "yaxis": {"automargin": True, "autorange": "reversed", "type": "category",
                  "fixedrange": True, "ticksuffix": "  "},
        **extra,
    }


def _legend_tiers(tiers) -> list[dict]:
    present = [t for t in (*Tier, None) if t in set(tiers)]
    return [{"label": TIER_LABELS[t], "colour": TIER_COLOURS[t], "shape": "dot"} for t in present]


def _empty(message: str) -> dict:
    return {"data": [], "layout": {}, "empty": message, "takeaway": "", "legend": [],
            "table": {"columns": [], "rows": []}}


def _f1(value) -> str:
    return "—" if value is None else f"{value:.1f}"


@escaped
def accuracy_chart(rows: list, bar: float | None = None) -> dict:
    """Accuracy with its 95% Wilson interval per provider, best lower bound first (§4, §7)."""
    rows = [r for r in rows if r.tool_calls["accuracy"] is not None]
    if not rows:
        return _empty("No tool calls in the window, so no accuracy to compare yet.")
    rows.sort(key=lambda r: (-r.tool_calls["accuracy_ci95"][0], label(r)))
    names = [label(r) for r in rows]
    data = []
    for tier in (*Tier, None):
        group = [r for r in rows if _tier(r) == tier]
        if not group:
            continue
        acc = [_pct(r.tool_calls["accuracy"]) for r in group]
        lo = [_pct(r.tool_calls["accuracy_ci95"][0]) for r in group]
        hi = [_pct(r.tool_calls["accuracy_ci95"][1]) for r in group]
        data.append({
            "type": "scatter", "mode": "markers", "name": TIER_LABELS[tier],
            "x": acc, "y": [label(r) for r in group],
            "marker": {"size": 10, "color": TIER_COLOURS[tier]},
            "error_x": {"type": "data", "symmetric": False, "thickness": 2, "width": 0,
                        "color": TIER_COLOURS[tier],
                        "array": [h - a for h, a in zip(hi, acc, strict=True)],
                        "arrayminus": [a - low for a, low in zip(acc, lo, strict=True)]},
            "customdata": [[low, h, r.tool_calls["calls"], TIER_LABELS[tier]]
                           for low, h, r in zip(lo, hi, group, strict=True)],
            "hovertemplate": "<b>%{y}</b><br>tool-call accuracy %{x:.1f}%"
                             "<br>95% interval %{customdata[0]:.1f}–%{customdata[1]:.1f}%"
                             "<br>%{customdata[2]:,} calls · %{customdata[3]}<extra></extra>",
        })
    lows = [_pct(r.tool_calls["accuracy_ci95"][0]) for r in rows]
    left = min([*lows, *([_pct(bar)] if bar is not None else [])])
    layout = _layout(len(rows), x_title="Accuracy (%)",
                     x_range=[max(0, left - 1.5), 100.5])
    layout["yaxis"].update(categoryorder="array", categoryarray=names)
    legend = _legend_tiers([_tier(r) for r in rows])
    below = []
    if bar is not None:
        layout["shapes"] = [{"type": "line", "xref": "x", "x0": _pct(bar), "x1": _pct(bar),
                             "yref": "paper", "y0": 0, "y1": 1,
                             "line": {"color": "#1b1f24", "width": 1.5, "dash": "dash"}}]
        legend.append({"label": f"pool's bar {100 * bar:.1f}%", "colour": "#1b1f24",
                       "shape": "dash"})
        below = [r for r in rows if r.tool_calls["accuracy_ci95"][1] < bar]
    best = rows[0]
    takeaway = (f"{label(best)} is the most accurate: {100 * best.tool_calls['accuracy']:.1f}%"
                f" of tool calls valid")
    if bar is not None:
        takeaway += (f"; {len(below)} of {len(rows)} provider{'s' if len(rows) != 1 else ''} "
                     f"fall below the pool's bar")
    return {
        "data": data, "layout": layout, "takeaway": takeaway, "legend": legend,
        "table": {"columns": ["Provider", "Accuracy (%)", "95% low", "95% high", "Calls", "Tier"],
                  "rows": [[label(r), _f1(_pct(r.tool_calls["accuracy"])),
                            _f1(_pct(r.tool_calls["accuracy_ci95"][0])),
                            _f1(_pct(r.tool_calls["accuracy_ci95"][1])),
                            f"{r.tool_calls['calls']:,}", TIER_LABELS[_tier(r)]]
                           for r in rows]},
    }


def _failure_interval(row: dict, mode: str):
    """The 95% Wilson interval of a failure mode's rate, on capped counts (§4)."""
    return row.tool_calls.get(f"{mode}_rate_ci95")


def _pct_with_interval(rate, interval) -> str:
    text = f"{100 * (rate or 0):.2f}"
    return f"{text} ({100 * interval[0]:.2f}–{100 * interval[1]:.2f})" if interval else text


@escaped
def failure_modes_chart(rows: list) -> dict:
    """How calls fail: the three failure rates per provider, stacked, fewest first (§1)."""
    rows = [r for r in rows if r.tool_calls["calls"]]
    if not rows:
        return _empty("No tool calls in the window, so no failures to break down yet.")

    def total(r):
        return sum(r.tool_calls["failure_rates"][m] or 0 for m in FAILURE_COLOURS)

    rows.sort(key=lambda r: (total(r), label(r)))
    names = [label(r) for r in rows]
    data = []
    for mode, colour in FAILURE_COLOURS.items():
        custom = []
        for r in rows:
            ci = _failure_interval(r, mode)
            custom.append(f" (95% interval {100 * ci[0]:.2f}–{100 * ci[1]:.2f}%)" if ci else "")
        data.append({
            "type": "bar", "orientation": "h", "name": FAILURE_LABELS[mode],
            "y": names, "x": [_pct(r.tool_calls["failure_rates"][mode]) for r in rows],
            "marker": {"color": colour, "line": {"width": 0}}, "customdata": custom,
            "hovertemplate": f"<b>%{{y}}</b><br>{FAILURE_LABELS[mode]}: %{{x:.2f}}% of calls"
                             "%{customdata}<extra></extra>",
        })
    layout = _layout(len(rows), x_title="Failed calls (%)", barmode="stack",
                     bargap=0.35)
    layout["yaxis"].update(categoryorder="array", categoryarray=names)
    sums = {m: sum(r.tool_calls["failure_rates"][m] or 0 for r in rows) for m in FAILURE_COLOURS}
    main = max(sums, key=sums.get)
    worst = rows[-1]
    takeaway = (f"{label(worst)} fails most often ({100 * total(worst):.1f}% of calls); "
                f"{FAILURE_LABELS[main]} is the most common failure" if total(worst) > 0
                else "No provider's tool calls failed in the window")
    return {
        "data": data, "layout": layout, "takeaway": takeaway,
        "legend": [{"label": FAILURE_LABELS[m], "colour": c, "shape": "bar"}
                   for m, c in FAILURE_COLOURS.items()],
        # Every rate with its 95% interval (§4), the request error rate too.
        "table": {"columns": ["Provider", *(f"{FAILURE_LABELS[m]} (%, 95% interval)"
                                            for m in FAILURE_COLOURS),
                              "Total (%)", "Errored requests (%, 95% interval)"],
                  "rows": [[label(r), *(_pct_with_interval(r.tool_calls["failure_rates"][m],
                                                           _failure_interval(r, m))
                                        for m in FAILURE_COLOURS),
                            f"{100 * total(r):.2f}",
                            _pct_with_interval(r.tool_calls["request_error_rate"],
                                               r.tool_calls.get("request_error_rate_ci95"))]
                           for r in rows]},
    }


@escaped
def propensity_chart(rows: list, band) -> dict:
    """How often each provider calls a tool when it may, against the normal band (§2, §7)."""
    rows = [r for r in rows if r.tool_calls["propensity"] is not None]
    if not rows:
        return _empty("No requests that let the model choose to call a tool in the window.")
    rows.sort(key=lambda r: (-r.tool_calls["propensity"], label(r)))
    names = [label(r) for r in rows]
    values = [_pct(r.tool_calls["propensity"]) for r in rows]
    cis = [r.tool_calls.get("propensity_ci95") for r in rows]
    colours = [TIER_COLOURS[_tier(r)] for r in rows]
    trace = {
        "type": "scatter", "mode": "markers", "name": "propensity", "x": values, "y": names,
        "marker": {"size": 10, "color": colours},
        "customdata": [[_pct(c[0]) if c else None, _pct(c[1]) if c else None] for c in cis],
        "hovertemplate": "<b>%{y}</b><br>calls a tool on %{x:.1f}% of requests"
                         "<br>95% interval %{customdata[0]:.1f}–%{customdata[1]:.1f}%"
                         "<extra></extra>",
    }
    if all(cis):
        trace["error_x"] = {"type": "data", "symmetric": False, "thickness": 2, "width": 0,
                            "color": NEUTRAL,
                            "array": [_pct(c[1]) - v for c, v in zip(cis, values, strict=True)],
                            "arrayminus": [v - _pct(c[0]) for c, v in zip(cis, values, strict=True)]}
    extent = [v for v in values] + [_pct(c[0]) for c in cis if c] + [_pct(c[1]) for c in cis if c]
    if band:
        extent += [_pct(_band(band)[0]), _pct(_band(band)[1])]
    pad = max(1.0, 0.08 * (max(extent) - min(extent)))
    layout = _layout(len(rows), x_title="Requests with a call (%)",
                     x_range=[max(-1, min(extent) - pad), min(101, max(extent) + pad)])
    layout["yaxis"].update(categoryorder="array", categoryarray=names)
    legend = _legend_tiers([_tier(r) for r in rows])
    low, high = (_band(band) if band else (None, None))
    if band:
        layout["shapes"] = [{"type": "rect", "xref": "x", "x0": _pct(low), "x1": _pct(high),
                             "yref": "paper", "y0": 0, "y1": 1, "layer": "below",
                             "fillcolor": BAND, "opacity": 0.22, "line": {"width": 0}}]
        legend.append({"label": f"normal band {100 * low:.1f}–{100 * high:.1f}%",
                       "colour": BAND, "shape": "band"})
        outside = [r for r in rows if not low <= r.tool_calls["propensity"] <= high]
        takeaway = (f"{len(rows) - len(outside)} of {len(rows)} providers call tools at a normal "
                    f"rate" + (f"; {', '.join(label(r) for r in outside[:3])} "
                               f"{'is' if len(outside) == 1 else 'are'} outside the band"
                               if outside else ""))
    else:
        takeaway = (f"Providers call a tool on {min(values):.1f}–{max(values):.1f}% of requests "
                    "that let the model choose")
    return {
        "data": [trace], "layout": layout, "takeaway": takeaway, "legend": legend,
        "table": {"columns": ["Provider", "Propensity (%)", "95% low", "95% high"],
                  "rows": [[n, _f1(v), _f1(_pct(c[0]) if c else None),
                            _f1(_pct(c[1]) if c else None)]
                           for n, v, c in zip(names, values, cis, strict=True)]},
    }


def _band(band) -> tuple[float, float]:
    if isinstance(band, dict):
        return band["low"], band["high"]
    return band.low, band.high


def bucket_charts(rows: list) -> dict:
    """Accuracy per schema-complexity bucket (§3): small multiples, one panel per bucket,
    each sorted, so providers are compared on like-for-like schemas."""
    panels = []
    medians = {}
    for bucket, title in BUCKET_LABELS.items():
        panel_rows = [replace(r, tool_calls=r.buckets[bucket]) for r in rows
                      if r.buckets[bucket]["accuracy"] is not None]
        figure = accuracy_chart(panel_rows)
        figure["title"] = title
        if panel_rows:
            medians[bucket] = median(r.tool_calls["accuracy"] for r in panel_rows)
            figure["takeaway"] = f"{title}: median {100 * medians[bucket]:.1f}%"
            figure["layout"]["xaxis"]["title"]["text"] = "Accuracy (%)"
        panels.append({"key": bucket, "figure": figure})
    if not medians:
        return {"panels": [], "takeaway": "", "empty": "No calls in any complexity bucket yet."}
    parts = [f"{BUCKET_LABELS[b].split()[0].lower()} {100 * m:.1f}%" for b, m in medians.items()]
    return {"panels": panels, "takeaway": "Median accuracy by schema complexity: " + ", ".join(parts)}


def _score(value: float, unit: str) -> str:
    return f"{value:.1f}%" if unit == "%" else f"{value:.1f} {unit}".rstrip()


def sparklines(series: dict[str, list[tuple]], *, width: int = 220, height: int = 44,
               y_range: tuple[float, float] | None = None, unit: str = "%",
               x_prefix: str = "") -> dict:
    """Small multiples as SVG polylines, one per name, on one shared y scale: readable at any
    width (the page lays them out in a grid), never eleven tangled lines."""
    series = {name: [p for p in points if p[1] is not None] for name, points in series.items()}
    series = {name: points for name, points in series.items() if points}
    if not series:
        return {"items": []}
    values = [p[1] for points in series.values() for p in points]
    lo, hi = y_range or (min(values), max(values))
    if hi - lo < 1:
        lo, hi = lo - 0.5, hi + 0.5
    xs = sorted({p[0] for points in series.values() for p in points})
    index = {x: i for i, x in enumerate(xs)}
    span = max(len(xs) - 1, 1)
    pad = 3

    def xy(point):
        x = pad + (width - 2 * pad) * index[point[0]] / span
        y = pad + (height - 2 * pad) * (1 - (point[1] - lo) / (hi - lo))
        return f"{x:.1f},{y:.1f}"

    items = []
    for name, points in sorted(series.items(), key=lambda kv: (-kv[1][-1][1], kv[0])):
        last = points[-1]
        items.append({
            "name": name, "points": " ".join(xy(p) for p in points),
            "last_xy": xy(last).split(","), "last": f"{last[1]:.1f}{unit}",
            "low": f"{min(p[1] for p in points):.1f}{unit}",
            "first_x": f"{x_prefix}{points[0][0]}", "last_x": f"{x_prefix}{last[0]}",
            "n": len(points),
            "title": f"{name}: {len(points)} points, latest {last[1]:.1f}{unit} ({last[0]})",
        })
    return {"items": items, "width": width, "height": height,
            "low": f"{lo:.1f}{unit}", "high": f"{hi:.1f}{unit}"}


@escaped
def benchmark_chart(runs: list[dict], *, reference: float | None, reference_kind: str,
                    tolerance: float, higher_is_better: bool, unit: str) -> dict:
    """Latest score per provider on one benchmark, sorted, with the range rule drawn (§6):
    the reference as a line and the tolerance as a band; dots out of range in vermillion.

    `runs`: [{"label", "score", "stderr", "in_range", "threshold"}].
    """
    if not runs:
        return _empty("No published runs of this benchmark yet.")
    runs = sorted(runs, key=lambda r: (-r["score"] if higher_is_better else r["score"], r["label"]))
    names = [r["label"] for r in runs]
    colours = ["#0072B2" if r["in_range"] else TIER_COLOURS[Tier.DERANKED] for r in runs]
    trace = {
        "type": "scatter", "mode": "markers", "name": "latest score",
        "x": [r["score"] for r in runs], "y": names,
        "marker": {"size": 10, "color": colours,
                   "symbol": ["circle" if r["in_range"] else "x" for r in runs]},
        "customdata": [[r["stderr"] if r["stderr"] is not None else "—",
                        "in range" if r["in_range"] else "out of range",
                        f"{r['threshold']:.1f}" if r["threshold"] is not None else "—"]
                       for r in runs],
        "hovertemplate": f"<b>%{{y}}</b><br>latest score %{{x:.1f}}{'%' if unit == '%' else ' ' + unit}"
                         "<br>standard error %{customdata[0]}"
                         "<br>%{customdata[1]} (threshold %{customdata[2]})<extra></extra>",
    }
    if all(r["stderr"] for r in runs):
        trace["error_x"] = {"type": "data", "array": [2 * r["stderr"] for r in runs],
                            "thickness": 2, "width": 0, "color": NEUTRAL}
    scores = [r["score"] for r in runs]
    extent = [*scores, *([reference - tolerance, reference + tolerance] if reference is not None
                         else [])]
    pad = max(1.0, 0.06 * (max(extent) - min(extent)))
    layout = _layout(len(runs), x_title=f"Score ({unit})",
                     x_range=[min(extent) - pad, max(extent) + pad])
    layout["yaxis"].update(categoryorder="array", categoryarray=names)
    legend = [{"label": "in range", "colour": "#0072B2", "shape": "dot"}]
    if any(not r["in_range"] for r in runs):
        legend.append({"label": "out of range (held)", "colour": TIER_COLOURS[Tier.DERANKED],
                       "shape": "cross"})
    out = [r for r in runs if not r["in_range"]]
    if reference is not None:
        edge = reference - tolerance if higher_is_better else reference + tolerance
        low, high = sorted((reference, edge))
        layout["shapes"] = [
            {"type": "rect", "xref": "x", "x0": low, "x1": high, "yref": "paper", "y0": 0,
             "y1": 1, "layer": "below", "fillcolor": BAND, "opacity": 0.22, "line": {"width": 0}},
            {"type": "line", "xref": "x", "x0": reference, "x1": reference, "yref": "paper",
             "y0": 0, "y1": 1, "line": {"color": "#1b1f24", "width": 1.5, "dash": "dash"}},
        ]
        legend += [{"label": f"{reference_kind} {reference:.1f}", "colour": "#1b1f24",
                    "shape": "dash"},
                   {"label": f"tolerance {tolerance:g} {'points' if unit == '%' else unit}",
                    "colour": BAND, "shape": "band"}]
    tied = sum(1 for v in scores if v == scores[0])
    takeaway = (f"{tied} providers share the best score ({_score(scores[0], unit)})" if tied > 1
                else f"{names[0]} scores best ({_score(scores[0], unit)})")
    takeaway += (f"; {len(out)} of {len(runs)} out of range" if out
                 else f"; all {len(runs)} within range of the {reference_kind}"
                 if reference is not None else "")
    return {
        "data": [trace], "layout": layout, "takeaway": takeaway, "legend": legend,
        "table": {"columns": ["Provider", f"Latest score ({unit})", "Std. error", "Threshold",
                              "Range rule"],
                  "rows": [[r["label"], f"{r['score']:.2f}",
                            f"{r['stderr']:.2f}" if r["stderr"] is not None else "—",
                            f"{r['threshold']:.2f}" if r["threshold"] is not None else "—",
                            "in range" if r["in_range"] else "out of range"] for r in runs]},
    }


def _burn_in_x(point: dict):
    """Days since release; the run date when the model's release date is unknown."""
    days = point["days_since_release"]
    return days if days is not None else point["run_at"][:10]


def board_figures(board, *, burn_in: bool = True) -> dict:
    """A leaderboard (metrics.selectors.pages.Board) with its chart and, when asked, its
    burn-in small multiples: only endpoints with at least two runs have a trend."""
    benchmark = board.benchmark
    reference = board.reference
    drawn = {
        "benchmark": benchmark, "rows": board.rows, "reference": reference,
        "model": board.model,
        "figure": benchmark_chart(
            board.rows, reference=reference.score if reference else None,
            reference_kind=reference.kind if reference else "", tolerance=benchmark.tolerance,
            higher_is_better=benchmark.higher_is_better, unit=benchmark.unit),
    }
    if burn_in:
        series = board.series
        trends = {name: [(_burn_in_x(p), p["score"]) for p in points]
                  for name, points in series.items() if len(points) >= 2}
        days = any(p["days_since_release"] is not None for pts in series.values() for p in pts)
        drawn["burn_in"] = sparklines(trends, unit="%" if benchmark.unit == "%" else "",
                                      x_prefix="day " if days else "")
    return drawn


@escaped
def spread_chart(cards: list) -> dict:
    """Per model, the range of provider accuracies, with the pool's members marked."""
    cards = [c for c in cards if c.spread]
    if not cards:
        return _empty("No tool-call telemetry yet for any model.")
    cards = sorted(cards, key=lambda c: (c.spread[0] - c.spread[1], c.model.slug))
    names = [c.model.display_name for c in cards]
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": "provider accuracy range",
         "x": [_pct(v) for c in cards for v in (*c.spread, None)],
         "y": [n for n in names for _ in range(3)],
         "line": {"color": "#b8bec6", "width": 6}, "marker": {"color": NEUTRAL, "size": 8},
         "hovertemplate": "<b>%{y}</b><br>a provider at %{x:.1f}%<extra></extra>"},
        {"type": "scatter", "mode": "markers", "name": "in the exacto pool",
         "x": [_pct(r.accuracy) for c in cards for r in c.pool],
         "y": [c.model.display_name for c in cards for _ in c.pool],
         "text": [r.provider for c in cards for r in c.pool],
         "marker": {"color": TIER_COLOURS[Tier.VERIFIED], "size": 11, "symbol": "diamond",
                    "line": {"color": "#ffffff", "width": 1}},
         "hovertemplate": "<b>%{y}</b><br>%{text} (in the pool): %{x:.1f}%<extra></extra>"},
    ]
    lows = [_pct(c.spread[0]) for c in cards]
    layout = _layout(len(cards), x_title="Accuracy (%)",
                     x_range=[max(0, min(lows) - 2), 100.5])
    layout["height"] = 36 * len(cards) + 64
    layout["yaxis"].update(categoryorder="array", categoryarray=names)
    widest = cards[0]
    gap = 100 * (widest.spread[1] - widest.spread[0])
    return {
        "data": data, "layout": layout,
        "takeaway": (f"The same model's tool-call accuracy differs by up to {gap:.1f} points "
                     f"between providers ({widest.model.display_name})"),
        "legend": [{"label": "lowest to highest provider", "colour": "#b8bec6", "shape": "bar"},
                   {"label": "provider in the exacto pool", "colour": TIER_COLOURS[Tier.VERIFIED],
                    "shape": "diamond"}],
        "table": {"columns": ["Model", "Lowest (%)", "Highest (%)", "Pool"],
                  "rows": [[c.model.display_name, _f1(_pct(c.spread[0])),
                            _f1(_pct(c.spread[1])),
                            ", ".join(r.provider for r in c.pool) or "—"] for c in cards]},
    }


def table_of(figure: dict) -> dict:
    """The numbers of a figure as a table, shown under every chart (collapsed): every chart
    builder returns its own, labels as typed (the template escapes them)."""
    return figure["table"]
