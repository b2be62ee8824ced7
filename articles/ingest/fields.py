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

from . import clean, dates, language, limits, sources, urls
from .authors import clean_authors
from .encoding import clean_text
from .outlets import outlet_key
from .records import SKIPPED, WARNING, ParsedArticle, ParseOptions, RecordError

MAX_TAG = limits.MAX_TAG
MAX_URL = urls.MAX_URL
# The field name a text dump's date line stands under, for the date-order inference.
DATE_LINE = "date line"

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
    ),
    # When a crawler fetched the page: a capture date, never a publication date.
    "captured": (
        "captured_at",
        "date_extracted",
        "date_download",
        "date_downloaded",
        "date_crawled",
        "crawled_at",
        "crawl_date",
        "fetched_at",
        "fetch_date",
        "retrieved_at",
        "date_retrieved",
        "scraped_at",
        "downloaded_at",
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
    date_field: str = ""  # the field (normalised name) the date came from
    published_at: datetime | None = None  # already parsed
    captured: Any = None
    captured_field: str = ""
    url: str = ""
    source: str = ""
    tags: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    language: str = ""
    warnings: list[RecordError] = field(default_factory=list)

    def warn(self, code: str, message: str) -> None:
        """Note something dropped from the article, for the import report."""
        self.warnings.append(RecordError(self.origin, message, self.line, WARNING, code))


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
    best: dict[str, tuple[int, Any, str]] = {}
    for raw_key, value in record.items():
        if not isinstance(raw_key, str):
            continue
        key = normalise_key(raw_key)
        kind = _KIND_OF.get(key)
        if kind is None or value is None or value == "" or value == []:
            continue
        rank = _RANK[key]
        if kind not in best or rank < best[kind][0]:
            best[kind] = (rank, value, key)
    draft = Draft(origin=origin, line=line)
    values = {kind: value for kind, (_, value, _) in best.items()}
    # A null title falls through to the next alias (news-please: title_page, title_rss).
    draft.title = _as_text(values.get("title"))
    draft.body = _as_text(values.get("body"))
    draft.date = values.get("date")
    draft.date_field = best["date"][2] if "date" in best else ""
    draft.captured = values.get("captured")
    draft.captured_field = best["captured"][2] if "captured" in best else ""
    draft.url = _as_text(values.get("url"))
    draft.source = _as_text(values.get("source"))
    draft.tags = _as_list(values.get("tags"))
    draft.authors = _as_list(values.get("authors"))
    draft.language = _as_text(values.get("language"))
    return draft


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


def _read_date(draft: Draft, value: Any, name: str, ctx: dates.DateContext) -> datetime | None:
    """A date field's value, or None with a warning saying why it was not kept."""
    try:
        moment = dates.from_value(value, ctx)
    except dates.OutOfRange as error:
        draft.warn(
            "date-out-of-range",
            f"{name} {_shown(value)} is outside {dates.MIN_YEAR}-{ctx.max_year}: not kept",
        )
        del error
        return None
    if moment is None:
        draft.warn("date-unreadable", f"unrecognised {name} {_shown(value)} ignored")
    return moment


def _shown(value: Any) -> str:
    shown = value if isinstance(value, str | date | int | float) else type(value).__name__
    return repr(urls.shorten(str(shown)))


def _tags(draft: Draft, extra: Iterable[str]) -> tuple[str, ...]:
    tags = draft.tags
    if not tags:
        return _unique(extra, MAX_TAG)
    if len(tags) > limits.MAX_TAGS:
        draft.warn(
            "too-many-tags",
            f"{len(tags):,} tags: the first {limits.MAX_TAGS} kept",
        )
        tags = tags[: limits.MAX_TAGS]
    kept = []
    for tag in tags:
        if len(tag) > MAX_TAG:
            draft.warn(
                "tag-dropped", f"tag longer than {MAX_TAG} characters dropped: {_shown(tag)}"
            )
        else:
            kept.append(tag)
    return _unique([*kept, *extra], MAX_TAG)


def finish(
    draft: Draft,
    options: ParseOptions,
    ctx: dates.DateContext,
    *,
    orders: Mapping[str, str] | None = None,
    extra_tags: Iterable[str] = (),
) -> ParsedArticle | RecordError:
    """Apply the fidelity rules to a draft: the finished article, or why there is none.

    `orders` gives the numeric date order (dmy or mdy) the dump settled for each date field;
    `extra_tags` are added to the article (the options' tags, the folder's name).
    """
    too_large = _too_large(draft)
    if too_large is not None:
        return too_large
    # Drafts hold cleaned text already (the format parsers ran clean_text on every field).
    body = clean.clean_body(draft.body)
    title = clean.one_line(draft.title)
    if not body:
        if draft.body.strip():
            return RecordError(
                draft.origin,
                "no article text left after removing boilerplate",
                draft.line,
                SKIPPED,
                "only-boilerplate",
            )
        return RecordError(draft.origin, "no body text", draft.line, SKIPPED, "no-text")
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

    orders = orders or {}
    published_at = draft.published_at
    if published_at is None and draft.date is not None:
        order = orders.get(draft.date_field, ctx.order)
        published_at = _read_date(draft, draft.date, "date", ctx.with_order(order))
    captured_at = None
    if draft.captured is not None:
        order = orders.get(draft.captured_field, ctx.order)
        captured_at = _read_date(draft, draft.captured, "capture date", ctx.with_order(order))

    kept, problem = urls.read_url(draft.url) if draft.url else (None, None)
    if problem:
        draft.warn("url-dropped", problem)
    url = kept.url if kept else None

    if options.source:
        source: str | None = options.source
    elif draft.source.strip():
        source = sources.source_from_metadata(clean.one_line(draft.source))
    else:
        source = sources.known_source_at_start(
            body, options.known_sources
        ) or sources.outlet_at_start(body)
        if source is None and kept is not None:
            source = sources.domain_of_host(kept.host)
    source = source[: sources.MAX_SOURCE] if source else None

    lang = ""
    if draft.language.strip():
        lang = language.normalise_language(draft.language)
        if not lang:
            draft.warn(
                "language-unknown",
                f"language {_shown(clean.one_line(draft.language))} is not one we know: detected",
            )
    if not lang:
        lang = language.detect_language(body)

    authors, dropped = clean_authors(draft.authors)
    for message in dropped:
        draft.warn("author-dropped", message)
    tags = _tags(draft, [*options.tags, *extra_tags])
    return ParsedArticle(
        title=title,
        body=body,
        published_at=published_at,
        source=source,
        url=url,
        language=lang,
        tags=tags,
        authors=authors,
        captured_at=captured_at,
        canonical_url=kept.canonical if kept else None,
        outlet_key=outlet_key(source, url, host=kept.host if kept else None),
        origin=draft.origin,
        line=draft.line,
        warnings=tuple(draft.warnings),
    )


def _too_large(draft: Draft) -> RecordError | None:
    if len(draft.body) <= limits.MAX_BODY and len(draft.title) <= limits.MAX_TITLE:
        return None
    for name, text, limit in (
        ("title", draft.title, limits.MAX_TITLE),
        ("body", draft.body, limits.MAX_BODY),
    ):
        if len(text) > limit:
            return RecordError(
                draft.origin,
                f"{name} of {len(text):,} characters is over the limit of {limit:,}",
                draft.line,
                code="too-large",
            )
    return None
