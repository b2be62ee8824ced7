"""Web pages, crawls, feeds, mail and Reuters SGML: from a stream to records.

The reader (`reader.py`) decides the format; each format's own module turns the stream
into drafts or page jobs; this module checks the file is what its name says, hands pages
to the extraction pool (a `PendingPage` stands for each until `pool.in_order`) and passes
drafts on as `dateorder.Pending`, finished by the reader like every other format's once
the dump's numeric date order is known.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from . import dates, encoding, feeds, mail, reuters, warc, webpage
from .dateorder import Pending
from .fields import Draft
from .pool import PagePool, PendingPage
from .records import SKIPPED, RecordError

Item = RecordError | Pending | PendingPage


def read(
    fmt: str,
    head: bytes,
    stream: IO[bytes],
    origin: str,
    ctx: dates.DateContext,
    tags: tuple[str, ...],
    pages: PagePool,
) -> Iterator[Item]:
    """Every record of one file in format `fmt` ('html', 'warc', 'feed', 'mbox', 'eml', 'sgml').

    `tags` are added to each of its articles (the folder's name).
    """
    if not head:
        yield RecordError(origin, "empty file", None, SKIPPED, "no-text")
        return
    if fmt != "warc" and encoding.looks_binary(head):
        yield RecordError(origin, "binary file, not text", code="binary")
        return
    if fmt == "feed" and not feeds.looks_like_feed(head):
        kind = "XML" if feeds.looks_like_xml(head) else "this file"
        yield RecordError(
            origin, f"{kind} is not an RSS or Atom feed (not an article dump)", code="unsupported"
        )
        return
    if fmt == "html":
        yield from _pages(webpage.iter_pages(stream, origin, ctx, tags), pages)
        return
    if fmt == "warc":
        summary = warc.Summary()
        produced = False
        for item in _pages(warc.iter_warc(stream, origin, ctx, summary, tags), pages):
            produced = True
            yield item
        if not produced:
            held = f": {summary}" if summary else ""
            yield RecordError(
                origin, f"no HTML pages (HTTP 200, text/html) found{held}", code="no-articles"
            )
        elif summary:
            yield summary.warning(origin)
        return
    drafts: Iterator[Draft | RecordError]
    if fmt == "feed":
        drafts = feeds.iter_feed(stream, origin)
    elif fmt == "mbox":
        drafts = mail.iter_mbox(stream, origin)
    elif fmt == "eml":
        drafts = mail.iter_eml(stream, origin)
    else:
        drafts = reuters.iter_sgml(stream, origin)
    for draft in drafts:
        yield draft if isinstance(draft, RecordError) else Pending(draft, ctx, tags)


def _pages(
    jobs: Iterator[webpage.PageJob | RecordError], pages: PagePool
) -> Iterator[RecordError | PendingPage]:
    """Each page handed to the extractor, in order, with the errors between them."""
    for job in jobs:
        yield job if isinstance(job, RecordError) else pages.submit(job)
