"""Full-text search: the stored vector definitions (query building is added below them).

Each article is indexed with the text-search configuration of its own language,
chosen per row by `LanguageConfig`, so stemming is right for every language the
archive holds. Two vectors are stored, both as generated columns:

- `search_vector`: title (weight A) and the whole body (weight B), GIN-indexed,
  used for matching.
- `rank_vector`: title (A) and the lead of the body (B). It is small enough to
  stay inline in the heap row, so ranking thousands of matches never reads the
  full vector out of TOAST.
"""

from __future__ import annotations

import operator
import time
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Expression, F, Field
from django.db.models.functions import Left
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .languages import FALLBACK_CONFIG, TEXT_SEARCH_CONFIGS, config_for

# Characters of body that the ranking vector covers (about the first 100 words).
RANK_LEAD_CHARS = 700


class RegConfigField(Field):
    def db_type(self, connection: Any) -> str:
        return "regconfig"


class LanguageConfig(Expression):
    """`CASE language WHEN 'en' THEN 'english'::regconfig ... END`.

    Every branch is a regconfig constant, so the expression is immutable and may
    be used in a generated column (a text-to-regconfig cast of a column is not).
    """

    output_field = RegConfigField()

    def __init__(self, language: Any = None) -> None:
        super().__init__()
        self.language = language if language is not None else F("language")

    def get_source_expressions(self) -> list[Any]:
        return [self.language]

    def set_source_expressions(self, exprs: Any) -> None:
        (self.language,) = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.language)
        whens = " ".join(
            f"WHEN '{code}' THEN '{config}'::regconfig"
            for code, config in sorted(TEXT_SEARCH_CONFIGS.items())
        )
        return f"(CASE {sql} {whens} ELSE '{FALLBACK_CONFIG}'::regconfig END)", params


def search_vector_expression() -> Any:
    return SearchVector("title", config=LanguageConfig(), weight="A") + SearchVector(
        "body", config=LanguageConfig(), weight="B"
    )


def rank_vector_expression() -> Any:
    return SearchVector("title", config=LanguageConfig(), weight="A") + SearchVector(
        Left("body", RANK_LEAD_CHARS), config=LanguageConfig(), weight="B"
    )


# --- Query building -----------------------------------------------------------------------
#
# Readers type `websearch_to_tsquery` syntax: words (all must match), "quoted phrases",
# `or`, `-excluded`. The archive holds articles in several languages, each indexed with
# its own configuration, so every term is parsed in each configuration the archive holds
# and OR-ed ('cats' in English is 'cat', in French 'cats'...). Exclusions are AND-ed
# instead: `-cats` excludes an article containing the word under any stemming. The whole
# query folds to one constant tsquery at plan time, so the GIN index answers it.

# Longest query accepted, and most terms parsed out of it.
MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 32

# How long the list of languages held by the archive is reused (seconds).
LANGUAGES_TTL = 60.0


@dataclass(frozen=True)
class Term:
    """One operand of a reader's query: a word or a quoted phrase, possibly excluded."""

    text: str
    phrase: bool = False
    negated: bool = False

    def websearch_text(self) -> str:
        return f'"{self.text}"' if self.phrase else self.text


def parse_query(q: str) -> list[list[Term]]:
    """Split websearch syntax into OR-groups of AND-ed terms (AND binds tighter, as in PG)."""
    groups: list[list[Term]] = [[]]
    pos, n, count = 0, len(q), 0
    while pos < n and count < MAX_QUERY_TERMS:
        ch = q[pos]
        if ch.isspace():
            pos += 1
            continue
        negated = False
        if ch == "-" and pos + 1 < n and not q[pos + 1].isspace():
            negated, pos = True, pos + 1
        if q[pos] == '"':
            end = q.find('"', pos + 1)
            end = n if end == -1 else end
            text, pos = q[pos + 1 : end], end + 1
            phrase = True
        else:
            end = pos
            while end < n and not q[end].isspace() and q[end] != '"':
                end += 1
            text, pos = q[pos:end], end
            phrase = False
        text = text.strip() if phrase else text.lstrip("-")
        if not text:
            continue
        if not phrase and not negated and text.lower() == "or":
            if groups[-1]:
                groups.append([])
            continue
        groups[-1].append(Term(text, phrase, negated))
        count += 1
    return [group for group in groups if group]


