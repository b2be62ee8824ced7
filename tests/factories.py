"""Small factory functions for test data: real rows in the real database."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime

from articles.models import Article, Source, Tag

_counter = itertools.count(1)


def make_source(name: str | None = None, **fields: object) -> Source:
    name = name or f"Source {next(_counter)}"
    return Source.objects.create(name=name, **fields)


def make_tag(name: str | None = None) -> Tag:
    return Tag.objects.create(name=name or f"tag {next(_counter)}")


def make_article(
    title: str | None = None,
    body: str = "Some body text.",
    *,
    source: Source | None = None,
    tags: Iterable[Tag | str] = (),
    published_at: datetime | None = None,
    language: str = "en",
    url: str | None = None,
    is_hidden: bool = False,
) -> Article:
    article = Article.objects.create(
        title=title or f"Article {next(_counter)}",
        body=body,
        source=source,
        published_at=published_at,
        language=language,
        url=url,
        is_hidden=is_hidden,
    )
    tag_rows = [t if isinstance(t, Tag) else Tag.objects.get_or_create(name=t)[0] for t in tags]
    if tag_rows:
        article.tags.add(*tag_rows)
    return article
