"""Web pages, crawls, feeds, mail and Reuters SGML: from a stream to records.

The reader (`reader.py`) decides the format; each format's own module turns the stream
into drafts or page jobs; this module checks the file is what its name says, runs the
fidelity rules on drafts (`fields.finish`) and hands pages to the extraction pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from . import dates, encoding, feeds, fields, mail, reuters, warc, webpage
from .pool import PagePool, Pending
from .records import ParsedArticle, RecordError

MAX_HELD = 1000  # errors held back behind a crawl's last page before they are let out

Item = ParsedArticle | RecordError | Pending


def read(
    fmt: str,
    head: bytes,
    stream: IO[bytes],
    origin: str,
    ctx: dates.DateContext,
    pages: PagePool,
) -> Iterator[Item]:
    """Every record of one file in format `fmt` ('html', 'warc', 'feed', 'mbox', 'eml', 'sgml')."""
    if not head:
        yield RecordError(origin, "empty file")
        return
    if fmt != "warc" and encoding.looks_binary(head):
        yield RecordError(origin, "binary file, not text")
        return
    if fmt == "feed" and not feeds.looks_like_feed(head):
        kind = "XML" if feeds.looks_like_xml(head) else "this file"
        yield RecordError(origin, f"{kind} is not an RSS or Atom feed (not an article dump)")
        return
    if fmt in ("html", "warc"):
        summary = warc.Summary()
        if fmt == "html":
            jobs = webpage.iter_pages(stream, origin, ctx)
        else:
            jobs = warc.iter_warc(stream, origin, ctx, summary)
        yield from _pages(jobs, pages, summary, origin, crawl=fmt == "warc")
        return
    if fmt == "feed":
        drafts = feeds.iter_feed(stream, origin)
    elif fmt == "mbox":
        drafts = mail.iter_mbox(stream, origin)
    elif fmt == "eml":
        drafts = mail.iter_eml(stream, origin)
    else:
        drafts = reuters.iter_sgml(stream, origin)
    for draft in drafts:
        if isinstance(draft, RecordError):
            yield draft
            continue
        try:
            yield fields.finish(draft, pages.options, ctx)
        except Exception as error:  # one odd record must not lose the rest of the file
            yield RecordError(
                draft.origin, f"internal parser error: {type(error).__name__}: {error}", draft.line
            )


def _pages(
    jobs: Iterator[webpage.PageJob | RecordError],
    pages: PagePool,
    summary: warc.Summary,
    origin: str,
    *,
    crawl: bool,
) -> Iterator[Item]:
    """Pages handed to the extractor, in order, with the errors between them.

    The last page and the errors after it wait for the end: the count of what a crawl
    held besides pages goes with its last article.
    """
    last: Pending | None = None
    after: list[RecordError] = []
    errors = 0
    try:
        for job in jobs:
            if isinstance(job, RecordError):
                errors += 1
                if last is None:
                    yield job
                elif len(after) < MAX_HELD:
                    after.append(job)
                else:  # a crawl of damaged records: memory stays bounded, the count goes
                    yield last
                    yield from after
                    yield job
                    last, after = None, []
                continue
            if last is not None:
                yield last
                yield from after
                after = []
            last = pages.submit(job)
    except Exception:
        # Damaged or cut-off data: keep the pages read before it (the reader reports it).
        if last is not None:
            yield last
            yield from after
        raise
    if last is not None:
        last.extra_warnings = (str(summary),) if summary else ()
        yield last
        yield from after
    elif crawl and not errors:
        held = f": {summary}" if summary else ""
        yield RecordError(origin, f"no HTML pages (HTTP 200, text/html) found{held}")
