"""Page extraction on every core, records kept in their order.

Extracting a page's main text costs about 15 ms of Python, so a crawl of HTML pages is
bound by the CPU of one process. The HTML and WARC readers hand each page to a
`PagePool` and yield a `PendingPage` in its place; `in_order` (wrapped around the whole
record stream, outside the reader's wait for the dump's date order) replaces each by its
result in the original order, with at most `window` pages in flight, so memory stays
bounded whatever the crawl's size. A page's finished article needs no date order: its
dates are ISO 8601.

The first `INLINE_PAGES` pages are extracted in this process: starting worker
processes costs more than a few pages do. Workers come from a fork server (a clean
process, not a copy of an importer holding threads and database connections).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from .records import ParsedArticle, ParseOptions, RecordError
from .webpage import PageJob, parse_page

INLINE_PAGES = 8  # pages extracted here before worker processes are started
MAX_WORKERS = 4

_worker_options: ParseOptions | None = None


def default_workers() -> int:
    """One worker per core this process may use (at most MAX_WORKERS)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def _context() -> Any:
    try:
        context = multiprocessing.get_context("forkserver")
    except ValueError:  # Windows has no fork server: each worker loads everything itself
        return multiprocessing.get_context("spawn")
    context.set_forkserver_preload(["articles.ingest.warm"])
    return context


def _start_worker(options: ParseOptions) -> None:
    global _worker_options
    _worker_options = options
    # Ctrl-C reaches the whole process group: the importer handles it, workers just end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _work(job: PageJob) -> ParsedArticle | RecordError:
    assert _worker_options is not None  # set by the initializer
    return parse_page(job, _worker_options)


@dataclass
class PendingPage:
    """A page being extracted; stands in the record stream for its result."""

    job: PageJob
    future: Future[ParsedArticle | RecordError] | None = None
    result: ParsedArticle | RecordError | None = None


class PagePool:
    """Extracts pages in worker processes once there are enough of them to pay off."""

    def __init__(self, options: ParseOptions, workers: int | None = None) -> None:
        self.options = options
        self.workers = default_workers() if workers is None else workers
        self.window = 4 * self.workers + 2
        self._seen = 0
        self._executor: ProcessPoolExecutor | None = None
        self._broken = False

    def submit(self, job: PageJob) -> PendingPage:
        """Start extracting a page (in this process for the first few)."""
        self._seen += 1
        if self.workers < 2 or self._seen <= INLINE_PAGES or self._broken:
            return PendingPage(job, result=parse_page(job, self.options))
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=_context(),
                initializer=_start_worker,
                initargs=(self.options,),
            )
        try:
            return PendingPage(job, future=self._executor.submit(_work, job))
        except (BrokenProcessPool, RuntimeError):
            self._broken = True
            return PendingPage(job, result=parse_page(job, self.options))

    def result(self, pending: PendingPage) -> ParsedArticle | RecordError:
        """The page's record, waiting for it if need be."""
        record = pending.result
        if record is None:
            assert pending.future is not None  # a PendingPage has one or the other
            try:
                record = pending.future.result()
            except BrokenProcessPool:
                # A worker died (out of memory, a crash in a C library): carry on here.
                self._broken = True
                record = parse_page(pending.job, self.options)
        return record

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


Item = ParsedArticle | RecordError | PendingPage


def in_order(items: Iterable[Item], pool: PagePool) -> Iterator[ParsedArticle | RecordError]:
    """The records with every PendingPage resolved, in order, at most `pool.window` ahead."""
    buffer: deque[Item] = deque()
    try:
        for item in items:
            if not buffer and not isinstance(item, PendingPage):
                yield item  # nothing waits ahead of it (every record of the text formats)
                continue
            buffer.append(item)
            # Hand out what is ready at the front; wait only when the window is full.
            while buffer and (len(buffer) > pool.window or _ready(buffer[0])):
                yield _resolve(buffer.popleft(), pool)
        while buffer:
            yield _resolve(buffer.popleft(), pool)
    finally:
        pool.close()


def _ready(item: Item) -> bool:
    if not isinstance(item, PendingPage):
        return True
    return item.result is not None or (item.future is not None and item.future.done())


def _resolve(item: Item, pool: PagePool) -> ParsedArticle | RecordError:
    return pool.result(item) if isinstance(item, PendingPage) else item
