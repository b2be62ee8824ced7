"""Snippets and marked text: escape untrusted text first, then add <mark> around hits.

The hits are found by tantivy's SnippetGenerator with the field's own analyzer, so "running"
marks "runs" in English and never a stop word; the text comes from PostgreSQL (the index
stores none). Offsets come back in UTF-8 bytes.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from tantivy import Document, Occur, Query, Searcher, SnippetGenerator

from .compile import Compiled
from .schema import schema, text_field, title_field

# Characters of a result's snippet, and of the body it is cut from.
SNIPPET_CHARS = 240
SNIPPET_SOURCE_CHARS = 50_000
LEAD_CHARS = 300
# A snippet is looked for in this much of the body around the first hit, starting this far
# before it (see Marker._window).
WINDOW_CHARS = 1_500
WINDOW_BEFORE = 500
# Most index terms a prefix is expanded to for marking.
PREFIX_TERMS = 50


def lead(text: str) -> str:
    """The start of a body, on one line, cut at a word boundary."""
    text = " ".join(text[: LEAD_CHARS * 2].split())
    if len(text) <= LEAD_CHARS:
        return text
    return text[:LEAD_CHARS].rsplit(" ", 1)[0] + " …"


def mark(fragment: str, ranges: Iterable[tuple[int, int]]) -> SafeString:
    """`fragment` escaped, with the byte ranges `ranges` (sorted) wrapped in <mark>."""
    raw = fragment.encode("utf-8")
    out: list[str] = []
    at = 0
    for start, end in ranges:
        if start < at or end <= start:
            continue
        out.append(escape(raw[at:start].decode("utf-8", "replace")))
        out.append("<mark>" + escape(raw[start:end].decode("utf-8", "replace")) + "</mark>")
        at = end
    out.append(escape(raw[at:].decode("utf-8", "replace")))
    return mark_safe("".join(out))  # noqa: S308 -- escaped above, only <mark> added


class Marker:
    """Marks the hits of one search in texts of any analyzer's fields."""

    def __init__(self, searcher: Searcher, compiled: Compiled) -> None:
        self.searcher = searcher
        self.compiled = compiled
        self._generators: dict[str, SnippetGenerator | None] = {}
        self._term_sets: dict[str, set[str]] = {}

    def snippet(self, analyzer: str, body: str) -> SafeString | str:
        """The body's best passage with its hits marked, or its lead when it has none."""
        generator = self._generator(analyzer)
        if generator is not None and body:
            generator.set_max_num_chars(SNIPPET_CHARS)
            found = generator.snippet_from_doc(
                _doc(text_field(analyzer), self._window(analyzer, body))
            )
            ranges = [(r.start, r.end) for r in found.highlighted()]
            if ranges:
                fragment = found.fragment()
                text = mark(fragment, ranges)
                if not body.startswith(fragment):
                    text = mark_safe("… " + text)  # noqa: S308 -- text is safe
                return mark_safe(text + " …")  # noqa: S308 -- text is safe
        return lead(body)

    def _window(self, analyzer: str, body: str) -> str:
        """The part of `body` the snippet is looked for in: around the first place a searched
        term appears as written (a stem is usually the start of its words), else the start.

        Analyzing a whole 3,500-character body to choose 240 characters was most of a result
        page's snippet time; a window of WINDOW_CHARS gives the same passage when the body
        holds the term near there.
        """
        if len(body) <= WINDOW_CHARS:
            return body
        lowered = body[:SNIPPET_SOURCE_CHARS].lower()
        found = [at for t in self._terms(analyzer) if (at := lowered.find(t)) >= 0]
        if not found:
            return body[:SNIPPET_SOURCE_CHARS]
        start = max(0, min(found) - WINDOW_BEFORE)
        if start:
            start = body.rfind(" ", 0, start) + 1  # at a word's start
        return body[start : start + WINDOW_CHARS]

    def whole(self, analyzer: str, text: str) -> SafeString:
        """All of `text` (a title, or one paragraph of a body) with every hit marked."""
        generator = self._generator(analyzer)
        if generator is None or not text:
            return escape(text)
        generator.set_max_num_chars(len(text.encode("utf-8")) + 1)
        found = generator.snippet_from_doc(_doc(text_field(analyzer), text))
        ranges = [(r.start, r.end) for r in found.highlighted()]
        # One fragment from the text's start to its last word: add back what follows.
        fragment = found.fragment()
        if not ranges or not text.startswith(fragment):
            return escape(text)
        return mark_safe(mark(fragment, ranges) + escape(text[len(fragment) :]))  # noqa: S308

    def _generator(self, analyzer: str) -> SnippetGenerator | None:
        """One generator per analyzer, over the `text_` field whose analyzer it shares."""
        key = analyzer
        if key not in self._generators:
            name = text_field(analyzer)
            terms = self._terms(analyzer)
            if not terms:
                self._generators[key] = None
            else:
                query = Query.boolean_query(
                    [(Occur.Should, Query.term_query(schema(), name, t)) for t in sorted(terms)]
                )
                self._generators[key] = SnippetGenerator.create(
                    self.searcher, query, schema(), name
                )
        return self._generators[key]

    def _terms(self, analyzer: str) -> set[str]:
        """The searched terms of this analyzer's fields, prefixes expanded to index terms."""
        if analyzer in self._term_sets:
            return self._term_sets[analyzer]
        terms: set[str] = set()
        for name in (text_field(analyzer), title_field(analyzer)):
            terms |= self.compiled.terms.get(name, set())
            for prefix in self.compiled.prefixes.get(name, set()):
                found = self.searcher.terms_with_prefix(name, prefix, limit=PREFIX_TERMS)
                terms.update(term for term, _ in found)
        self._term_sets[analyzer] = terms
        return terms


def _doc(name: str, text: str) -> Document:
    doc = Document()
    doc.add_text(name, text)
    return doc
