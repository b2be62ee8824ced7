"""Answering a search: one request in, one page of results with exact counts and facets out.

`search(SearchRequest(...))` is the one way anything in the archive searches: the search
page and its JSON twin, the feeds, the CSV export, the article page's previous/next
links and the admin's search box. The index finds, ranks (BM25 over every match), counts
and facets; the page's articles are then read back from PostgreSQL by id, visible ones
only unless the request is a curator's, so an index that lags a change can never show a
hidden or deleted article.
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass, field, replace
from datetime import date
from operator import attrgetter
from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Left, Lower
from tantivy import Order, Searcher

from . import analysis
from .compile import Compiled, Filters, compile_query
from .index import SearchUnavailable, searcher
from .query import Filter, parse
from .schema import UNKNOWN_LANGUAGE
from .snippets import SNIPPET_SOURCE_CHARS, Marker, lead
from .suggest import Suggestion, suggest

PAGE_SIZE = 20
PAGE_SIZES = (20, 50, 100)
# Deepest result a page reaches (as in Elasticsearch's max_result_window): the count and
# facets stay exact beyond it; narrowing or re-sorting reaches the rest.
MAX_RESULTS = 10_000
# Values shown per facet, unless a request asks for more (one more is read to know).
FACET_LIMIT = 15
FACET_MAX = 500
# Buckets each index segment reports per facet: more than any archive has sources or tags,
# so every count is exact (tantivy cuts per-segment lists at this size).
_SEGMENT_BUCKETS = 65_000
# Fewer matches than this and the page offers a spelling suggestion.
SUGGEST_BELOW = 3

SORTS = ("relevance", "newest", "oldest")


class PageNotFound(Exception):
    """The requested page lies past the last page of results."""


@dataclass(frozen=True)
class SearchRequest:
    """A search: words, filters, order and page (every field optional)."""

    q: str = ""
    sources: tuple[int, ...] = ()  # any of them
    tags: tuple[int, ...] = ()  # all of them
    authors: tuple[int, ...] = ()  # all of them
    language: str | None = None  # ISO 639-1 code; "" for articles of unknown language
    date_from: date | None = None
    date_to: date | None = None
    undated: bool = False
    sort: str = ""  # relevance (the default with words), newest (without), oldest
    page: int = 1
    page_size: int = PAGE_SIZE
    offset: int | None = None  # an explicit window instead of a page (previous/next)
    facets: bool = True
    facet_limit: int = FACET_LIMIT
    more_facet: str = ""  # one facet (source, tag, language) listed up to FACET_MAX values
    snippets: bool = True
    include_hidden: bool = False  # curators see hidden articles too
    exclude_ids: tuple[int, ...] = ()

    @property
    def effective_sort(self) -> str:
        if self.sort in SORTS and (self.sort != "relevance" or self.q.strip()):
            return self.sort
        return "relevance" if self.q.strip() else "newest"

    @property
    def start(self) -> int:
        return self.offset if self.offset is not None else (self.page - 1) * self.page_size

    def window(self, start: int, size: int) -> SearchRequest:
        """The same search, `size` results from position `start`, without extras."""
        return replace(self, offset=start, page_size=size, facets=False, snippets=False)

    def filters(self) -> Filters:
        return Filters(
            sources=self.sources,
            tags=self.tags,
            authors=self.authors,
            language=self.language,
            date_from=self.date_from,
            date_to=self.date_to,
            undated=self.undated,
            include_hidden=self.include_hidden,
            exclude_ids=self.exclude_ids,
        )


@dataclass
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class TimelineBar:
    label: str
    start: date | None  # None for the undated bar
    end: date | None
    count: int


@dataclass
class SearchResults:
    """What a page of results needs, whatever renders it (HTML, JSON, Atom, CSV)."""

    request: SearchRequest
    sort: str
    ids: list[int]
    articles: list[Any]
    count: int
    page: int
    num_pages: int
    page_size: int
    has_terms: bool = True  # False: the words were all stop words
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    facets_more: dict[str, bool] = field(default_factory=dict)
    timeline: list[TimelineBar] = field(default_factory=list)
    timeline_unit: str = "year"
    suggestion: Suggestion | None = None
    unknown_filters: list[Filter] = field(default_factory=list)

    @property
    def q(self) -> str:
        return self.request.q

    @property
    def start_index(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.articles)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def last_reachable_page(self) -> int:
        return min(self.num_pages, max(1, MAX_RESULTS // self.page_size))


def search(request: SearchRequest) -> SearchResults:
    """Answer `request` from the index; raises PageNotFound past the last page and
    SearchUnavailable when there is no index yet."""
    s = searcher()
    sort = request.effective_sort
    tree = parse(request.q)
    compiled = compile_query(
        tree,
        request.filters(),
        analyzers_in(s),
        resolve_filter,
        stop_analyzers=analyzers_in(s) & analysis.STOP_LISTS,
    )
    size = max(1, request.page_size)
    start = request.start
    if start >= MAX_RESULTS and request.offset is None:
        raise PageNotFound(
            f"Results stop at {MAX_RESULTS:,}: narrow the search or change its order to reach "
            "the others."
        )
    limit = max(1, min(size, MAX_RESULTS - start) if request.offset is None else size)
    if compiled.only_stop_words or (tree is None and request.q.strip()):
        return _empty(request, sort, has_terms=False)
    if sort == "relevance":
        found = s.search(compiled.query, limit, count=True, offset=start)
    else:
        key, order = ("oldest", Order.Asc) if sort == "oldest" else ("newest", Order.Desc)
        found = s.search(
            compiled.query, limit, count=True, order_by_field=key, offset=start, order=order
        )
    count = int(found.count)  # type: ignore[attr-defined]  # with count=True
    num_pages = max(1, -(-count // size))
    if request.offset is None and request.page > num_pages:
        raise PageNotFound("There are no results on this page.")
    addresses = [address for _, address in found.hits]
    ids = _ids(s, addresses)
    results = SearchResults(
        request=request,
        sort=sort,
        ids=ids,
        articles=[],
        count=count,
        page=request.page,
        num_pages=num_pages,
        page_size=size,
        unknown_filters=compiled.unknown,
    )
    if request.facets and count:
        _add_facets(results, s, compiled, request.facet_limit, request.more_facet)
    if request.offset is None or request.snippets:
        results.articles = fetch_articles(
            ids,
            s,
            compiled if compiled.has_words else None,
            snippets=request.snippets,
            include_hidden=request.include_hidden,
        )
    if compiled.has_words and count < SUGGEST_BELOW and tree is not None:
        results.suggestion = suggest(s, tree, request, count_of)
    return results


def _ids(s: Searcher, addresses: list[Any]) -> list[int]:
    """The article ids of hits, read from the `id` fast field."""
    if not addresses:
        return []
    return [int(pk) for pk in s.fast_field_values("id", addresses) if pk is not None]


def count_of(request: SearchRequest) -> int:
    """How many articles match `request` (no page, no facets)."""
    s = searcher()
    compiled = compile_query(
        parse(request.q),
        request.filters(),
        analyzers_in(s),
        resolve_filter,
        stop_analyzers=analyzers_in(s) & analysis.STOP_LISTS,
    )
    if compiled.only_stop_words:
        return 0
    return int(s.search(compiled.query, 1, count=True).count)  # type: ignore[attr-defined]


def _empty(request: SearchRequest, sort: str, *, has_terms: bool) -> SearchResults:
    return SearchResults(
        request=request,
        sort=sort,
        ids=[],
        articles=[],
        count=0,
        page=1,
        num_pages=1,
        page_size=request.page_size,
        has_terms=has_terms,
    )


def analyzers_in(s: Searcher) -> frozenset[str]:
    """The analyzers whose fields hold articles (from the languages the index holds)."""
    codes = [term for term, _ in s.terms_with_prefix("language", "")]
    return frozenset(
        analysis.analyzer_for("" if code == UNKNOWN_LANGUAGE else code) for code in codes
    )


def resolve_filter(node: Filter) -> list[int] | list[str]:
    """The ids (or language codes) a `source:`, `tag:`, `author:` or `language:` names."""
    from articles.models import Source, Tag

    value = node.value.strip()
    if not value:
        return []
    if node.field == "language":
        return _language_codes(value, node.prefix)
    model: Any = {"source": Source, "tag": Tag}.get(node.field)
    if model is None:
        return []
    lowered = value.lower()
    if node.prefix:
        match = Q(slug__istartswith=value) | Q(lname__startswith=lowered)
    else:
        match = Q(slug=value) | Q(lname=lowered) | Q(redirects__old_slug=value)
        if node.field == "source":
            match |= Q(aliases__name__iexact=value) | Q(domain__iexact=value)
    rows = model.objects.annotate(lname=Lower("name")).filter(match)
    return sorted(set(rows.values_list("pk", flat=True)))


def _language_codes(value: str, prefix: bool) -> list[str]:
    from articles.languages import LANGUAGE_NAMES

    lowered = value.lower()
    if lowered in ("unknown", "none", UNKNOWN_LANGUAGE):
        return [UNKNOWN_LANGUAGE]
    codes = [
        code
        for code, name in LANGUAGE_NAMES.items()
        if (name.lower().startswith(lowered) if prefix else name.lower() == lowered)
        or (code.startswith(lowered) if prefix else code == lowered)
    ]
    return sorted(set(codes)) or ([lowered] if len(lowered) in (2, 3) and not prefix else [])


# --- Facets -------------------------------------------------------------------------------


def _add_facets(
    results: SearchResults, s: Searcher, compiled: Compiled, limit: int, more: str = ""
) -> None:
    from articles.languages import language_name

    limit = max(1, min(limit, FACET_MAX))
    limits = {name: FACET_MAX if name == more else limit for name in ("source", "tag", "language")}
    buckets = _aggregate(s, compiled, max(limits["source"], limits["tag"]) + 1)
    sources = _named("source", buckets["source"], limits["source"])
    tags = _named("tag", buckets["tag"], limits["tag"])
    languages = sorted(
        (
            FacetValue(
                "" if code == UNKNOWN_LANGUAGE else code,
                "Unknown" if code == UNKNOWN_LANGUAGE else language_name(code),
                n,
            )
            for code, n in buckets["language"]
        ),
        key=lambda f: (-f.count, f.label),
    )
    months: dict[tuple[int, int], int] = {}
    undated = 0
    years: dict[int, int] = {}
    for month, n in buckets["month"]:
        if month == 0:
            undated = n
            continue
        y, m = divmod(int(month), 100)
        months[(y, m)] = n
        years[y] = years.get(y, 0) + n
    year_values = [FacetValue(str(y), str(y), n) for y, n in sorted(years.items())]
    if undated:
        year_values.append(FacetValue("undated", "Undated", undated))
    results.facets = {
        "source": sources[: limits["source"]],
        "tag": tags[: limits["tag"]],
        "year": year_values,
        "language": languages[: limits["language"]],
    }
    results.facets_more = {
        "source": len(sources) > limits["source"],
        "tag": len(tags) > limits["tag"],
        "year": False,
        "language": len(languages) > limits["language"],
    }
    results.timeline, results.timeline_unit = build_timeline(years, months, undated)


def _aggregate(s: Searcher, compiled: Compiled, size: int) -> dict[str, list[tuple[Any, int]]]:
    def terms(name: str, n: int) -> dict[str, Any]:
        return {"terms": {"field": name, "size": n, "segment_size": _SEGMENT_BUCKETS}}

    found = s.aggregate(
        compiled.query,
        {
            "source": terms("source", size + 1),  # one more: 0 (no source) may be among them
            "tag": terms("tag", size),
            "language": terms("language", 1000),
            "month": terms("month", _SEGMENT_BUCKETS),
        },
    )
    return {
        name: [(b["key"], int(b["doc_count"])) for b in found[name]["buckets"]]
        for name in ("source", "tag", "language", "month")
    }


def _named(kind: str, buckets: list[tuple[Any, int]], limit: int) -> list[FacetValue]:
    """Facet values for source or tag ids, named from PostgreSQL, largest first."""
    from articles.models import Source, Tag

    model: Any = Source if kind == "source" else Tag
    counts = {int(key): n for key, n in buckets if int(key) != 0}
    names = dict(
        (pk, (name, slug))
        for pk, name, slug in model.objects.filter(pk__in=counts).values_list("pk", "name", "slug")
    )
    values = [FacetValue(names[pk][1], names[pk][0], n) for pk, n in counts.items() if pk in names]
    values.sort(key=lambda f: (-f.count, f.label.lower()))
    return values[: limit + 1]


def build_timeline(
    years: dict[int, int], months: dict[tuple[int, int], int], undated: int = 0
) -> tuple[list[TimelineBar], str]:
    """Bars per year, or per month when the matches span two calendar years or fewer; an
    "Undated" bar after them when some matches have no date."""
    bars: list[TimelineBar] = []
    unit = "year"
    if years:
        first, last = min(years), max(years)
        if last - first <= 1:
            unit = "month"
            first_month = min(m for (y, m) in months if y == first)
            last_month = max(m for (y, m) in months if y == last)
            y, m = first, first_month
            while (y, m) <= (last, last_month):
                start = date(y, m, 1)
                end = date(y, m, calendar.monthrange(y, m)[1])
                label = f"{calendar.month_abbr[m]} {y}"
                bars.append(TimelineBar(label, start, end, months.get((y, m), 0)))
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        elif last - first < 1000:
            bars = [
                TimelineBar(str(y), date(y, 1, 1), date(y, 12, 31), years.get(y, 0))
                for y in range(first, last + 1)
            ]
        else:  # a stray date far from the rest: only the years that hold articles
            bars = [
                TimelineBar(str(y), date(y, 1, 1), date(y, 12, 31), n)
                for y, n in sorted(years.items())
            ]
    if undated:
        bars.append(TimelineBar("Undated", None, None, undated))
    return bars, unit


# --- Reading the page's articles back -----------------------------------------------------


def fetch_articles(
    ids: list[int],
    s: Searcher | None = None,
    compiled: Compiled | None = None,
    *,
    snippets: bool = True,
    include_hidden: bool = False,
) -> list[Any]:
    """The articles of `ids` in that order (visible ones, unless `include_hidden`), each with
    its tags by name as `tag_list` and, with `snippets`, a marked snippet."""
    from articles.models import Article, Tag

    if not ids:
        return []
    qs = Article.objects.filter(id__in=ids) if include_hidden else Article.objects.visible()
    qs = qs.filter(id__in=ids).for_listing().with_tag_rows()
    if snippets:
        qs = qs.annotate(
            snippet_source=Left("body", SNIPPET_SOURCE_CHARS, output_field=TextField())
        )
    by_id = {article.pk: article for article in qs}
    articles: list[Any] = [by_id[i] for i in ids if i in by_id]
    marker = Marker(s, compiled) if snippets and s is not None and compiled is not None else None
    for article in articles:
        tags = [Tag(id=pk, name=name, slug=slug) for pk, name, slug in json.loads(article.tag_rows)]
        article.tag_list = sorted(tags, key=attrgetter("name"))
        text = getattr(article, "snippet_source", "") or ""
        if not snippets:
            article.snippet = ""
        elif marker is not None:
            article.snippet = marker.snippet(analysis.analyzer_for(article.language), text)
        else:
            article.snippet = lead(text)
    return articles


def marked_article(article: Any, q: str) -> tuple[Any, list[Any]] | None:
    """An article's title and body paragraphs with the hits of `q` marked; None when `q`
    has nothing to mark."""
    tree = parse(q)
    if tree is None:
        return None
    try:
        s = searcher()
    except SearchUnavailable:
        return None
    compiled = compile_query(
        tree,
        Filters(),
        {analysis.analyzer_for(article.language)},
        resolve_filter,
        stop_analyzers=analyzers_in(s) & analysis.STOP_LISTS,
    )
    if not compiled.has_words:
        return None
    marker = Marker(s, compiled)
    name = analysis.analyzer_for(article.language)
    title = marker.whole(name, article.title)
    body = [marker.whole(name, p) for p in paragraphs(article.body)]
    return title, body


def paragraphs(text: str) -> list[str]:
    """A body's paragraphs (separated by blank lines)."""
    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n")]
    return [p for p in parts if p]


