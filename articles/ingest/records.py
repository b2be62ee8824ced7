"""The records the parser hands to the importer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# What a RecordError is: `error` fails the record (the import exits 1), `warning` keeps the
# article but says what was dropped from it, `skipped` names something that is not an
# article (a record with no text, a symlink out of the dump) and is passed over.
ERROR = "error"
WARNING = "warning"
SKIPPED = "skipped"
KINDS = (ERROR, WARNING, SKIPPED)


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record (or a whole file) that could not be imported, or a note about one, and why.

    `code` is short and machine-readable (`date-unreadable`, `no-text`, `too-large`...), so
    the importer can count notes by kind and code.
    """

    origin: str
    message: str
    line: int | None = None
    kind: str = ERROR
    code: str = ""

    def __post_init__(self) -> None:
        # One line always, whatever an exception or a field name in the message held.
        object.__setattr__(self, "message", " ".join(self.message.split()))
        if self.kind not in KINDS:
            raise ValueError(f"unknown record kind {self.kind!r}")

    def __str__(self) -> str:
        where = f"{self.origin}:{self.line}" if self.line is not None else self.origin
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """One article recovered from a dump, cleaned and ready to store.

    `published_at` and `captured_at` are timezone-aware (UTC) or None; `source` is a name
    as the dump gives it (matched to existing sources case-insensitively by the importer)
    or None; nothing is ever invented.
    """

    title: str
    body: str
    published_at: datetime | None = None
    source: str | None = None
    url: str | None = None
    language: str = ""
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    # When a crawler fetched the page (a WARC record's WARC-Date, a crawl's
    # `date_extracted`): not a publication date.
    captured_at: datetime | None = None
    # The URL for de-duplication (articles.ingest.urls.canonical_url); `url` is for display.
    canonical_url: str | None = None
    # One key per outlet however the dump names it ('bbc' for bbc.co.uk, www.bbc.com and
    # 'bbc'): articles.ingest.outlets.outlet_key.
    outlet_key: str | None = None
    # Where it came from, for error messages and the import report.
    origin: str = ""
    line: int | None = None
    # What was dropped from the article (an unreadable date, a junk author...): records of
    # kind `warning`, for the import report.
    warnings: tuple[RecordError, ...] = ()


@dataclass(frozen=True)
class ParseOptions:
    """What the user told `ingest` about the dumps."""

    reference_time: datetime | None = None  # relative dates count back from this
    timezone: str = "UTC"  # zone of dates that carry none
    format: str = "auto"  # one of reader.FORMATS
    source: str | None = None  # forces the outlet
    tags: tuple[str, ...] = field(default=())  # added to every article
    # Names and aliases of the sources the archive already knows (admin-curated);
    # a body that starts with one of them names its outlet.
    known_sources: frozenset[str] = field(default=frozenset())
    # How numeric dates whose own dump does not settle the order are read: dmy or mdy.
    date_order: str = "dmy"
    # Tag each file's articles with the name of the folder holding it.
    tag_from_folder: bool = False
