"""Keeping the index true to PostgreSQL: the change log, applied in order, and rebuilds.

Triggers on the articles, their tag and author links and the authors' names (migrations
0011, 0013 and 0016) write the id of every article whose indexed content changes into
`articles_search_change`, in the same transaction as the change, with that transaction's
id (`xid`). The indexer applies the
log: it re-reads the changed articles and replaces their documents. Reading and writing
happen in one REPEATABLE READ snapshot whose `xmin` (the oldest transaction still
running) is the *horizon*: every logged transaction older than it has ended, so every
change below it that committed is visible. Each commit of the index records its horizon
in the index itself (the META document, atomically with the documents), and the next
catch-up applies the log from there. Applying a change twice re-reads the same article,
so an interrupted indexer, a horizon read late or two catch-ups that overlap only
repeat work: the index always ends equal to the database.

One process writes at a time: a PostgreSQL advisory lock guards the writer (tantivy
takes a file lock as well). A process that finds it held leaves the work to the holder,
which looks at the log again after letting go, until nothing is applicable (`close`).
`ingest` holds it for a whole import and catches up after every batch; a web process
catches up right after a request that may have written (newsarchive/middleware.py);
`manage.py index` catches up once or follows the log; `manage.py reindex` rebuilds from
every article.

Each index records its horizon in `articles_search_follower` under SEARCH_INDEX_NAME, and
the log is pruned below the oldest horizon, so several indexes (one per web machine, each
following the log) can share one database.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from tantivy import IndexWriter, Query

from . import index as search_index
from .schema import META, ArticleRow, document, meta_document, schema

logger = logging.getLogger(__name__)

# The advisory lock's first key ("news"); the second is a hash of the index's name.
_LOCK_CLASS = 0x6E657773
# Articles read from PostgreSQL per round trip.
READ_CHUNK = 2_000
# How long a holder that lets go waits for older transactions to end, when changes committed
# after them are in the log but not yet below the horizon.
LOOK_AGAIN_WAIT = 5.0

_ROWS_SQL = """
    SELECT a.id, a.title, a.body, a.language, a.source_id, a.published_at, a.is_hidden,
           ARRAY(SELECT l.tag_id FROM articles_article_tags l WHERE l.article_id = a.id),
           ARRAY(SELECT l.author_id FROM articles_articleauthor l WHERE l.article_id = a.id),
           a.captured_at,
           ARRAY(SELECT au.name FROM articles_articleauthor l
                 JOIN articles_author au ON au.id = l.author_id
                 WHERE l.article_id = a.id ORDER BY l.position)
    FROM articles_article a
