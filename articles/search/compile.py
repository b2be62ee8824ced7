"""A parsed query and a request's filters, as one tantivy query.

Each article is indexed in the fields of its own language's analyzer (analysis.py), so the
reader's words are analyzed once per analyzer the index holds, and each analyzer's *branch*
matches only its own articles: `OR` over the branches of (words of that branch, analyzed
its way). Stop words are where this matters: "the" is dropped by the English analyzer,
so English articles need only the other words; a word on the stop list of any language
the archive holds is optional in every other branch too (the French and plain analyzers
keep "the"): it adds to the score of the articles that have it, and narrows nothing. So
stop words never narrow or empty a query, in any mix of languages; a query of stop words
alone matches nothing, and says so.

Scoring is BM25 over each match's title and whole body together (the `text_<analyzer>`
fields, schema.py). Filters (source, tag, language, dates, visibility) score nothing; they
only narrow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from tantivy import FieldType, Occur, Query

from . import analysis
from .query import And, Filter, Node, Not, Or, Phrase, Word
from .schema import (
    AUTHOR_NAMES,
    EXACT_BODY,
    EXACT_TITLE,
    HIDDEN,
    META,
    UNKNOWN_LANGUAGE,
    day_number,
    schema,
    text_field,
    title_field,
)

# How much a word found as typed in the body adds to its stem's score.
EXACT_BODY_WEIGHT = 0.5
# A title holding at least this many of the typed words side by side, as typed, scores
# this much more (a headline typed as it reads); two words together are too common to say.
TITLE_PHRASE_WORDS = 3
TITLE_PHRASE_BOOST = 2.0
# Shortest prefix searched as a prefix (`a*` would be every word): shorter is a plain word.
MIN_PREFIX = 2

# A filter's names resolved to the ids (source, tag) or codes (language) it means.
Resolver = Callable[[Filter], list[int] | list[str]]


@dataclass(frozen=True)
class Filters:
    """What a request narrows its matches to, besides its words."""

    sources: tuple[int, ...] = ()  # any of them
    tags: tuple[int, ...] = ()  # all of them
    authors: tuple[int, ...] = ()  # all of them
    language: str | None = None  # an ISO 639-1 code, or "" for unknown
    date_from: date | None = None
    date_to: date | None = None
    undated: bool = False  # only articles without a publication date
    include_hidden: bool = False
    exclude_ids: tuple[int, ...] = ()


@dataclass
class Compiled:
    """The query to run, and what the page needs to know about it."""

    query: Query
    has_words: bool  # the reader typed something to search for (not just filters)
    only_stop_words: bool  # ...but every word of it was a stop word
    # Each searched term by field, for marking hits in snippets (exclusions left out).
    terms: dict[str, set[str]] = field(default_factory=dict)
    prefixes: dict[str, set[str]] = field(default_factory=dict)
    # Filters in the query that named nothing (source:nosuch), for the page to say.
    unknown: list[Filter] = field(default_factory=list)
    # `author:` filters and their queries on the author names in the index: one that
    # matches no article is unknown too (the searcher asks, when a search finds nothing).
    names: dict[Filter, Query] = field(default_factory=dict)


def compile_query(
    tree: Node | None,
    filters: Filters,
    analyzers: Iterable[str],
    resolve: Resolver,
    stop_analyzers: Iterable[str] = (),
) -> Compiled:
    """The tantivy query for a parsed query (None: no words) and filters.

    `analyzers`: those whose fields hold articles (one branch each). `stop_analyzers`: the
    analyzers with stop lists whose words are optional in the plain branch (the archive's
    languages).
    """
    branches = sorted(set(analyzers)) or [analysis.PLAIN]
    builder = _Builder(resolve, frozenset(stop_analyzers), branches)
    musts: list[Query] = []
    has_words = tree is not None and _has_text(tree)
    only_stop = False
    if tree is not None:
        if not has_words or _shared(tree):
            # Phrases, `body:` and filters only: fields every language shares, one query.
            text = builder.compile(tree, branches[0])
            if text is not None and not text.optional:
                musts.append(text.query)
            elif has_words:
                only_stop = True
                musts.append(Query.empty_query())
        else:
            parts = []
            for name in branches:
                part = builder.compile(tree, name)
                if part is not None and not part.optional:
                    restricted = part.query
                    if len(branches) > 1 and not part.own:
                        restricted = _and([part.query, _zero(_language_filter(name))])
                    parts.append(restricted)
            if parts:
                musts.append(parts[0] if len(parts) == 1 else _or(parts))
            else:
                only_stop = True
                musts.append(Query.empty_query())
    musts.extend(_zero(q) for q in _filter_queries(filters))
    nots = [
        Query.term_set_query(
            schema(), "state", [HIDDEN, META] if not filters.include_hidden else [META]
        )
    ]
    if filters.exclude_ids:
        nots.append(Query.term_set_query(schema(), "id", list(filters.exclude_ids)))
    if not musts:
        # Everything: the visible articles' posting list, cheaper than all docs minus some.
        base = Query.term_query(schema(), "state", 0)
        musts.append(base if not filters.include_hidden else Query.all_query())
    return Compiled(
        query=_and(musts, [], nots),
        has_words=has_words,
        only_stop_words=only_stop,
        terms=builder.terms,
        prefixes=builder.prefixes,
        unknown=builder.unknown,
        names=builder.names,
    )


def _shared(node: Node) -> bool:
    """Whether `node` searches only fields every language shares (no branch needed)."""
    if isinstance(node, Word):
        return node.field == "body"
    if isinstance(node, Phrase):
        return node.field != "title"
    if isinstance(node, Filter):
        return True
    if isinstance(node, Not):
        return _shared(node.child)
    return all(_shared(child) for child in node.children)


def _has_text(node: Node) -> bool:
    if isinstance(node, Word | Phrase):
        return True
    if isinstance(node, Not):
        return _has_text(node.child)
    if isinstance(node, And | Or):
        return any(_has_text(child) for child in node.children)
    return False


@dataclass(frozen=True)
class _Part:
    query: Query
    optional: bool = False  # a stop word kept by the plain analyzer: scores, never narrows
    # Matches only articles of its branch: it requires a field of the branch's analyzer,
    # which holds no other article. Else (phrases and `body:` in the shared exact fields,
    # filters, exclusions alone) the branch is restricted to its languages.
    own: bool = False


class _Builder:
    def __init__(
        self, resolve: Resolver, stop_analyzers: frozenset[str], branches: list[str]
    ) -> None:
        self.resolve = resolve
        self.stop_analyzers = stop_analyzers
        self.branches = branches
        self.terms: dict[str, set[str]] = {}
        self.prefixes: dict[str, set[str]] = {}
        self.unknown: list[Filter] = []
        self.names: dict[Filter, Query] = {}
        self._resolved: dict[Filter, Query] = {}
        self._negated = 0

    def compile(self, node: Node, branch: str) -> _Part | None:
        """The query of `node` in `branch`; None when nothing of it is left there."""
        if isinstance(node, Word):
            return self._word(node, branch)
        if isinstance(node, Phrase):
            return self._phrase(node.text, node.field, node.slop, branch)
        if isinstance(node, Filter):
            return _Part(_zero(self._filter(node)))  # in every branch alike
        if isinstance(node, Not):
            inner = self._negation(node.child, branch)
            if inner is None:
                return None
            return _Part(_and([Query.all_query()], [], [inner]))
        if isinstance(node, And):
            return self._all_of(node.children, branch)
        return self._any_of(node.children, branch)

    def _negation(self, node: Node, branch: str) -> Query | None:
        self._negated += 1
        try:
            part = self.compile(node, branch)
        finally:
            self._negated -= 1
        return None if part is None or part.optional else part.query

    def _all_of(self, children: Iterable[Node], branch: str) -> _Part | None:
        musts: list[Query] = []
        shoulds: list[Query] = []
        nots: list[Query] = []
        own = False
        for child in children:
            if isinstance(child, Not):
                inner = self._negation(child.child, branch)
                if inner is not None:
                    nots.append(inner)
                continue
            part = self.compile(child, branch)
            if part is None:
                continue
            (shoulds if part.optional else musts).append(part.query)
            own = own or (part.own and not part.optional)
        if not musts and not nots:
            return _Part(_or(shoulds), optional=True) if shoulds else None
        if not musts:
            musts = [Query.all_query()]
        bonus = self._title_bonus(children)
        if bonus is not None:
            shoulds.append(bonus)
        return _Part(_and(musts, shoulds, nots), own=own)

    def _title_bonus(self, children: Iterable[Node]) -> Query | None:
        """For words typed without syntax, a title holding them together (a headline typed
        as it reads) scores more."""
        words = []
        for child in children:
            if not isinstance(child, Word) or child.field is not None or child.prefix:
                return None
            words.extend(analysis.words(child.text))
        terms = [t for t in (analysis.term(analysis.PLAIN, w) for w in words) if t]
        if len(terms) < TITLE_PHRASE_WORDS:
            return None
        positioned: list[str | tuple[int, str]] = list(enumerate(terms))
        phrase = Query.phrase_query(schema(), EXACT_TITLE, positioned, 0)
        return Query.boost_query(phrase, TITLE_PHRASE_BOOST)

    def _any_of(self, children: Iterable[Node], branch: str) -> _Part | None:
        parts = [p for p in (self.compile(c, branch) for c in children) if p is not None]
        required = [p for p in parts if not p.optional]
        if not required:
            return None
        query = required[0].query if len(required) == 1 else _or([p.query for p in required])
        return _Part(query, own=all(p.own for p in required))

    # -- words ------------------------------------------------------------------------

    def _word(self, node: Word, branch: str) -> _Part | None:
        words = analysis.words(node.text)
        if not words:
            return None
        if node.prefix and len(words) == 1 and len(words[0]) >= MIN_PREFIX:
            return self._prefix(words[0], node.field, branch)
        if len(words) > 1:  # e-mail, U.S., 10:30: the parts side by side
            return self._phrase(node.text, node.field, 0, branch)
        term = analysis.term(branch, words[0])
        if term is None or analysis.is_stop_word(branch, words[0]):
            return None  # a stop word of this branch's language: nothing to look for
        exact = analysis.term(analysis.PLAIN, words[0]) or words[0]
        if node.field is None:
            # Matched and ranked through its stem in title and body together (BM25F);
            # found as typed in the body, it scores a little more. (The same bonus for the
            # title made one word of a short title outweigh the body again.)
            query = _and(
                [self._term(text_field(branch), term)],
                [
                    Query.boost_query(
                        Query.term_query(schema(), EXACT_BODY, exact), EXACT_BODY_WEIGHT
                    )
                ],
            )
        elif node.field == "title":
            query = self._term(title_field(branch), term)
        else:
            self._mark(words[0])
            query = Query.term_query(schema(), EXACT_BODY, exact)
        return _Part(query, optional=self._stop_anywhere(words[0]), own=node.field != "body")

    def _stop_anywhere(self, word: str) -> bool:
        return any(analysis.is_stop_word(name, word) for name in self.stop_analyzers)

    def _phrase(self, text: str, field_name: str | None, slop: int, branch: str) -> _Part | None:
        # Every word, stop words included: the index holds them, so a phrase is exact.
        # Word for word as written (the exact fields), but in `title:`, through the stems
        # of the article's language.
        analyzer = branch if field_name == "title" else analysis.PLAIN
        positioned: list[tuple[int, str]] = []
        for position, word in enumerate(analysis.words(text)):
            term = analysis.term(analyzer, word)
            if term is not None:
                positioned.append((position, term))
                if field_name != "title":
                    self._mark(word)
        if not positioned:
            return None
        if len(positioned) == 1:
            term = positioned[0][1]
            if field_name == "title":
                return _Part(self._term(title_field(branch), term), own=True)
            return _Part(self._exact(field_name, lambda f: Query.term_query(schema(), f, term)))
        # Positions relative to the first word (an over-long word leaves a gap).
        first = positioned[0][0]
        words: list[str | tuple[int, str]] = [(p - first, t) for p, t in positioned]

        def phrase(f: str) -> Query:
            if not self._negated:
                self.terms.setdefault(f, set()).update(t for _, t in positioned)
            return Query.phrase_query(schema(), f, words, slop)

        if field_name == "title":
            return _Part(phrase(title_field(branch)), own=True)
        return _Part(
            self._exact(field_name, lambda f: Query.phrase_query(schema(), f, words, slop))
        )

    @staticmethod
    def _exact(field_name: str | None, make: Callable[[str], Query]) -> Query:
        """In the body as written, or (without a field) in the title or the body."""
        if field_name == "body":
            return make(EXACT_BODY)
        return _or([make(EXACT_TITLE), make(EXACT_BODY)])

    def _mark(self, word: str) -> None:
        """Mark `word` in snippets, in every language (through its stem, as the marker
        analyzes text): shared fields match it in articles of any of them."""
        if self._negated:
            return
        for branch in self.branches:
            stem = analysis.term(branch, word)
            if stem is not None:
                self.terms.setdefault(text_field(branch), set()).add(stem)

    def _prefix(self, word: str, field_name: str | None, branch: str) -> _Part:
        # The word as typed (folded) and its stem: stems are not always prefixes of their
        # words (happy -> happi), and a stemmed field holds only stems.
        variants = {analysis.folded(word) if branch == analysis.PLAIN else word}
        if branch != analysis.PLAIN:
            if branch in analysis.LATIN:
                variants.add(analysis.folded(word))
            stem = analysis.term(branch, word)
            if stem:
                variants.add(stem)
        pattern = "(" + "|".join(sorted(analysis.regex_literal(v) for v in variants)) + ").*"

        def prefix(f: str) -> Query:
            if not self._negated:
                marked = text_field(branch) if f == EXACT_BODY else f
                self.prefixes.setdefault(marked, set()).update(variants)
            return Query.regex_query(schema(), f, pattern)

        return _Part(self._fields(field_name, branch, prefix), own=field_name != "body")

    def _term(self, field_name: str, term: str) -> Query:
        if not self._negated:
            self.terms.setdefault(field_name, set()).add(term)
        return Query.term_query(schema(), field_name, term)

    @staticmethod
    def _fields(field_name: str | None, branch: str, make: Callable[[str], Query]) -> Query:
        if field_name == "title":
            return make(title_field(branch))
        if field_name == "body":
            return make(EXACT_BODY)
        return make(text_field(branch))

    # -- filters in the query ---------------------------------------------------------

    def _filter(self, node: Filter) -> Query:
        found = self._resolved.get(node)
        if found is None and node.field == "author":
            found = _author_names(node)
            # A slug names one author, even one whose slug carries a number to tell them
            # from a namesake (author:jane-smith-2).
            ids = [] if node.prefix else self.resolve(node)
            if ids:
                found = _or([found, Query.term_set_query(schema(), "author", list(ids))])
            self.names[node] = self._resolved[node] = found
        if found is None:
            values = self.resolve(node)
            if not values:
                self.unknown.append(node)
                found = Query.empty_query()
            elif node.field == "language":
                found = Query.term_set_query(schema(), "language", list(values))
            else:
                found = Query.term_set_query(schema(), node.field, list(values))
            self._resolved[node] = found
        return found


def _author_names(node: Filter) -> Query:
    """`author:` in the author names the index holds, as `title:` searches titles: a word
    (author:smith), a whole name in quotes, word for word (author:"jane smith"; a slug,
    author:jane-smith, reads the same), or a prefix of the name's last word (author:lindq*)."""
    terms = [t for t in (analysis.term(analysis.PLAIN, w) for w in analysis.words(node.value)) if t]
    if not terms:
        return Query.empty_query()
    musts = []
    if node.prefix and len(terms[-1]) >= MIN_PREFIX:
        pattern = analysis.regex_literal(terms.pop()) + ".*"
        musts.append(Query.regex_query(schema(), AUTHOR_NAMES, pattern))
    if len(terms) == 1:
        musts.append(Query.term_query(schema(), AUTHOR_NAMES, terms[0]))
    elif terms:
        words: list[str | tuple[int, str]] = list(enumerate(terms))
        musts.append(Query.phrase_query(schema(), AUTHOR_NAMES, words, 0))
    return _and(musts)


