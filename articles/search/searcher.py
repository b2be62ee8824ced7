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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Left, Lower
from tantivy import FieldType, Occur, Order, Query, Searcher

from . import analysis
from .compile import Compiled, Filters, compile_query
from .index import SearchUnavailable, searcher
from .query import Filter, parse
from .schema import UNKNOWN_LANGUAGE, schema
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
    more_facet: str = ""  # one facet (source, tag, author, language) listed up to FACET_MAX
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
    # With facets, the count comes from their pass over every match (each article has one
    # language): the matches are read twice, not three times. That pass runs in another
    # thread (tantivy lets go of the GIL) while this one finds the page and reads its
    # articles and snippets, so a request on an idle machine takes the longer of the two,
    # not their sum.
    facets: dict[str, list[tuple[Any, int]]] | None = None
    pending: Future[dict[str, list[tuple[Any, int]]]] | None = None
    # The whole archive (no words, no filters): in date order, as every listing without words.
    whole = tree is None and request.filters() == Filters()
    if request.facets:
        if whole:
            # Its totals, counted once per commit of the index.
            facets = _buckets_of(totals(s), _facet_size(request))
        else:
            pending = _background().submit(_aggregate, s, compiled, _facet_size(request))
    counted = facets is None and pending is None
    try:
        if whole:
            hits, total = _archive_in_date_order(s, compiled, sort, start, limit)
        else:
            if sort == "relevance":
                found = s.search(compiled.query, limit, count=counted, offset=start)
            else:
                key, order = ("oldest", Order.Asc) if sort == "oldest" else ("newest", Order.Desc)
                found = s.search(
                    compiled.query,
                    limit,
                    count=counted,
                    order_by_field=key,
                    offset=start,
                    order=order,
                )
            hits = found.hits
            total = int(found.count) if counted else 0  # type: ignore[attr-defined]  # with count=True
        ids = _ids(s, [address for _, address in hits])
        articles = []
        if ids and (request.offset is None or request.snippets):
            articles = fetch_articles(
                ids,
                s,
                compiled if compiled.has_words else None,
                snippets=request.snippets,
                include_hidden=request.include_hidden,
            )
            if request.offset is None:
                articles = collapse_versions(articles)
    finally:
        if pending is not None:
            facets = pending.result()
    count = sum(n for _, n in facets["language"]) if facets is not None else total
    num_pages = max(1, -(-count // size))
    if request.offset is None and request.page > num_pages:
        raise PageNotFound("There are no results on this page.")
    results = SearchResults(
        request=request,
        sort=sort,
        ids=ids,
        articles=articles,
        count=count,
        page=request.page,
        num_pages=num_pages,
        page_size=size,
        unknown_filters=compiled.unknown + _unknown_names(s, compiled, count),
    )
    if facets is not None and count:
        _add_facets(results, facets, _facet_limits(request))
    if compiled.has_words and count < SUGGEST_BELOW and tree is not None:
        results.suggestion = suggest(s, tree, request, count_of)
    return results


def _archive_in_date_order(
    s: Searcher, compiled: Compiled, sort: str, start: int, limit: int
) -> tuple[list[Any], int]:
    """A page of the whole archive in date order, and the archive's size.

    Ordering by a date key reads the key of every match: for the whole archive (the home
    page, a search without words) that grows with the archive, while the page lies in its
    newest (or oldest) few weeks. So the page is read from the fewest months, counted in
    `totals()`, that hold it. A page that needs every dated month (or reaches the undated
    articles, last in both orders) reads the whole archive.
    """
    counted = totals(s)
    needed = start + limit
    newest = sort != "oldest"
    key, order = ("newest", Order.Desc) if newest else ("oldest", Order.Asc)
    dated = sorted((m for m in counted.months if m), reverse=newest)
    held = 0
    for month in dated[:-1]:
        held += counted.months[month]
        if held < needed:
            continue
        low, high = (month * 100, 99_991_231) if newest else (1, month * 100 + 31)
        window = Query.boolean_query(
            [(Occur.Must, compiled.query), (Occur.Must, _day_range(low, high))]
        )
        found = s.search(window, limit, count=True, order_by_field=key, offset=start, order=order)
        if int(found.count) >= needed:  # type: ignore[attr-defined]  # with count=True
            return found.hits, sum(counted.months.values())
        break  # not expected (the totals are this searcher's): read it all
    found = s.search(
        compiled.query, limit, count=True, order_by_field=key, offset=start, order=order
    )
    return found.hits, int(found.count)  # type: ignore[attr-defined]  # with count=True


def _day_range(low: int, high: int) -> Query:
    return Query.range_query(schema(), "day", FieldType.Unsigned, low, high)


_pool: ThreadPoolExecutor | None = None


def _background() -> ThreadPoolExecutor:
    """This process's thread for the facets' pass (made at first use, after a fork)."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="facets")
    return _pool


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


def _unknown_names(s: Searcher, compiled: Compiled, count: int) -> list[Filter]:
    """The `author:` filters of a search that found nothing which no article matches."""
    if count:
        return []
    return [f for f, q in compiled.names.items() if not s.search(q, 1).hits]


def analyzers_in(s: Searcher) -> frozenset[str]:
    """The analyzers whose fields hold articles (from the languages the index holds)."""
    codes = [term for term, _ in s.terms_with_prefix("language", "")]
    return frozenset(
        analysis.analyzer_for("" if code == UNKNOWN_LANGUAGE else code) for code in codes
    )


def resolve_filter(node: Filter) -> list[int] | list[str]:
    """The ids (or language codes) a `source:`, `tag:` or `language:` names; for `author:`,
    the author whose slug it is (names are matched in the index: compile.py)."""
    from articles.models import Author, Source, Tag

    value = node.value.strip()
    if not value:
        return []
    if node.field == "language":
        return _language_codes(value, node.prefix)
    if node.field == "author":
        return list(Author.objects.filter(slug=value).values_list("pk", flat=True))
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
    results: SearchResults, buckets: dict[str, list[tuple[Any, int]]], limits: dict[str, int]
) -> None:
    from articles.languages import language_name

    sources, tags, authors = _named(buckets["source"], buckets["tag"], buckets["author"], limits)
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
        "author": authors[: limits["author"]],
        "year": year_values,
        "language": languages[: limits["language"]],
    }
    results.facets_more = {
        "source": len(sources) > limits["source"],
        "tag": len(tags) > limits["tag"],
        "author": len(authors) > limits["author"],
        "year": False,
        "language": len(languages) > limits["language"],
    }
    results.timeline, results.timeline_unit = build_timeline(years, months, undated)


def _facet_limits(request: SearchRequest) -> dict[str, int]:
    """Values shown per facet: the request's limit, or FACET_MAX for the one it asks more of."""
    limit = max(1, min(request.facet_limit, FACET_MAX))
    return {
        name: FACET_MAX if name == request.more_facet else limit
        for name in ("source", "tag", "author", "language")
    }


def _facet_size(request: SearchRequest) -> int:
    """How many sources, tags and authors the facets' pass keeps (one more than shown, to
    know)."""
    limits = _facet_limits(request)
    return max(limits["source"], limits["tag"], limits["author"]) + 1


def _aggregate(s: Searcher, compiled: Compiled, size: int) -> dict[str, list[tuple[Any, int]]]:
    """Facet buckets over every match: sources, tags and authors (the `size` largest),
    every language and month."""
    size = max(1, min(size, FACET_MAX + 1))

    def terms(name: str, n: int) -> dict[str, Any]:
        return {"terms": {"field": name, "size": n, "segment_size": _SEGMENT_BUCKETS}}

    found = s.aggregate(
        compiled.query,
        {
            "source": terms("source", size + 1),  # one more: 0 (no source) may be among them
            "tag": terms("tag", size),
            "author": terms("author", size),
            "language": terms("language", 1000),
            "month": terms("month", _SEGMENT_BUCKETS),
        },
    )
    return {
        name: [(b["key"], int(b["doc_count"])) for b in found[name]["buckets"]]
        for name in ("source", "tag", "author", "language", "month")
    }


def _buckets_of(counted: Totals, size: int) -> dict[str, list[tuple[Any, int]]]:
    """The archive's totals as facet buckets (what `_aggregate` gives for every article)."""

    def largest(counts: dict[Any, int], n: int | None = None) -> list[tuple[Any, int]]:
        return sorted(counts.items(), key=lambda kv: -kv[1])[:n]

    return {
        "source": largest(counted.sources, size + 1),
        "tag": largest(counted.tags, size),
        "author": largest(counted.authors, size),
        "language": [(code or UNKNOWN_LANGUAGE, n) for code, n in largest(counted.languages)],
        "month": largest(counted.months),
    }


def _named(
    source_buckets: list[tuple[Any, int]],
    tag_buckets: list[tuple[Any, int]],
    author_buckets: list[tuple[Any, int]],
    limits: dict[str, int],
) -> tuple[list[FacetValue], list[FacetValue], list[FacetValue]]:
    """Facet values for source, tag and author ids, named from PostgreSQL in one query,
    largest first (one more than `limit` each, to know whether there are more)."""
    from django.db import connection

    from articles.models import Author, Source, Tag

    counts = (
        {int(key): n for key, n in source_buckets if int(key) != 0},
        {int(key): n for key, n in tag_buckets},
        {int(key): n for key, n in author_buckets},
    )
    sql = (
        f'SELECT 0, id, name, slug FROM "{Source._meta.db_table}" WHERE id = ANY(%s) '  # noqa: S608
        f'UNION ALL SELECT 1, id, name, slug FROM "{Tag._meta.db_table}" WHERE id = ANY(%s) '
        f'UNION ALL SELECT 2, id, name, slug FROM "{Author._meta.db_table}" WHERE id = ANY(%s)'
    )
    values: tuple[list[FacetValue], list[FacetValue], list[FacetValue]] = ([], [], [])
    if any(counts):
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(c) for c in counts])
            for kind, pk, name, slug in cursor.fetchall():
                values[kind].append(FacetValue(slug, name, counts[kind][pk]))
    for found in values:
        found.sort(key=lambda f: (-f.count, f.label.lower()))
    return (
        values[0][: limits["source"] + 1],
        values[1][: limits["tag"] + 1],
        values[2][: limits["author"] + 1],
    )


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
    its tags by name as `tag_list`, its authors in byline order as `author_list` and, with
    `snippets`, a marked snippet."""
    from articles.models import Article, attach_tags_and_authors

    if not ids:
        return []
    qs = Article.objects.filter(id__in=ids) if include_hidden else Article.objects.visible()
    qs = qs.filter(id__in=ids).for_listing().with_tag_rows().with_author_rows()
    if snippets:
        qs = qs.annotate(
            snippet_source=Left("body", SNIPPET_SOURCE_CHARS, output_field=TextField())
        )
    by_id = {article.pk: article for article in qs}
    articles: list[Any] = [by_id[i] for i in ids if i in by_id]
    marker = Marker(s, compiled) if snippets and s is not None and compiled is not None else None
    for article in articles:
        attach_tags_and_authors(article)
        text = getattr(article, "snippet_source", "") or ""
        if not snippets:
            article.snippet = ""
        elif marker is not None:
            article.snippet = marker.snippet(analysis.analyzer_for(article.language), text)
        else:
            article.snippet = lead(text)
    return articles


def collapse_versions(articles: list[Any]) -> list[Any]:
    """The page's articles with one version per near-duplicate group: the first (highest
    ranked) of each, with `similar` set to how many other visible versions its group holds
    in the archive. Counts, facets and pages stay counts of articles."""
    from django.db.models import Count

    from articles.models import Article

    groups = {a.duplicate_group for a in articles if a.duplicate_group is not None}
    sizes: dict[int, int] = {}
    if groups:
        counted = (
            Article.objects.visible()
            .filter(duplicate_group__in=groups)
            .order_by()
            .values_list("duplicate_group")
            .annotate(n=Count("id"))
            .values_list("duplicate_group", "n")
        )
        sizes = {group: n for group, n in counted if group is not None}
    shown: list[Any] = []
    seen: set[int] = set()
    for article in articles:
        group = article.duplicate_group
        article.similar = 0
        if group is not None:
            if group in seen:
                continue
            seen.add(group)
            article.similar = max(0, sizes.get(group, 0) - (0 if article.is_hidden else 1))
        shown.append(article)
    return shown


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
    """Visible articles per source, tag, author, month (YYYYMM; 0: undated) and language
    code."""

    sources: dict[int, int]
    tags: dict[int, int]
    authors: dict[int, int]
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


def totals(s: Searcher | None = None) -> Totals:
    """The archive's totals, counted by the index once per commit of it (every page that
    lists sources, tags or years reads them; they agree with every search's facets), as
    `s` (by default the latest searcher) sees it."""
    from .index import index_dir, meta

    s = s or searcher()
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
                for name in ("source", "tag", "author", "month", "language")
            },
        )

        def counts(name: str) -> dict[Any, int]:
            return {b["key"]: int(b["doc_count"]) for b in buckets[name]["buckets"]}

        found = Totals(
            sources={int(k): n for k, n in counts("source").items() if int(k)},
            tags={int(k): n for k, n in counts("tag").items()},
            authors={int(k): n for k, n in counts("author").items()},
            months={int(k): n for k, n in counts("month").items()},
            languages={
                ("" if k == UNKNOWN_LANGUAGE else str(k)): n for k, n in counts("language").items()
            },
        )
        _totals.clear()
        _totals[key] = found
    return found


def count_by(request: SearchRequest, unit: str) -> dict[int, int]:
    """Matches of `request` per month (YYYYMM) or day (YYYYMMDD) of their date (published,
    else captured); undated articles under 0."""
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
