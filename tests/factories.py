"""Small factory functions for test data: real rows in the real database."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from articles.models import Article, Source, Tag

_counter = itertools.count(1)


def ingest(*paths: object) -> str:
    """`manage.py ingest PATHS...` in this process; its summary (standard output)."""
    from django.core.management import call_command

    out = io.StringIO()
    call_command("ingest", *map(str, paths), stdout=out, stderr=io.StringIO())
    return out.getvalue()


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
    from django.contrib.auth.models import User

    user = User.objects.create_user(username=username, password=password, is_staff=True)
    if editor:
        user.groups.add(editors_group())
    return user


def editors_group() -> Any:
    """The Editors group the migrations make, made again with the same permissions when the
    flush after an earlier transactional test has removed it."""
    from importlib import import_module

    from django.contrib.auth.models import Group, Permission

    group = Group.objects.filter(name="Editors").first()
    if group is None:
        group = Group.objects.create(name="Editors")
        grants = {
            **import_module("articles.migrations.0002_editors_group").EDITOR_PERMISSIONS,
            **import_module("articles.migrations.0013_authors_captured").AUTHOR_PERMISSIONS,
        }
        codenames = [f"{a}_{model}" for model, actions in grants.items() for a in actions]
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="articles", codename__in=codenames)
        )
    return group


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


# -- documents in the formats the importer reads (web pages, crawls) -------------------------

NEWS_PARAGRAPHS = (
    "The harbour bridge reopened to traffic on Thursday morning, two years after engineers "
    "closed it when inspectors found corrosion in the steel cables that hold up its main span.",
    "City officials said the repairs cost 48 million euros, about a third more than planned, "
    "because the contractor had to replace every cable rather than the half first thought.",
    "Commuters who have spent two years on a ferry or a forty-minute detour through the port "
    "welcomed the news, and a queue of cyclists waited at the barrier before dawn.",
)


def news_page(
    title: str = "Harbour bridge reopens after two years of repairs",
    paragraphs: Iterable[str] = NEWS_PARAGRAPHS,
    *,
    site: str = "The Coastal Gazette",
    author: str = "Maria Lindqvist",
    published: str = "2021-03-04T09:30:00+01:00",
    lang: str = "en",
    charset: str = "utf-8",
) -> str:
    """A news page as sites serve them: the article among navigation, banners and comments."""
    body = "\n".join(f"<p>{text}</p>" for text in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="{charset}">
<title>{title} - {site}</title>
<meta property="og:site_name" content="{site}">
<meta name="author" content="{author}">
<meta property="article:published_time" content="{published}">
</head><body>
<div id="cookie-banner">We use cookies to improve your experience.
<button>Accept all cookies</button></div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></nav></header>
<main><article>
<h1>{title}</h1>
<p class="byline">By {author}</p>
<div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on Twitter</a></div>
{body}
</article>
<aside class="related"><h2>Related stories</h2><ul><li><a href="/a">Ferry timetable changes
this spring</a></li><li><a href="/b">Port expansion plans unveiled</a></li></ul></aside>
<section id="comments"><h2>3 comments</h2>
<div class="comment"><p>Finally! It took them long enough to fix it.</p></div></section>
</main>
<footer><p>© 2021 {site}. All rights reserved.</p><a href="/privacy">Privacy policy</a></footer>
</body></html>
"""


def warc_bytes(
    records: Iterable[tuple[str, str, str, bytes]],
    *,
    gzip: bool = False,
    captured: str = "2023-05-06T07:08:09Z",
) -> bytes:
    """A WARC of (url, HTTP status line, content type, payload) responses, each with its request,
    all fetched at `captured` (their WARC-Date)."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    for url, status, content_type, payload in records:
        request = writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(f"GET {url} HTTP/1.1", [], is_http_request=True),
        )
        writer.write_record(request)
        headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
        response = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(payload),
            http_headers=headers,
            warc_headers_dict={"WARC-Date": captured},
        )
        writer.write_record(response)
    return out.getvalue()
