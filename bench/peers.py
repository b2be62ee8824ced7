"""The peers the benchmark compares us with, on the same corpus and the same queries.

Each peer answers what one search page needs: the 20 best matches by relevance
with a highlighted snippet each, the number of matches, and the top sources.

- `Fts5Peer`: SQLite FTS5 with bm25 (what Datasette users run), standard library
  `sqlite3`, built from the same JSON Lines dump.
- `TantivyPeer`: tantivy (a Rust Lucene-class engine) used directly through its
  Python package.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .queries import Query


@dataclass(frozen=True)
class PeerAnswer:
    count: int
    ids: tuple[Any, ...]


def _records(corpus: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with corpus.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            yield number, json.loads(line)


def fts5_available() -> bool:
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    return True


class Fts5Peer:
    """SQLite FTS5 with bm25; title weighted above body like our ranking."""

    name = "sqlite_fts5"

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)

    @staticmethod
    def build(corpus: Path, path: Path) -> None:
        """Index the dump (once; the file is reused when it exists)."""
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        db = sqlite3.connect(partial)
        db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE VIRTUAL TABLE docs USING fts5(
                title, body, tokenize = 'porter unicode61 remove_diacritics 2');
            CREATE TABLE meta (id INTEGER PRIMARY KEY, source TEXT, published TEXT, language TEXT);
            CREATE TABLE tags (id INTEGER, tag TEXT);
            """
        )
        batch_docs: list[tuple[Any, ...]] = []
        batch_meta: list[tuple[Any, ...]] = []
        batch_tags: list[tuple[Any, ...]] = []

        def flush() -> None:
            db.executemany("INSERT INTO docs (rowid, title, body) VALUES (?, ?, ?)", batch_docs)
            db.executemany("INSERT INTO meta VALUES (?, ?, ?, ?)", batch_meta)
            db.executemany("INSERT INTO tags VALUES (?, ?)", batch_tags)
            batch_docs.clear()
            batch_meta.clear()
            batch_tags.clear()

        for number, record in _records(corpus):
            batch_docs.append((number, record["title"], record["body"]))
            batch_meta.append(
                (number, record.get("source"), record.get("published_at"), record.get("language"))
            )
            batch_tags.extend((number, tag) for tag in record.get("tags") or ())
            if len(batch_docs) >= 5000:
                flush()
        flush()
        db.executescript(
            """
            CREATE INDEX meta_source ON meta (source, id);
            CREATE INDEX meta_published ON meta (published, id);
            CREATE INDEX tags_id ON tags (id, tag);
            INSERT INTO docs (docs) VALUES ('optimize');
            """
        )
        db.commit()
        db.close()
        partial.replace(path)

    def _where(self, query: Query) -> tuple[str, list[Any]]:
        """FROM and WHERE; the unary + keeps SQLite on the FTS-first plan (see below)."""
        # Without the +, SQLite walks the filter's index and runs MATCH once per row,
        # up to 100 times slower; an expert writes it this way, so the peer does too.
        sql = "FROM docs JOIN meta ON meta.id = docs.rowid WHERE docs MATCH ?"
        params: list[Any] = [query.fts5()]
        f = query.filters
        if f.source_name:
            sql += " AND +meta.source = ?"
            params.append(f.source_name)
        if f.tag_name:
            sql += " AND EXISTS (SELECT 1 FROM tags WHERE tags.id = docs.rowid AND +tags.tag = ?)"
            params.append(f.tag_name)
        if f.date_from:
            sql += " AND +meta.published >= ? AND +meta.published < ?"
            params += [f.date_from, _day_after(f.date_to)]
        return sql, params

    def search(self, query: Query) -> PeerAnswer:
        where, params = self._where(query)
        rows = self.db.execute(
            "SELECT docs.rowid, title, snippet(docs, 1, '<mark>', '</mark>', '…', 30) "
            f"{where} ORDER BY bm25(docs, 4.0, 1.0) LIMIT 20",
            params,
        ).fetchall()
        (count,) = self.db.execute(f"SELECT count(*) {where}", params).fetchone()
        self.db.execute(
            f"SELECT meta.source, count(*) {where} GROUP BY meta.source ORDER BY 2 DESC LIMIT 10",
            params,
        ).fetchall()
        return PeerAnswer(count, tuple(r[0] for r in rows))


def _day_after(day: str) -> str:
    return date.fromordinal(date.fromisoformat(day).toordinal() + 1).isoformat()


def _day_number(day: str) -> int:
    return int(day.replace("-", ""))


class TantivyPeer:
    """tantivy with English stemming, title boosted; counts, a terms facet, snippets."""

    name = "tantivy"

    def __init__(self, path: Path) -> None:
        import tantivy

        self.tantivy = tantivy
        self.index = tantivy.Index.open(str(path))
        self.index.reload()
        self.schema = self.index.schema
        self.searcher = self.index.searcher()

    @staticmethod
    def _schema() -> Any:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
        builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
        builder.add_text_field("source", stored=True, fast=True, tokenizer_name="raw")
        builder.add_text_field("tag", stored=True, tokenizer_name="raw")
        builder.add_integer_field("day", stored=True, indexed=True, fast=True)
        builder.add_integer_field("id", stored=True, indexed=False)
        return builder.build()

    @classmethod
    def build(cls, corpus: Path, path: Path) -> None:
        import tantivy

        partial = path.with_name(path.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        index = tantivy.Index(cls._schema(), path=str(partial))
        writer = index.writer(heap_size=256_000_000)
        for number, record in _records(corpus):
            published = record.get("published_at") or "1970-01-01"
            writer.add_document(
                tantivy.Document(
                    id=number,
                    title=record["title"],
                    body=record["body"],
                    source=record.get("source") or "",
                    tag=list(record.get("tags") or ()) or [""],
                    day=_day_number(published[:10]),
                )
            )
        writer.commit()
        writer.wait_merging_threads()
        shutil.rmtree(path, ignore_errors=True)
        partial.replace(path)

    def _query(self, query: Query) -> Any:
        t = self.tantivy
        text = self.index.parse_query(
            query.tantivy(), ["title", "body"], field_boosts={"title": 4.0}
        )
        clauses = [(t.Occur.Must, text)]
        f = query.filters
        if f.source_name:
            clauses.append((t.Occur.Must, t.Query.term_query(self.schema, "source", f.source_name)))
        if f.tag_name:
            clauses.append((t.Occur.Must, t.Query.term_query(self.schema, "tag", f.tag_name)))
        if f.date_from:
            day_range = t.Query.range_query(
                self.schema,
                "day",
                t.FieldType.Integer,
                _day_number(f.date_from),
                _day_number(f.date_to),
            )
            clauses.append((t.Occur.Must, day_range))
        return t.Query.boolean_query(clauses) if len(clauses) > 1 else text

    def search(self, query: Query) -> PeerAnswer:
        q = self._query(query)
        result = self.searcher.search(q, 20, count=True)
        snippets = self.tantivy.SnippetGenerator.create(self.searcher, q, self.schema, "body")
        ids = []
        for _score, address in result.hits:
            doc = self.searcher.doc(address)
            snippets.snippet_from_doc(doc).to_html()
            ids.append(doc["id"][0])
        self.searcher.aggregate(q, {"sources": {"terms": {"field": "source", "size": 10}}})
        return PeerAnswer(getattr(result, "count", 0) or 0, tuple(ids))
