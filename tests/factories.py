"""Small factory functions for test data: real rows in the real database."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

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


def make_staff(username: str = "curator", *, editor: bool = True, password: str = "pw") -> Any:
    """A staff user, in the Editors group unless editor=False (then with no permissions)."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username=username, password=password, is_staff=True)
    if editor:
        user.groups.add(Group.objects.get(name="Editors"))
    return user


def make_superuser(username: str = "boss", password: str = "pw") -> Any:
    from django.contrib.auth.models import User

    return User.objects.create_superuser(username=username, password=password, email="")


def bulk_articles(
    count: int, *, title: str = "Filler {i}", body: str = "Ordinary words.", **fields: object
) -> list[Article]:
    """`count` articles in one INSERT (fingerprints computed here, as save() would)."""
    from articles.ingest.fingerprint import fingerprint

    rows = []
    for i in range(count):
        text = title.format(i=i)
        rows.append(
            Article(
                title=text,
                slug=f"filler-{i}",
                body=body,
                fingerprint=fingerprint(text, body),
                **fields,
            )
        )
    return Article.objects.bulk_create(rows, batch_size=2000)
