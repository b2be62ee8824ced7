"""Reader-facing pages: thin views over `articles.search.run_search` and the QuerySets."""

from __future__ import annotations

import calendar
import csv
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import escape

from .counts import generation as counts_generation
from .counts import source_articles, source_counts, tag_articles, tag_counts
from .filters import ArticleFilter
from .languages import RTL_LANGUAGES, language_name
from .models import Article, Source, SourceRedirect, Tag, TagRedirect, article_path
from .related import related_ids
from .sanitize import csv_cell
from .search import (
    MAX_PAGES,
    PAGE_SIZE,
    PageNotFound,
    SearchFilters,
    SearchResults,
    archive_query,
    default_sort,
    estimate_rows,
    fetch_articles,
    headline_expression,
    mark_hits,
    narrowed,
    run_search,
    select_ids,
)
from .throttle import export_guard, rate_limited

# Parameters that define a search (everything but the page).
SEARCH_PARAMS = ("q", "source", "tag", "language", "from", "to", "sort")
FACET_NAMES = (("source", "Source"), ("tag", "Tag"), ("year", "Year"), ("language", "Language"))


def _page_number(request: HttpRequest) -> int:
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        raise Http404("Page numbers are whole numbers.") from None
    if page < 1:
        raise Http404("Page numbers start at 1.")
    return page


def _listing(base: Any, request: HttpRequest, *, count: int | None = None) -> SearchResults:
    """One page of `base`, newest first, with a count that stays cheap at any size
    (`count`: how many articles `base` holds, when the caller knows it cheaply)."""
    try:
        return run_search(
            base, "", sort="newest", page=_page_number(request), facets=False, count=count
        )
    except PageNotFound as exc:
        raise Http404(str(exc)) from exc


# Enough for a newcomer's `make run` to list every bundled sample on the first page.
HOME_ARTICLES = 40


def home(request: HttpRequest) -> HttpResponse:
    newest = list(
        Article.objects.visible().newest_first().values_list("pk", flat=True)[:HOME_ARTICLES]
    )
    current = counts_generation()
    return render(
        request,
        "articles/home.html",
        {
            "articles": fetch_articles(newest, None),
            "sources": source_counts(limit=12, generation=current),
            "tags": tag_counts(limit=24, generation=current),
        },
    )


# --- Search -------------------------------------------------------------------------------


def bind_search(request: HttpRequest) -> ArticleFilter:
    return ArticleFilter(request.GET, queryset=Article.objects.visible())


def search_filters(filterset: ArticleFilter) -> SearchFilters:
    """The source, tag and date filters of a bound, valid ArticleFilter, for the index."""
    data = filterset.form.cleaned_data
    return SearchFilters(
        sources=tuple(s.pk for s in data.get("source") or []),
        tags=tuple(t.pk for t in data.get("tag") or []),
        dates=(data.get("from"), data.get("to")),
    )


def search_from(filterset: ArticleFilter, **options: Any) -> SearchResults:
    """Run the search a bound, valid ArticleFilter describes (page, API, feed, export)."""
    data = filterset.form.cleaned_data
    filters = search_filters(filterset)
    return run_search(
        filterset.qs,
        data.get("q") or "",
        sort=data.get("sort") or "",
        page=data.get("page") or 1,
        dates=filters.dates,
        sources=filters.sources,
        tags=filters.tags,
        **options,
    )


_QUERY_ORDER = (*SEARCH_PARAMS, "page", "pos")


def _querystring(params: dict[str, list[str]], **changes: list[str] | None) -> str:
    merged = {k: list(v) for k, v in params.items() if v}
    for key, value in changes.items():
        if value:
            merged[key] = value
        else:
            merged.pop(key, None)
    # What QueryDict.urlencode() writes, without building a QueryDict: a search page
    # builds some eighty of these links.
    return urlencode(
        [(key, value) for key in _QUERY_ORDER if key in merged for value in merged[key]]
    )


