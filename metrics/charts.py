"""Plotly figure specs (plain dicts) for the dashboard; drawn by the local plotly.js.

Pure: takes the rows the selectors produce, returns JSON-ready figures. The Okabe–Ito
palette keeps series apart for colour-blind readers; every chart has a title and axis
labels, and the pages put a table beside each.
"""

import html
from functools import wraps

# Plotly renders a subset of HTML in every label (`<a href>`, `<b>`, `<br>`, …): a provider,
# model or quantization name must be shown as text, never followed as a link.
_TEXT_KEYS = frozenset({"x", "y", "name", "text", "hovertext", "ticktext", "title"})


def plotly_text(value: str) -> str:
    """A label as Plotly must receive it: its HTML-like markup escaped as entities."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape(value, key: str | None = None):
    """Strings under a label key (at any depth below it) escaped; ours like hovertemplate
    kept."""
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
        return _escape(chart(*args, **kwargs))

    return wrapper


OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000"]
FAILURE_COLOURS = {"invalid_json": "#D55E00", "unknown_tool": "#E69F00",
                   "schema_mismatch": "#CC79A7"}
TIER_COLOURS = {"verified": "#009E73", "unverified": "#E69F00", "deranked": "#D55E00",
                None: "#999999"}


def _layout(title: str, x: str, y: str, **extra) -> dict:
    return {
        "title": {"text": title, "font": {"size": 15}},
        "xaxis": {"title": {"text": x}, "automargin": True},
        "yaxis": {"title": {"text": y}, "automargin": True},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
        "legend": {"orientation": "h", "y": -0.25},
        "hovermode": "closest",
        **extra,
    }


def _pct(value):
    return None if value is None else round(100 * value, 3)


def label(row: dict) -> str:
    quant = f" ({row['quantization']})" if row.get("quantization") else ""
    return f"{row['provider']}{quant}"


@escaped
def accuracy_chart(rows: list[dict]) -> dict:
    """Accuracy with its 95% Wilson interval per provider (METHODOLOGY §4)."""
    rows = [r for r in rows if r["tool_calls"]["accuracy"] is not None]
    rows.sort(key=lambda r: r["tool_calls"]["accuracy_ci95"][0], reverse=True)
    acc = [_pct(r["tool_calls"]["accuracy"]) for r in rows]
    lo = [_pct(r["tool_calls"]["accuracy_ci95"][0]) for r in rows]
    hi = [_pct(r["tool_calls"]["accuracy_ci95"][1]) for r in rows]
    tiers = [(r.get("exacto") or {}).get("tier") for r in rows]
    return {
        "data": [{
            "type": "scatter", "mode": "markers", "name": "accuracy",
            "x": [label(r) for r in rows], "y": acc,
            "marker": {"size": 11, "color": [TIER_COLOURS.get(t, "#999999") for t in tiers],
                       "symbol": ["circle" if t == "verified" else "diamond" for t in tiers]},
            "error_y": {"type": "data", "symmetric": False,
                        "array": [h - a for h, a in zip(hi, acc, strict=True)],
                        "arrayminus": [a - low for a, low in zip(acc, lo, strict=True)]},
            "text": tiers, "hovertemplate": "%{x}: %{y:.2f}% (%{text})<extra></extra>",
        }],
        "layout": _layout("Tool-call accuracy with 95% interval", "Provider", "Accuracy (%)"),
    }


@escaped
def failure_modes_chart(rows: list[dict]) -> dict:
    """Failure modes per provider as shares of calls, stacked (§1)."""
    rows = [r for r in rows if r["tool_calls"]["calls"]]
    data = []
    for mode, colour in FAILURE_COLOURS.items():
        data.append({
            "type": "bar", "name": mode.replace("_", " "),
            "x": [label(r) for r in rows],
            "y": [_pct(r["tool_calls"]["failure_rates"][mode]) for r in rows],
            "marker": {"color": colour},
        })
    return {"data": data, "layout": _layout("Failure modes (share of calls)", "Provider",
                                            "Failed calls (%)", barmode="stack")}


@escaped
def propensity_chart(rows: list[dict], band: dict | None) -> dict:
    """Tool-call propensity per provider against the model's normal band (§2, §7 rule 4)."""
    rows = [r for r in rows if r["tool_calls"]["propensity"] is not None]
    x = [label(r) for r in rows]
    layout = _layout("Tool-call propensity and the normal band", "Provider", "Propensity (%)")
    if band:
        layout["shapes"] = [{
            "type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
            "y0": _pct(band["low"]), "y1": _pct(band["high"]),
            "fillcolor": "#56B4E9", "opacity": 0.18, "line": {"width": 0},
        }]
        layout["annotations"] = [{
            "xref": "paper", "x": 1, "y": _pct(band["high"]), "yref": "y", "showarrow": False,
            "xanchor": "right", "yanchor": "bottom",
            "text": f"normal band ({band.get('centre_kind', 'median')}-centred)",
        }]
    return {
        "data": [{"type": "bar", "name": "propensity", "x": x,
                  "y": [_pct(r["tool_calls"]["propensity"]) for r in rows],
                  "marker": {"color": OKABE_ITO[0]}}],
        "layout": layout,
    }


