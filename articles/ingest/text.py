"""Plain-text dumps, one article per file.

Optional metadata first: YAML front matter between `---` lines (static-site exports), or
a block of `Key: value` lines (Title, Date, Source, URL, Tags, Author, Language...).
Then, top down: page furniture above the title is skipped, the first real line is the
title, repeats of it are folded into it, and a line that is only a date ("2 hours ago",
"Wednesday, June 14, 2017 9:30 AM EDT") or a byline is taken as metadata. The rest is
the body.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from . import clean, dates
from .encoding import SEPARATORS
from .fields import DATE_LINE, Draft, draft_from_mapping, field_kind
from .records import SKIPPED, RecordError

MAX_FRONT_MATTER = 64 * 1024
HEADER_ZONE = 8  # lines after the title that may still hold a date, byline or repeat
MAX_HEADER_LINES = 60
# Header fields of mail and Usenet posts that say nothing about the article itself.
# fmt: off
_MAIL_HEADERS = frozenset((
    "path", "newsgroups", "message-id", "organization", "organisation", "lines", "references",
    "nntp-posting-host", "sender", "reply-to", "followup-to", "to", "cc", "summary",
    "distribution", "expires", "approved", "in-reply-to", "user-agent", "mime-version",
    "content-type", "content-transfer-encoding", "received", "return-path", "xref",
    "article-i.d.", "originator", "nntp-posting-date", "date-received", "posted", "relay-version",
))
# fmt: on

_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9 _-]{0,30}?)\s*:\s*(.*)$")
_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_BYLINE = re.compile(
    r"^(?i:by)\s+(?P<names>[A-Z][\w.'\u2019-]*(?:\s+[A-Z][\w.'\u2019-]*){0,3}"
    r"(?:\s*(?:,|and|&)\s*[A-Z][\w.'\u2019-]*(?:\s+[A-Z][\w.'\u2019-]*){0,3}){0,3})$",
)
_SEGMENTS = re.compile(r"\s+[|·•]\s+")


def _yaml_safe(value: Any, depth: int = 0) -> Any:
    """YAML values we use: scalars, dates, and lists/dicts of them (no deep structures)."""
    if isinstance(value, str | int | float | bool | date | datetime) or value is None:
        return value
    if depth > 2:
        return None
    if isinstance(value, list):
        return [_yaml_safe(item, depth + 1) for item in value[:200]]
    if isinstance(value, dict):
        return {str(k): _yaml_safe(v, depth + 1) for k, v in list(value.items())[:200]}
    return str(value)


def split_front_matter(text: str, origin: str) -> tuple[dict[str, Any] | None, str] | RecordError:
    """(metadata, rest) for text opening with YAML front matter; (None, text) without."""
    if not (text.startswith("---\n") or text.startswith("--- \n")):
        return None, text
    end = _FRONT_MATTER_END.search(text, 4)
    if end is None or end.start() > MAX_FRONT_MATTER:
        return None, text
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    # A line separator inside a value is a space here, as in every header: YAML would
    # take it for a line break and read what follows as another key.
    block = SEPARATORS.sub(" ", text[text.index("\n") + 1 : end.start()])
    try:
        meta = yaml.load(block, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return RecordError(
            origin, f"invalid YAML front matter: {problem}", line, code="bad-front-matter"
        )
    except (ValueError, TypeError, OverflowError) as error:  # bad timestamps and the like
        return RecordError(
            origin, f"invalid YAML front matter: {error}", 1, code="bad-front-matter"
        )
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return None, text
    return _yaml_safe(meta), text[end.end() :].lstrip("\n")


def split_header_block(text: str) -> tuple[dict[str, str] | None, str]:
    """(metadata, rest) for text opening with `Key: value` lines; (None, text) without.

    Lines are split only at real line ends: a vertical tab, NEL or Unicode line separator
    inside a value is a space in that value. A mail or Usenet header (Path:, Newsgroups:,
    Message-ID: ...) counts as a header, and its folded continuation lines are joined.
    """
    stripped = text.lstrip("\n")
    block_end = stripped.find("\n\n")
    block = stripped if block_end < 0 else stripped[:block_end]
    lines = block.split("\n")
    if len(lines) > MAX_HEADER_LINES:
        return None, text
    meta: dict[str, str] = {}
    known = mail = fields_seen = 0
    last_key = ""
    for index, line in enumerate(lines):
        if index and line[:1] in (" ", "\t") and last_key:
            # A folded header line continues the value above it.
            if last_key in meta:
                meta[last_key] = f"{meta[last_key]} {SEPARATORS.sub(' ', line).strip()}"
            continue
        match = _HEADER_LINE.match(line.strip())
        if not match:
            return None, text
        key, value = match.group(1), SEPARATORS.sub(" ", match.group(2)).strip()
        kind = field_kind(key)
        is_mail = key.lower() in _MAIL_HEADERS or key.lower().startswith("x-")
        if index == 0 and kind is None and not is_mail:
            return None, text
        fields_seen += 1
        known += kind is not None
        mail += is_mail and kind is None
        if value and key not in meta:
            meta[key] = value
        last_key = key
    if (known + mail) * 2 < fields_seen or not known or not meta:
        return None, text
    if fields_seen == 1 and field_kind(lines[0].split(":", 1)[0]) != "title":
        return None, text  # "Source: leaked memo shows..." is a headline, not a header
    rest = "" if block_end < 0 else stripped[block_end + 2 :]
    return meta, rest


def _date_in_line(line: str, ctx: dates.DateContext) -> tuple[str | None, list[str]] | None:
    """(the date's text, authors) when the line is only a date and/or byline; None otherwise.

    The date is read again when the article is finished, in the order of numeric dates
    the whole dump settles.
    """
    found: str | None = None
    authors: list[str] = []
    for segment in _SEGMENTS.split(line):
        byline = _BYLINE.match(segment)
        if byline:
            authors.extend(re.split(r"\s*(?:,|\band\b|&)\s*", byline.group("names")))
            continue
        if dates.parse_date_line(segment, ctx) is None:
            return None
        found = found or segment
    if found is None and not authors:
        return None
    return found, authors


def _take_date(draft: Draft, found: tuple[str | None, list[str]]) -> None:
    if found[0] is not None and draft.date is None:
        draft.date, draft.date_field = found[0], DATE_LINE
    draft.authors.extend(found[1])


def parse_text(text: str, origin: str, ctx: dates.DateContext) -> Draft | RecordError:
    """One article from the (decoded, cleaned) text of a file."""
    if not text.strip():
        return RecordError(origin, "file contains only whitespace", None, SKIPPED, "no-text")
    front = split_front_matter(text, origin)
    if isinstance(front, RecordError):
        return front
    meta, rest = front
    if meta is None:
        meta, rest = split_header_block(text)
    draft = draft_from_mapping(meta or {}, origin, None)
    if draft.body:
        # A body in the metadata itself (rare) comes before the text below it.
        rest = draft.body + "\n\n" + rest

    lines = rest.split("\n")
    index = 0
    count = len(lines)
    # Page furniture above the title, and a date printed above it.
    while index < count:
        line = clean.normalise_line(lines[index])
        if not line or clean.is_leading_boilerplate(line):
            index += 1
            continue
        if draft.date is None:
            found = _date_in_line(line, ctx)
            if found is not None:
                _take_date(draft, found)
                index += 1
                continue
        break

    title = clean.one_line(draft.title)
    if not title and index < count:
        first = clean.normalise_line(lines[index])
        title = clean.title_from_text(first)
        if title == first:
            index += 1  # a real title line; a long paragraph stays in the body
    if not title:
        return RecordError(origin, "no article text found", None, SKIPPED, "no-text")
    key = clean.fold_key(title)

    zone_end = min(count, index + HEADER_ZONE)
    while index < zone_end:
        line = clean.normalise_line(lines[index])
        if not line or clean.is_leading_boilerplate(line):
            index += 1
            continue
        if clean.fold_key(line) == key:
            title = clean.better_title(title, line)
            index += 1
            continue
        found = _date_in_line(line, ctx)
        if found is not None:
            _take_date(draft, found)
            index += 1
            continue
        break

    draft.title = title
    draft.body = "\n".join(lines[index:])
    if not draft.body.strip():
        return RecordError(origin, "no body text (only a title)", None, SKIPPED, "no-text")
    return draft