def _filter_queries(filters: Filters) -> list[Query]:
    """The request's own filters (the search form's), each a query that scores nothing."""
    out = []
    if filters.sources:
        out.append(Query.term_set_query(schema(), "source", list(filters.sources)))
    for pk in filters.tags:
        out.append(Query.term_query(schema(), "tag", pk))
    for pk in filters.authors:
        out.append(Query.term_query(schema(), "author", pk))
    if filters.language is not None:
        out.append(Query.term_query(schema(), "language", filters.language or UNKNOWN_LANGUAGE))
    if filters.undated:
        out.append(Query.term_query(schema(), "day", 0))
    elif filters.date_from is not None or filters.date_to is not None:
        low = day_number(filters.date_from) if filters.date_from else 1
        high = day_number(filters.date_to) if filters.date_to else 99_991_231
        out.append(Query.range_query(schema(), "day", FieldType.Unsigned, max(low, 1), high))
    return out


def _language_filter(analyzer: str) -> Query:
    """The articles whose language this analyzer serves."""
    codes = analysis.languages_of(analyzer)
    if analyzer == analysis.PLAIN:
        stemmed = sorted(analysis.STEMMED)
        return _and([Query.all_query()], [], [Query.term_set_query(schema(), "language", stemmed)])
    return Query.term_set_query(schema(), "language", codes)


def _zero(query: Query) -> Query:
    return Query.const_score_query(query, 0.0)


def _and(
    musts: list[Query], shoulds: list[Query] | None = None, nots: list[Query] | None = None
) -> Query:
    clauses = [(Occur.Must, q) for q in musts]
    clauses += [(Occur.Should, q) for q in shoulds or ()]
    clauses += [(Occur.MustNot, q) for q in nots or ()]
    if len(clauses) == 1 and clauses[0][0] == Occur.Must:
        return clauses[0][1]
    return Query.boolean_query(clauses)


def _or(queries: list[Query]) -> Query:
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Should, q) for q in queries])