"""


@dataclass
class CatchUp:
    """What one catch-up did."""

    applied: int = 0  # articles re-indexed or removed
    horizon: int = 0
    rebuilt: bool = False
    locked_out: bool = False  # another process holds the writer


def _lock_key() -> int:
    return zlib.crc32(settings.SEARCH_INDEX_NAME.encode()) - (1 << 31)


def _try_lock(cursor: Any) -> bool:
    cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, _lock_key()])
    return bool(cursor.fetchone()[0])


def _lock(cursor: Any) -> None:
    cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_LOCK_CLASS, _lock_key()])


def _unlock(cursor: Any) -> None:
    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, _lock_key()])


class IndexSession:
    """The writer and its lock, for as long as a caller keeps catching up (an import).

    Usable without the lock: `catch_up` then only tries to take it, and when another
    process holds it leaves the work to that process.
    """

    def __init__(self, *, heap_mb: int = 200, threads: int = 1) -> None:
        self.heap_mb = heap_mb
        self.threads = threads
        self._writer: IndexWriter | None = None
        self._locked = False

    def __enter__(self) -> IndexSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def catch_up(self, *, rebuild: bool = True) -> CatchUp:
        """Apply the pending changes, if this process can have the writer.

        `rebuild`: build the whole index first when it is missing, of another version, or
        older than what the database says it applied (a restored copy).
        """
        if connection.in_atomic_block:
            # Uncommitted changes are not in the log yet; the caller's commit will be.
            return CatchUp(locked_out=True)
        if not self._locked:
            with connection.cursor() as cursor:
                self._locked = _try_lock(cursor)
            if not self._locked:
                return CatchUp(locked_out=True)
        return self._apply(rebuild=rebuild)

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> CatchUp:
        """Re-index every article (waits for the writer if another process holds it)."""
        if not self._locked:
            with connection.cursor() as cursor:
                _lock(cursor)
            self._locked = True
        return self._rebuild(progress)

    def close(self, *, look_again: bool = True) -> None:
        """Finish merging and let go of the writer and the lock; then look at the log again
        until it holds nothing this index could still apply.

        A process that finds the lock held leaves its change to the holder, and that includes
        a holder that is looking again: so every holder looks again after letting go, and
        goes on until nothing is applicable or another process holds the lock (which then
        looks). A change committed but above the horizon (an older transaction still runs,
        which may never catch up: an import's heartbeat, a cache write) is waited for, up to
        LOOK_AGAIN_WAIT seconds from the last look that applied something.
        """
        if not self._let_go() or not look_again or connection.in_atomic_block:
            return  # (inside a transaction a catch-up applies nothing: its commit will)
        deadline = time.monotonic() + LOOK_AGAIN_WAIT
        while _has_index():
            applicable, waiting = _log_state()
            if applicable:
                before = _index_horizon() or 0
                again = IndexSession(heap_mb=self.heap_mb, threads=self.threads)
                try:
                    result = again.catch_up(rebuild=False)
                finally:
                    again._let_go()
                if result.locked_out or result.horizon <= before:
                    return  # the holder looks again when it lets go; or nothing to gain
                deadline = time.monotonic() + LOOK_AGAIN_WAIT
            elif waiting and time.monotonic() < deadline:
                time.sleep(0.05)
            else:
                return

    def _let_go(self) -> bool:
        """Finish merging, drop the writer and unlock; whether this process held the lock."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.wait_merging_threads()
        if not self._locked:
            return False
        self._locked = False
        with connection.cursor() as cursor:
            _unlock(cursor)
        return True

    # -- applying ---------------------------------------------------------------------

    def _writer_ready(self) -> IndexWriter:
        if self._writer is None:
            self._writer = search_index.writer(heap_mb=self.heap_mb, threads=self.threads)
        return self._writer

    def _apply(self, *, rebuild: bool) -> CatchUp:
        if search_index.index_version_ok():
            search_index.refresh()  # the last holder's commit, even if not yet reloaded here
        recorded = _index_horizon()
        if recorded is None or recorded < _follower_horizon():
            if not rebuild:
                return CatchUp()
            return self._rebuild(None)
        horizon_before, generation = recorded, _index_generation()
        writer = self._writer_ready()
        with _snapshot() as (cursor, horizon):
            if horizon <= horizon_before:
                return CatchUp(horizon=horizon_before)
            cursor.execute(
                "SELECT DISTINCT article_id FROM articles_search_change "
                "WHERE xid >= %s::text::xid8 AND xid < %s::text::xid8",
                [str(horizon_before), str(horizon)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            for start in range(0, len(ids), READ_CHUNK):
                chunk = ids[start : start + READ_CHUNK]
                # By a query: the schema types the term (a bare Python int would be an i64
                # term, which matches nothing in this u64 field).
                writer.delete_documents_by_query(Query.term_set_query(schema(), "id", chunk))
                cursor.execute(_ROWS_SQL + " WHERE a.id = ANY(%s)", [chunk])
                for row in cursor.fetchall():
                    writer.add_document(document(_row(row)))
        self._commit(writer, horizon, generation + 1)
        return CatchUp(applied=len(ids), horizon=horizon)

    def _rebuild(self, progress: Callable[[int, int], None] | None) -> CatchUp:
        if not search_index.index_version_ok():
            if self._writer is not None:
                self._writer.rollback()
                self._writer = None
            search_index.discard_index()
        writer = self._writer_ready()
        writer.delete_all_documents()
        generation = (_index_generation() or 0) + 1
        count = 0
        with _snapshot() as (cursor, horizon):
            cursor.execute("SELECT count(*) FROM articles_article")
            total = int(cursor.fetchone()[0])
            for row in _stream(cursor, _ROWS_SQL + " ORDER BY a.id"):
                writer.add_document(document(_row(row)))
                count += 1
                if progress is not None and count % 1000 == 0:
                    progress(count, total)
        if progress is not None:
            progress(count, total)
        self._commit(writer, horizon, generation)
        return CatchUp(applied=count, horizon=horizon, rebuilt=True)

    def _commit(self, writer: IndexWriter, horizon: int, generation: int) -> None:
        writer.delete_documents_by_query(Query.term_query(schema(), "state", META))
        writer.add_document(meta_document(horizon, generation))
        writer.commit()
        search_index.refresh()
        _record_horizon(horizon)


class IndexThread:
    """An IndexSession in a thread of its own, with its own connection, for an import: the
    import goes on parsing and storing while the index applies and commits what was stored
    so far (a commit waits until every article since the last one is analysed, seconds
    for an import's batches)."""

    def __init__(self, *, heap_mb: int, threads: int) -> None:
        self._session = IndexSession(heap_mb=heap_mb, threads=threads)
        self._wanted = threading.Event()
        self._closing = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="index-catch-up", daemon=True)
        self._thread.start()

    def catch_up(self) -> None:
        """Ask for a catch-up and return at once (re-raises the thread's error, if any)."""
        self._raise()
        self._wanted.set()

    def close(self) -> None:
        """A last catch-up, then merge and let go (`IndexSession.close`); waits for them."""
        self._closing = True
        self._wanted.set()
        self._thread.join()
        self._raise()

    def _loop(self) -> None:
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                closing = self._closing
                self._session.catch_up()
                if closing:
                    break
        except BaseException as exc:
            self._error = exc
        finally:
            try:
                self._session.close()
            except BaseException as exc:
                self._error = self._error or exc
            finally:
                connection.close()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


def catch_up(*, rebuild: bool = False) -> CatchUp:
    """Apply the pending changes now, unless another process is (it then will)."""
    with IndexSession(heap_mb=50) as session:
        return session.catch_up(rebuild=rebuild)


def catch_up_quietly() -> None:
    """`catch_up` for a web request that just wrote: never fails the request."""
    try:
        catch_up()
    except Exception:
        logger.exception("search index catch-up failed; `manage.py index` will retry")


def rebuild(progress: Callable[[int, int], None] | None = None) -> CatchUp:
    """Re-index every article from PostgreSQL (`manage.py reindex`)."""
    with IndexSession(heap_mb=1000, threads=2) as session:
        return session.rebuild(progress)


# -- the log and the snapshot ---------------------------------------------------------------


@contextmanager
def _snapshot() -> Iterator[tuple[Any, int]]:
    """A REPEATABLE READ transaction, and its horizon (`_HORIZON_SQL`).

    Inside a caller's transaction (a rebuild in a test) it reads what that transaction sees.
    """
    outer = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if not outer:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute(_HORIZON_SQL)
        yield cursor, int(cursor.fetchone()[0])


# The horizon of the current snapshot: the oldest transaction it saw still running that may
# belong to this database, else the snapshot's end (xmax). Every transaction below it has
# ended, so every change logged below it that committed is visible, and no other can still
# appear. The snapshot's own xmin would do, but it counts every database of the server: a
# long transaction in another database would hold this index back for its whole length.
# A running transaction is known to be another database's when pg_stat_activity says so
# (its backend's top-level xid, the low 32 bits of an xid8); one it cannot place (a role
# without the right to see it, a subtransaction, one that ended meanwhile) holds it back.
_HORIZON_SQL = """
SELECT coalesce(
    (SELECT min(x::text::numeric) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
     WHERE NOT EXISTS (
         SELECT 1 FROM pg_stat_activity a
         WHERE a.datname IS DISTINCT FROM current_database()
           AND a.backend_xid IS NOT NULL
           AND a.backend_xid::text::numeric = mod(x::text::numeric, 4294967296))),
    pg_snapshot_xmax(pg_current_snapshot())::text::numeric
)::bigint
"""


def _stream(cursor: Any, sql: str) -> Iterator[tuple[Any, ...]]:
    """Rows of `sql`, READ_CHUNK at a time, from a server-side cursor in the open
    transaction (the archive is never held in memory)."""
    with cursor.connection.cursor(name="articles_reindex") as rows:
        rows.itersize = READ_CHUNK
        rows.execute(sql)
        yield from rows


def _row(row: Iterable[Any]) -> ArticleRow:
    (
        pk,
        title,
        body,
        language,
        source_id,
        published_at,
        is_hidden,
        tag_ids,
        author_ids,
        captured,
        author_names,
    ) = row
    return ArticleRow(
        id=pk,
        title=title,
        body=body or "",
        language=language or "",
        source_id=source_id,
        published_at=published_at,
        is_hidden=is_hidden,
        tag_ids=tuple(tag_ids or ()),
        author_ids=tuple(author_ids or ()),
        author_names=tuple(author_names or ()),
        captured_at=captured,
    )


def applicable_changes() -> bool:
    """Whether the log holds changes this index has not applied that a catch-up could apply
    now (committed below the current horizon)."""
    return _log_state()[0]


def _log_state() -> tuple[bool, bool]:
    """(applicable, waiting): whether the log holds changes this index has not applied that
    are below the current horizon, and whether it holds committed ones at or above it (an
    older transaction still runs). Rows this statement sees are committed ones."""
    horizon = _index_horizon() or 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH h AS (SELECT ({_HORIZON_SQL})::text::xid8 AS horizon) "  # noqa: S608
            "SELECT EXISTS (SELECT 1 FROM articles_search_change, h "
            "               WHERE xid >= %s::text::xid8 AND xid < h.horizon), "
            "       EXISTS (SELECT 1 FROM articles_search_change, h WHERE xid >= h.horizon)",
            [str(horizon)],
        )
        applicable, waiting = cursor.fetchone()
    return bool(applicable), bool(waiting)


def pending_changes() -> int:
    """Logged changes this index has not applied (committed or not)."""
    horizon = _index_horizon() or 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM articles_search_change WHERE xid >= %s::text::xid8",
            [str(horizon)],
        )
        return int(cursor.fetchone()[0])


