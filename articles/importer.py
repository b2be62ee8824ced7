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
from .ingest.neardup import band_keys_of, is_near_duplicate, signatures
from .ingest.outlets import MAX_KEY, outlet_key
from .ingest.records import ERROR, SKIPPED, WARNING, ParsedArticle, ParseOptions, RecordError
from .models import (
    Article,
    ArticleAuthor,
    Author,
    ImportRun,
    NearDuplicateBand,
    Source,
    SourceAlias,
    Tag,
    base_slug,
    canonical_of,
    unique_slug,
)
from .sanitize import strip_controls
from .search.indexer import IndexSession, IndexThread

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
# The advisory lock that makes one source of an outlet met by two writers at once.
SOURCE_LOCK = 0x736F7572
# The advisory lock that orders the near-duplicate step of concurrent batches.
NEAR_DUPLICATE_LOCK = 0x6E656172
# The most candidates an article is compared with (per band key, and in all).
MAX_CANDIDATES = 20

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
    # Articles that joined a group of near-duplicates (kept, grouped): new ones, and stored
    # ones that had none.
    near_duplicates: int = 0
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
        if self.near_duplicates:
            text += f"; {self.near_duplicates:,} near-duplicates grouped with other versions"
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
    near_duplicates: bool = True,
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
        near_duplicates=near_duplicates,
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
    canonical_url: str | None
    language: str
    fingerprint: str
    tags: tuple[str, ...]
    authors: tuple[str, ...]
    captured_at: datetime | None
    origin: str
    line: int | None
    outlet_key: str | None = None
    # The body's MinHash signature (None: too short to compare, or detection is off).
    signature: tuple[int, ...] | None = None


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
        near_duplicates: bool = True,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be 1 or more")
        self.run_row = run
        self.batch_size = batch_size
        self.dry_run = dry_run
        # Group near-duplicates (articles.ingest.neardup) as they are stored.
        self.near_duplicates = near_duplicates and not dry_run
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
        # The source each outlet key led to in this run (a curated alias's source included).
        self._source_by_key: dict[str, int] = {}
        self._tag_ids: dict[str, int] = {}
        self._author_ids: dict[str, int] = {}
        # A dry run writes nothing, so it remembers what it would have stored.
        self._seen_fingerprints: set[str] = set()
        self._seen_urls: set[str] = set()
        self._seen_canonical: set[str] = set()
        self._workers = 0 if dry_run else workers
        self._queue: queue.Queue[list[_Row] | None] = queue.Queue(maxsize=max(self._workers, 1))
        self._writers: list[threading.Thread] = []
        self._writer_error: BaseException | None = None
        self._errors_changed = False
        self._lz4: bool | None = None  # does the server offer lz4 TOAST compression?
        self._index: IndexSession | IndexThread | None = None
        self._indexed_at = 0.0  # when the index last caught up

    # -- the loop ----------------------------------------------------------------------

    def run(self, records: Iterable[ParsedArticle | RecordError]) -> ImportStats:
        """Store every record; marks the run finished, interrupted (Ctrl-C) or crashed."""
        try:
            try:
                if not self.dry_run:
                    # Two indexing threads: the index's analysis is most of an article's CPU.
                    # With writer threads, the catch-ups run in a thread of their own too.
                    self._index = (
                        IndexThread(heap_mb=400, threads=2)
                        if self._workers
                        else IndexSession(heap_mb=400, threads=2)
                    )
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
        key = _source_key(source, None if self.forced_source else article.outlet_key)
        canonical = None
        if url:
            canonical = article.canonical_url if article.url == url else None
            canonical = canonical or canonical_of(url)
        tags = _unique_names([*article.tags, *self.extra_tags])
        language = article.language.strip().lower()
        return _Row(
            title=title,
            slug=slugify(title, allow_unicode=True)[:MAX_TITLE_SLUG].strip("-") or "article",
            body=body,
            source=source,
            published_at=published_at,
            url=url or None,
            canonical_url=canonical if canonical and len(canonical) <= MAX_URL_LENGTH else None,
            language=language if len(language) <= 3 else "",
            fingerprint=fingerprint(title, body),
            tags=tags,
            authors=_unique_names(article.authors, MAX_AUTHOR_NAME),
            captured_at=_aware(article.captured_at),
            origin=article.origin,
            line=article.line,
            outlet_key=(key or "")[:MAX_KEY] or None,
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
            source_keys: dict[str, str | None] = {}
            for r in new_rows:
                if r.source:
                    source_keys.setdefault(r.source, r.outlet_key)
            source_ids = self._resolve_sources(cursor, source_keys)
            tag_ids = self._resolve_tags(cursor, {t for r in new_rows for t in r.tags})
            author_ids = self._resolve_authors(cursor, {a for r in new_rows for a in r.authors})
        if self.near_duplicates and new_rows:
            # Here, in the writer: numpy lets go of the GIL, so the parser goes on meanwhile.
            for row, signature in zip(
                new_rows, signatures([r.body for r in new_rows]), strict=True
            ):
                row.signature = signature
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
                    [_integers(a for a, _ in links), _integers(t for _, t in links)],
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
                    [_integers(b[i] for b in bylines) for i in range(3)],
                )
            grouped = self._group_near_duplicates(cursor, new_rows, inserted)
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
            self.stats.near_duplicates += grouped
            self._source_ids.update(source_ids)
            self._tag_ids.update(tag_ids)
            self._author_ids.update(author_ids)

    def _new_rows(self, cursor: Any, rows: list[_Row]) -> list[_Row]:
        """The rows that are neither repeated in the batch nor already stored.

        Checked first so a re-run of a big import writes nothing at all (ON CONFLICT still
        toasts and compresses each body before it skips it); the INSERT still skips what a
        concurrent run just added.
        """
        seen_fp, seen_url, seen_canonical = _stored_keys(cursor, rows)
        new = []
        for row in rows:
            if _is_repeat(row, seen_fp, seen_url, seen_canonical):
                continue
            _remember(row, seen_fp, seen_url, seen_canonical)
            new.append(row)
        return new

    def _group_near_duplicates(
        self, cursor: Any, rows: list[_Row], inserted: dict[str, int]
    ) -> int:
        """Group the batch's new articles with their near-duplicates; returns how many
        articles joined a group."""
        signed = {
            inserted[r.fingerprint]: r.signature
            for r in rows
            if r.signature is not None and r.fingerprint in inserted
        }
        return group_near_duplicates(cursor, signed)

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
                        published_at timestamptz, url text, canonical_url text,
                        language text, fingerprint text, captured_at timestamptz
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
                        r.canonical_url,
                        r.language,
                        r.fingerprint,
                        r.captured_at,
                    )
                )
        cursor.execute(
            f"""
            INSERT INTO {Article._meta.db_table}
                (title, slug, body, source_id, published_at, url, canonical_url, language,
                 fingerprint, captured_at, import_fingerprint, is_hidden, import_run_id,
                 created_at, updated_at)
            SELECT title, slug, body, source_id, published_at, url, canonical_url, language,
                   fingerprint, captured_at, fingerprint, false, %s, now(), now()
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

    def _resolve_sources(self, cursor: Any, keys: dict[str, str | None]) -> dict[str, int]:
        """Ids of sources by name, alias or domain (any case), then by outlet key; creates
        the missing ones.

        `keys` maps each name to its outlet key (articles.ingest.outlets). A name matched
        only by its key ('bbc' beside a source news.bbc.co.uk) becomes an alias of that
        source. Names of one key that match nothing make one source, named by the first
        of them that is not a domain (a publisher's own name) or else the shortest, with
        the others as its aliases. Curated names and aliases come first, so they still
        decide where a spelling goes.
        """
        names = set(keys)
        ids = {n: self._source_ids[n] for n in names if n in self._source_ids}
        missing = sorted(names - ids.keys())
        if not missing:
            return ids
        ids.update(self._sources_by_name(cursor, missing))
        self._learn_keys(keys, ids)
        missing = [n for n in missing if n not in ids]
        if not missing:
            return ids
        # One source per outlet even when two writers meet a new outlet at once; the lock
        # ends with this short transaction.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SOURCE_LOCK])
        ids.update(self._sources_by_name(cursor, missing))
        missing = [n for n in missing if n not in ids]
        by_key: dict[str, list[str]] = {}
        for name in missing:
            key = keys.get(name)
            if key:
                by_key.setdefault(key, []).append(name)
        if by_key:
            cursor.execute(
                f"SELECT DISTINCT ON (outlet_key) outlet_key, id FROM {Source._meta.db_table} "  # noqa: S608
                "WHERE outlet_key = ANY(%s) ORDER BY outlet_key, id",
                [sorted(by_key)],
            )
            # Else the source this run met under another spelling of the key (a curated
            # alias's source, whose own key comes from its name).
            met = {k: self._source_by_key[k] for k in by_key if k in self._source_by_key}
            known = met | dict(cursor.fetchall())
            aliases: list[tuple[str, int]] = []
            firsts = []
            for key, spellings in by_key.items():
                if key in known:
                    aliases += [(n, known[key]) for n in spellings]
                else:
                    first = min(spellings, key=_name_preference)
                    firsts.append(first)
            firsts_ids = self._create_missing(cursor, Source, sorted(firsts), {}, keys)
            ids.update(firsts_ids)
            for key, spellings in by_key.items():
                if key not in known:
                    first = min(spellings, key=_name_preference)
                    aliases += [(n, firsts_ids[first]) for n in spellings if n != first]
            for name, pk in aliases:
                ids[name] = pk
            if aliases:
                cursor.execute(
                    f"""
                    INSERT INTO {SourceAlias._meta.db_table} (name, source_id)
                    SELECT * FROM unnest(%s::text[], %s::bigint[])
                    ON CONFLICT DO NOTHING
                    """,  # noqa: S608
                    [[n for n, _ in aliases], [pk for _, pk in aliases]],
                )
            missing = [n for n in missing if n not in ids]
        ids = self._create_missing(cursor, Source, missing, ids, keys)
        self._learn_keys(keys, ids)
        return ids

    def _learn_keys(self, keys: dict[str, str | None], ids: dict[str, int]) -> None:
        """Remember which source each outlet key led to in this run."""
        with self._lock:
            for name, pk in ids.items():
                key = keys.get(name)
                if key:
                    self._source_by_key.setdefault(key, pk)

    @staticmethod
    def _sources_by_name(cursor: Any, missing: list[str]) -> dict[str, int]:
        """Ids of sources by name, alias or domain (any case), in that order."""
        ids: dict[str, int] = {}
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
        return ids

    def _resolve_tags(self, cursor: Any, names: set[str]) -> dict[str, int]:
        """Ids of tags by name (any case); creates the missing ones."""
        return self._resolve_named(cursor, Tag, names, self._tag_ids)

    def _resolve_authors(self, cursor: Any, names: set[str]) -> dict[str, int]:
        """Ids of authors by name (any case); creates the missing ones."""
        return self._resolve_named(cursor, Author, names, self._author_ids)

    @classmethod
    def _resolve_named(
        cls, cursor: Any, model: _Named, names: set[str], known: dict[str, int]
    ) -> dict[str, int]:
        ids = {n: known[n] for n in names if n in known}
        missing = sorted(names - ids.keys())
        if not missing:
            return ids
        cursor.execute(
            f"""
            SELECT n, t.id FROM unnest(%s::text[]) n
                JOIN {model._meta.db_table} t ON lower(t.name) = lower(n)
            """,  # noqa: S608
            [missing],
        )
        ids.update(cursor.fetchall())
        return cls._create_missing(cursor, model, missing, ids)

    @classmethod
    def _create_missing(
        cls,
        cursor: Any,
        model: _Named,
        names: list[str],
        ids: dict[str, int],
        keys: dict[str, str | None] | None = None,
    ) -> dict[str, int]:
        """Create the named sources, tags or authors not in `ids`; returns `ids` with all of
        them.

        A new archive meets hundreds of sources and thousands of tags in its first batches:
        they go in with one INSERT. A name whose slug is taken (or shared in the batch), or
        that another import creates at the same moment, is left to `_create`, one by one.
        """
        keys = keys or {}
        rows = []  # (name, slug, domain, outlet key)
        for name in names:
            if name not in ids:
                domain = _source_domain(name) if model is Source else ""
                slug = base_slug(name.replace(".", " ") if domain else name, max_length=MAX_SLUG)
                key = (keys.get(name) or outlet_key(name) or "") if model is Source else ""
                rows.append((name, slug, domain, key))
        if not rows:
            return ids
        table = model._meta.db_table
        cursor.execute(
            f"SELECT slug FROM {table} WHERE slug = ANY(%s)",  # noqa: S608
            [[row[1] for row in rows]],
        )
        taken = {slug for (slug,) in cursor.fetchall()}
        free = []  # the first name (in sorted order) of each free slug
        for row in sorted(rows):
            if row[1] not in taken:
                taken.add(row[1])
                free.append(row)
        if free:
            # ON CONFLICT skips a name (any case) or slug another import has just added.
            columns = (
                "name, slug, homepage, domain, outlet_key" if model is Source else "name, slug"
            )
            values = "n, s, '', d, k" if model is Source else "n, s"
            cursor.execute(
                f"""
                INSERT INTO {table} ({columns})
                SELECT {values}
                FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS u(n, s, d, k)
                ON CONFLICT DO NOTHING
                RETURNING name, id
                """,  # noqa: S608 -- table and column names come from the code
                [
                    [r[0] for r in free],
                    [r[1] for r in free],
                    [r[2] for r in free],
                    [r[3] for r in free],
                ],
            )
            ids.update(cursor.fetchall())
        # Another spelling of a name just inserted ("politics" after "Politics") is that row;
        # ASCII only, where Python's lower() agrees with PostgreSQL's (outside a Turkish locale).
        by_lower = {row[0].lower(): ids[row[0]] for row in free if row[0] in ids}
        for name, _, _, key in rows:
            if name not in ids:
                known = by_lower.get(name.lower()) if name.isascii() else None
                ids[name] = known if known is not None else cls._create(cursor, model, name, key)
        return ids

    @staticmethod
    def _create(cursor: Any, model: _Named, name: str, key: str = "") -> int:
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
                    f"INSERT INTO {table} (name, slug, homepage, domain, outlet_key) "  # noqa: S608
                    "VALUES (%s, %s, '', %s, %s) ON CONFLICT DO NOTHING RETURNING id",
                    [name, slug, domain, key],
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
            stored_fps, stored_urls, stored_canonicals = _stored_keys(cursor, rows)
        seen_fp, seen_url, seen_canonical = (
            self._seen_fingerprints,
            self._seen_urls,
            self._seen_canonical,
        )
        seen_fp.update(stored_fps)
        seen_url.update(stored_urls)
        seen_canonical.update(stored_canonicals)
        for row in rows:
            if _is_repeat(row, seen_fp, seen_url, seen_canonical):
                self.stats.duplicates += 1
                continue
            self.stats.created += 1
            _remember(row, seen_fp, seen_url, seen_canonical)

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


def group_near_duplicates(cursor: Any, signed: dict[int, tuple[int, ...]]) -> int:
    """Store the band keys of stored articles (id: signature), find their near-duplicates
    among each other and the archive, and put each set of near-duplicates in one group;
    returns how many articles joined a group (new ones, and stored ones that had none).

    Candidates are the articles sharing a band key (one indexed query); each is checked
    against THRESHOLD with its signature, recomputed from its stored body (candidates are
    few). An advisory lock held to the commit makes batches written at the same time see
    each other's keys. An article that links two groups joins them into the older one.
    """
    if not signed:
        return 0
    keys = dict(zip(signed, band_keys_of(list(signed.values())), strict=True))
    band_table = NearDuplicateBand._meta.db_table
    article_table = Article._meta.db_table
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NEAR_DUPLICATE_LOCK])
    all_keys = sorted({k for ks in keys.values() for k in ks})
    # The oldest few holders of each key: a key that thousands of articles share (a
    # template body) costs no more than one of a few.
    cursor.execute(
        f"""
        SELECT k, b.article_id FROM unnest(%s::bigint[]) k CROSS JOIN LATERAL (
            SELECT article_id FROM {band_table} WHERE band_key = k
            ORDER BY band_key, article_id LIMIT %s
        ) b
        """,  # noqa: S608
        [_integers(all_keys), MAX_CANDIDATES],
    )
    holders: dict[int, list[int]] = {}
    for key, pk in cursor.fetchall():
        holders.setdefault(key, []).append(pk)
    for pk, ks in keys.items():
        for key in ks:
            if len(holders.setdefault(key, [])) < MAX_CANDIDATES:
                holders[key].append(pk)
    cursor.execute(
        f"""
        INSERT INTO {band_table} (band_key, article_id)
        SELECT * FROM unnest(%s::bigint[], %s::bigint[])
        """,  # noqa: S608 -- table names come from the models
        [
            _integers(k for ks in keys.values() for k in ks),
            _integers(pk for pk, ks in keys.items() for _ in ks),
        ],
    )
    pairs: set[tuple[int, int]] = set()
    for pk, ks in keys.items():
        shared = Counter(other for key in ks for other in holders[key] if other != pk)
        # The candidates sharing most bands first: near-duplicates share many.
        for other, _ in shared.most_common(MAX_CANDIDATES):
            pairs.add((min(pk, other), max(pk, other)))
    if not pairs:
        return 0
    stored = {pk for pair in pairs for pk in pair} - signed.keys()
    known: dict[int, tuple[int, ...] | None] = dict(signed)
    groups: dict[int, int | None] = {}
    if stored:
        cursor.execute(
            f"SELECT id, body, duplicate_group FROM {article_table} WHERE id = ANY(%s)",  # noqa: S608
            [sorted(stored)],
        )
        found = cursor.fetchall()
        known.update(
            zip([pk for pk, _, _ in found], signatures([b for _, b, _ in found]), strict=True)
        )
        groups.update((pk, group) for pk, _, group in found)
    parent: dict[int, int] = {}

    def root(pk: int) -> int:
        while parent.get(pk, pk) != pk:
            pk = parent[pk]
        return pk

    for a, b in sorted(pairs):
        sig_a, sig_b = known.get(a), known.get(b)
        if sig_a is not None and sig_b is not None and is_near_duplicate(sig_a, sig_b):
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    components: dict[int, list[int]] = {}
    for pk in parent.keys() | set(parent.values()):
        components.setdefault(root(pk), []).append(pk)
    joined = 0
    for members in components.values():
        old_groups = sorted({g for pk in members if (g := groups.get(pk)) is not None})
        group = old_groups[0] if old_groups else min(members)
        cursor.execute(
            f"""
            UPDATE {article_table} SET duplicate_group = %s
            WHERE (id = ANY(%s) OR duplicate_group = ANY(%s))
              AND duplicate_group IS DISTINCT FROM %s
            """,  # noqa: S608
            [group, members, old_groups, group],
        )
        # New articles and stored ones that had no group: the same total whichever of two
        # batches written at once finds a pair.
        joined += sum(1 for pk in members if groups.get(pk) is None)
    return joined


def _stored_keys(cursor: Any, rows: list[_Row]) -> tuple[set[str], set[str], set[str]]:
    """The fingerprints, URLs and canonical URLs of `rows` the archive already holds.

    An article matches by the fingerprint it was imported with (which a curator's edit of
    its title or body leaves alone), by its current fingerprint, by URL or by canonical URL.
    """
    fps = [r.fingerprint for r in rows]
    cursor.execute(
        f"""
        SELECT fingerprint, import_fingerprint, url, canonical_url FROM {Article._meta.db_table}
        WHERE import_fingerprint = ANY(%s) OR fingerprint = ANY(%s) OR url = ANY(%s)
            OR canonical_url = ANY(%s)
        """,  # noqa: S608 -- table names come from the models
        [
            fps,
            fps,
            [r.url for r in rows if r.url],
            [r.canonical_url for r in rows if r.canonical_url],
        ],
    )
    stored_fps: set[str] = set()
    stored_urls: set[str] = set()
    stored_canonicals: set[str] = set()
    for fp, import_fp, url, canonical in cursor.fetchall():
        stored_fps.update(f for f in (fp, import_fp) if f)
        if url:
            stored_urls.add(url)
        if canonical:
            stored_canonicals.add(canonical)
    return stored_fps, stored_urls, stored_canonicals


def _is_repeat(row: _Row, fps: set[str], urls: set[str], canonicals: set[str]) -> bool:
    return (
        row.fingerprint in fps
        or (row.url is not None and row.url in urls)
        or (row.canonical_url is not None and row.canonical_url in canonicals)
    )


def _remember(row: _Row, fps: set[str], urls: set[str], canonicals: set[str]) -> None:
    fps.add(row.fingerprint)
    if row.url:
        urls.add(row.url)
    if row.canonical_url:
        canonicals.add(row.canonical_url)


def _integers(values: Iterable[int]) -> str:
    """A PostgreSQL array literal of integers: psycopg's client-side binding quotes a list
    element by element in Python (12 ms for the 16,000 band keys of a batch, against 2 ms
    for one string)."""
    return "{" + ",".join(map(str, values)) + "}"


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


def _source_key(name: str | None, url_key: str | None) -> str | None:
    """The outlet key a source name is filed under: the name's own key, or the key of the
    article's URL when one of the two begins the other ('BBC News' on bbc.co.uk: 'bbc').

    The URL alone does not decide: a Reuters story on a portal's site is still Reuters.
    """
    if not name:
        return None
    own = outlet_key(name)
    related = own and url_key and (own.startswith(url_key) or url_key.startswith(own))
    if related and min(len(own or ""), len(url_key or "")) >= 3:
        return url_key
    return own


def _name_preference(name: str) -> tuple[bool, int, str]:
    """Which spelling of a new outlet names its source: a publisher's own name before a
    domain, then the shortest."""
    return (_looks_like_domain(name), len(name), name.lower())


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
