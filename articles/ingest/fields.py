"""From a dump's fields (whatever the tool called them) to a finished ParsedArticle.

Every format ends here: JSON objects, CSV rows, YAML front matter and text header
blocks all become a `Draft` through one alias table, and `finish` applies the fidelity
rules (title, date, source, language, body cleaning) the same way for all of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from . import clean, dates, language, sources
from .encoding import clean_text
from .records import ParsedArticle, ParseOptions, RecordError

MAX_TAG = 100
MAX_URL = 2000

# Field names real tools write, best first within each kind.
ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "subject", "title_page", "title_rss"),
    "body": (
        "body",
        "text",
        "maintext",
        "content",
        "article",
        "article_text",
        "full_text",
        "fulltext",
        "story",
        "article_body",
        "articlebody",
    ),
    "date": (
        "published_at",
        "date_publish",
        "published",
        "publish_date",
        "date_published",
        "datepublished",
        "publication_date",
        "pubdate",
        "pub_date",
        "date",
        "datetime",
        "created_at",
        "created",
        "timestamp",
        "time",
        "updated",
        "updated_at",
        "last_updated",
        "date_extracted",
    ),
    "url": (
        "url",
        "link",
        "permalink",
        "canonical_url",
        "article_url",
        "source_url",
        "original_url",
        "href",
        "uri",
    ),
    "source": (
        "source",
        "publisher",
        "outlet",
        "source_name",
        "site_name",
        "sitename",
        "newspaper",
        "source_domain",
        "domain",
        "site",
    ),
    "tags": ("tags", "keywords", "categories", "category", "topics", "subjects", "labels"),
    "authors": ("authors", "author", "byline", "by", "from", "creator", "creators", "writer"),
    "language": ("language", "lang", "locale", "inlanguage", "language_code"),
}
_KIND_OF: dict[str, str] = {name: kind for kind, names in ALIASES.items() for name in names}
_RANK: dict[str, int] = {
    name: rank for names in ALIASES.values() for rank, name in enumerate(names)
}
# Keys whose mere presence shows a mapping is meant as an article.
ARTICLE_KEYS = frozenset(ALIASES["title"] + ALIASES["body"])

# Author entries that are page furniture, not people.
_JUNK_AUTHORS = re.compile(
    r"^(author|authors|by|staff|admin|administrator|editor|editors|min read|\d+ min read|"
    r"read more|share|unknown|none|null|n/?a|anonymous)$|^(www\.|https?://)|\.(com|org|net|co\.uk)$",
    re.IGNORECASE,
)
_LIST_SPLIT = re.compile(r"\s*[,;|]\s*")


def field_kind(key: str) -> str | None:
    """The kind ('title', 'body', 'date', ...) a field name stands for, or None."""
    return _KIND_OF.get(normalise_key(key))


@lru_cache(maxsize=1024)
def normalise_key(key: str) -> str:
    """'Date Published' / 'date-published' / 'datePublished' -> comparable form."""
    return re.sub(r"[\s\-]+", "_", key.strip()).lower()


@dataclass
class Draft:
    """An article as a format parser found it, before the fidelity rules are applied."""

    origin: str
    line: int | None = None
    title: str = ""
    body: str = ""
    date: Any = None
    published_at: datetime | None = None  # already parsed (a text dump's date line)
    url: str = ""
    source: str = ""
    tags: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    language: str = ""
    warnings: list[str] = field(default_factory=list)
    captured_at: datetime | None = None  # when a crawler fetched it (WARC), not publication


def _as_text(value: Any) -> str:
    """A scalar or list field as one string ('' for null, numbers kept as written)."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "\n\n".join(part for part in (_as_text(item) for item in value) if part.strip())
    if isinstance(value, dict):
        for key in ("name", "title", "text", "value", "@value"):
            if key in value:
                return _as_text(value[key])
    return ""


def _as_list(value: Any) -> list[str]:
    """Tags or authors: a list, or one string separated by commas, semicolons or bars."""
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, str):
        text = clean_text(value).strip()
        if text.startswith("[") and text.endswith("]"):
            try:
                return _as_list(json.loads(text))
            except ValueError:
                text = text[1:-1]
        return [part for part in _LIST_SPLIT.split(text) if part]
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            if isinstance(item, list | tuple):
                continue  # nested lists are not names
            text = _as_text(item)
            if text:
                out.append(text)
        return out
    text = _as_text(value)
    return [text] if text else []


