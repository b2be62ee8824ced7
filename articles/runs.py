"""Undoing an import: hide or delete the articles an import run created.

Both go through the ORM in batches of BATCH articles, one transaction each, so every
article gets its entry in the history (django-simple-history) and the search index's change
log sees every change (database triggers); the index catches up once at the end. A batch
that fails leaves the earlier ones done: running the same action again finishes the job.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from . import merge
from .models import Article, ArticleQuerySet, ImportRun, Source, Tag

BATCH = 1000


def run_articles(runs: QuerySet[ImportRun] | list[ImportRun]) -> ArticleQuerySet:
    """The articles the runs created (and that are still in the archive)."""
    return Article.objects.filter(import_run__in=runs)


def hide_run_articles(runs: QuerySet[ImportRun] | list[ImportRun], *, user: Any = None) -> int:
    """Hide the runs' articles from the public; returns how many were visible."""
    ids = list(
        run_articles(runs).filter(is_hidden=False).order_by("pk").values_list("pk", flat=True)
    )
    hidden = 0
    for start in range(0, len(ids), BATCH):
        hidden += merge.set_hidden(ids[start : start + BATCH], True, user=user)
    _catch_up_index()
    return hidden


def delete_run_articles(runs: QuerySet[ImportRun] | list[ImportRun]) -> int:
    """Delete the runs' articles, then the sources and tags no other article uses; returns
    how many articles went. Each deletion is in the history, by the request's user."""
    articles = run_articles(runs)
    source_ids = set(
        Source.objects.filter(articles__in=articles).distinct().values_list("pk", flat=True)
    )
    tag_ids = set(Tag.objects.filter(articles__in=articles).distinct().values_list("pk", flat=True))
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(articles.order_by("pk").values_list("pk", flat=True)[:BATCH])
            if not ids:
                break
            # QuerySet.delete() sends each article's post_delete signal (which writes its
            # history entry); the database's trigger logs the batch for the search index.
            _, by_model = Article.objects.filter(pk__in=ids).delete()
            deleted += by_model.get(Article._meta.label, 0)
    Source.objects.filter(pk__in=source_ids, articles=None).delete()
    Tag.objects.filter(pk__in=tag_ids, articles=None).delete()
    _catch_up_index()
    return deleted


def _catch_up_index() -> None:
    from .search.indexer import catch_up_quietly

    catch_up_quietly()