@escaped
def bucket_chart(rows: list[dict]) -> dict:
    """Accuracy per schema-complexity bucket (§3), to compare like with like."""
    data = []
    for i, bucket in enumerate(("simple", "medium", "complex")):
        data.append({
            "type": "bar", "name": bucket, "x": [label(r) for r in rows],
            "y": [_pct(r["buckets"][bucket]["accuracy"]) for r in rows],
            "marker": {"color": OKABE_ITO[i]},
        })
    return {"data": data, "layout": _layout("Accuracy per schema complexity", "Provider",
                                            "Accuracy (%)", barmode="group")}


@escaped
def series_chart(series: dict[str, list[tuple]], title: str, x: str, y: str) -> dict:
    """Lines, one per endpoint: used for accuracy over time and benchmark burn-in."""
    data = []
    for i, (name, points) in enumerate(sorted(series.items())):
        data.append({
            "type": "scatter", "mode": "lines+markers", "name": name,
            "x": [p[0] for p in points], "y": [p[1] for p in points],
            "line": {"color": OKABE_ITO[i % len(OKABE_ITO)],
                     "dash": ["solid", "dash", "dot", "dashdot"][(i // len(OKABE_ITO)) % 4]},
        })
    return {"data": data, "layout": _layout(title, x, y)}


@escaped
def spread_chart(cards: list[dict]) -> dict:
    """Per model, the range of provider accuracies, with the pool's members marked."""
    cards = [c for c in cards if c["spread"]]
    names = [c["model"].slug for c in cards]
    return {
        "data": [
            {"type": "scatter", "mode": "lines+markers", "name": "provider accuracy range",
             "x": [_pct(v) for c in cards for v in (*c["spread"], None)],
             "y": [n for n in names for _ in range(3)],
             "line": {"color": "#999999"}, "marker": {"color": "#999999", "size": 8}},
            {"type": "scatter", "mode": "markers", "name": "in the exacto pool",
             "x": [_pct(r["tool_calls"]["accuracy"]) for c in cards for r in c["pool"]],
             "y": [c["model"].slug for c in cards for _ in c["pool"]],
             "marker": {"color": OKABE_ITO[2], "size": 10, "symbol": "diamond"}},
        ],
        "layout": _layout("Accuracy spread across providers, per model", "Accuracy (%)", "Model",
                          height=120 + 50 * len(cards)),
    }


def table_of(figure: dict) -> dict:
    """The numbers of a figure as a table (x by trace), shown beside every chart."""
    figure = _unescape(figure)  # the table is HTML-escaped by the template instead
    traces = [t for t in figure["data"] if t.get("x") is not None]
    xs: list = []
    for trace in traces:
        for x in trace["x"]:
            if x is not None and x not in xs:
                xs.append(x)
    values = {
        trace.get("name", ""): {x: y for x, y in zip(trace["x"], trace["y"], strict=False)
                                if x is not None}
        for trace in traces
    }
    x_title = figure["layout"].get("xaxis", {}).get("title", {}).get("text", "")
    return {
        "columns": [x_title, *values],
        "rows": [[x, *(values[name].get(x) for name in values)] for x in xs],
    }


def _unescape(value):
    if isinstance(value, str):
        return html.unescape(value)
    if isinstance(value, dict):
        return {k: _unescape(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_unescape(v) for v in value]
    return value
