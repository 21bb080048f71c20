"""Formatting filters for figures: percentages, intervals and dashes for missing values."""

import functools

from django import template
from django.conf import settings
from django.template.base import render_value_in_context
from django.utils import timezone
from django.utils.html import conditional_escape, json_script
from django.utils.safestring import mark_safe

from metrics import presentation
from metrics.charts import table_of

register = template.Library()


@register.filter
def pct(value, digits=1):
    """presentation.pct for a template value (a string or a missing variable's "")."""
    return presentation.pct(None if value is None or value == "" else float(value), int(digits))


register.filter("interval", presentation.interval)


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def sortval(value):
    return "" if value is None else value


@register.filter
def thousands(value):
    """Counts with thousands separators; capped counts are fractional, shown rounded."""
    if value is None or value == "":
        return "—"
    return f"{float(value):,.0f}"


@register.filter
def ago(value):
    """A time in the reader's words: "4 min ago", "2 h ago", "3 days ago"."""
    if not value:
        return "never"

    seconds = max(0, int((timezone.now() - value).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''} ago"


@register.filter
def points(delta):
    """An accuracy difference in percentage points, signed: "+1.2 pts", "−0.4 pts"."""
    if delta is None:
        return "—"
    value = 100 * float(delta)
    sign = "+" if value > 0.05 else ("−" if value < -0.05 else "±")
    return f"{sign}{abs(value):.1f} pts"


ROTATION_WORDS = {"active": "in rotation", "benchmark_hold": "held", "admin_removed": "removed"}


@register.filter
def rotation_words(status):
    return ROTATION_WORDS.get(status, status or "—")


@register.filter
def tier_words(tier):
    return tier or "not judged"


def plotly_spec(figure):
    """What plotly.js draws: data and layout only (takeaway, legend and table are HTML)."""
    return {"data": figure.get("data", []), "layout": figure.get("layout", {})}


# --- Chart cards and small multiples, written in Python -------------------------------------
# A model page holds ~15 charts, each with its table of numbers, and ~40 sparklines: as
# template includes they were most of its rendering time (per-cell variable lookups and
# loop bookkeeping). These tags write the same HTML; each value goes through the template
# engine's own rendering of `{{ value }}` (localisation and escaping).


def _value(value, context) -> str:
    """`{{ value }}`: render_value_in_context, whose localisation leaves a plain string or
    an integer as it is (without thousand separators) — those two skip it."""
    kind = type(value)
    if kind is str:
        return conditional_escape(value)
    if kind is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return render_value_in_context(value, context)


def _legend_item(item: dict, context) -> str:
    shape = item.get("shape", "")
    if shape == "dash":
        style = f"color:{_value(item.get('colour', ''), context)}"
    elif shape == "cross":
        style = ""
    else:
        style = f"background:{_value(item.get('colour', ''), context)}"
    return (f'<li><span class="sw {_value(shape, context)}" style="{style}">'
            f'{"×" if shape == "cross" else ""}</span>{_value(item.get("label", ""), context)}</li>')


NUM = ' class="num"'


def _cells(row, tag: str, context) -> str:
    return "".join(
        f'<{tag}{"" if i == 0 else NUM}>{"—" if v is None else _value(v, context)}</{tag}>'
        for i, v in enumerate(row))


def _numbers_table(table: dict, context) -> str:
    rows = "".join(f"<tr>{_cells(row, 'td', context)}</tr>" for row in table["rows"])
    return ('\n  <details class="data-table"><summary>Numbers of this chart</summary>\n'
            f'    <div class="table-wrap"><table><thead><tr>'
            f'{_cells(table.get("columns") or (), "th", context)}</tr></thead>\n'
            f"    <tbody>{rows}</tbody></table></div>\n  </details>")


@register.simple_tag(takes_context=True)
def chart_card(context, figure, fig_id, title, what=""):
    """One chart: its takeaway as the title, the chart (or an empty state), an HTML legend
    below, its numbers in a collapsed table."""
    takeaway = figure.get("takeaway", "")
    what = f'<p class="what">{_value(what, context)}</p>' if what else ""
    out = [f'\n<figure class="chart-card" id="{_value(fig_id, context)}-card">\n'
           f"  <h3>{_value(takeaway or title, context)}</h3>\n  {what}\n"]
    if figure.get("empty"):
        out.append(f'  \n  <p class="empty-state">{_value(figure["empty"], context)}</p>\n  ')
    else:
        legend = figure.get("legend")
        items = "".join(_legend_item(item, context) for item in legend) if legend else ""
        legend = f'<ul class="legend">{items}</ul>' if legend else ""
        table = table_of(figure)
        out.append(f'  \n  <div class="chart" data-figure="{_value(fig_id, context)}" role="img" '
                   f'aria-label="{_value(title, context)}: {_value(takeaway, context)}"></div>\n'
                   f"  {json_script(plotly_spec(figure), fig_id)}\n"
                   f"  {legend}\n"
                   f'  {_numbers_table(table, context) if table.get("rows") else ""}\n  ')
    out.append("\n</figure>\n")
    return mark_safe("".join(out))  # noqa: S308 - every value above is rendered escaped


@register.simple_tag(takes_context=True)
def small_multiples(context, multiples):
    """One sparkline per name on one shared scale (metrics.charts.sparklines)."""
    items = multiples.get("items")
    if not items:
        return mark_safe("\n\n")  # noqa: S308
    v = functools.partial(_value, context=context)
    width, height = v(multiples.get("width", "")), v(multiples.get("height", ""))
    out = ['\n\n<ul class="multiples">\n']
    for item in items:
        out.append(
            f'\n  <li><div class="name"><b title="{v(item["name"])}">{v(item["name"])}</b>'
            f'<span>{v(item["last"])}</span></div>\n'
            f'    <svg viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" '
            f'aria-label="{v(item["title"])}"><title>{v(item["title"])}</title>\n'
            f'      <polyline points="{v(item["points"])}"></polyline></svg>\n'
            f'    <div class="scale"><span>{v(item["first_x"])}</span>'
            f'<span>{v(item["last_x"])}</span></div></li>\n')
    out.append(f'\n</ul>\n<p class="muted small">Same scale in every panel: {v(multiples["low"])} '
               f"(bottom) to {v(multiples['high'])} (top); the number is the latest value.</p>\n\n")
    return mark_safe("".join(out))  # noqa: S308 - every value above is rendered escaped