def draft_from_mapping(record: Mapping[Any, Any], origin: str, line: int | None) -> Draft:
    """Pick the article fields out of a JSON object, CSV row or front-matter mapping."""
    best: dict[str, tuple[int, Any]] = {}
    for raw_key, value in record.items():
        if not isinstance(raw_key, str):
            continue
        key = normalise_key(raw_key)
        kind = _KIND_OF.get(key)
        if kind is None or value is None or value == "" or value == []:
            continue
        rank = _RANK[key]
        if kind not in best or rank < best[kind][0]:
            best[kind] = (rank, value)
    draft = Draft(origin=origin, line=line)
    values = {kind: value for kind, (_, value) in best.items()}
    # A null title falls through to the next alias (news-please: title_page, title_rss).
    draft.title = _as_text(values.get("title"))
    draft.body = _as_text(values.get("body"))
    draft.date = values.get("date")
    draft.url = _as_text(values.get("url"))
    draft.source = _as_text(values.get("source"))
    draft.tags = _as_list(values.get("tags"))
    draft.authors = _as_list(values.get("authors"))
    draft.language = _as_text(values.get("language"))
    return draft


def _clean_url(raw: str, draft: Draft) -> str | None:
    url = "".join(raw.split())
    if not url:
        return None
    if "://" not in url:
        if re.match(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:/|$)", url):
            url = "http://" + url
        else:
            draft.warnings.append(f"ignored a URL that is not one: {raw[:80]!r}")
            return None
    if len(url) > MAX_URL:
        draft.warnings.append(f"URL longer than {MAX_URL} characters not kept")
        return None
    return url


def _unique(names: Iterable[str], limit: int) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        name = clean.one_line(name)[:limit].strip()
        key = name.casefold()
        if name and key not in seen:
            seen.add(key)
            out.append(name)
    return tuple(out)


def finish(
    draft: Draft, options: ParseOptions, ctx: dates.DateContext
) -> ParsedArticle | RecordError:
    """Apply the fidelity rules to a draft: the finished article, or why there is none."""
    # Drafts hold cleaned text already (the format parsers ran clean_text on every field).
    body = clean.clean_body(draft.body)
    title = clean.one_line(draft.title)
    if not body:
        if draft.body.strip():
            return RecordError(
                draft.origin, "no article text left after removing boilerplate", draft.line
            )
        return RecordError(draft.origin, "no body text", draft.line)
    if not title:
        # Crawl records (C4, CC-News text) carry no title: the first line stands in.
        first, _, rest = body.partition("\n\n")
        title = clean.title_from_text(first)
        if rest and title == first:
            body = rest
    else:
        # The body often repeats the title as its first line.
        first, _, rest = body.partition("\n\n")
        if rest and clean.fold_key(first) == clean.fold_key(title):
            title = clean.better_title(title, first)
            body = rest

    published_at = draft.published_at
    if published_at is None and draft.date is not None:
        published_at = dates.from_value(draft.date, ctx)
        if published_at is None:
            shown = draft.date if isinstance(draft.date, str | date) else type(draft.date).__name__
            draft.warnings.append(f"unrecognised date {str(shown)[:60]!r} ignored")

    url = _clean_url(draft.url, draft) if draft.url else None

    if options.source:
        source: str | None = options.source
    elif draft.source.strip():
        source = sources.source_from_metadata(clean.one_line(draft.source))
    else:
        source = sources.known_source_at_start(
            body, options.known_sources
        ) or sources.outlet_at_start(body)
        if source is None and url:
            source = sources.domain_of(url)

    lang = language.normalise_language(draft.language)
    if not lang:
        lang = language.detect_language(body)

    authors = [a for a in _unique(draft.authors, 200) if not _JUNK_AUTHORS.search(a)]
    return ParsedArticle(
        title=title,
        body=body,
        published_at=published_at,
        source=source[: sources.MAX_SOURCE] if source else None,
        url=url,
        language=lang,
        tags=_unique([*draft.tags, *options.tags], MAX_TAG),
        authors=tuple(authors),
        captured_at=draft.captured_at,
        origin=draft.origin,
        line=draft.line,
        warnings=tuple(draft.warnings),
    )
