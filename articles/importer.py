"""Writes parsed articles to PostgreSQL in batches, and records each run as an `ImportRun`.

The parser (`articles.ingest`) turns dumps into `ParsedArticle` and `RecordError`
values; this module stores them. Each batch is one transaction of a few multi-row
statements. Articles go in with `INSERT ... ON CONFLICT DO NOTHING RETURNING`, so a
duplicate (same URL or same fingerprint, both unique in the table) is skipped by the
database itself: atomically, and correctly even when two imports overlap. A crash or
Ctrl-C therefore leaves whole batches only, and rerunning the import completes it.
Sources, tags and authors are matched case-insensitively and created race-safely the same
way; authors are linked in byline order.

Plain functions and one small class, so the command, the admin and tests can all use it.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, BinaryIO, TextIO

from django.contrib.postgres.expressions import ArraySubquery
from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.db.models import F, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from .ingest import ReadProgress, iter_records
from .ingest.fingerprint import fingerprint
from .ingest.records import ERROR, SKIPPED, WARNING, ParsedArticle, ParseOptions, RecordError
from .models import (
    Article,
    ArticleAuthor,
    Author,
    ImportRun,
    Source,
    SourceAlias,
    Tag,
    base_slug,
    unique_slug,
)
from .sanitize import strip_controls
from .search.indexer import IndexSession

DEFAULT_BATCH_SIZE = 1000
# The ImportRun row keeps this many errors; `failed` keeps the full count.
MAX_RECORDED_ERRORS = 1000
# ...and this many examples of each code of warning or skipped record, beside their counts.
REPORT_EXAMPLES = 20
# The run's heartbeat (ImportRun.heartbeat_at) is written at most this often (seconds), with
# a batch's counts or on its own while parsing finds no article to store.
HEARTBEAT_INTERVAL = 5.0
MAX_URL_LENGTH = 2000  # Article.url is varchar(2000)
MAX_SOURCE_NAME = 200
MAX_TAG_NAME = 100
MAX_AUTHOR_NAME = 120
MAX_TITLE_SLUG = 120
MAX_SLUG = 100  # of a source, tag or author the importer creates
# Writer threads, each with its own connection, store batches while this process parses
# the next one.
DEFAULT_WORKERS = 2
# The per-connection temp table each batch is copied into.
_BATCH_TABLE = "ingest_batch"
# How many times a batch is retried when PostgreSQL breaks a deadlock between two imports.
DEADLOCK_RETRIES = 5
# The search index applies the change log (articles/search/indexer.py) after a batch at
# most this often (seconds), and once more when the import ends. Each catch-up is a commit
# of the index, which readers then load, and each commit's segment is merged into larger
# ones later: committing every second cost 26 % more of the importing process's CPU than
# committing at the end, every 5 seconds about 10 % (10,000 bench articles).
INDEX_INTERVAL = 5.0

# The models whose rows the importer finds or creates by name.
_Named = type[Source] | type[Tag] | type[Author]

ErrorCallback = Callable[[RecordError, bool], None]  # (record, is it a warning or skip)
ProgressCallback = Callable[["ImportStats"], None]


@dataclass
class ImportStats:
    """What a run has done so far."""

    read: int = 0  # records parsed so far (articles and errors); some may await writing
    created: int = 0
    duplicates: int = 0
    failed: int = 0
    warnings: int = 0
    skipped: int = 0
    # Warnings and skipped records by (kind, code), for the summary.
    notes: Counter[tuple[str, str]] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    status: str = ImportRun.Status.RUNNING

    @property
    def articles(self) -> int:
        """Articles read and handled (stored or recognised as duplicates)."""
        return self.created + self.duplicates

    @property
    def elapsed(self) -> float:
        end = self.finished if self.finished is not None else time.monotonic()
        return max(end - self.started, 1e-9)

    @property
    def rate(self) -> float:
        return self.articles / self.elapsed

    def summary(self, *, dry_run: bool = False) -> str:
        created = "would create" if dry_run else "created"
        text = (
            f"{created} {self.created:,}, duplicates {self.duplicates:,}, failed {self.failed:,}"
            f", in {self.elapsed:.1f} s ({self.rate:,.0f} articles/s)"
        )
        plural = "s" if self.warnings != 1 else ""
        for kind, label in (
            (WARNING, f"{self.warnings:,} warning{plural}"),
            (SKIPPED, f"{self.skipped:,} skipped"),
        ):
            codes = sorted(
                ((n, code) for (k, code), n in self.notes.items() if k == kind),
                key=lambda item: (-item[0], item[1]),
            )
            if codes:
                detail = ", ".join(f"{n:,} {code or 'other'}" for n, code in codes)
                text += f"; {label} ({detail})"
        return text


def known_source_names() -> frozenset[str]:
    """Every source name and alias the archive knows, for the parser to spot in bodies."""
    names = set(Source.objects.values_list("name", flat=True))
    names.update(SourceAlias.objects.values_list("name", flat=True))
    return frozenset(names)


def start_run(paths: Sequence[str], options: dict[str, Any], *, dry_run: bool) -> ImportRun:
    """Record a new run; first, runs whose process died are marked interrupted."""
    ImportRun.objects.mark_stalled()
    return ImportRun.objects.create(
        paths=list(paths), options=options, dry_run=dry_run, heartbeat_at=timezone.now()
    )


def import_paths(
    paths: Sequence[str],
    options: ParseOptions,
    *,
    run: ImportRun | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    workers: int = DEFAULT_WORKERS,
    stdin: BinaryIO | None = None,
    on_error: ErrorCallback | None = None,
    on_progress: ProgressCallback | None = None,
    read_progress: ReadProgress | None = None,
) -> Importer:
    """Parse `paths` and store their articles; returns the finished Importer (run + stats).
    `read_progress` follows the bytes read, for a progress bar."""
    if not options.known_sources:
        options = _with_known_sources(options)
    # Raises ValueError for options that make no sense, before a run is recorded.
    records = iter_records(paths, options, stdin=stdin, progress=read_progress)
    if run is None:
        run = start_run(paths, parse_options_as_dict(options), dry_run=dry_run)
    importer = Importer(
        run,
        batch_size=batch_size,
        dry_run=dry_run,
        source=options.source,
        tags=options.tags,
        workers=workers,
        on_error=on_error,
        on_progress=on_progress,
    )
    importer.run(records)
    return importer


def parse_options_as_dict(options: ParseOptions) -> dict[str, Any]:
    """The user's options, as recorded on the ImportRun."""
    return {
        "source": options.source,
        "tags": list(options.tags),
        "reference_time": options.reference_time.isoformat() if options.reference_time else None,
        "timezone": options.timezone,
        "format": options.format,
        "date_order": options.date_order,
        "tag_from_folder": options.tag_from_folder,
    }


