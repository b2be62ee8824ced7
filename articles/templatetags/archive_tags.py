"""Small template helpers for the reader pages."""

from __future__ import annotations

from html import escape as _escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from articles.languages import RTL_LANGUAGES

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping[key]` in a template (dicts and dataclasses alike); None when absent."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return getattr(mapping, key, None)


@register.filter
def text_dir(language: str) -> str:
    """The `dir` for text in `language`: rtl for Arabic and the like, auto otherwise."""
    return "rtl" if language in RTL_LANGUAGES else "auto"


@register.simple_tag
def select_options(choices: Any, current: Any) -> SafeString:
    """The `<option>`s of a `<select>` for `choices` (blank values left out), `current`
    selected. In Python: the language list's 64 options took 1.5 ms as a template loop."""
    html = []
    for value, label in choices:
        if value:
            selected = " selected" if value == current else ""
            html.append(
                f'<option value="{_escape(str(value))}"{selected}>{_escape(str(label))}</option>'
            )
    return mark_safe("".join(html))  # noqa: S308 -- every value above is escaped


@register.simple_tag
def facet_value(value: dict[str, Any]) -> SafeString:
    """One facet value as an `<li>`: the link that adds (or, when selected, removes) it,
    and its count. In Python like `article_item`: a search page shows some fifty."""
    label, href = _escape(str(value["label"])), _escape(value["href"])
    count = f"{value['count']:,}"
    if value["selected"]:
        return mark_safe(  # noqa: S308 -- escaped above
            f'<li class="selected"><a href="{href}" aria-current="true" title="Remove this '
            f'filter"><span aria-hidden="true">✕ </span><span class="visually-hidden">Remove '
            f'filter: </span>{label}</a> <span class="n">{count}</span></li>'
        )
    return mark_safe(  # noqa: S308 -- escaped above
        f'<li><a href="{href}">{label}</a> <span class="n">{count}</span></li>'
    )


@register.simple_tag
def timeline_chart(bars: list[dict[str, Any]], unit: str) -> SafeString:
    """The matches per year or month as an SVG bar chart, each bar a link narrowing the dates.

    Accessible without a mouse or sight: the chart is a labelled group (an image role would
    hide its links from some screen readers) whose title lists every value, and each bar
    with matches is a link with a label; an empty bar leads nowhere, so it is no tab stop.
    `bars` come from `views.timeline_bars` (geometry in 0-100 units).
    """
    if not bars:
        return mark_safe("")
    unit = _escape(unit)
    values = ", ".join(f"{_escape(str(b['label']))}: {b['count']}" for b in bars)
    html = [
        '<figure class="timeline">\n  <svg viewBox="0 0 100 100" preserveAspectRatio="none" '
        'role="group" aria-labelledby="timeline-title" focusable="false">\n    '
        f'<title id="timeline-title">Matches per {unit}: {values}</title>\n'
    ]
    for bar in bars:
        label, count = _escape(str(bar["label"])), bar["count"]
        rect = (
            f'<rect class="bar" x="{bar["x"]}" y="{bar["y"]}" width="{bar["width"]}" '
            f'height="{bar["height"]}"><title>{label}: {count}</title></rect>'
        )
        if not count:
            html.append(f"    {rect}\n")
            continue
        matches = "match" if count == 1 else "matches"
        html.append(
            f'    <a href="{_escape(bar["href"])}" aria-label="{label}: {count} {matches}">\n'
            f'      <rect class="hit-area" x="{bar["x"]}" y="0" width="{bar["width"]}" '
            f'height="100"></rect>\n      {rect}\n    </a>\n'
        )
    first, last = _escape(str(bars[0]["label"])), _escape(str(bars[-1]["label"]))
    html.append(
        f"  </svg>\n  <figcaption><span>{first}</span> <span>Matches per {unit}; choose a bar "
        f"to narrow the dates</span> <span>{last}</span></figcaption>\n</figure>\n"
    )
    return mark_safe("".join(html))  # noqa: S308 -- every value above is escaped