def search_params(filterset: ArticleFilter) -> dict[str, list[str]]:
    """The current search as normalised parameters (slugs for sources and tags)."""
    data = filterset.form.cleaned_data
    params: dict[str, list[str]] = {}
    if data.get("q"):
        params["q"] = [data["q"]]
    params["source"] = [s.slug for s in data.get("source") or []]
    params["tag"] = [t.slug for t in data.get("tag") or []]
    for key in ("language", "sort"):
        if data.get(key):
            params[key] = [data[key]]
    for key in ("from", "to"):
        if data.get(key):
            params[key] = [data[key].isoformat()]
    return params


def facet_links(params: dict[str, list[str]], results: SearchResults) -> dict[str, list[dict]]:
    """Each facet value with its count, whether it is selected, and the link toggling it."""
    links: dict[str, list[dict]] = {}
    for name in ("source", "tag", "language"):
        current = params.get(name, [])
        items = []
        for fv in results.facets.get(name, []):
            selected = fv.value in current
            if name == "language":
                new = [] if selected else [fv.value]
            else:
                new = [v for v in current if v != fv.value] if selected else [*current, fv.value]
            items.append(
                {
                    "label": fv.label,
                    "count": fv.count,
                    "selected": selected,
                    "href": "?" + _querystring(params, **{name: new}),
                }
            )
        links[name] = items
    years = []
    for fv in results.facets.get("year", []):
        start, end = f"{fv.value}-01-01", f"{fv.value}-12-31"
        selected = params.get("from") == [start] and params.get("to") == [end]
        change = {"from": None, "to": None} if selected else {"from": [start], "to": [end]}
        years.append(
            {
                "label": fv.label,
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
    for i, bar in enumerate(bars):
        height = round(90 * bar.count / top, 2)
        out.append(
            {
                "label": bar.label,
                "count": bar.count,
                "x": round(i * width + width * 0.1, 3),
                "width": round(width * 0.8, 3),
                "y": round(95 - height, 2),
                "height": height,
                "href": "?"
                + _querystring(
                    params, **{"from": [bar.start.isoformat()], "to": [bar.end.isoformat()]}
                ),
            }
        )
    return out


@rate_limited("search")
def search(request: HttpRequest) -> HttpResponse:
    filterset = bind_search(request)
    context: dict[str, Any] = {
        "filterset": filterset,
        "form": filterset.form,
        "sorts": ("relevance", "newest", "oldest"),
    }
    if not filterset.is_valid():
        context["error"] = filterset.error_message()
        return render(request, "articles/search.html", context, status=400)
    try:
        results = search_from(filterset)
    except PageNotFound as exc:
        raise Http404(str(exc)) from exc
    params = search_params(filterset)
    context.update(
        {
            "results": results,
            "params": params,
            "q": filterset.form.cleaned_data.get("q") or "",
            "facets": facet_links(params, results),
            "timeline": timeline_bars(params, results),
            "result_qs": _querystring(params),
            "page_qs": _querystring(params, page=None),
            "sort_links": [
                (s, "?" + _querystring(params, sort=[s]), s == results.sort)
                for s in (("relevance", "newest", "oldest") if results.q else ("newest", "oldest"))
            ],
            "feed_qs": _querystring(params, sort=None),
            "sorts": ("relevance", "newest", "oldest"),
            "facet_names": FACET_NAMES,
        }
    )
    return render(request, "articles/search.html", context)


@export_guard
def search_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The matching articles as CSV, streamed row by row."""
    filterset = bind_search(request)
    if not filterset.is_valid():
        return HttpResponse(
            f"Bad parameters: {filterset.error_message()}\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    q = filterset.form.cleaned_data.get("q") or ""
    sort = filterset.form.cleaned_data.get("sort") or "newest"
    matches = filterset.qs
    if q.strip():
        matches = narrowed(matches.matching(q), search_filters(filterset).terms())
    ordered = matches.oldest_first() if sort == "oldest" else matches.newest_first()
    # Plain rows, not Article, Source and Tag objects: building those took two thirds of
    # an export's time (100,000 rows in 23.5 s at 1,000,000 articles).
    rows = ordered.with_tag_rows().values_list(
        "pk", "slug", "title", "source__name", "published_at", "language", "tag_rows", "url"
    )[:EXPORT_LIMIT]
    base_url = request.build_absolute_uri("/")[:-1]

    def lines() -> Iterator[str]:
        buffer = _Echo()
        writer = csv.writer(buffer)
        yield writer.writerow(
            ["id", "title", "source", "published_at", "language", "tags", "url", "page_url"]
        )
        for pk, slug, title, source, published, language, tags, url in rows.iterator(
            chunk_size=2000
        ):
            yield writer.writerow(
                [
                    pk,
                    csv_cell(title),
                    csv_cell(source),
                    published.isoformat() if published else "",
                    csv_cell(language),
                    csv_cell("; ".join(name for _, name, _ in json.loads(tags))),
                    csv_cell(url),
                    base_url + article_path(pk, slug),
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="newsarchive-search.csv"'
    return response


# Most rows one export streams.
EXPORT_LIMIT = 100_000


class _Echo:
    def write(self, value: str) -> str:
        return value


# --- Articles -----------------------------------------------------------------------------


def paragraphs(text: str) -> list[str]:
    """Split a body (already escaped and marked) on blank lines."""
    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n")]
    return [p for p in parts if p]


def article_detail(request: HttpRequest, id: int, slug: str) -> HttpResponse:
    article = get_object_or_404(
        Article.objects.visible().select_related("source").defer("search_vector", "rank_vector"),
        pk=id,
    )
    if slug != article.slug:
        url = article.get_absolute_url()
        if request.GET:
            url += "?" + request.GET.urlencode()
        return HttpResponsePermanentRedirect(url)

    tags = list(article.tags.only("name", "slug"))
    q = request.GET.get("q", "").strip()
    query = archive_query(q) if q else None
    title: Any = article.title
    body: list[Any]
    if query is not None:
        marked_title, marked_body = (
            Article.objects.filter(pk=article.pk)
            .annotate(
                t=headline_expression(query, highlight_all=True, field="title"),
                h=headline_expression(query, highlight_all=True),
            )
            .values_list("t", "h")
            .get()
        )
        title = mark_hits(marked_title)
        body = [mark_hits(p) for p in paragraphs(marked_body)]
    else:
        body = [escape(p) for p in paragraphs(article.body)]

    return render(
        request,
        "articles/article_detail.html",
        {
            "article": article,
            "title": title,
            "tags": tags,
            "body": body,
            "dir": "rtl" if article.language in RTL_LANGUAGES else "auto",
            "language_name": language_name(article.language),
            "related": related_articles(article, [t.pk for t in tags]),
            "q": q,
            **_neighbours(request, article),
        },
    )


def _neighbours(request: HttpRequest, article: Article) -> dict[str, Any]:
    """Previous/next results of the search that led here (its position is in `pos`)."""
    if "pos" not in request.GET:
        return {}
    try:
        pos = int(request.GET["pos"])
    except ValueError:
        return {}
    filterset = bind_search(request)
    # Result lists stop at MAX_PAGES: a position past them was not made by one.
    if not 0 <= pos < MAX_PAGES * PAGE_SIZE or not filterset.is_valid():
        return {}
    data = filterset.form.cleaned_data
    q = data.get("q") or ""
    query = archive_query(q) if q.strip() else None
    matches = filterset.qs.filter(search_vector=query) if query is not None else filterset.qs
    sort = data.get("sort") or default_sort(q)
    if query is None and sort == "relevance":
        sort = "newest"
    start = max(pos - 1, 0)
    # As run_search pages them: the same estimate, window and filter terms.
    filters = search_filters(filterset)
    estimate = estimate_rows(matches.values("id"))
    if query is not None:
        matches = narrowed(matches, filters.terms())
    ids, _ = select_ids(matches, query, sort, estimate, start, 3, dates=filters.dates)
    i = pos - start
    if i >= len(ids) or ids[i] != article.pk:
        return {}  # the results changed since the link was made
    params = search_params(filterset)
    back_page = pos // PAGE_SIZE + 1
    out: dict[str, Any] = {
        "back_href": reverse("articles:search")
        + "?"
        + _querystring(params, page=[str(back_page)] if back_page > 1 else None)
    }
    rows = Article.objects.filter(pk__in=ids).values_list("pk", "title", "slug")
    titles = {pk: title for pk, title, _ in rows}
    slugs = {pk: slug for pk, _, slug in rows}
    for key, j in (("previous", i - 1), ("next", i + 1)):
        if 0 <= j < len(ids):
            other = ids[j]
            out[key] = {
                "title": titles[other],
                "href": reverse("articles:article_detail", args=[other, slugs[other] or "article"])
                + "?"
                + _querystring(params, pos=[str(start + j)]),
            }
    return out


# How many related articles an article page shows.
RELATED = 5


def related_articles(article: Article, tag_ids: list[int]) -> list[Article]:
    """Articles sharing the most tags with this one (else its title's words): bounded work."""
    ids = related_ids(article.pk, tag_ids, RELATED)
    if not ids:
        words = sorted({w for w in article.title.split() if len(w) > 3}, key=len, reverse=True)
        query = archive_query(" or ".join(words[:6])) if words else None
        if query is not None:
            matches = Article.objects.visible().exclude(pk=article.pk).filter(search_vector=query)
            ids, _ = select_ids(
                matches, query, "relevance", estimate_rows(matches.values("id")), 0, RELATED
            )
    return fetch_articles(ids, None, snippets=False) if ids else []


# --- Sources and tags ---------------------------------------------------------------------


def source_list(request: HttpRequest) -> HttpResponse:
    return render(request, "articles/source_list.html", {"sources": source_counts()})


def source_detail(request: HttpRequest, slug: str) -> HttpResponse:
    source = resolve_source_slug(slug)
    if isinstance(source, str):
        return HttpResponsePermanentRedirect(reverse("articles:source_detail", args=[source]))
    results = _listing(
        Article.objects.visible().filter(source=source),
        request,
        count=source_articles(source.pk),
    )
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
    results = _listing(Article.objects.visible().tagged(tag), request, count=tag_articles(tag.pk))
    return render(request, "articles/tag_detail.html", {"tag": tag, "results": results})


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


def _day_range(start: date, end: date) -> Any:
    return Article.objects.visible().published_between(start, end)


def archive_index(request: HttpRequest) -> HttpResponse:
    years = Article.objects.visible().published_years()
    return render(request, "articles/archive_index.html", {"years": years[::-1]})


def archive_year(request: HttpRequest, year: int) -> HttpResponse:
    start, end = _valid_date(year, 1, 1), _valid_date(year, 12, 31)
    in_year = _day_range(start, end)
    counts = Article.objects.visible_counts_by("month", start, end)
    months = [
        {"number": m, "name": calendar.month_name[m], "count": counts.get(m, 0)}
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
            "results": _listing(in_year, request),
        },
    )


def archive_month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    start = _valid_date(year, month, 1)
    end = date(year, month, calendar.monthrange(year, month)[1])
    in_month = _day_range(start, end)
    counts = Article.objects.visible_counts_by("day", start, end)
    days = [{"number": d, "count": counts.get(d, 0)} for d in range(1, end.day + 1)]
    return render(
        request,
        "articles/archive.html",
        {
            "level": "month",
            "year": year,
            "month": month,
            "month_name": calendar.month_name[month],
            "period": start.strftime("%B %Y"),
            "periods": days,
            "results": _listing(in_month, request),
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
            "month_name": calendar.month_name[month],
            "day": day,
            "period": f"{the_day.day} {the_day:%B %Y}",
            "results": _listing(_day_range(the_day, the_day), request),
        },
    )


def _valid_date(year: int, month: int, day: int) -> date:
    try:
        return datetime(year, month, day, tzinfo=UTC).date()
    except (ValueError, OverflowError):  # 2017/13/1, or a year too long for a C int
        raise Http404("No such date.") from None
