"""The index's schema, and the document an article becomes.

The index holds what search needs and nothing a page shows: results are read back from
PostgreSQL by id. Text is indexed, never stored. Per article:

- `id`: its primary key (fast, to read a hit's id; indexed, to replace the document);
- `text_<analyzer>`: its title (twice) and body, in the field of its language's analyzer
  (articles/search/analysis.py), frequencies only: what a word without a field matches and
  ranks by. One field holding both makes BM25 count a word's occurrences in title and body
  together against the article's whole length (BM25F, as SQLite FTS5's bm25() does with
  column weights), where a score per field let one common word in a short title outweigh
  the same word said many times in the body;
- `exact_title`, `exact_body`: title and body as written (lowercased, accents folded, nothing
  stemmed), one pair of fields for every language, with positions: phrases match here, word
  for word; a word found as typed in the body scores more than one found through its stem;
  `body:` searches here;
- `title_<analyzer>`: the title in its language's analyzer, with positions, for `title:`;
- `author_names`: the names of its authors, each a value of its own (lowercased, accents
  folded, nothing stemmed: the plain analyzer), with positions, for `author:` (a word, a
  quoted whole name, a prefix);
- `source`, `tag`, `author`: ids (0: no source), for filters and facets;
- `language`: its ISO 639-1 code, `und` when unknown;
- `month` (YYYYMM) and `day` (YYYYMMDD) of the article's date, 0 when undated: date
  filters, the year and month facets and the timeline. The date is the publication date,
  else the date a crawler captured the page (pages then say which it is); undated means
  neither;
- `newest`, `oldest`: sort keys, that date's time then the id, with undated articles last
  in both orders;
- `state`: 0 visible, 1 hidden by a curator (found only by the admin's search).

One more document, `state` 2, records how far the change log has been applied
(articles/search/indexer.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from tantivy import Document, Schema, SchemaBuilder

from .analysis import ANALYZERS, PLAIN, analyzer_for

# Bumped whenever the fields or analyzers change: an index of another version is rebuilt.
SCHEMA_VERSION = 6

VISIBLE, HIDDEN, META = 0, 1, 2
UNKNOWN_LANGUAGE = "und"

# Sort keys: seconds since 1800 in the high bits, the id in the low 29 (ids past 536 million
# only lose their tie order). Dates outside 1800-2344 sort at those ends.
_EPOCH = datetime(1800, 1, 1, tzinfo=UTC)
_ID_BITS = 29
_MAX_SECONDS = (1 << 34) - 2
_UNDATED_LAST = 1 << 63
# Most characters of a body that are indexed (bodies are far shorter; see the importer's limit).
MAX_INDEXED_CHARS = 5_000_000


# How many times the title counts in `text_<analyzer>` (its weight against the body).
TITLE_WEIGHT = 2


EXACT_TITLE = "exact_title"
EXACT_BODY = "exact_body"
AUTHOR_NAMES = "author_names"


def text_field(analyzer: str) -> str:
    return f"text_{analyzer}"


def title_field(analyzer: str) -> str:
    return f"title_{analyzer}"


@lru_cache(maxsize=1)
def schema() -> Schema:
    builder = SchemaBuilder()
    builder.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    builder.add_unsigned_field("state", indexed=True, fast=True)
    builder.add_text_field(EXACT_TITLE, tokenizer_name=PLAIN)
    builder.add_text_field(EXACT_BODY, tokenizer_name=PLAIN)
    builder.add_text_field(AUTHOR_NAMES, tokenizer_name=PLAIN)
    for name in ANALYZERS:
        # No positions: phrases are matched word for word in the exact fields.
        builder.add_text_field(text_field(name), tokenizer_name=name, index_option="freq")
        builder.add_text_field(title_field(name), tokenizer_name=name)
    for name in ("source", "tag", "author", "month", "day"):
        builder.add_unsigned_field(name, indexed=True, fast=True)
    builder.add_text_field("language", tokenizer_name="raw", fast=True)
    builder.add_unsigned_field("newest", fast=True)
    builder.add_unsigned_field("oldest", fast=True)
    # The change-log position of the META document (articles/search/indexer.py).
    builder.add_unsigned_field("horizon", stored=True)
    builder.add_unsigned_field("generation", stored=True)
    return builder.build()


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """What the index needs of an article, as the indexer reads it from PostgreSQL."""

    id: int
    title: str
    body: str
    language: str
    source_id: int | None
    published_at: datetime | None
    is_hidden: bool
    tag_ids: tuple[int, ...] = ()
    author_ids: tuple[int, ...] = ()
    author_names: tuple[str, ...] = ()
    captured_at: datetime | None = None

    @property
    def dated_at(self) -> datetime | None:
        """The date the index files the article under: published, else captured."""
        return self.published_at or self.captured_at


def document(row: ArticleRow) -> Document:
    """The index document of one article."""
    analyzer = analyzer_for(row.language)
    doc = Document()
    doc.add_unsigned("id", row.id)
    doc.add_unsigned("state", HIDDEN if row.is_hidden else VISIBLE)
    body = row.body[:MAX_INDEXED_CHARS]
    for _ in range(TITLE_WEIGHT):
        doc.add_text(text_field(analyzer), row.title)
    doc.add_text(title_field(analyzer), row.title)
    doc.add_text(EXACT_TITLE, row.title)
    if body:
        doc.add_text(text_field(analyzer), body)
        doc.add_text(EXACT_BODY, body)
    doc.add_unsigned("source", row.source_id or 0)
    _add_all(doc, "tag", row.tag_ids)
    _add_all(doc, "author", row.author_ids)
    for name in row.author_names:
        # One value per name: a phrase never runs from one name into the next.
        doc.add_text(AUTHOR_NAMES, name)
    doc.add_text("language", row.language or UNKNOWN_LANGUAGE)
    day = utc_day(row.dated_at)
    doc.add_unsigned("month", day // 100)
    doc.add_unsigned("day", day)
    newest, oldest = sort_keys(row.id, row.dated_at)
    doc.add_unsigned("newest", newest)
    doc.add_unsigned("oldest", oldest)
    return doc


def meta_document(horizon: int, generation: int) -> Document:
    doc = Document()
    doc.add_unsigned("state", META)
    doc.add_unsigned("horizon", horizon)
    doc.add_unsigned("generation", generation)
    return doc


def _add_all(doc: Document, name: str, values: Iterable[int]) -> None:
    for value in values:
        doc.add_unsigned(name, value)


def utc_day(moment: datetime | None) -> int:
    """YYYYMMDD of `moment` in UTC; 0 for none."""
    if moment is None:
        return 0
    d = moment.astimezone(UTC).date() if moment.tzinfo else moment.date()
    return day_number(d)


def day_number(d: date) -> int:
    return d.year * 10_000 + d.month * 100 + d.day


def sort_keys(pk: int, published_at: datetime | None) -> tuple[int, int]:
    """(newest, oldest) sort keys: larger `newest` first, smaller `oldest` first."""
    low = pk & ((1 << _ID_BITS) - 1)
    if published_at is None:
        return low, _UNDATED_LAST | low
    moment = published_at if published_at.tzinfo else published_at.replace(tzinfo=UTC)
    seconds = min(max(int((moment - _EPOCH).total_seconds()), 0), _MAX_SECONDS) + 1
    key = (seconds << _ID_BITS) | low
    return key, key
