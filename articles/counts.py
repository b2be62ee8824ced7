"""Site-wide article counts per source and tag (home page, /sources/, /tags/), cached.

Counting a million articles on every page view would cost more than the page, so each web
process caches the counts. They are cached under the current *generation*, a database
sequence that every change moving them bumps once its transaction commits (imports per
batch, curators' edits, merges, hiding: ORM saves and deletes through the signals below,
set-based SQL by calling `changed()`), so a change made in any process shows on every
process's next request. The TTL only bounds the memory of old generations.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import Article, Source, Tag

COUNTS_TTL = 300  # seconds
_SEQUENCE = "articles_counts_generation"  # migration 0006


def generation() -> int:
    """The current generation of the counts (one cheap read of a sequence)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value FROM {_SEQUENCE}")  # noqa: S608 -- a constant
        return int(cursor.fetchone()[0])


def changed() -> None:
    """Say that the counts have changed; takes effect when the current transaction commits
    (so no process caches counts of rows that are not committed yet)."""
    transaction.on_commit(_bump)


def _bump() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [_SEQUENCE])


def source_counts(
    limit: int | None = None, *, generation: int | None = None
) -> list[tuple[Source, int]]:
    """The sources with their numbers of visible articles, largest first (cached).

    `generation`: a page showing both sources and tags reads it once for both.
    Counted over the narrow (source, published_at) index: no join with the wide rows.
    """
    every = Article.objects.filter(source__isnull=False).values("source_id")
    return _visible_counts(
        f"articles:source_counts:{limit}",
        every,
        every.filter(is_hidden=True),
        "source_id",
        Source.objects.all(),
        limit,
        generation,
    )


def tag_counts(limit: int | None = None, *, generation: int | None = None) -> list[tuple[Tag, int]]:
    """The tags with their numbers of visible articles, largest first (cached).

    Counted on the article-tag table alone.
    """
    through = Article.tags.through.objects.values("tag_id")
    return _visible_counts(
        f"articles:tag_counts:{limit}",
        through,
        through.filter(article__is_hidden=True),
        "tag_id",
        Tag.objects.all(),
        limit,
        generation,
    )


def _visible_counts(
    key: str,
    every: Any,
    hidden: Any,
    column: str,
    named: Any,
    limit: int | None,
    current: int | None,
) -> list[Any]:
    """Counts per `column` of all rows minus the few hidden articles' rows, named, cached.

    The home page's top few are cached under their own key: unpickling thousands of
    rows on every request would cost more than the page itself.
    """
    key = f"{key}:{generation() if current is None else current}"
    rows = cache.get(key)
    if rows is None:
        total = _counts(every.annotate(n=Count("*")).order_by(), column)
        minus = _counts(hidden.annotate(n=Count("*")).order_by(), column)
        by_id = {pk: n - minus.get(pk, 0) for pk, n in total.items() if n > minus.get(pk, 0)}
        objects = named.filter(pk__in=by_id).only("name", "slug")
        rows = sorted(((o, by_id[o.pk]) for o in objects), key=lambda r: (-r[1], r[0].name))
        rows = rows[:limit]
        cache.set(key, rows, COUNTS_TTL)
    return rows


# Above this many, a page says "about N" (search.EXACT_COUNT_LIMIT) and counts nothing.
EXACT_ARTICLES = 10_000


def source_articles(source_id: int) -> int | None:
    """The visible articles of one source, exactly, or None above EXACT_ARTICLES: an
    index-only count of its rows in the (source, published_at) index, less its few hidden
    ones (the partial hidden index)."""
    return _count_minus_hidden(
        "SELECT 1 FROM articles_article WHERE source_id = %(id)s",
        "SELECT count(*) FROM articles_article WHERE source_id = %(id)s AND is_hidden",
        source_id,
    )


def tag_articles(tag_id: int) -> int | None:
    """The visible articles carrying one tag, exactly, or None above EXACT_ARTICLES: an
    index-only count of its links in the (tag, article) index, less its few hidden
    articles. The tag page then reads no 8,000 article rows to say how many there are
    (12 ms at 1,000,000 articles)."""
    through = Article.tags.through._meta.db_table
    return _count_minus_hidden(
        f"SELECT 1 FROM {through} WHERE tag_id = %(id)s",  # noqa: S608
        f"SELECT count(*) FROM {through} t JOIN articles_article a ON a.id = t.article_id "  # noqa: S608
        "WHERE t.tag_id = %(id)s AND a.is_hidden",
        tag_id,
    )


def _count_minus_hidden(rows: str, hidden: str, pk: int) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM ({rows} LIMIT %(limit)s) r), ({hidden})",  # noqa: S608
            {"id": pk, "limit": EXACT_ARTICLES + 1},
        )
        every, hidden_count = cursor.fetchone()
    return None if every > EXACT_ARTICLES else int(every - hidden_count)


def _counts(grouped: Any, key: str) -> dict[int, int]:
    return {row[key]: row["n"] for row in grouped}


def _on_change(sender: Any, **kwargs: Any) -> None:
    # m2m_changed fires before and after each change of tag links: count the change once.
    if not kwargs.get("action", "post_").startswith("pre_"):
        changed()


def connect_signals() -> None:
    """Saves and deletes of articles, tags and sources, and tag links set through the ORM
    (the admin's forms and deletes), move the counts; called once by the app config."""
    for model in (Article, Tag, Source):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"counts-save-{model.__name__}")
        post_delete.connect(
            _on_change, sender=model, dispatch_uid=f"counts-delete-{model.__name__}"
        )
    m2m_changed.connect(_on_change, sender=Article.tags.through, dispatch_uid="counts-tags")
