"""Reader-facing pages: thin views over `articles.search.search` and the models."""

from __future__ import annotations

import calendar
import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from django.core.paginator import EmptyPage, Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .citations import apa, bibtex, chicago, citable, json_ld, meta_tags, mla, ris
from .counts import source_counts, tag_counts
from .filters import MORE_FACETS, UNDATED, ArticleFilter
from .languages import RTL_LANGUAGES, language_name
from .models import (
    Article,
    Author,
    Source,
    SourceRedirect,
    Tag,
    TagRedirect,
    article_path,
    attach_tags_and_authors,
)
from .sanitize import csv_cell
from .search import (
    MAX_RESULTS,
    PAGE_SIZE,
    PAGE_SIZES,
    PageNotFound,
    SearchRequest,
    SearchResults,
    SearchUnavailable,
    fetch_articles,
    marked_article,
    paragraphs,
    search,
)
from .search.related import related_articles
from .search.searcher import count_by, totals
from .throttle import export_guard, export_row_limit, rate_limited

# Parameters that define a search (everything but the page).
SEARCH_PARAMS = ("q", "source", "tag", "author", "language", "from", "to", "sort", "page_size")
FACET_NAMES = (
    ("source", gettext_lazy("Source")),
    ("tag", gettext_lazy("Tag")),
    ("author", gettext_lazy("Author")),
    ("year", gettext_lazy("Year")),
    ("language", gettext_lazy("Language")),
)
SORT_LABELS = {
    "relevance": gettext_lazy("Relevance"),
    "newest": gettext_lazy("Newest first"),
    "oldest": gettext_lazy("Oldest first"),
}


def _page_number(request: HttpRequest) -> int:
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        raise Http404("Page numbers are whole numbers.") from None
    if page < 1:
        raise Http404("Page numbers start at 1.")
    return page


def _listing(request: HttpRequest, **filters: Any) -> SearchResults:
    """One page of the visible articles matching `filters`, newest first."""
    try:
        return search(
            SearchRequest(sort="newest", page=_page_number(request), facets=False, **filters)
        )
    except PageNotFound as exc:
        raise Http404(str(exc)) from exc


# Enough for a newcomer's `make run` to list every bundled sample on the first page.
HOME_ARTICLES = 40


def home(request: HttpRequest) -> HttpResponse:
    newest = search(SearchRequest(sort="newest", page_size=HOME_ARTICLES, facets=False))
    return render(
        request,
        "articles/home.html",
        {"articles": newest.articles, "sources": source_counts(12), "tags": tag_counts(24)},
    )


# --- Search -------------------------------------------------------------------------------


def bind_search(request: HttpRequest) -> ArticleFilter:
    return ArticleFilter(request.GET, queryset=Article.objects.none())


_QUERY_ORDER = (*SEARCH_PARAMS, "more", "page", "pos")


def _querystring(params: dict[str, list[str]], **changes: list[str] | None) -> str:
    merged = {k: list(v) for k, v in params.items() if v}
    for key, value in changes.items():
        if value:
            merged[key] = value
        else:
            merged.pop(key, None)
    return urlencode(
        [(key, value) for key in _QUERY_ORDER if key in merged for value in merged[key]]
    )


def facet_links(params: dict[str, list[str]], results: SearchResults) -> dict[str, list[dict]]:
    """Each facet value with its count, whether it is selected, and the link toggling it."""
    links: dict[str, list[dict]] = {}
    for name in ("source", "tag", "author", "language"):
        current = params.get(name, [])
        items = []
        for fv in results.facets.get(name, []):
            value = fv.value if fv.value or name != "language" else "unknown"
            selected = value in current
            if name == "language":
                new = [] if selected else [value]
            else:
                new = [v for v in current if v != value] if selected else [*current, value]
            items.append(
                {
                    "label": _(fv.label) if name == "language" else fv.label,
                    "count": fv.count,
                    "selected": selected,
                    "href": "?" + _querystring(params, **{name: new}),
                }
            )
        links[name] = items
    years = []
    for fv in results.facets.get("year", []):
        change: dict[str, list[str] | None]
        if fv.value == "undated":
            selected = params.get("from") == ["undated"]
            change = {"from": None, "to": None} if selected else {"from": ["undated"], "to": None}
        else:
            start, end = f"{fv.value}-01-01", f"{fv.value}-12-31"
            selected = params.get("from") == [start] and params.get("to") == [end]
            change = {"from": None, "to": None} if selected else {"from": [start], "to": [end]}
        years.append(
            {
                "label": _("Undated") if fv.value == "undated" else fv.label,
                "count": fv.count,
                "selected": selected,
                "href": "?" + _querystring(params, **change),
            }
        )
    links["year"] = years
    return links


