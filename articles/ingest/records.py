"""The records the parser hands to the importer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """One article recovered from a dump, cleaned and ready to store.

    `published_at` is timezone-aware (UTC) or None; `source` is a name as the dump
    gives it (matched to existing sources case-insensitively by the importer) or
    None; nothing is ever invented.
    """

    title: str
    body: str
    published_at: datetime | None = None
    source: str | None = None
    url: str | None = None
    language: str = ""
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    # When a crawler fetched the page (a WARC record's date), apart from publication.
    captured_at: datetime | None = None
    # Where it came from, for error messages and the import report.
    origin: str = ""
    line: int | None = None
    # Problems that did not stop the import (an unreadable date, a URL too long...),
    # one line each, for the import report.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record (or a whole file) that could not be imported, and why."""

    origin: str
    message: str
    line: int | None = None

    def __post_init__(self) -> None:
        # One line always, whatever an exception or a field name in the message held.
        object.__setattr__(self, "message", " ".join(self.message.split()))

    def __str__(self) -> str:
        where = f"{self.origin}:{self.line}" if self.line is not None else self.origin
        return f"{where}: {self.message}"


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
