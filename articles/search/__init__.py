"""Search: a tantivy index that is a projection of PostgreSQL, and one way to ask it.

- `query`: the query language readers type, parsed (pure Python);
- `analysis`: how each language's text becomes index terms;
- `schema`: the index's fields and the document an article becomes;
- `index`: the index on disk, opened once per process;
- `indexer`: the change log applied in order, catch-ups and rebuilds;
- `compile`: a parsed query and filters as one tantivy query;
- `searcher`: `search(SearchRequest)`, the one entry point, with facets and counts;
- `snippets`, `suggest`, `related`: marked text, "did you mean", more like this.

docs/search.md explains the design and the measurements behind it.
"""

from __future__ import annotations

from .index import SearchUnavailable
from .searcher import (
    FACET_LIMIT,
    MAX_RESULTS,
    PAGE_SIZE,
    PAGE_SIZES,
    SORTS,
    FacetValue,
    PageNotFound,
    SearchRequest,
    SearchResults,
    TimelineBar,
    count_of,
    fetch_articles,
    marked_article,
    paragraphs,
    search,
)

__all__ = [
    "FACET_LIMIT",
    "MAX_RESULTS",
    "PAGE_SIZE",
    "PAGE_SIZES",
    "SORTS",
    "FacetValue",
    "PageNotFound",
    "SearchRequest",
    "SearchResults",
    "SearchUnavailable",
    "TimelineBar",
    "count_of",
    "fetch_articles",
    "marked_article",
    "paragraphs",
    "search",
]
