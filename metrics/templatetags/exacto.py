"""Formatting filters for figures: percentages, intervals and dashes for missing values."""

from django import template

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
    from metrics.charts import table_of

    return table_of(figure) if figure else {"rows": []}
