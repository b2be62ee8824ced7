"""RSS and Atom feeds that carry full text: one article per entry.

feedparser reads every RSS and Atom dialect, tolerates broken XML and sanitises the
entries' HTML. An entry's text is its content (or, failing that, its summary); title,
link, published date, authors and categories come along, and the feed's own title is
the source. A feed whose entries hold only titles and links has no article to import:
each such entry is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

from . import encoding, limits
from .fields import Draft
from .records import SKIPPED, RecordError
from .webpage import fragment_text

_FEED_ROOT = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<\?[^>]*>\s*|<!DOCTYPE[^>]*>\s*)*"
    rb"<(?:[\w-]+:)?(?:rss|feed|RDF)[\s>]",
    re.DOTALL,
)
_XML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml", re.IGNORECASE)


def looks_like_feed(head: bytes) -> bool:
    """Is the root element <rss>, <feed> (Atom) or <rdf:RDF> (RSS 1.0)?"""
    return _FEED_ROOT.match(head[:4096]) is not None


def looks_like_xml(head: bytes) -> bool:
    """An XML declaration (for refusing XML files that are not feeds by name)."""
    return _XML_START.match(head) is not None


def _struct_date(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        year, month, day, hour, minute, second = value[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _entry_text(entry: Any) -> str:
    for item in entry.get("content") or []:
        value = item.get("value") or ""
        if value.strip():
            return _as_text(value, item.get("type", ""))
    summary = entry.get("summary") or ""
    detail = entry.get("summary_detail") or {}
    return _as_text(summary, detail.get("type", "")) if summary.strip() else ""


def _as_text(value: str, kind: str) -> str:
    if "html" in kind or "<" in value:
        return fragment_text(value)
    return value


def _names(entry: Any) -> list[str]:
    names = [author.get("name", "") for author in entry.get("authors") or []]
    if not any(names) and entry.get("author"):
        names = [entry["author"]]
    return [name for name in names if name and name.strip()]


def iter_feed(stream: IO[bytes], origin: str) -> Iterator[Draft | RecordError]:
    """One draft per entry with text; an error per entry without, or for the whole feed."""
    import feedparser

    data = stream.read(limits.MAX_FEED + 1)
    if len(data) > limits.MAX_FEED:
        yield RecordError(
            origin,
            f"feed over the limit of {limits.MAX_FEED >> 20} MB: not read",
            code="too-large",
        )
        return
    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=True)
    version = parsed.get("version") or ""
    entries = parsed.get("entries") or []
    if not version and not entries:
        reason = parsed.get("bozo_exception")
        detail = f": {reason}" if reason else ""
        yield RecordError(origin, f"not a readable RSS or Atom feed{detail}", code="unreadable")
        return
    feed = parsed.get("feed") or {}
    feed_title = encoding.clean_text(feed.get("title") or "")
    feed_language = feed.get("language") or ""
    if not entries:
        yield RecordError(origin, "the feed has no entries", code="no-articles")
        return
    for number, entry in enumerate(entries, start=1):
        where = f"{origin}#{number}"
        text = encoding.clean_text(_entry_text(entry))
        title = encoding.clean_text(entry.get("title") or "")
        if not text.strip():
            shown = f" {title[:60]!r}" if title else ""
            yield RecordError(
                where,
                f"entry{shown} has no text (the feed carries only titles and links)",
                None,
                SKIPPED,
                "no-text",
            )
            continue
        draft = Draft(origin=where, title=title, body=text)
        draft.url = entry.get("link") or ""
        draft.published_at = _struct_date(
            entry.get("published_parsed") or entry.get("updated_parsed")
        )
        if draft.published_at is None:
            # A date feedparser could not read: ours, in the order the feed's dates settle.
            draft.date_field = "published" if entry.get("published") else "updated"
            draft.date = entry.get(draft.date_field)
        draft.source = feed_title
        draft.authors = [encoding.clean_text(name) for name in _names(entry)]
        draft.tags = [
            encoding.clean_text(tag.get("label") or tag.get("term") or "")
            for tag in entry.get("tags") or []
        ]
        draft.tags = [tag for tag in draft.tags if tag.strip()]
        draft.language = entry.get("language") or feed_language
        yield draft
