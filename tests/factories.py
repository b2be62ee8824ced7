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
    count: int,
    *,
    title: str = "Filler {i}",
    body: str = "Ordinary words.",
    published: list[datetime] | None = None,
    **fields: object,
) -> list[Article]:
    """`count` articles in one INSERT (fingerprints computed here, as save() would);
    `published` gives each its own date."""
    from articles.ingest.fingerprint import fingerprint

    rows = []
    for i in range(count):
        text = title.format(i=i)
        dated: dict[str, Any] = {"published_at": published[i]} if published else {}
        rows.append(
            Article(
                title=text,
                slug=f"filler-{i}",
                body=body,
                fingerprint=fingerprint(text, body),
                **dated,
                **fields,
            )
        )
    return Article.objects.bulk_create(rows, batch_size=2000)


# -- parsed records (the pure parser, articles.ingest: no database) -------------------------

PARSE_REFERENCE = datetime.fromisoformat("2017-06-14T12:00:00+00:00")


def parse_options(**changes: Any) -> Any:
    """ParseOptions with the seed's reference time unless a test says otherwise."""
    from articles.ingest import ParseOptions

    changes.setdefault("reference_time", PARSE_REFERENCE)
    return ParseOptions(**changes)


def parse_paths(*paths: Any, stdin: bytes | None = None, **options: Any) -> list[Any]:
    """Every record (ParsedArticle and RecordError) the parser yields for the paths."""
    import io

    from articles.ingest import iter_records

    stream = io.BytesIO(stdin) if stdin is not None else None
    return list(iter_records([str(p) for p in paths], parse_options(**options), stdin=stream))


def write_dump(directory: Any, name: str, content: str | bytes) -> Any:
    """A file `name` (subfolders allowed) under `directory` holding `content`."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def parse_dump(directory: Any, name: str, content: str | bytes, **options: Any) -> list[Any]:
    return parse_paths(write_dump(directory, name, content), **options)


def only_article(records: list[Any]) -> Any:
    from articles.ingest import ParsedArticle

    assert len(records) == 1, records
    assert isinstance(records[0], ParsedArticle), records[0]
    return records[0]


def parsed_articles(records: list[Any]) -> list[Any]:
    from articles.ingest import ParsedArticle

    return [r for r in records if isinstance(r, ParsedArticle)]


def parse_errors(records: list[Any]) -> list[Any]:
    from articles.ingest import RecordError

    return [r for r in records if isinstance(r, RecordError)]
