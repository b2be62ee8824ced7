"""The index on disk: where it is, opening it once per process, and its writer.

Every process (web workers, `ingest`, `manage.py index`) opens the same folder,
`settings.SEARCH_INDEX_DIR`. Readers reload on their own within half a second of a
commit (tantivy watches the index's meta.json), so a change committed by an import or by
a curator's edit in one process shows in every other. Only one process writes at a
time: the indexer holds a PostgreSQL advisory lock around its writer
(articles/search/indexer.py).
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

from django.conf import settings
from tantivy import Index, IndexWriter, Order, Query, Searcher

from . import analysis
from .schema import META, SCHEMA_VERSION, schema

_VERSION_FILE = "newsarchive.json"
_lock = threading.Lock()
_opened: dict[str, Index] = {}


class SearchUnavailable(Exception):
    """The index is missing, of another version, or not yet built from the database."""


def index_dir() -> Path:
    return Path(settings.SEARCH_INDEX_DIR)


def open_index(*, create: bool = False) -> Index:
    """The index, opened once per process and folder.

    `create`: make an empty one where there is none (the indexer does; readers don't).
    Raises SearchUnavailable when there is no index of this schema version.
    """
    path = index_dir()
    key = str(path)
    index = _opened.get(key)
    if index is not None and (path / _VERSION_FILE).exists():
        return index
    with _lock:
        if (path / _VERSION_FILE).exists():
            found = _read_version(path)
            if found != SCHEMA_VERSION:
                raise SearchUnavailable(
                    f"The search index in {path} is of version {found}, not {SCHEMA_VERSION}: "
                    "run `manage.py reindex`."
                )
            index = Index(schema(), str(path), reuse=True)
        elif create:
            if path.exists():
                shutil.rmtree(path)  # a folder without our version file: not an index of ours
            path.mkdir(parents=True)
            index = Index(schema(), str(path), reuse=False)
            (path / _VERSION_FILE).write_text(json.dumps({"schema_version": SCHEMA_VERSION}))
        else:
            raise SearchUnavailable(
                f"There is no search index in {path} yet: run `manage.py reindex`."
            )
        analysis.register(index)
        _opened[key] = index
        return index


def discard_index() -> None:
    """Delete the index folder (a rebuild of another schema version starts from nothing)."""
    path = index_dir()
    with _lock:
        _opened.pop(str(path), None)
        shutil.rmtree(path, ignore_errors=True)


def _read_version(path: Path) -> int | None:
    try:
        return int(json.loads((path / _VERSION_FILE).read_text())["schema_version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def index_version_ok() -> bool:
    path = index_dir()
    return (path / _VERSION_FILE).exists() and _read_version(path) == SCHEMA_VERSION


def searcher() -> Searcher:
    """A searcher over the index's latest commit this process has loaded."""
    return open_index().searcher()


def refresh() -> None:
    """Load the latest commit now (the writing process itself, and tests)."""
    open_index().reload()


def writer(*, heap_mb: int = 128, threads: int = 1) -> IndexWriter:
    return open_index(create=True).writer(heap_mb * 1_000_000, threads)


def meta(searcher: Searcher) -> tuple[int, int] | None:
    """(horizon, generation) recorded by the indexer's last commit; None before any."""
    hits = searcher.search(Query.term_query(schema(), "state", META), 1, count=False).hits
    if not hits:
        return None
    doc = searcher.doc(hits[0][1])
    return int(doc["horizon"][0]), int(doc["generation"][0])


__all__ = ["Order", "SearchUnavailable", "index_dir", "meta", "open_index", "searcher"]
