"""The engines the evaluation compares, each answering a typed query with its top 10.

The peers read the indexes `bench.peers` builds from the export (a document's id there
is its line number in the export); ours is the archive's own search, reached through
`ours_search`, the one place that calls it.
"""

from __future__ import annotations

import importlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOP = 10
TITLE_WEIGHT = 2.0  # title over body, the same for both peers


@dataclass(frozen=True)
class Answer:
    ids: tuple[Any, ...]  # best first: the engine's own ids
    count: int  # every match


def fts5_match(q: str) -> str:
    """The typed query as an FTS5 MATCH expression: every word quoted (so punctuation
    cannot break the syntax), all required, a quoted part kept as a phrase."""
    parts = q.split('"')
    if len(parts) % 2 == 0:  # an unclosed quote: the rest is plain words
        parts[-2:] = [parts[-2] + " " + parts[-1]]
    terms = []
    for i, part in enumerate(parts):
        if i % 2:
            if part.strip():
                terms.append('"' + " ".join(part.split()) + '"')
        else:
            terms += [f'"{word}"' for word in part.split() if any(c.isalnum() for c in word)]
    return " ".join(terms)


class Fts5:
    """SQLite FTS5, bm25 with the title weighted above the body, AND semantics."""

    name = "sqlite_fts5"

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def search(self, q: str) -> Answer:
        match = fts5_match(q)
        if not match:
            return Answer((), 0)
        rows = self.db.execute(
            "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, ?, 1.0) LIMIT ?",
            [match, TITLE_WEIGHT, TOP],
        ).fetchall()
        (count,) = self.db.execute(
            "SELECT count(*) FROM docs WHERE docs MATCH ?", [match]
        ).fetchone()
        return Answer(tuple(r[0] for r in rows), int(count))

    def count(self, q: str) -> int:
        match = fts5_match(q)
        if not match:
            return 0
        (count,) = self.db.execute(
            "SELECT count(*) FROM docs WHERE docs MATCH ?", [match]
        ).fetchone()
        return int(count)


class Tantivy:
    """tantivy's own query parser over title and body (`en_stem`), the title boosted,
    AND semantics; the lenient parser when the strict one refuses the text."""

    name = "tantivy"

    def __init__(self, path: Path) -> None:
        import tantivy

        self.index = tantivy.Index.open(str(path))
        self.index.reload()
        self.searcher = self.index.searcher()

    def parse(self, q: str) -> Any:
        fields = ["title", "body"]
        boosts = {"title": TITLE_WEIGHT}
        try:
            return self.index.parse_query(
                q, fields, field_boosts=boosts, conjunction_by_default=True
            )
        except ValueError:
            query, _errors = self.index.parse_query_lenient(
                q, fields, field_boosts=boosts, conjunction_by_default=True
            )
            return query

    def search(self, q: str) -> Answer:
        result = self.searcher.search(self.parse(q), TOP, count=True)
        ids = tuple(self.searcher.doc(address)["id"][0] for _score, address in result.hits)
        return Answer(ids, _count(result))

    def count(self, q: str) -> int:
        return _count(self.searcher.search(self.parse(q), 1, count=True))


def _count(result: Any) -> int:
    # `count` is missing from tantivy's type stubs, not from its results.
    return int(getattr(result, "count", 0) or 0)


def ours_available() -> str | None:
    """None when the archive's search entry point is importable, else why not (needs
    Django set up)."""
    try:
        module = importlib.import_module("articles.search")
    except ImportError as exc:
        return f"articles.search cannot be imported ({exc})"
    missing = [name for name in ("SearchRequest", "search") if not hasattr(module, name)]
    if missing:
        return (
            f"articles.search has no {' or '.join(missing)}: the archive's search engine "
            "is not in this checkout"
        )
    return None


def ours_search(q: str) -> Answer:
    """The archive's own search: article ids (PostgreSQL keys), best first, and the count.

    The one place the evaluation calls it (imported by name at call time, so this module
    loads before the engine exists in a checkout).
    """
    module = importlib.import_module("articles.search")
    results = module.search(module.SearchRequest(q=q, page_size=TOP, facets=False, snippets=False))
    return Answer(tuple(results.ids)[:TOP], int(results.count))


class Ours:
    """The archive's search over the evaluation's database and index."""

    name = "ours"

    def search(self, q: str) -> Answer:
        return ours_search(q)