def forget(name: str) -> bool:
    """Stop keeping the log for the index called `name` (a machine that is gone)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM articles_search_follower WHERE name = %s", [name])
        return bool(cursor.rowcount)


def followers() -> list[tuple[str, int, Any]]:
    """(name, horizon, last catch-up) of every index following the log."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, horizon::text::bigint, updated_at FROM articles_search_follower "
            "ORDER BY name"
        )
        return [(name, int(h), at) for name, h, at in cursor.fetchall()]


def _record_horizon(horizon: int) -> None:
    """Say how far this index got, and prune the log below every index's horizon."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO articles_search_follower (name, horizon, updated_at) "
            "VALUES (%s, %s::text::xid8, now()) ON CONFLICT (name) DO UPDATE "
            "SET horizon = excluded.horizon, updated_at = excluded.updated_at",
            [settings.SEARCH_INDEX_NAME, str(horizon)],
        )
        cursor.execute(
            "DELETE FROM articles_search_change WHERE xid < "
            "(SELECT min(horizon) FROM articles_search_follower)"
        )


def _follower_horizon() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT horizon::text::bigint FROM articles_search_follower WHERE name = %s",
            [settings.SEARCH_INDEX_NAME],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _has_index() -> bool:
    return search_index.index_version_ok()


def _index_meta() -> tuple[int, int] | None:
    if not search_index.index_version_ok():
        return None
    try:
        return search_index.meta(search_index.searcher())
    except search_index.SearchUnavailable:
        return None


def _index_horizon() -> int | None:
    meta = _index_meta()
    return meta[0] if meta else None


def _index_generation() -> int:
    meta = _index_meta()
    return meta[1] if meta else 0


def follow(interval: float = 1.0, *, stop: Callable[[], bool] = lambda: False) -> None:
    """Catch up every `interval` seconds until `stop()` (`manage.py index --follow`)."""
    while not stop():
        result = catch_up(rebuild=True)
        if result.applied:
            logger.info("applied %d changes (horizon %d)", result.applied, result.horizon)
        time.sleep(interval)
