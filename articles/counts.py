"""Visible articles per source and tag (home page, /sources/, /tags/, the admin's filters).

Counted by the search index over the whole archive, once per commit of the index
(articles/search/searcher.py `totals`), so they agree with every search's facets.
"""

from __future__ import annotations

from typing import Any

from .models import Source, Tag
from .search.searcher import totals


def source_counts(limit: int | None = None) -> list[tuple[Source, int]]:
    """The sources with their numbers of visible articles, largest first, then by name."""
    return _largest(Source, totals().sources, limit)


def tag_counts(limit: int | None = None) -> list[tuple[Tag, int]]:
    """The tags with their numbers of visible articles, largest first, then by name."""
    return _largest(Tag, totals().tags, limit)


def _largest(model: Any, counts: dict[int, int], limit: int | None) -> list[Any]:
    top = sorted(counts.items(), key=lambda kv: -kv[1])
    if limit is not None and len(top) > limit:
        cut = top[limit - 1][1]  # every row tied with the last one shown, to order by name
        top = [kv for kv in top if kv[1] >= cut]
    rows = model.objects.filter(pk__in=[pk for pk, _ in top]).only("name", "slug")
    named = sorted(((row, counts[row.pk]) for row in rows), key=lambda r: (-r[1], r[0].name))
    return named[:limit] if limit is not None else named
