"""Small template helpers for the reader pages."""

from __future__ import annotations

from html import escape as _escape
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from articles.languages import RTL_LANGUAGES

register = template.Library()

# Dates as Django's "j M Y" writes them in English, the site's one language (base.html):
# formatting through Django's translated month names took a fifth of each result's Python.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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
def article_item(article: Any, link_qs: str = "", position: int = 0) -> SafeString:
    """One result of a listing, as an `<li>`: title link, source, date, language, snippet, tags.

    Built in Python, the way the admin builds its change-list rows: every listing shows
    twenty, and as a template include each cost 0.4 ms of CPU, a third of the home page.
    `article` comes from `search.fetch_articles` (its tags are `tag_list`).
    Every value goes through html.escape (what Django's escape does); the snippet is
    already safe HTML (escaped, then marked). `link_qs` (the search that led here) and
    `position` let the article page offer previous/next results.
    """
    language = _escape(article.language)
    direction = text_dir(article.language)
    href = article.get_absolute_url()
    if link_qs:
        href = f"{href}?{link_qs}&pos={position}"
    html = [
        f'<li class="result">\n  <h3 class="result-title" lang="{language}" dir="{direction}">'
        f'<a href="{_escape(href)}">{_escape(article.title)}</a></h3>\n  <p class="meta">\n    '
    ]
    source = article.source
    if source is not None:
        url, name = _escape(source.get_absolute_url()), _escape(source.name)
        html.append(f'<a class="source" href="{url}">{name}</a>\n    ')
    if article.published_at:
        moment = timezone.localtime(article.published_at)
        shown = f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"
        html.append(f'<time datetime="{moment.isoformat()}">{shown}</time>\n    ')
    if language:
        html.append(f'<span class="language">{language}</span>\n    ')
    html.append("</p>\n")
    if article.snippet:
        snippet = conditional_escape(article.snippet)
        html.append(f'  <p class="snippet" lang="{language}" dir="{direction}">{snippet}</p>\n')
    tags = article.tag_list
    if tags:
        html.append('  <ul class="tags" aria-label="Tags">')
        html.extend(
            f'<li><a href="{_escape(tag.get_absolute_url())}">{_escape(tag.name)}</a></li>'
            for tag in tags
        )
        html.append("</ul>\n")
    html.append("</li>\n")
    return mark_safe("".join(html))  # noqa: S308 -- every value above is escaped


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
