"""Web crawls in WARC files (`.warc`, `.warc.gz`, and the older `.arc`): one article per
HTML page fetched.

Each `response` record with HTTP status 200 and an HTML content type is a page for the
HTML extractor (`webpage.py`); its `WARC-Target-URI` is the article's URL and its
`WARC-Date` the capture date, kept apart from the publication date the page states.
Requests, metadata, revisits and the like are skipped silently; responses that are not
HTML pages (images, scripts, redirects, errors) are counted, and the count is one warning
(code `not-html`) at the end of the crawl. Records are streamed one at a time and a page's
payload is capped at `limits.MAX_PAGE`, so memory stays bounded whatever the crawl's size.
A `.warc.gz` is decompressed by the reader like any `.gz` (with its limits and its salvage
of damaged data), so warcio always reads plain WARC records here.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from . import dates, limits
from .records import WARNING, RecordError
from .webpage import PageJob, too_large

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
# warcio's notes about records it read anyway (a space in a URL), not damage.
_REPAIRED = ("Replacing spaces in invalid WARC-Target-URI",)


def looks_like_warc(head: bytes) -> bool:
    """Does the stream start with a WARC record header, or an ARC file's (the older format)?"""
    return head[:64].lstrip(b"\r\n").startswith((b"WARC/1.", b"WARC/0.", b"filedesc://"))


def _quiet(call: Any) -> tuple[Any, str]:
    """Run a warcio step, catching what it writes to stderr about damaged records."""
    noise = io.StringIO()
    with contextlib.redirect_stderr(noise):
        value = call()
    return value, noise.getvalue().strip()


def _damage(origin: str, noise: str) -> RecordError | None:
    """What warcio wrote to stderr, as an error; None for its notes on records it repaired."""
    first = _first_paragraph(noise)
    if not first or first.startswith(_REPAIRED):
        return None
    return RecordError(origin, f"damaged WARC data: {first}", code="damaged")


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n", 1)[0].split())[:200]


class Summary:
    """What a WARC held besides pages, for one line at the end."""

    def __init__(self) -> None:
        self.skipped: Counter[str] = Counter()

    def note(self, reason: str) -> None:
        self.skipped[reason] += 1

    def __str__(self) -> str:
        total = sum(self.skipped.values())
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in self.skipped.most_common(5))
        return f"non-HTML responses skipped: {total:,} ({kinds})"

    def __bool__(self) -> bool:
        return bool(self.skipped)

    def warning(self, origin: str) -> RecordError:
        """The crawl's one line about them, counted by the importer under `not-html`."""
        return RecordError(origin, str(self), None, WARNING, "not-html")


def iter_warc(
    stream: IO[bytes],
    origin: str,
    ctx: dates.DateContext,
    summary: Summary,
    tags: tuple[str, ...] = (),
) -> Iterator[PageJob | RecordError]:
    """The HTML pages of a WARC as extraction jobs, and its damaged or oversized records."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        # ARC files (the format before WARC) come through as WARC response records.
        records, noise = _quiet(lambda: iter(ArchiveIterator(stream, arc2warc=True)))
    except ArchiveLoadFailed as error:
        yield _unreadable(origin, error)
        return
    number = 0
    while True:
        number += 1
        try:
            record, noise = _quiet(lambda: next(records, None))
        except ArchiveLoadFailed as error:
            yield _unreadable(origin, error)
            return
        damage = _damage(origin, noise)
        if damage is not None:
            yield damage
        if record is None:
            return
        if record.rec_type != "response":
            continue
        uri = (record.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
        where = f"{origin}!{uri}" if uri else f"{origin}!record {number}"
        http = record.http_headers
        if http is None:
            summary.note("no HTTP headers")
            continue
        status = (http.get_statuscode() or "").strip()
        content_type = (http.get_header("Content-Type") or "").strip()
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime not in _HTML_TYPES:
            summary.note(mime or "no content type")
            continue
        if status != "200":
            summary.note(f"HTTP {status or '?'}")
            continue
        content = record.content_stream()
        data, noise = _quiet(lambda content=content: content.read(limits.MAX_PAGE + 1))
        damage = _damage(where, noise)
        if damage is not None:
            yield damage
            continue
        if len(data) > limits.MAX_PAGE:
            yield too_large(where)
            continue
        if getattr(record.raw_stream, "limit", 0) > 0:
            yield RecordError(
                where, "record cut short (the WARC file ends inside it)", code="damaged"
            )
            continue
        match = _CHARSET.search(content_type)
        yield PageJob(
            data,
            where,
            ctx,
            url=uri or None,
            captured=record.rec_headers.get_header("WARC-Date"),
            charset=match.group(1) if match else None,
            tags=tags,
        )


def _unreadable(origin: str, error: BaseException) -> RecordError:
    first = _first_paragraph(str(error)) or type(error).__name__
    return RecordError(origin, f"not a readable WARC file: {first}", code="unreadable")