def timeline_bars(params: dict[str, list[str]], results: SearchResults) -> list[dict]:
    """Geometry for the server-drawn SVG timeline: one linked bar per period."""
    bars = results.timeline
    if not bars:
        return []
    top = max(bar.count for bar in bars) or 1
    width = 100 / len(bars)
    out = []
    monthly = results.timeline_unit == "month"
    for i, bar in enumerate(bars):
        height = round(90 * bar.count / top, 2)
        change: dict[str, list[str] | None]
        if bar.start is None or bar.end is None:
            change = {"from": ["undated"], "to": None}
            label = _("Undated")
        else:
            change = {"from": [bar.start.isoformat()], "to": [bar.end.isoformat()]}
            label = formats.date_format(bar.start, "M Y") if monthly else str(bar.start.year)
        out.append(
            {
                "label": label,
                "count": bar.count,
                "x": round(i * width + width * 0.1, 3),
                "width": round(width * 0.8, 3),
                "y": round(95 - height, 2),
                "height": height,
                "href": "?" + _querystring(params, **change),
            }
        )
    return out


def without_blanks(request: HttpRequest) -> HttpResponse | None:
    """A redirect to the same address without its empty parameters (`language=&from=`, as
    a GET form sends its untouched fields) and without the sort and page size in force
    anyway, or None when there are none."""
    pairs = [(key, value) for key, values in request.GET.lists() for value in values]
    default_sort = "relevance" if request.GET.get("q", "").strip() else "newest"
    defaults = {("sort", default_sort), ("page_size", str(PAGE_SIZE))}
    kept = [(key, value) for key, value in pairs if value.strip() and (key, value) not in defaults]
    if len(kept) == len(pairs):
        return None
    return HttpResponseRedirect(request.path + ("?" + urlencode(kept) if kept else ""))


def active_filters(filterset: ArticleFilter, params: dict[str, list[str]]) -> list[dict]:
    """The filters in force, each with the link that removes it (the chips above results)."""
    data = filterset.form.cleaned_data
    chips: list[dict[str, Any]] = []
    for name, kind in (("source", _("Source")), ("tag", _("Tag")), ("author", _("Author"))):
        for row in data.get(name) or []:
            rest = [slug for slug in params.get(name, []) if slug != row.slug]
            chips.append(
                {
                    "kind": kind,
                    "label": row.name,
                    "href": "?" + _querystring(params, **{name: rest}),
                }
            )
    language = data.get("language")
    if language:
        chips.append(
            {
                "kind": _("Language"),
                "label": _("Unknown") if language == "unknown" else _(language_name(language)),
                "href": "?" + _querystring(params, language=None),
            }
        )
    start, end = data.get("from"), data.get("to")
    if start == UNDATED:
        chips.append(
            {
                "kind": _("Date"),
                "label": _("Undated"),
                "href": "?" + _querystring(params, **{"from": None}),
            }
        )
    elif start or end:
        label = "\u2009\u2013\u2009".join(
            formats.date_format(day, "j M Y") if day else "…" for day in (start, end)
        )
        chips.append(
            {
                "kind": _("Dates"),
                "label": label,
                "href": "?" + _querystring(params, **{"from": None, "to": None}),
            }
        )
    return chips


