"""The benchmark's query classes, and each query written for every engine (pure Python).

A query is kept structured (words, a phrase, or `a or b -c`) so the same search
can be written in the archive's own query language (what a reader types in the search
box), SQLite FTS5's MATCH syntax and raw tantivy's query language without parsing anyone's
syntax.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

# Share of all articles each single-term class should match.
TARGETS: dict[str, float] = {
    "rare": 0.00005,
    "mid": 0.005,
    "common": 0.12,
    "very_common": 0.22,
}
# Two-word phrases: a real two-word phrase matches about 3.4% of articles.
PHRASE_TARGET = 0.034
# Each of the two `or` terms; the exclusion is the common term.
OR_TERM_TARGET = 0.017

CLASSES = ("rare", "mid", "common", "very_common", "two_word_and", "phrase", "or_exclusion")
VARIANTS = ("none", "source", "tag", "date")


@dataclass(frozen=True)
class Filters:
    """Optional narrowing, as the search page takes it (slugs, ISO dates)."""

    source: str = ""  # slug
    source_name: str = ""
    tag: str = ""  # slug
    tag_name: str = ""
    date_from: str = ""  # YYYY-MM-DD, inclusive
    date_to: str = ""

    def params(self) -> dict[str, str]:
        out = {}
        if self.source:
            out["source"] = self.source
        if self.tag:
            out["tag"] = self.tag
        if self.date_from:
            out["from"] = self.date_from
        if self.date_to:
            out["to"] = self.date_to
        return out


@dataclass(frozen=True)
class Query:
    """One search: `kind` is "and" (all words), "phrase" or "or_not" (a or b -c)."""

    query_class: str
    kind: str
    words: tuple[str, ...]
    variant: str = "none"
    filters: Filters = field(default_factory=Filters)

    @property
    def label(self) -> str:
        return (
            f"{self.query_class}"
            if self.variant == "none"
            else f"{self.query_class}+{self.variant}"
        )

    def websearch(self) -> str:
        """The archive's query language (articles/search/query.py), as a reader types it."""
        if self.kind == "phrase":
            return '"' + " ".join(self.words) + '"'
        if self.kind == "or_not":
            a, b, c = self.words
            return f"{a} or {b} -{c}"
        return " ".join(self.words)

    def fts5(self) -> str:
        """SQLite FTS5 MATCH syntax."""
        if self.kind == "phrase":
            return '"' + " ".join(self.words) + '"'
        if self.kind == "or_not":
            a, b, c = self.words
            return f'("{a}" OR "{b}") NOT "{c}"'
        return " ".join(f'"{w}"' for w in self.words)

    def tantivy(self) -> str:
        """tantivy's query language (fields default to title and body)."""
        if self.kind == "phrase":
            return '"' + " ".join(self.words) + '"'
        if self.kind == "or_not":
            a, b, c = self.words
            return f"(+({a} OR {b}) -{c})"
        return " ".join(f"+{w}" for w in self.words)

    def params(self) -> dict[str, str]:
        return {"q": self.websearch(), **self.filters.params()}

    def path(self, base: str) -> str:
        return f"{base}?{urlencode(self.params())}"


def with_variants(base: list[Query], variants: dict[str, Filters]) -> list[Query]:
    """Every base query once without filters and once with each named filter."""
    out = []
    for query in base:
        out.append(query)
        for name, filters in variants.items():
            out.append(
                Query(query.query_class, query.kind, query.words, variant=name, filters=filters)
            )
    return out
