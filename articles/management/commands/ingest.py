"""`manage.py ingest PATH...`: import dumps of news articles (thin: see articles.importer)."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from tqdm import tqdm

from articles.importer import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_WORKERS,
    ImportStats,
    import_paths,
    parse_options_as_dict,
    start_run,
)
from articles.ingest import FORMATS, ReadProgress, input_size
from articles.ingest.dates import ORDERS as DATE_ORDERS
from articles.ingest.records import ParseOptions, RecordError
from articles.models import ImportRun

# Without a terminal, a progress line this often (seconds).
PROGRESS_EVERY = 5.0
USAGE_ERROR = 2
INTERRUPTED = 130


class Command(BaseCommand):
    help = (
        "Import news articles from files, folders (recursively), archives (.gz, .zip, .tar, "
        ".tar.gz) or standard input (-): plain text, JSON, JSON Lines, CSV, HTML pages, WARC "
        "crawls, RSS/Atom feeds, mbox and .eml mail, Reuters-21578 SGML. Duplicates (same "
        "URL or same title and body) are skipped, so running it again creates nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="file, folder or - (stdin)")
        parser.add_argument("--source", metavar="NAME", help="the outlet of every article")
        parser.add_argument(
            "--tag",
            action="append",
            default=[],
            dest="tags",
            metavar="NAME",
            help="add this tag to every article (repeatable)",
        )
        parser.add_argument(
            "--reference-time",
            metavar="ISO8601",
            help="the moment relative dates ('2 hours ago') count back from "
            "(default: each file's modification time)",
        )
        parser.add_argument(
            "--timezone",
            default="UTC",
            metavar="TZ",
            help="zone of dates that carry none, e.g. Europe/Paris (default UTC)",
        )
        parser.add_argument("--format", default="auto", choices=list(FORMATS))
        parser.add_argument(
            "--date-order",
            default="dmy",
            choices=DATE_ORDERS,
            help="how to read numeric dates like 04/06/2019 when the dump's own dates do not "
            "settle it: dmy (day first, the default) or mdy (month first)",
        )
        parser.add_argument(
            "--tag-from-folder",
            action="store_true",
            help="tag each file's articles with the name of its folder (also inside archives)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="parse and report, write no articles"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            metavar="N",
            help=f"articles per transaction (default {DEFAULT_BATCH_SIZE})",
        )
        parser.add_argument(
            "--no-near-duplicates",
            action="store_true",
            help="do not group near-duplicates (syndicated copies, lightly edited versions)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        paths: list[str] = opts["paths"]
        options = ParseOptions(
            reference_time=_reference_time(opts["reference_time"], opts["timezone"]),
            timezone=_timezone(opts["timezone"]),
            format=opts["format"],
            source=(opts["source"] or "").strip() or None,
            tags=tuple(t.strip() for t in opts["tags"] if t.strip()),
            date_order=opts["date_order"],
            tag_from_folder=opts["tag_from_folder"],
        )
        batch_size: int = opts["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more", returncode=USAGE_ERROR)
        if paths.count("-") > 1:
            raise CommandError("standard input (-) can be read only once", returncode=USAGE_ERROR)
        dry_run: bool = opts["dry_run"]

        read = ReadProgress(None if "-" in paths else input_size(paths))
        progress = _Progress(self, opts.get("stderr") or sys.stderr, read)
        try:
            near_duplicates = not opts["no_near_duplicates"]
            recorded = parse_options_as_dict(options) | {
                "batch_size": batch_size,
                "near_duplicates": near_duplicates,
            }
            run = start_run(paths, recorded, dry_run=dry_run)
            importer = import_paths(
                paths,
                options,
                run=run,
                batch_size=batch_size,
                dry_run=dry_run,
                workers=DEFAULT_WORKERS,
                stdin=sys.stdin.buffer if "-" in paths else None,
                on_error=progress.error,
                on_progress=progress.update,
                read_progress=read,
                near_duplicates=near_duplicates,
            )
        except DatabaseError as exc:
            progress.close()
            raise CommandError(f"database error: {exc}".strip()) from exc
        except KeyboardInterrupt:
            # Before the first batch (the importer handles Ctrl-C once it is running).
            progress.close()
            raise CommandError(
                "interrupted before any article was read", returncode=INTERRUPTED
            ) from None
        progress.close()

        stats = importer.stats
        self._summary(importer.run_row, stats, dry_run=dry_run)
        if stats.status == ImportRun.Status.INTERRUPTED:
            raise CommandError(
                "interrupted: whole batches were kept; run the same command again to finish",
                returncode=INTERRUPTED,
            )
        if stats.failed:
            raise CommandError(
                f"{stats.failed:,} record{'s' if stats.failed != 1 else ''} failed (listed above); "
                + ("nothing was written" if dry_run else "the others were imported"),
                returncode=1,
            )

    def _summary(self, run: ImportRun, stats: ImportStats, *, dry_run: bool) -> None:
        head = f"Import #{run.pk}"
        if dry_run:
            head += " (dry run: nothing written)"
        elif stats.status == ImportRun.Status.INTERRUPTED:
            head += " (interrupted)"
        self.stdout.write(f"{head}: {stats.summary(dry_run=dry_run)}")


class _Progress:
    """A tqdm bar on a terminal; plain periodic lines otherwise. Errors go to stderr.

    When the input's size is known (files, not standard input), the bar counts its bytes
    read, with a percentage and an estimate of the time left; otherwise it counts records.
    """

    def __init__(self, command: BaseCommand, stream: TextIO, read: ReadProgress) -> None:
        self.stderr = command.stderr
        self.stream = stream
        self.read = read
        self.bar: tqdm[Any] | None = None
        if self.stderr.isatty():
            if read.total:
                self.bar = tqdm(
                    total=read.total,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    file=stream,
                    dynamic_ncols=True,
                    mininterval=0.5,
                )
            else:
                self.bar = tqdm(unit=" records", file=stream, dynamic_ncols=True, mininterval=0.5)
        self.last_line = time.monotonic()
        self.seen = 0

    def update(self, stats: ImportStats) -> None:
        done = self.read.done if self.read.total else stats.read
        if self.bar is not None:
            self.bar.update(max(done - self.seen, 0))
            self.seen = done
            postfix = {"created": stats.created, "dup": stats.duplicates, "failed": stats.failed}
            if self.read.total:
                postfix = {"records": stats.read, **postfix}
            self.bar.set_postfix(postfix)
        elif time.monotonic() - self.last_line >= PROGRESS_EVERY:
            self.last_line = time.monotonic()
            self.stderr.write(
                f"... {stats.read:,} records read{self._share(stats)}: created "
                f"{stats.created:,}, duplicates {stats.duplicates:,}, failed {stats.failed:,} "
                f"({stats.rate:,.0f} articles/s)"
            )

    def _share(self, stats: ImportStats) -> str:
        """(40 % of 1.2 GB, about 3 min left)", when the input's size is known."""
        total, done = self.read.total, self.read.done
        if not total:
            return ""
        share = min(done / total, 1.0)
        text = f" ({share:.0%} of {tqdm.format_sizeof(total, 'B', 1024)}"
        if 0 < share < 1:
            left = stats.elapsed * (1 - share) / share
            text += f", about {tqdm.format_interval(left)} left"
        return text + ")"

    def error(self, error: RecordError, warning: bool) -> None:
        line = f"{error.origin}:{error.line}" if error.line is not None else error.origin
        kind = "warning" if warning and error.kind == "error" else error.kind
        text = f"{line}: {'' if kind == 'error' else kind + ': '}{error.message}"
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            self.stderr.write(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CommandError(
            f"--timezone: unknown time zone {name!r} (use a name such as UTC or Europe/Paris)",
            returncode=USAGE_ERROR,
        ) from exc
    return name


def _reference_time(value: str | None, zone: str) -> datetime | None:
    """An ISO 8601 moment in UTC; one without an offset is taken in --timezone."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(
            f"--reference-time: {value!r} is not an ISO 8601 date and time "
            "(e.g. 2017-06-14T12:00:00Z)",
            returncode=USAGE_ERROR,
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(_timezone(zone)))
    return moment.astimezone(UTC)