_languages_cache: tuple[float, tuple[str, ...]] | None = None


def languages_in_archive() -> tuple[str, ...]:
    """Distinct article languages, by a loose index scan (cached for LANGUAGES_TTL)."""
    global _languages_cache
    now = time.monotonic()
    if _languages_cache is not None and now - _languages_cache[0] < LANGUAGES_TTL:
        return _languages_cache[1]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE l(language) AS (
                (SELECT language FROM articles_article ORDER BY language LIMIT 1)
                UNION ALL
                SELECT (SELECT a.language FROM articles_article a
                        WHERE a.language > l.language ORDER BY a.language LIMIT 1)
                FROM l WHERE l.language IS NOT NULL
            )
            SELECT language FROM l WHERE language IS NOT NULL
            """
        )
        languages = tuple(row[0] for row in cursor.fetchall())
    _languages_cache = (now, languages)
    return languages


def clear_languages_cache() -> None:
    """Forget the cached language list (tests, and after an import in the same process)."""
    global _languages_cache
    _languages_cache = None


def search_configs() -> list[str]:
    """The text-search configurations of the languages the archive holds, deduplicated."""
    configs = sorted({config_for(code) for code in languages_in_archive()})
    return configs or [FALLBACK_CONFIG]


def _term_query(term: Term, configs: list[str]) -> Any:
    parts = [SearchQuery(term.websearch_text(), config=c, search_type="websearch") for c in configs]
    if term.negated:
        inverted = [~part for part in parts]
        return reduce(operator.and_, inverted)
    return reduce(operator.or_, parts)


def archive_query(q: str, configs: list[str] | None = None) -> Any | None:
    """The tsquery expression for a reader's query, or None when it has no terms at all."""
    groups = parse_query(q[:MAX_QUERY_CHARS])
    if not groups:
        return None
    configs = configs or search_configs()
    ored = [reduce(operator.and_, [_term_query(t, configs) for t in group]) for group in groups]
    return reduce(operator.or_, ored)


# ts_rank_cd weights for D, C, B, A: one title hit outweighs several lead hits.
RANK_WEIGHTS = [0.05, 0.1, 0.2, 1.0]


def rank_expression(query: Any) -> Any:
    """Relevance over the small inline `rank_vector`, never the TOASTed `search_vector`."""
    return SearchRank(F("rank_vector"), query, weights=RANK_WEIGHTS, cover_density=True)


# --- Snippets: escape, then mark ------------------------------------------------------------

# Sentinels ts_headline puts around hits; control characters never survive ingest cleaning,
# and any that do are removed before marking.
START_SEL = "\x02"
STOP_SEL = "\x03"


def headline_expression(query: Any, *, highlight_all: bool = False) -> Any:
    """ts_headline over the body in the row's own configuration, hits wrapped in sentinels."""
    if highlight_all:
        return SearchHeadline(
            "body",
            query,
            config=LanguageConfig(),
            start_sel=START_SEL,
            stop_sel=STOP_SEL,
            highlight_all=True,
        )
    return SearchHeadline(
        "body",
        query,
        config=LanguageConfig(),
        start_sel=START_SEL,
        stop_sel=STOP_SEL,
        max_words=35,
        min_words=15,
        max_fragments=2,
        fragment_delimiter=" … ",
    )


def mark_hits(text: str) -> SafeString:
    """Escape untrusted text, and only then turn the hit sentinels into <mark> elements."""
    escaped = escape(text)
    # Unbalanced sentinels (a hit cut by a fragment edge) are closed or dropped.
    out: list[str] = []
    open_ = False
    for ch in escaped:
        if ch == START_SEL:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif ch == STOP_SEL:
            if open_:
                out.append("</mark>")
                open_ = False
        else:
            out.append(ch)
    if open_:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - escaped above, only <mark> added