def date_presets(params: dict[str, list[str]]) -> list[dict]:
    """Links setting the dates to the past week, month or year (up to today)."""
    today = timezone.localdate()
    presets = (
        (_("Past week"), today - timedelta(days=7)),
        (_("Past month"), today - relativedelta(months=1)),
        (_("Past year"), today - relativedelta(years=1)),
    )
    out = []
    for label, start in presets:
        change = {"from": [start.isoformat()], "to": [today.isoformat()]}
        current = params.get("from") == change["from"] and params.get("to") == change["to"]
        out.append(
            {"label": label, "href": "?" + _querystring(params, **change), "current": current}
        )
    return out


def language_options(current: str | None) -> list[tuple[str, str]]:
    """The language menu: the archive's own languages (from the index's totals), by name,
    then "Unknown"; a language asked for that the archive lacks is kept so it shows."""
    try:
        codes = [code for code in totals().languages if code]
    except SearchUnavailable:
        codes = []
    if current and current != "unknown" and current not in codes:
        codes.append(current)
    named = sorted(((code, _(language_name(code))) for code in codes), key=lambda kv: kv[1])
    return [*named, ("unknown", _("Unknown"))]


@rate_limited("search")
def search_page(request: HttpRequest) -> HttpResponse:
    redirect = without_blanks(request)
    if redirect is not None:
        return redirect
    filterset = bind_search(request)
    context: dict[str, Any] = {
        "filterset": filterset,
        "form": filterset.form,
        "sorts": SORT_LABELS,
        "page_sizes": PAGE_SIZES,
        "languages": language_options(request.GET.get("language")),
    }
    if not filterset.is_valid():
        context["error"] = filterset.error_message()
        return render(request, "articles/search.html", context, status=400)
    try:
        results = search(filterset.search_request())
    except PageNotFound as exc:
        raise Http404(str(exc)) from exc
    params = filterset.params()
    more = filterset.form.cleaned_data.get("more") or ""
    context.update(
        {
            "results": results,
            "params": params,
            "q": results.q,
            "more": more,
            "chips": active_filters(filterset, params),
            "clear_qs": _querystring({"q": params["q"]} if "q" in params else {}),
            "presets": date_presets(params),
            "facets": facet_links(params, results),
            "facet_more_links": {
                name: "?" + _querystring(params, more=None if more == name else [name])
                for name in MORE_FACETS
            },
            "timeline": timeline_bars(params, results),
            "result_qs": _querystring(params),
            "page_qs": _querystring(params, page=None),
            "sort_links": [
                (
                    s,
                    SORT_LABELS[s],
                    "?" + _querystring(params, sort=None if s == sorts[0] else [s]),
                    s == results.sort,
                )
                for sorts in [
                    ("relevance", "newest", "oldest") if results.q.strip() else ("newest", "oldest")
                ]
                for s in sorts
            ],
            "feed_qs": _querystring(params, sort=None),
            "suggestion_qs": _querystring(params, q=[results.suggestion.q], page=None)
            if results.suggestion
            else "",
            "facet_names": FACET_NAMES,
            "max_results": MAX_RESULTS,
        }
    )
    return render(request, "articles/search.html", context)


