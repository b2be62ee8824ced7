"""Small template helpers for the reader pages."""

from __future__ import annotations

from html import escape as _escape
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

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
    and its count. In Python: a search page shows some fifty, twice (phone and desktop)."""
    label, href = _escape(str(value["label"])), _escape(value["href"])
    count = _escape(intcomma(value["count"]))
    if value["selected"]:
        remove = _escape(gettext("Remove filter:"))
        return mark_safe(  # noqa: S308 -- escaped above
            f'<li class="selected"><a href="{href}" aria-current="true"><span aria-hidden="true">'
            f'✕ </span><span class="visually-hidden">{remove} </span><span dir="auto">{label}'
            f'</span></a> <span class="n">{count}</span></li>'
        )
    return mark_safe(  # noqa: S308 -- escaped above
        f'<li><a href="{href}" dir="auto">{label}</a> <span class="n">{count}</span></li>'
    )


@register.simple_tag
def timeline_chart(bars: list[dict[str, Any]], unit: str) -> SafeString:
    """The matches per year or month as an SVG bar chart, each bar a link narrowing the dates,
    over a labelled axis (periods below, the tallest bar's count above).

    Accessible without a mouse or sight: the chart is a labelled group (an image role would
    hide its links from some screen readers) whose title lists every value, and each bar
    with matches is a link with a label; an empty bar leads nowhere, so it is no tab stop.
    `bars` come from `views.timeline_bars` (geometry in 0-100 units).
    """
    if not bars:
        return mark_safe("")
    title = _escape(
        gettext("Matches per month") if unit == "month" else gettext("Matches per year")
    )
    values = ", ".join(f"{_escape(str(b['label']))}: {_escape(intcomma(b['count']))}" for b in bars)
    top = max(b["count"] for b in bars)
    html = [
        '<figure class="timeline">\n'
        f'  <p class="axis-y" aria-hidden="true">{_escape(intcomma(top))}</p>\n'
        '  <svg viewBox="0 0 100 100" preserveAspectRatio="none" '
        'role="group" aria-labelledby="timeline-title" focusable="false">\n    '
        f'<title id="timeline-title">{title}: {values}</title>\n'
    ]
    for bar in bars:
        label, count = _escape(str(bar["label"])), bar["count"]
        shown = _escape(intcomma(count))
        rect = (
            f'<rect class="bar" x="{bar["x"]}" y="{bar["y"]}" width="{bar["width"]}" '
            f'height="{bar["height"]}"><title>{label}: {shown}</title></rect>'
        )
        if not count:
            html.append(f"    {rect}\n")
            continue
        matches = _escape(ngettext("%(n)s match", "%(n)s matches", count) % {"n": shown})
        html.append(
            f'    <a href="{_escape(bar["href"])}" aria-label="{label}: {matches}">\n'
            f'      <rect class="hit-area" x="{bar["x"]}" y="0" width="{bar["width"]}" '
            f'height="100"></rect>\n      {rect}\n    </a>\n'
        )
    # Period labels under the bars: every one when there are few, else evenly spaced ones
    # (cells of equal width line up with the bars without any inline style).
    step = -(-len(bars) // 6)
    cells = "".join(
        f"<li>{_escape(str(bar['label'])) if i % step == 0 or i == len(bars) - 1 else ''}</li>"
        for i, bar in enumerate(bars)
    )
    hint = _escape(gettext("choose a bar to narrow the dates"))
    html.append(
        f'  </svg>\n  <ol class="axis-x" aria-hidden="true">{cells}</ol>\n'
        f"  <figcaption>{title}; {hint}</figcaption>\n</figure>\n"
    )
    return mark_safe("".join(html))  # noqa: S308 -- every value above is escaped


@register.simple_tag
def page_numbers(results: Any) -> list[int | None]:
    """The pages a numbered pagination links: the first, the last reachable one, and two
    either side of the current one, in order; None stands for a gap."""
    last = results.last_reachable_page
    current = min(results.page, last)
    wanted = sorted(p for p in {1, last, *range(current - 2, current + 3)} if 1 <= p <= last)
    out: list[int | None] = []
    previous = 0
    for number in wanted:
        if number - previous > 1:
            out.append(None)
        out.append(number)
        previous = number
    return out


@register.simple_tag
def byline(authors: Any) -> SafeString:
    """ "By A, B and C", each name a link to the author's page; empty without authors."""
    links = [
        f'<a class="author" href="{_escape(a.get_absolute_url())}" dir="auto">{_escape(a.name)}</a>'
        for a in authors
    ]
    if not links:
        return mark_safe("")
    if len(links) == 1:
        names = links[0]
    else:
        # Translated with placeholders, then filled with the (escaped) links.
        names = _escape(gettext("%(names)s and %(last)s")) % {
            "names": ", ".join(links[:-1]),
            "last": links[-1],
        }
    by = _escape(gettext("By %(names)s")) % {"names": names}
    return mark_safe(f'<span class="byline">{by}</span>')  # noqa: S308 -- every value is escaped


def _captured_html(moment: Any) -> str:
    """ "captured 31 July 2015": a capture date, never shown as a publication date."""
    local = timezone.localtime(moment)
    shown = f'<time datetime="{local.isoformat()}">{_escape(date_format(local, "j F Y"))}</time>'
    words = _escape(gettext("captured %(date)s"))
    title = _escape(gettext("No publication date: when a crawler captured the page"))
    return f'<span class="captured" title="{title}">{words % {"date": shown}}</span>'


@register.simple_tag
def captured(moment: Any) -> SafeString:
    """The capture-date label of an article without a publication date."""
    return mark_safe(_captured_html(moment))  # noqa: S308 -- every value is escaped


@register.simple_tag
def result_item(article: Any, link_qs: str = "", position: int = 0) -> SafeString:
    """One result of a listing, as an `<li>`: title link, source, authors, date (or capture
    date), language, snippet, tags. Built in Python like the admin's change-list rows: as a
    template include each cost about 0.45 ms more (the home page's 40 took 29 ms instead of
    11; README). Translated and localised like the templates; every value goes through
    html.escape, and the snippet is already safe HTML (escaped, then marked)."""
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
    authors = getattr(article, "author_list", None)
    if authors:
        html.append(f"{byline(authors)}\n    ")
    if article.published_at:
        moment = timezone.localtime(article.published_at)
        shown = _escape(date_format(moment, "j F Y"))
        html.append(f'<time datetime="{moment.isoformat()}">{shown}</time>\n    ')
    elif getattr(article, "captured_at", None):
        html.append(_captured_html(article.captured_at) + "\n    ")
    else:
        undated = _escape(gettext("undated"))  # not in the f-string: xgettext skips those
        html.append(f'<span class="undated">{undated}</span>\n    ')
    if language:
        html.append(f'<span class="language">{language}</span>\n    ')
    html.append("</p>\n")
    similar = getattr(article, "similar", 0)
    if similar:
        # Not in the f-string: xgettext skips those.
        text = _escape(ngettext("%(n)s similar", "%(n)s similar", similar) % {"n": similar})
        versions = _escape(article.get_absolute_url() + "#other-versions")
        html.append(f'  <p class="similar"><a href="{versions}">{text}</a></p>\n')
    if article.snippet:
        snippet = conditional_escape(article.snippet)
        html.append(f'  <p class="snippet" lang="{language}" dir="{direction}">{snippet}</p>\n')
    tags = article.tag_list
    if tags:
        label = _escape(gettext("Tags"))
        html.append(f'  <ul class="tags" aria-label="{label}">')
        html.extend(
            f'<li><a href="{_escape(tag.get_absolute_url())}">{_escape(tag.name)}</a></li>'
            for tag in tags
        )
        html.append("</ul>\n")
    html.append("</li>\n")
    return mark_safe("".join(html))  # noqa: S308 -- every value above is escaped
