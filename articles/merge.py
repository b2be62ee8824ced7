"""Curators' bulk operations: bulk-edit articles, merge tags and sources, rename with redirects.

Plain functions, each in one transaction, called by the admin and the tests alike. They change
rows with set-based SQL (never one save() per article, so ten thousand selected rows cost a few
statements) and then add one history entry per changed article, tags included, so its history in
the admin shows the bulk edit like any other edit.

Tag changes leave the article row (and its updated_at) alone: the search index's change log
records them from the tag links themselves (articles/search/indexer.py), and the history
entry records when the tags changed. The web request's catch-up then applies every change
to the index (newsarchive/middleware.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from .models import (
    Article,
    Author,
    NearDuplicateBand,
    Source,
    SourceAlias,
    SourceRedirect,
    Tag,
    TagRedirect,
    byline_of,
    unique_slug,
)

# simple-history's history_change_reason column is varchar(100).
_REASON_MAX = 100


@dataclass(frozen=True)
class MergeResult:
    target: str
    merged: list[str]
    articles_changed: int


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _article_ids(articles: QuerySet[Article] | Iterable[int]) -> list[int]:
    if isinstance(articles, QuerySet):
        return list(articles.order_by().values_list("pk", flat=True))
    return [int(pk) for pk in articles]


def shorten(text: str) -> str:
    """Fit a change reason into simple-history's 100-character column."""
    return text if len(text) <= _REASON_MAX else text[: _REASON_MAX - 1] + "…"


def _names(objs: Iterable[Any]) -> str:
    return ", ".join(sorted(str(o) for o in objs))


def record_history(article_ids: Sequence[int], *, user: Any = None, reason: str = "") -> int:
    """Add a "changed" history entry, with its tags, for each article as it is now.

    One INSERT ... SELECT copies the rows and their tag links inside the database, so it costs
    the same two statements for ten articles or a hundred thousand.
    """
    if not article_ids:
        return 0
    user_id = user.pk if user is not None and user.is_authenticated else None
    _snapshot(article_ids, "~", timezone.now(), user_id, shorten(reason), only_unrecorded=False)
    return len(article_ids)


def record_deletion(article_ids: Sequence[int], *, user: Any = None, reason: str = "") -> None:
    """Add a "deleted" history entry, with its tags, for each article as it is now (just
    before it is deleted), in the same two statements as record_history."""
    if article_ids:
        user_id = user.pk if user is not None and user.is_authenticated else None
        _snapshot(article_ids, "-", timezone.now(), user_id, shorten(reason), only_unrecorded=False)


IMPORTED_REASON = "As imported"


def record_baseline(article_ids: Sequence[int]) -> None:
    """Give articles that have no history yet an entry of how they are now, dated when they
    were stored: called before a curator's first change, so it can be seen and undone.

    `ingest` writes no history (that would double what an import writes), so an imported
    article's first edit had nothing to compare with, and its imported text was lost.
    """
    if article_ids:
        _snapshot(article_ids, "+", None, None, IMPORTED_REASON, only_unrecorded=True)


# An article's byline as history records it (models.byline_of), for the article `a`.
_BYLINE_SQL = """
    SELECT coalesce(jsonb_agg(jsonb_build_array(au.id, au.name) ORDER BY l.position), '[]')
    FROM articles_articleauthor l JOIN articles_author au ON au.id = l.author_id
    WHERE l.article_id = a.id
"""


def _snapshot(
    article_ids: Sequence[int],
    history_type: str,
    when: Any,
    user_id: int | None,
    reason: str,
    *,
    only_unrecorded: bool,
) -> None:
    history_model = Article.history.model
    history_table = _q(history_model._meta.db_table)
    history_tags_model = apps.get_model("articles", "HistoricalArticle_tags")
    through = Article.tags.through
    columns = [_q(field.column) for field in history_model.tracked_fields]
    column_list = ", ".join(f"a.{column}" for column in columns)
    unrecorded = (
        f"AND NOT EXISTS (SELECT 1 FROM {history_table} h WHERE h.id = a.id)"  # noqa: S608
        if only_unrecorded
        else ""
    )
    sql = f"""
        WITH new_history AS (
            INSERT INTO {history_table}
                ({", ".join(columns)}, history_date, history_type, history_user_id,
                 history_change_reason, history_byline)
            SELECT {column_list}, coalesce(%s::timestamptz, a.created_at), %s, %s, %s,
                   ({_BYLINE_SQL})
            FROM {_q(Article._meta.db_table)} a
            WHERE a.id = ANY(%s) {unrecorded}
            RETURNING history_id, id
        )
        INSERT INTO {_q(history_tags_model._meta.db_table)} (id, article_id, tag_id, history_id)
        SELECT t.id, t.article_id, t.tag_id, h.history_id
        FROM {_q(through._meta.db_table)} t JOIN new_history h ON h.id = t.article_id
    """  # noqa: S608 -- identifiers come from model metadata, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [when, history_type, user_id, reason, list(article_ids)])