@export_guard
def search_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The matching articles as CSV, streamed row by row, in the search's order."""
    filterset = bind_search(request)
    if not filterset.is_valid():
        return HttpResponse(
            f"Bad parameters: {filterset.error_message()}\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    wanted = filterset.search_request(page=1)
    found = search(wanted.window(0, min(EXPORT_LIMIT, export_row_limit(request))))
    base_url = request.build_absolute_uri("/")[:-1]

    def lines() -> Iterator[str]:
        buffer = _Echo()
        writer = csv.writer(buffer)
        # A byte-order mark first: without it Excel reads UTF-8 as the local code page and
        # turns Arabic (and every accent) into mojibake.
        yield "\ufeff" + writer.writerow(
            [
                "id",
                "title",
                "source",
                "published_at",
                "language",
                "tags",
                "url",
                "page_url",
                # Added after the others, so columns read by position keep their place.
                "authors",
                "captured_at",
            ]
        )
        for start in range(0, len(found.ids), EXPORT_CHUNK):
            for article in fetch_articles(found.ids[start : start + EXPORT_CHUNK], snippets=False):
                yield writer.writerow(
                    [
                        article.pk,
                        csv_cell(article.title),
                        csv_cell(article.source.name if article.source else ""),
                        article.published_at.isoformat() if article.published_at else "",
                        csv_cell(article.language),
                        csv_cell("; ".join(tag.name for tag in article.tag_list)),
                        csv_cell(article.url or ""),
                        base_url + article_path(article.pk, article.slug),
                        csv_cell("; ".join(author.name for author in article.author_list)),
                        article.captured_at.isoformat() if article.captured_at else "",
                    ]
                )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, export_filename(filterset.params())
    )
    return response


def export_filename(params: dict[str, list[str]]) -> str:
    """A CSV's file name from its search: `newsarchive-flood-warning-bbc-news-2019-01-01.csv`
    (words, sources, tags, language and dates, at most 80 characters)."""
    parts = [
        slugify(value, allow_unicode=True)
        for key in ("q", "source", "tag", "author", "language", "from", "to")
        for value in params.get(key, [])
    ]
    name = "-".join(part for part in parts if part)[:80].strip("-") or "search"
    return f"newsarchive-{name}.csv"


# Most rows one export streams, and rows read from PostgreSQL at a time.
EXPORT_LIMIT = 100_000
EXPORT_CHUNK = 2_000


class _Echo:
    def write(self, value: str) -> str:
        return value


# --- Articles -----------------------------------------------------------------------------


def article_detail(request: HttpRequest, id: int, slug: str) -> HttpResponse:
    # Its tags and authors come in the same statement (attach_tags_and_authors).
    article = get_object_or_404(
        Article.objects.visible().select_related("source").with_tag_rows().with_author_rows(),
        pk=id,
    )
    if slug != article.slug:
        url = article.get_absolute_url()
        if request.GET:
            url += "?" + request.GET.urlencode()
        return HttpResponsePermanentRedirect(url)

    attach_tags_and_authors(article)
    tags = article.tag_list
    authors = article.byline()
    q = request.GET.get("q", "").strip()
    marked = marked_article(article, q) if q else None
    title: Any
    body: list[Any]
    if marked is not None:
        title, body = marked
    else:
        title, body = article.title, [escape(p) for p in paragraphs(article.body)]
    page_url = request.build_absolute_uri(article.get_absolute_url())
    cite = citable(
        article,
        page_url,
        timezone.localdate(),
        tuple(t.name for t in tags),
        tuple(a.name for a in authors),
    )
    return render(
        request,
        "articles/article_detail.html",
        {
            "article": article,
            "title": title,
            "tags": tags,
            "authors": authors,
            "canonical_url": page_url,
            "citations": [("APA", apa(cite)), ("MLA", mla(cite)), ("Chicago", chicago(cite))],
            "citation_meta": meta_tags(cite),
            "json_ld": json_ld(cite),
            "body": body,
            "dir": "rtl" if article.language in RTL_LANGUAGES else "auto",
            "language_name": language_name(article.language),
            "related": related_articles(article, [t.pk for t in tags], RELATED),
            "other_versions": list(article.other_versions()[:OTHER_VERSIONS]),
            "q": q,
            **_neighbours(request, article),
        },
    )


