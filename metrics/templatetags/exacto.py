"""Formatting filters for figures: percentages, intervals and dashes for missing values."""

from django import template
from django.utils import timezone

from metrics.charts import table_of

register = template.Library()


@register.filter
def pct(value, digits=1):
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter
def interval(values):
    if not values:
        return "—"
    low, high = values
    return f"{100 * low:.1f}–{100 * high:.1f}%"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def sortval(value):
    return "" if value is None else value


@register.filter
def chart_table(figure):

    return table_of(figure) if figure else {"rows": []}


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


@register.filter
def plotly_spec(figure):
    """What plotly.js draws: data and layout only (takeaway, legend and table are HTML)."""
    return {"data": figure.get("data", []), "layout": figure.get("layout", {})}