def _change_links(sql: str, ids: list[int], tags: list[Tag], *, user: Any, reason: str) -> int:
    """Run one INSERT or DELETE on the article-tag table that returns the article ids it
    changed, and record a history entry for each of those articles."""
    with transaction.atomic():
        record_baseline(ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, [ids, [t.pk for t in tags]])
            changed = sorted({row[0] for row in cursor.fetchall()})
        record_history(changed, user=user, reason=f"{reason}: {_names(tags)}")
    return len(changed)


def add_tags(
    articles: QuerySet[Article] | Iterable[int], tags: Iterable[Tag], *, user: Any = None
) -> int:
    """Tag every article with every one of `tags`; returns how many articles gained a tag."""
    ids, tags = _article_ids(articles), list(tags)
    if not ids or not tags:
        return 0
    through = _q(Article.tags.through._meta.db_table)
    sql = f"""
        INSERT INTO {through} (article_id, tag_id)
        SELECT a, t FROM unnest(%s::bigint[]) a CROSS JOIN unnest(%s::bigint[]) t
        ON CONFLICT DO NOTHING
        RETURNING article_id
    """  # noqa: S608
    return _change_links(sql, ids, tags, user=user, reason="Added tags")


def remove_tags(
    articles: QuerySet[Article] | Iterable[int], tags: Iterable[Tag], *, user: Any = None
) -> int:
    """Untag the articles from each of `tags`; returns how many articles lost a tag."""
    ids, tags = _article_ids(articles), list(tags)
    if not ids or not tags:
        return 0
    through = _q(Article.tags.through._meta.db_table)
    sql = f"""
        DELETE FROM {through}
        WHERE article_id = ANY(%s) AND tag_id = ANY(%s)
        RETURNING article_id
    """  # noqa: S608
    return _change_links(sql, ids, tags, user=user, reason="Removed tags")


def set_source(
    articles: QuerySet[Article] | Iterable[int], source: Source | None, *, user: Any = None
) -> int:
    """Give every article `source` (None clears it); returns how many articles changed."""
    ids = _article_ids(articles)
    source_id = source.pk if source is not None else None
    with transaction.atomic():
        record_baseline(ids)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {_q(Article._meta.db_table)} SET source_id = %s, updated_at = %s
                WHERE id = ANY(%s) AND source_id IS DISTINCT FROM %s
                RETURNING id
                """,  # noqa: S608
                [source_id, timezone.now(), ids, source_id],
            )
            changed = sorted(row[0] for row in cursor.fetchall())
        record_history(changed, user=user, reason=f"Set source: {source or '(none)'}")
    return len(changed)


def set_hidden(
    articles: QuerySet[Article] | Iterable[int], hidden: bool, *, user: Any = None
) -> int:
    """Hide articles from every public page (or show them again); returns how many changed."""
    return _set_hidden(
        _article_ids(articles), hidden, user=user, reason="Hidden" if hidden else "Unhidden"
    )


def _set_hidden(ids: list[int], hidden: bool, *, user: Any, reason: str) -> int:
    with transaction.atomic():
        record_baseline(ids)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {_q(Article._meta.db_table)} SET is_hidden = %s, updated_at = %s
                WHERE id = ANY(%s) AND is_hidden <> %s
                RETURNING id
                """,  # noqa: S608
                [hidden, timezone.now(), ids, hidden],
            )
            changed = sorted(row[0] for row in cursor.fetchall())
        record_history(changed, user=user, reason=reason)
    return len(changed)