def article_citation(request: HttpRequest, id: int, kind: str) -> HttpResponse:
    """An article's citation record as a download: BibTeX (`.bib`) or RIS (`.ris`)."""
    if kind not in ("bib", "ris"):
        raise Http404("Citations come as cite.bib or cite.ris.")
    article = get_object_or_404(Article.objects.visible().select_related("source"), pk=id)
    tags = tuple(article.tags.order_by("name").values_list("name", flat=True))
    authors = tuple(a.name for a in article.byline())
    page_url = request.build_absolute_uri(article.get_absolute_url())
    cite = citable(article, page_url, timezone.localdate(), tags, authors)
    if kind == "bib":
        response = HttpResponse(bibtex(cite), content_type="application/x-bibtex; charset=utf-8")
    else:
        response = HttpResponse(
            ris(cite), content_type="application/x-research-info-systems; charset=utf-8"
        )
    response["Content-Disposition"] = content_disposition_header(
        True, f"newsarchive-{article.pk}.{kind}"
    )
    return response


# How many of an article's near-duplicates its page lists.
OTHER_VERSIONS = 50
# How many related articles an article page shows.
RELATED = 5


def _neighbours(request: HttpRequest, article: Article) -> dict[str, Any]:
    """Previous/next results of the search that led here (its position is in `pos`)."""
    if "pos" not in request.GET:
        return {}
    try:
        pos = int(request.GET["pos"])
    except ValueError:
        return {}
    filterset = bind_search(request)
    if not 0 <= pos < MAX_RESULTS or not filterset.is_valid():
        return {}
    start = max(pos - 1, 0)
    ids = search(filterset.search_request().window(start, 3)).ids
    i = pos - start
    if i >= len(ids) or ids[i] != article.pk:
        return {}  # the results changed since the link was made
    params = filterset.params()
    page_size = filterset.search_request().page_size
    back_page = pos // page_size + 1
    out: dict[str, Any] = {
        "back_href": reverse("articles:search")
        + "?"
        + _querystring(params, page=[str(back_page)] if back_page > 1 else None)
    }
    rows = Article.objects.visible().filter(pk__in=ids).values_list("pk", "title", "slug")
    found = {pk: (title, slug) for pk, title, slug in rows}
    for key, j in (("previous", i - 1), ("next", i + 1)):
        if 0 <= j < len(ids) and ids[j] in found:
            other = ids[j]
            title, slug = found[other]
            out[key] = {
                "title": title,
                "href": article_path(other, slug)
                + "?"
                + _querystring(params, pos=[str(start + j)]),
            }
    return out


# --- Sources and tags ---------------------------------------------------------------------


def source_list(request: HttpRequest) -> HttpResponse:
    return render(request, "articles/source_list.html", {"sources": source_counts()})


def source_detail(request: HttpRequest, slug: str) -> HttpResponse:
    source = resolve_source_slug(slug)
    if isinstance(source, str):
        return HttpResponsePermanentRedirect(reverse("articles:source_detail", args=[source]))
    results = _listing(request, sources=(source.pk,))
    return render(request, "articles/source_detail.html", {"source": source, "results": results})


# Tags per page of the tag list (archives hold thousands).
TAGS_PER_PAGE = 300


def tag_list(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(tag_counts(), TAGS_PER_PAGE)
    try:
        page = paginator.page(_page_number(request))
    except EmptyPage:
        raise Http404("There are no tags on this page.") from None
    return render(request, "articles/tag_list.html", {"tags": page.object_list, "page": page})


def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = resolve_tag_slug(slug)
    if isinstance(tag, str):
        return HttpResponsePermanentRedirect(reverse("articles:tag_detail", args=[tag]))
    results = _listing(request, tags=(tag.pk,))
    return render(request, "articles/tag_detail.html", {"tag": tag, "results": results})


def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author, slug=slug)
    results = _listing(request, authors=(author.pk,))
    return render(request, "articles/author_detail.html", {"author": author, "results": results})


def resolve_source_slug(slug: str) -> Source | str:
    """The source for `slug`, or the current slug it redirects to (raises 404 otherwise)."""
    return _resolve_slug(Source, SourceRedirect, "source", slug)


def resolve_tag_slug(slug: str) -> Tag | str:
    """The tag for `slug`, or the current slug it redirects to (raises 404 otherwise)."""
    return _resolve_slug(Tag, TagRedirect, "tag", slug)