# --- Archive-wide totals ------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """Visible articles per source, tag, month (YYYYMM; 0: undated) and language code."""

    sources: dict[int, int]
    tags: dict[int, int]
    months: dict[int, int]
    languages: dict[str, int]

    @property
    def years(self) -> dict[int, int]:
        years: dict[int, int] = {}
        for month, n in self.months.items():
            if month:
                years[month // 100] = years.get(month // 100, 0) + n
        return years


_totals: dict[tuple[str, int], Totals] = {}


def totals() -> Totals:
    """The archive's totals, counted by the index once per commit of it (every page that
    lists sources, tags or years reads them; they agree with every search's facets)."""
    from .index import index_dir, meta

    s = searcher()
    generation = (meta(s) or (0, 0))[1]
    key = (str(index_dir()), generation)
    found = _totals.get(key)
    if found is None:
        compiled = compile_query(None, Filters(), (), resolve_filter)
        buckets = s.aggregate(
            compiled.query,
            {
                name: {
                    "terms": {
                        "field": name,
                        "size": _SEGMENT_BUCKETS,
                        "segment_size": _SEGMENT_BUCKETS,
                    }
                }
                for name in ("source", "tag", "month", "language")
            },
        )

        def counts(name: str) -> dict[Any, int]:
            return {b["key"]: int(b["doc_count"]) for b in buckets[name]["buckets"]}

        found = Totals(
            sources={int(k): n for k, n in counts("source").items() if int(k)},
            tags={int(k): n for k, n in counts("tag").items()},
            months={int(k): n for k, n in counts("month").items()},
            languages={
                ("" if k == UNKNOWN_LANGUAGE else str(k)): n for k, n in counts("language").items()
            },
        )
        _totals.clear()
        _totals[key] = found
    return found


def count_by(request: SearchRequest, unit: str) -> dict[int, int]:
    """Matches of `request` per month (YYYYMM) or day (YYYYMMDD) of publication; undated
    articles under 0."""
    s = searcher()
    compiled = compile_query(parse(request.q), request.filters(), analyzers_in(s), resolve_filter)
    if compiled.only_stop_words:
        return {}
    found = s.aggregate(
        compiled.query,
        {
            unit: {
                "terms": {"field": unit, "size": _SEGMENT_BUCKETS, "segment_size": _SEGMENT_BUCKETS}
            }
        },
    )
    return {int(b["key"]): int(b["doc_count"]) for b in found[unit]["buckets"]}