def merge_tags(target: Tag, others: Iterable[Tag], *, user: Any = None) -> MergeResult:
    """Move every article of `others` to `target`, delete `others`, and redirect their slugs.

    Articles that had both keep one link; redirects that pointed at a merged tag now point at
    the target, so no old URL is left dangling.
    """
    others = [t for t in others if t.pk != target.pk]
    if not others:
        return MergeResult(str(target), [], 0)
    other_ids = [t.pk for t in others]
    through = _q(Article.tags.through._meta.db_table)
    with transaction.atomic():
        # Lock the rows so a concurrent merge or rename cannot interleave.
        list(Tag.objects.select_for_update().filter(pk__in=[target.pk, *other_ids]))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT article_id FROM {through} WHERE tag_id = ANY(%s)",  # noqa: S608
                [other_ids],
            )
            changed = sorted(row[0] for row in cursor.fetchall())
            record_baseline(changed)
            cursor.execute(
                f"""
                INSERT INTO {through} (article_id, tag_id)
                SELECT DISTINCT article_id, %s FROM {through} WHERE tag_id = ANY(%s)
                ON CONFLICT DO NOTHING
                """,  # noqa: S608
                [target.pk, other_ids],
            )
            cursor.execute(f"DELETE FROM {through} WHERE tag_id = ANY(%s)", [other_ids])  # noqa: S608
        TagRedirect.objects.filter(tag_id__in=other_ids).update(tag=target)
        TagRedirect.objects.filter(old_slug=target.slug).delete()
        TagRedirect.objects.bulk_create(
            [TagRedirect(old_slug=t.slug, tag=target) for t in others], ignore_conflicts=True
        )
        Tag.objects.filter(pk__in=other_ids).delete()
        record_history(changed, user=user, reason=f"Merged tags {_names(others)} into {target}")
    return MergeResult(str(target), sorted(str(t) for t in others), len(changed))