def _resolve_slug(model: Any, redirect_model: Any, target: str, slug: str) -> Any:
    found = model.objects.filter(slug=slug).first()
    if found is not None:
        return found
    redirect = redirect_model.objects.select_related(target).filter(old_slug=slug).first()
    if redirect is None:
        raise Http404(f"No such {target}.")
    return getattr(redirect, target).slug


# --- Date archive -------------------------------------------------------------------------


def archive_index(request: HttpRequest) -> HttpResponse:
    counted = totals()
    years = sorted(counted.years.items(), reverse=True)
    return render(
        request,
        "articles/archive_index.html",
        {"years": years, "undated": counted.months.get(0, 0)},
    )


def archive_year(request: HttpRequest, year: int) -> HttpResponse:
    start, end = _valid_date(year, 1, 1), _valid_date(year, 12, 31)
    counts = count_by(SearchRequest(date_from=start, date_to=end), "month")
    months = [
        {
            "number": m,
            "name": formats.date_format(date(year, m, 1), "F"),
            "count": counts.get(year * 100 + m, 0),
        }
        for m in range(1, 13)
    ]
    return render(
        request,
        "articles/archive.html",
        {
            "level": "year",
            "year": year,
            "period": str(year),
            "periods": months,
            **_adjacent(start, end, "year"),
            "results": _listing(request, date_from=start, date_to=end),
        },
    )


def archive_month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    start = _valid_date(year, month, 1)
    end = date(year, month, calendar.monthrange(year, month)[1])
    counts = count_by(SearchRequest(date_from=start, date_to=end), "day")
    base = (year * 100 + month) * 100
    days = [{"number": d, "count": counts.get(base + d, 0)} for d in range(1, end.day + 1)]
    return render(
        request,
        "articles/archive.html",
        {
            "level": "month",
            "year": year,
            "month": month,
            "month_name": formats.date_format(date(year, month, 1), "F"),
            "period": formats.date_format(start, "F Y"),
            "periods": days,
            **_adjacent(start, end, "month"),
            "results": _listing(request, date_from=start, date_to=end),
        },
    )


def archive_day(request: HttpRequest, year: int, month: int, day: int) -> HttpResponse:
    the_day = _valid_date(year, month, day)
    return render(
        request,
        "articles/archive.html",
        {
            "level": "day",
            "year": year,
            "month": month,
            "month_name": formats.date_format(date(year, month, 1), "F"),
            "day": day,
            "period": formats.date_format(the_day, "j F Y"),
            **_adjacent(the_day, the_day, "day"),
            "results": _listing(request, date_from=the_day, date_to=the_day),
        },
    )


def archive_undated(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "articles/archive.html",
        {"level": "undated", "period": "no date", "results": _listing(request, undated=True)},
    )


def _adjacent(start: date, end: date, level: str) -> dict[str, Any]:
    """Links to the period (a year, month or day) before `start` and after `end`, within
    the years 1-9999 that dates can hold."""
    out: dict[str, Any] = {}
    for key, edge, step in (("previous_period", start, -1), ("next_period", end, 1)):
        try:
            moment = edge + timedelta(days=step)
        except OverflowError:
            continue
        if level == "year":
            out[key] = {
                "href": reverse("articles:archive_year", args=[moment.year]),
                "label": str(moment.year),
            }
        elif level == "month":
            out[key] = {
                "href": reverse("articles:archive_month", args=[moment.year, moment.month]),
                "label": formats.date_format(moment, "F Y"),
            }
        else:
            out[key] = {
                "href": reverse(
                    "articles:archive_day", args=[moment.year, moment.month, moment.day]
                ),
                "label": formats.date_format(moment, "j F Y"),
            }
    return out


def _valid_date(year: int, month: int, day: int) -> date:
    try:
        return datetime(year, month, day, tzinfo=UTC).date()
    except (ValueError, OverflowError):  # 2017/13/1, or a year too long for a C int
        raise Http404("No such date.") from None