def _with_known_sources(options: ParseOptions) -> ParseOptions:
    return replace(options, known_sources=known_source_names())


@dataclass
class _Row:
    """One article ready for the INSERT."""

    title: str
    slug: str
    body: str
    source: str | None
    published_at: datetime | None
    url: str | None
    language: str
    fingerprint: str
    tags: tuple[str, ...]
    authors: tuple[str, ...]
    captured_at: datetime | None
    origin: str
    line: int | None


class Importer:
    """Buffers records and writes them a batch at a time, keeping the ImportRun up to date.

    With `workers` > 0, batches are written by that many threads (each with its own
    connection) while the caller goes on parsing; with 0 they are written in the
    caller's thread and connection (for callers already inside a transaction).
    """

    def __init__(
        self,
        run: ImportRun,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        dry_run: bool = False,
        source: str | None = None,
        tags: Iterable[str] = (),
        workers: int = 0,
        on_error: ErrorCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be 1 or more")
        self.run_row = run
        self.batch_size = batch_size
        self.dry_run = dry_run
        self.forced_source = _clean_name(source, MAX_SOURCE_NAME) if source else None
        self.extra_tags = tuple(t for t in (_clean_name(t, MAX_TAG_NAME) for t in tags) if t)
        self.on_error = on_error
        self.on_progress = on_progress
        self.stats = ImportStats()
        self.errors: list[dict[str, Any]] = []
        # Warnings and skipped records: {kind: {code: {"count": n, "examples": [...]}}}.
        self.report: dict[str, dict[str, dict[str, Any]]] = {}
        self._beat_at = time.monotonic()  # when the heartbeat was last written
        self._pending: list[_Row] = []
        self._lock = threading.Lock()
        # Committed ids, keyed by the name exactly as dumps spell it.
        self._source_ids: dict[str, int] = {}
        self._tag_ids: dict[str, int] = {}
        self._author_ids: dict[str, int] = {}
        # A dry run writes nothing, so it remembers what it would have stored.
        self._seen_fingerprints: set[str] = set()
        self._seen_urls: set[str] = set()
        self._workers = 0 if dry_run else workers
        self._queue: queue.Queue[list[_Row] | None] = queue.Queue(maxsize=max(self._workers, 1))
        self._writers: list[threading.Thread] = []
        self._writer_error: BaseException | None = None
        self._errors_changed = False
        self._lz4: bool | None = None  # does the server offer lz4 TOAST compression?
        self._index: IndexSession | None = None
        self._indexed_at = 0.0  # when the index last caught up

    # -- the loop ----------------------------------------------------------------------

    def run(self, records: Iterable[ParsedArticle | RecordError]) -> ImportStats:
        """Store every record; marks the run finished, interrupted (Ctrl-C) or crashed."""
        try:
            try:
                if not self.dry_run:
                    # Two indexing threads: the index's analysis is most of an article's CPU.
                    self._index = IndexSession(heap_mb=400, threads=2)
                for item in records:
                    self.add(item)
                self.flush()
            finally:
                # Batches already handed to a writer are whole transactions: let them end.
                self._drain()
                self._close_index()
        except KeyboardInterrupt:
            self._finish(ImportRun.Status.INTERRUPTED)
            return self.stats
        except BaseException:
            self._finish(ImportRun.Status.CRASHED)
            raise
        self._finish(ImportRun.Status.FINISHED)
        return self.stats

    def add(self, item: ParsedArticle | RecordError) -> None:
        self.stats.read += 1
        if isinstance(item, RecordError):
            self._record_error(item, warning=item.kind != ERROR)
            if self.stats.read % 100 == 0:
                self._save_progress()  # a long stretch of records that are no articles
            return
        for warning in item.warnings:
            self._record_error(warning, warning=True)
        row = self._prepare(item)
        if row is not None:
            self._pending.append(row)
            if len(self._pending) >= self.batch_size:
                self.flush()

    def flush(self) -> None:
        """Write (or hand to a writer) the pending batch, and report progress."""
        rows, self._pending = self._pending, []
        if rows:
            if self.dry_run:
                self._count_dry_run(rows)
            elif self._workers:
                self._submit(rows)
            else:
                self._write_rows(rows)
        # A new failure is on the run at once (the admin's view of a long run stays current);
        # the writers count the articles.
        self._save_progress(report=self._errors_changed and not self.dry_run)
        self._catch_up()
        if self.on_progress is not None:
            self.on_progress(self.stats)

    def _save_progress(self, *, report: bool = False) -> None:
        """Write the heartbeat (at most every HEARTBEAT_INTERVAL seconds: it shows that
        the run's process is alive) with the failures and report so far, or those now."""
        if not report and time.monotonic() - self._beat_at < HEARTBEAT_INTERVAL:
            return
        fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
        with self._lock:
            self._beat_at = time.monotonic()
            if self._errors_changed:
                self._errors_changed = False
                fields.update(self._report_fields())
        ImportRun.objects.filter(pk=self.run_row.pk).update(**fields)

    def _report_fields(self) -> dict[str, Any]:
        """The run's failures and report as they are now (copies: writers add to them)."""
        return {
            "failed": self.stats.failed,
            "warnings": self.stats.warnings,
            "skipped": self.stats.skipped,
            "errors": list(self.errors),
            "report": {
                kind: {
                    code: {"count": entry["count"], "examples": list(entry["examples"])}
                    for code, entry in codes.items()
                }
                for kind, codes in self.report.items()
            },
        }

    def _catch_up(self, *, final: bool = False) -> None:
        """Let the search index apply the batches committed so far (at most every
        INDEX_INTERVAL seconds, and at the end)."""
        if self._index is None:
            return
        now = time.monotonic()
        if final or now - self._indexed_at >= INDEX_INTERVAL:
            self._indexed_at = now
            self._index.catch_up()

    def _close_index(self) -> None:
        """The last catch-up, then merge and let go of the index's writer."""
        index, self._index = self._index, None
        if index is None:
            return
        try:
            self._index = index
            self._catch_up(final=True)
            if not self.dry_run:
                # Closing merges the index's segments: the run is alive meanwhile.
                with contextlib.suppress(DatabaseError):
                    self._save_progress()
        finally:
            self._index = None
            index.close()

    def _submit(self, rows: list[_Row]) -> None:
        if self._writer_error is not None:
            raise self._writer_error
        if not self._writers:
            for n in range(self._workers):
                # Daemons: if the process is killed mid-batch, the server rolls that batch back.
                thread = threading.Thread(
                    target=self._writer_loop, name=f"ingest-writer-{n}", daemon=True
                )
                thread.start()
                self._writers.append(thread)
        # Blocks while every writer is busy and one batch waits: parsing never runs far ahead.
        self._queue.put(rows)

    def _writer_loop(self) -> None:
        """A writer thread: its own connection, one batch (one transaction) at a time."""
        try:
            while (rows := self._queue.get()) is not None:
                if self._writer_error is None:
                    try:
                        self._write_rows(rows)
                    except BaseException as exc:
                        self._writer_error = exc
        finally:
            connection.close()

    def _drain(self) -> None:
        """Let the writers finish what they were given; re-raise the first writer's error."""
        for _ in self._writers:
            self._queue.put(None)
        for thread in self._writers:
            thread.join()
        self._writers = []
        if self._writer_error is not None:
            raise self._writer_error

    # -- preparing a record -----------------------------------------------------------

    def _prepare(self, article: ParsedArticle) -> _Row | None:
        title = _clean_text(article.title).strip()
        body = _clean_text(article.body, multiline=True)
        if not title:
            self._record_error(RecordError(article.origin, "article has no title", article.line))
            return None
        url = _clean_text(article.url).strip() if article.url else None
        if url and len(url) > MAX_URL_LENGTH:
            self._record_error(
                RecordError(
                    article.origin,
                    f"URL longer than {MAX_URL_LENGTH:,} characters not stored",
                    article.line,
                    WARNING,
                    "url-dropped",
                ),
                warning=True,
            )
            url = None
        published_at = _aware(article.published_at)
        source = self.forced_source or _clean_name(article.source, MAX_SOURCE_NAME)
        tags = _unique_names([*article.tags, *self.extra_tags])
        language = article.language.strip().lower()
        return _Row(
            title=title,
            slug=slugify(title, allow_unicode=True)[:MAX_TITLE_SLUG].strip("-") or "article",
            body=body,
            source=source,
            published_at=published_at,
            url=url or None,
            language=language if len(language) <= 3 else "",
            fingerprint=fingerprint(title, body),
            tags=tags,
            authors=_unique_names(article.authors, MAX_AUTHOR_NAME),
            captured_at=_aware(article.captured_at),
            origin=article.origin,
            line=article.line,
        )

    # -- writing ----------------------------------------------------------------------

    def _write_rows(self, rows: list[_Row]) -> None:
        try:
            self._write_batch_retrying(rows)
        except (DataError, IntegrityError):
            # Something in the batch PostgreSQL refuses: store the others, report that one.
            for row in rows:
                try:
                    self._write_batch_retrying([row])
                except (DataError, IntegrityError) as exc:
                    lines = str(exc).strip().splitlines()
                    reason = lines[0] if lines else type(exc).__name__
                    self._record_error(
                        RecordError(row.origin, f"could not be stored: {reason}", row.line)
                    )

    def _write_batch_retrying(self, rows: list[_Row]) -> None:
        for attempt in range(DEADLOCK_RETRIES):
            try:
                self._write_batch(rows)
                return
            except DatabaseError as exc:
                if not _is_deadlock(exc) or attempt == DEADLOCK_RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _write_batch(self, rows: list[_Row]) -> None:
        """Sources, tags and authors first, committed at once; then one transaction for the
        articles, their tag and author links and the run's counts.

        A source, tag or author created by one writer's open transaction makes the other writer
        wait on it (the unique index on lower(name)); committing them at once keeps those
        waits short, where inside the article transaction they serialised the two writers
        for the whole batch. A batch that then fails leaves its new sources or tags behind,
        unused; rerunning the import uses them.
        """
        with transaction.atomic(), connection.cursor() as cursor:
            new_rows = self._new_rows(cursor, rows)
            # A fixed order (sources and tags by name, articles by fingerprint) so two
            # imports that overlap take their locks in the same order and rarely deadlock.
            new_rows.sort(key=lambda r: r.fingerprint)
            source_ids = self._resolve_sources(cursor, {r.source for r in new_rows if r.source})
            tag_ids = self._resolve_tags(cursor, {t for r in new_rows for t in r.tags})
            author_ids = self._resolve_authors(cursor, {a for r in new_rows for a in r.authors})
        with transaction.atomic(), connection.cursor() as cursor:
            inserted = self._insert_articles(cursor, new_rows, source_ids) if new_rows else {}
            links = [
                (inserted[r.fingerprint], tag_ids[t])
                for r in new_rows
                if r.fingerprint in inserted
                for t in r.tags
            ]
            if links:
                through = Article.tags.through._meta.db_table
                cursor.execute(
                    f"""
                    INSERT INTO {through} (article_id, tag_id)
                    SELECT * FROM unnest(%s::bigint[], %s::bigint[])
                    ON CONFLICT DO NOTHING
                    """,  # noqa: S608 -- table names come from the models
                    [[a for a, _ in links], [t for _, t in links]],
                )
            bylines = [
                (inserted[r.fingerprint], author_ids[name], position)
                for r in new_rows
                if r.fingerprint in inserted
                for position, name in enumerate(r.authors)
            ]
            if bylines:
                cursor.execute(
                    f"""
                    INSERT INTO {ArticleAuthor._meta.db_table} (article_id, author_id, position)
                    SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::smallint[])
                    ON CONFLICT DO NOTHING
                    """,  # noqa: S608 -- table names come from the models
                    [[b[0] for b in bylines], [b[1] for b in bylines], [b[2] for b in bylines]],
                )
            created, duplicates = len(inserted), len(rows) - len(inserted)
            # Increments, in the batch's own transaction: the run's counts always match
            # the articles actually committed, whichever writer commits first. The same
            # statement is the heartbeat.
            ImportRun.objects.filter(pk=self.run_row.pk).update(
                created=F("created") + created,
                duplicates=F("duplicates") + duplicates,
                heartbeat_at=timezone.now(),
            )
        with self._lock:
            self._beat_at = time.monotonic()
            self.stats.created += created
            self.stats.duplicates += duplicates
            self._source_ids.update(source_ids)
            self._tag_ids.update(tag_ids)
            self._author_ids.update(author_ids)

    def _new_rows(self, cursor: Any, rows: list[_Row]) -> list[_Row]:
        """The rows that are neither repeated in the batch nor already stored.

        Checked first so a re-run of a big import writes nothing at all (ON CONFLICT still
        toasts and compresses each body before it skips it); the INSERT still skips what a
        concurrent run just added.
        """
        seen_fp, seen_url = _stored_keys(cursor, rows)
        new = []
        for row in rows:
            if row.fingerprint in seen_fp or (row.url and row.url in seen_url):
                continue
            seen_fp.add(row.fingerprint)
            if row.url:
                seen_url.add(row.url)
            new.append(row)
        return new

    def _insert_articles(
        self, cursor: Any, rows: list[_Row], source_ids: dict[str, int]
    ) -> dict[str, int]:
        """COPY the rows into a session temp table, then one INSERT ... ON CONFLICT DO NOTHING.

        Returns {fingerprint: id} of the rows stored. COPY costs the client a fraction of
        what binding a thousand bodies as parameters does, which leaves the CPU to the parser.
        """
        # Created once per connection. Its text is stored uncompressed: it is read once
        # (and compressed once, into the article row), so compressing it here is waste.
        cursor.execute(
            f"""
            DO $$ BEGIN
                IF to_regclass('pg_temp.{_BATCH_TABLE}') IS NULL THEN
                    CREATE TEMP TABLE {_BATCH_TABLE} (
                        title text, slug text, body text, source_id bigint,
                        published_at timestamptz, url text, language text, fingerprint text,
                        captured_at timestamptz
                    ) ON COMMIT DELETE ROWS;
                    ALTER TABLE {_BATCH_TABLE} ALTER COLUMN title SET STORAGE EXTERNAL,
                        ALTER COLUMN body SET STORAGE EXTERNAL;
                END IF;
            END $$
            """
        )
        if self._has_lz4(cursor):
            # lz4 compresses the stored bodies several times faster than pglz.
            cursor.execute("SET LOCAL default_toast_compression = 'lz4'")
        with cursor.cursor.copy(f"COPY {_BATCH_TABLE} FROM STDIN") as copy:
            for r in rows:
                copy.write_row(
                    (
                        r.title,
                        r.slug,
                        r.body,
                        source_ids[r.source] if r.source else None,
                        r.published_at,
                        r.url,
                        r.language,
                        r.fingerprint,
                        r.captured_at,
                    )
                )
        cursor.execute(
            f"""
            INSERT INTO {Article._meta.db_table}
                (title, slug, body, source_id, published_at, url, language, fingerprint,
                 captured_at, import_fingerprint, is_hidden, import_run_id, created_at, updated_at)
            SELECT title, slug, body, source_id, published_at, url, language, fingerprint,
                   captured_at, fingerprint, false, %s, now(), now()
            FROM {_BATCH_TABLE}
            ON CONFLICT DO NOTHING
            RETURNING fingerprint, id
            """,  # noqa: S608 -- table names come from the models
            [self.run_row.pk],
        )
        return dict(cursor.fetchall())

    def _has_lz4(self, cursor: Any) -> bool:
        if self._lz4 is None:
            cursor.execute(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                "WHERE name = 'default_toast_compression'"
            )
            row = cursor.fetchone()
            self._lz4 = bool(row and row[0])
        return self._lz4

    def _resolve_sources(self, cursor: Any, names: set[str]) -> dict[str, int]:
        """Ids of sources by name, alias or domain (any case); creates the missing ones."""
        ids = {n: self._source_ids[n] for n in names if n in self._source_ids}
        missing = sorted(names - ids.keys())
        if not missing:
            return ids
        source_table = Source._meta.db_table
        alias_table = SourceAlias._meta.db_table
        # Name first, then alias, then domain: the first match of each name wins.
        cursor.execute(
            f"""
            SELECT n, s.id, 1 FROM unnest(%s::text[]) n
                JOIN {source_table} s ON lower(s.name) = lower(n)
            UNION ALL
            SELECT n, a.source_id, 2 FROM unnest(%s::text[]) n
                JOIN {alias_table} a ON lower(a.name) = lower(n)
            UNION ALL
            SELECT n, s.id, 3 FROM unnest(%s::text[]) n
                JOIN {source_table} s ON s.domain <> '' AND lower(s.domain) = lower(n)
            ORDER BY 3
            """,  # noqa: S608
            [missing, missing, missing],
        )
        for name, pk, _ in cursor.fetchall():
            ids.setdefault(name, pk)
        return self._create_missing(cursor, Source, missing, ids)

    def _resolve_tags(self, cursor: Any, names: set[str]) -> dict[str, int]:
        ids = {n: self._tag_ids[n] for n in names if n in self._tag_ids}
        missing = sorted(names - ids.keys())
        if not missing:
            return ids
        cursor.execute(
            f"""
            SELECT n, t.id FROM unnest(%s::text[]) n
                JOIN {Tag._meta.db_table} t ON lower(t.name) = lower(n)
            """,  # noqa: S608
            [missing],
        )
        ids.update(cursor.fetchall())
        return self._create_missing(cursor, Tag, missing, ids)

    def _resolve_authors(self, cursor: Any, names: set[str]) -> dict[str, int]:
        """Ids of authors by name (any case); creates the missing ones."""
        ids = {n: self._author_ids[n] for n in names if n in self._author_ids}
        missing = sorted(names - ids.keys())
        if not missing:
            return ids
        cursor.execute(
            f"""
            SELECT n, p.id FROM unnest(%s::text[]) n
                JOIN {Author._meta.db_table} p ON lower(p.name) = lower(n)
            """,  # noqa: S608
            [missing],
        )
        ids.update(cursor.fetchall())
        return self._create_missing(cursor, Author, missing, ids)

    @classmethod
    def _create_missing(
        cls, cursor: Any, model: _Named, names: list[str], ids: dict[str, int]
    ) -> dict[str, int]:
        """Create the named sources, tags or authors not in `ids`; returns `ids` with all of
        them.

        A new archive meets hundreds of sources and thousands of tags in its first batches:
        they go in with one INSERT. A name whose slug is taken (or shared in the batch), or
        that another import creates at the same moment, is left to `_create`, one by one.
        """
        rows = []  # (name, slug, domain)
        for name in names:
            if name not in ids:
                domain = _source_domain(name) if model is Source else ""
                slug = base_slug(name.replace(".", " ") if domain else name, max_length=MAX_SLUG)
                rows.append((name, slug, domain))
        if not rows:
            return ids
        table = model._meta.db_table
        cursor.execute(
            f"SELECT slug FROM {table} WHERE slug = ANY(%s)",  # noqa: S608
            [[slug for _, slug, _ in rows]],
        )
        taken = {slug for (slug,) in cursor.fetchall()}
        free = []  # the first name (in sorted order) of each free slug
        for row in sorted(rows):
            if row[1] not in taken:
                taken.add(row[1])
                free.append(row)
        if free:
            # ON CONFLICT skips a name (any case) or slug another import has just added.
            columns = "name, slug, homepage, domain" if model is Source else "name, slug"
            values = "n, s, '', d" if model is Source else "n, s"
            cursor.execute(
                f"""
                INSERT INTO {table} ({columns})
                SELECT {values} FROM unnest(%s::text[], %s::text[], %s::text[]) AS u(n, s, d)
                ON CONFLICT DO NOTHING
                RETURNING name, id
                """,  # noqa: S608 -- table and column names come from the code
                [[r[0] for r in free], [r[1] for r in free], [r[2] for r in free]],
            )
            ids.update(cursor.fetchall())
        # Another spelling of a name just inserted ("politics" after "Politics") is that row;
        # ASCII only, where Python's lower() agrees with PostgreSQL's (outside a Turkish locale).
        by_lower = {name.lower(): ids[name] for name, _, _ in free if name in ids}
        for name, _, _ in rows:
            if name not in ids:
                known = by_lower.get(name.lower()) if name.isascii() else None
                ids[name] = known if known is not None else cls._create(cursor, model, name)
        return ids

    @staticmethod
    def _create(cursor: Any, model: _Named, name: str) -> int:
        """Insert a source, tag or author, or find the row another import just committed.

        The unique index on lower(name) decides races: ON CONFLICT waits for the other
        transaction and then skips, and the SELECT sees its committed row. A clash on
        the slug alone (another name, same slug) retries with the next free slug.
        """
        table = model._meta.db_table
        is_source = model is Source
        # Domains make better slugs with their dots as hyphens: bbc-co-uk, not bbccouk.
        domain = _source_domain(name) if is_source else ""
        slug_text = name.replace(".", " ") if domain else name
        for _ in range(50):
            slug = unique_slug(model, slug_text, max_length=MAX_SLUG)
            if is_source:
                cursor.execute(
                    f"INSERT INTO {table} (name, slug, homepage, domain) VALUES (%s, %s, '', %s) "  # noqa: S608
                    "ON CONFLICT DO NOTHING RETURNING id",
                    [name, slug, domain],
                )
            else:
                cursor.execute(
                    f"INSERT INTO {table} (name, slug) VALUES (%s, %s) "  # noqa: S608
                    "ON CONFLICT DO NOTHING RETURNING id",
                    [name, slug],
                )
            row = cursor.fetchone()
            if row is None:
                cursor.execute(
                    f"SELECT id FROM {table} WHERE lower(name) = lower(%s)",  # noqa: S608
                    [name],
                )
                row = cursor.fetchone()
            if row is not None:
                return int(row[0])
        raise IntegrityError(f"no free slug for {model.__name__} {name!r}")

    # -- dry run ----------------------------------------------------------------------

    def _count_dry_run(self, rows: list[_Row]) -> None:
        """Count what a real run would create, reading the archive and writing nothing."""
        with connection.cursor() as cursor:
            stored_fps, stored_urls = _stored_keys(cursor, rows)
        for row in rows:
            if (
                row.fingerprint in stored_fps
                or row.fingerprint in self._seen_fingerprints
                or (row.url and (row.url in stored_urls or row.url in self._seen_urls))
            ):
                self.stats.duplicates += 1
                continue
            self.stats.created += 1
            self._seen_fingerprints.add(row.fingerprint)
            if row.url:
                self._seen_urls.add(row.url)

    # -- bookkeeping ------------------------------------------------------------------

    def _record_error(self, error: RecordError, *, warning: bool = False) -> None:
        """Count a record's problem by kind: errors fail it; warnings and skips are noted."""
        kind = WARNING if warning and error.kind == ERROR else error.kind
        with self._lock:
            self._errors_changed = True
            if kind == ERROR:
                self.stats.failed += 1
                if len(self.errors) < MAX_RECORDED_ERRORS:
                    self.errors.append(
                        {
                            "path": error.origin,
                            "line": error.line,
                            "message": error.message,
                            "kind": kind,
                            "code": error.code,
                        }
                    )
            else:
                if kind == WARNING:
                    self.stats.warnings += 1
                else:
                    self.stats.skipped += 1
                self.stats.notes[(kind, error.code)] += 1
                entry = self.report.setdefault(kind, {}).setdefault(
                    error.code, {"count": 0, "examples": []}
                )
                entry["count"] += 1
                if len(entry["examples"]) < REPORT_EXAMPLES:
                    entry["examples"].append(
                        {"path": error.origin, "line": error.line, "message": error.message}
                    )
        if self.on_error is not None:
            self.on_error(error, warning)

    def _finish(self, status: str) -> None:
        """Record the outcome; the writers have already counted what they committed."""
        self.stats.finished = time.monotonic()
        self.stats.status = status
        fields: dict[str, Any] = {
            "status": status,
            "finished_at": timezone.now(),
            "heartbeat_at": timezone.now(),
            **self._report_fields(),
        }
        if self.dry_run:
            fields.update(created=self.stats.created, duplicates=self.stats.duplicates)
        for attempt in range(2):
            try:
                ImportRun.objects.filter(pk=self.run_row.pk).update(**fields)
                self.run_row.refresh_from_db()
                return
            except DatabaseError:
                # Interrupted mid-query, the connection may be unusable: retry on a new one.
                if attempt:
                    return
                connection.close()


def _stored_keys(cursor: Any, rows: list[_Row]) -> tuple[set[str], set[str]]:
    """The fingerprints and URLs of `rows` the archive already holds.

    An article matches by the fingerprint it was imported with (which a curator's edit of
    its title or body leaves alone), by its current fingerprint, or by URL.
    """
    fps = [r.fingerprint for r in rows]
    cursor.execute(
        f"SELECT fingerprint, import_fingerprint, url FROM {Article._meta.db_table} "  # noqa: S608
        "WHERE import_fingerprint = ANY(%s) OR fingerprint = ANY(%s) OR url = ANY(%s)",
        [fps, fps, [r.url for r in rows if r.url]],
    )
    stored_fps: set[str] = set()
    stored_urls: set[str] = set()
    for fp, import_fp, url in cursor.fetchall():
        stored_fps.update(f for f in (fp, import_fp) if f)
        if url:
            stored_urls.add(url)
    return stored_fps, stored_urls


def _is_deadlock(exc: BaseException) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "40P01"


def _clean_text(text: str | None, *, multiline: bool = False) -> str:
    """The last guard before PostgreSQL: no NUL or other control character (a body keeps
    its tabs and newlines), no lone surrogate (from JSON escapes)."""
    if not text:
        return ""
    text = strip_controls(text, multiline=multiline)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _clean_name(name: str | None, max_length: int) -> str | None:
    if not name:
        return None
    cleaned = " ".join(_clean_text(name).split())[:max_length].strip()
    return cleaned or None


def _unique_names(names: Iterable[str], max_length: int = MAX_TAG_NAME) -> tuple[str, ...]:
    """Tag or author names cleaned, without case-insensitive repeats, in their first
    spelling and order."""
    seen: set[str] = set()
    unique = []
    for raw in names:
        name = _clean_name(raw, max_length)
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            unique.append(name)
    return tuple(unique)


def _aware(moment: datetime | None) -> datetime | None:
    """`moment` with a time zone (UTC when it has none)."""
    if moment is not None and timezone.is_naive(moment):
        return moment.replace(tzinfo=UTC)
    return moment


def _source_domain(name: str) -> str:
    """A source named by its web domain keeps it (lowercase) as its domain."""
    return name.lower() if _looks_like_domain(name) else ""


def _looks_like_domain(name: str) -> bool:
    parts = name.split(".")
    return (
        " " not in name
        and len(parts) >= 2
        and all(parts)
        and parts[-1].isalpha()
        and all(c.isalnum() or c in "-." for c in name)
    )


def export_articles(out: TextIO) -> int:
    """Write every article to `out` as JSON Lines, the shape `ingest` reads back; returns the count.

    Streamed with a server-side cursor, tags and authors gathered by subqueries: the archive
    is never held in memory, however large.
    """
    tag_names = ArraySubquery(
        Tag.objects.filter(articles=OuterRef("pk")).order_by(Lower("name")).values("name")
    )
    author_names = ArraySubquery(
        ArticleAuthor.objects.filter(article=OuterRef("pk"))
        .order_by("position")
        .values("author__name")
    )
    rows = (
        Article.objects.order_by("id")
        .annotate(tag_names=tag_names, author_names=author_names)
        .values_list(
            "id",
            "title",
            "source__name",
            "published_at",
            "captured_at",
            "language",
            "tag_names",
            "author_names",
            "url",
            "body",
        )
    )
    count = 0
    for row in rows.iterator(2000):
        pk, title, source, published_at, captured_at, language, tags, authors, url, body = row
        record = {
            "id": pk,
            "title": title,
            "source": source,
            "published_at": _iso_utc(published_at),
            "captured_at": _iso_utc(captured_at),
            "language": language,
            "tags": tags,
            "authors": authors,
            "url": url,
            "body": body,
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