def merge_sources(target: Source, others: Iterable[Source], *, user: Any = None) -> MergeResult:
    """Move every article and alias of `others` to `target`, delete `others`, redirect slugs.

    The merged sources' names (and domains) become aliases of the target, so the next import
    that spells the outlet the old way lands on the target too.
    """
    others = [s for s in others if s.pk != target.pk]
    if not others:
        return MergeResult(str(target), [], 0)
    other_ids = [s.pk for s in others]
    with transaction.atomic():
        list(Source.objects.select_for_update().filter(pk__in=[target.pk, *other_ids]))
        record_baseline(
            list(Article.objects.filter(source_id__in=other_ids).values_list("pk", flat=True))
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {_q(Article._meta.db_table)} SET source_id = %s, updated_at = %s
                WHERE source_id = ANY(%s)
                RETURNING id
                """,  # noqa: S608
                [target.pk, timezone.now(), other_ids],
            )
            changed = sorted(row[0] for row in cursor.fetchall())
        SourceAlias.objects.filter(source_id__in=other_ids).update(source=target)
        taken = {target.name.casefold()}
        for source in others:
            for name in (source.name, source.domain):
                key = name.strip().casefold()
                if not key or key in taken:
                    continue
                taken.add(key)
                if not SourceAlias.objects.filter(name__iexact=name.strip()).exists():
                    SourceAlias.objects.create(source=target, name=name.strip())
        SourceRedirect.objects.filter(source_id__in=other_ids).update(source=target)
        SourceRedirect.objects.filter(old_slug=target.slug).delete()
        SourceRedirect.objects.bulk_create(
            [SourceRedirect(old_slug=s.slug, source=target) for s in others],
            ignore_conflicts=True,
        )
        Source.objects.filter(pk__in=other_ids).delete()
        record_history(changed, user=user, reason=f"Merged sources {_names(others)} into {target}")
    return MergeResult(str(target), sorted(str(s) for s in others), len(changed))


def keep_old_slug(instance: Tag | Source, old_slug: str) -> None:
    """After a rename, make `old_slug` redirect to `instance` (inside the save's transaction)."""
    if not old_slug or old_slug == instance.slug:
        return
    if isinstance(instance, Tag):
        TagRedirect.objects.filter(old_slug=instance.slug).delete()
        TagRedirect.objects.update_or_create(old_slug=old_slug, defaults={"tag": instance})
    else:
        SourceRedirect.objects.filter(old_slug=instance.slug).delete()
        SourceRedirect.objects.update_or_create(old_slug=old_slug, defaults={"source": instance})


def slug_for_rename(instance: Tag | Source, new_name: str) -> str:
    """The slug a renamed tag or source moves to (its current one if the name still fits it)."""
    model = type(instance)
    max_length = model._meta.get_field("slug").max_length or 100
    if slugify(new_name, allow_unicode=True)[:max_length].strip("-") == instance.slug:
        return instance.slug
    return unique_slug(model, new_name, max_length=max_length)


def refresh_history_tags(history_row: Any) -> None:
    """Make a history entry's tag snapshot match its article's tags now.

    A form saves the article (which writes the history entry) before its tags, so the entry
    first holds the old tags; this rewrites them once the new ones are in place.
    """
    history_tags_model = apps.get_model("articles", "HistoricalArticle_tags")
    through = Article.tags.through
    history_tags_model.objects.filter(history_id=history_row.history_id).delete()
    history_tags_model.objects.bulk_create(
        history_tags_model(
            id=link.pk, article_id=link.article_id, tag_id=link.tag_id, history=history_row
        )
        for link in through.objects.filter(article_id=history_row.id)
    )


def refresh_history_byline(history_row: Any) -> None:
    """Make a history entry's byline its article's byline now (a form saves the article,
    writing the entry, before its byline)."""
    type(history_row).objects.filter(history_id=history_row.history_id).update(
        history_byline=byline_of(history_row.id)
    )


def byline_of_version(history_id: int) -> list[str] | None:
    """The author names of one history entry's byline, in order, each author by the name it
    has now (a name recorded for an author since deleted is kept, and makes it anew); None
    when the entry recorded no byline."""
    recorded = (
        Article.history.model.objects.filter(history_id=history_id)
        .values_list("history_byline", flat=True)
        .first()
    )
    if recorded is None:
        return None
    current = dict(
        Author.objects.filter(pk__in=[pk for pk, _ in recorded]).values_list("pk", "name")
    )
    return [current.get(pk, name) for pk, name in recorded]


def tag_ids_of_version(history_id: int) -> list[int]:
    """The tags an article had in one history entry (those that still exist)."""
    history_tags_model = apps.get_model("articles", "HistoricalArticle_tags")
    tag_ids = history_tags_model.objects.filter(history_id=history_id).values_list(
        "tag_id", flat=True
    )
    return list(Tag.objects.filter(pk__in=list(tag_ids)).values_list("pk", flat=True))


def merge_near_duplicates(
    keep: QuerySet[Article] | Iterable[int], *, user: Any = None
) -> tuple[int, int]:
    """Keep each given article and hide the other versions of its near-duplicate group;
    returns (groups merged, articles hidden). The hidden versions stay in the group and in
    the archive, and each gets a history entry saying which article it was merged into."""
    kept = Article.objects.filter(pk__in=_article_ids(keep), duplicate_group__isnull=False)
    by_group: dict[int, int] = {}
    for pk, group in kept.order_by("pk").values_list("pk", "duplicate_group"):
        if group is not None:
            by_group.setdefault(group, pk)
    hidden = 0
    with transaction.atomic():
        for group, pk in sorted(by_group.items()):
            others = list(
                Article.objects.filter(duplicate_group=group, is_hidden=False)
                .exclude(pk=pk)
                .values_list("pk", flat=True)
            )
            hidden += _set_hidden(others, True, user=user, reason=f"Merged into version #{pk}")
    return len(by_group), hidden


def split_near_duplicates(articles: QuerySet[Article] | Iterable[int], *, user: Any = None) -> int:
    """Take articles out of their near-duplicate groups (a curator says they are different
    stories); returns how many left a group. Their band keys go too, so no later import
    puts them back; a group left with one article is no group."""
    ids = _article_ids(articles)
    table = _q(Article._meta.db_table)
    with transaction.atomic():
        record_baseline(ids)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {table} a SET duplicate_group = NULL, updated_at = %s
                FROM {table} old
                WHERE old.id = a.id AND a.id = ANY(%s) AND a.duplicate_group IS NOT NULL
                RETURNING a.id, old.duplicate_group
                """,  # noqa: S608
                [timezone.now(), ids],
            )
            rows = cursor.fetchall()
            changed = sorted(pk for pk, _ in rows)
            groups = sorted({group for _, group in rows})
            cursor.execute(
                f"DELETE FROM {_q(NearDuplicateBand._meta.db_table)} WHERE article_id = ANY(%s)",  # noqa: S608
                [changed],
            )
            # A group of one left behind: its last article has no other version now.
            cursor.execute(
                f"""
                SELECT min(id) FROM {table} WHERE duplicate_group = ANY(%s)
                GROUP BY duplicate_group HAVING count(*) = 1
                """,  # noqa: S608
                [groups],
            )
            alone = [pk for (pk,) in cursor.fetchall()]
            record_baseline(alone)
            cursor.execute(
                f"UPDATE {table} SET duplicate_group = NULL, updated_at = %s WHERE id = ANY(%s)",  # noqa: S608
                [timezone.now(), alone],
            )
        record_history(changed, user=user, reason="Split from its near-duplicates")
        record_history(alone, user=user, reason="Its near-duplicates were split off")
    return len(changed)
