"""Full-text search: the stored vectors, query building, ranking, facets and snippets.

Each article is indexed with the text-search configuration of its own language, so
stemming is right for every language the archive holds. Two vectors are stored:

- `search_vector`: title (weight A) and the whole body (weight B), GIN-indexed,
  used for matching.
- `rank_vector`: title (A) and the lead of the body (B). It is small enough to
  stay inline in the heap row, so ranking thousands of matches never reads the
  full vector out of TOAST.

A trigger keeps both (`vector_trigger_sql`, installed by migration 0008). It parses
the title and the lead once for both vectors, and only when title, body or language
change: stored generated columns parsed them twice on every insert and were recomputed
on every update, hiding and re-tagging included.

`search_vector` also carries *filter terms*: lexemes for the article's year and month of
publication, its source, its tags and its sample buckets (see `filter_terms_sql`). They
begin with a space, which the text parser never puts in a lexeme, so no reader's query
can match one. With them a filtered search is one GIN lookup (`q & ' t:805'`) in which
the rarer term drives and the other is skipped through, instead of two large bitmaps
AND-ed (at 1,000,000 articles: 'around' AND a 194,000-article tag built 414,000 bitmap
entries in 54 ms); and a broad search ranks its newest matches (`q & ' m:2024-12'`) and
counts a sample of them (`q & ' s:128'`) without building the bitmap of every match.
"""

from __future__ import annotations

import calendar
import json
import re
import time
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from operator import attrgetter
from typing import Any

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    ExpressionWrapper,
    F,
    Field,
    FloatField,
    Func,
    IntegerField,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest, Left, Lower, StrIndex, Substr
from django.db.models.lookups import GreaterThan
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .languages import FALLBACK_CONFIG, TEXT_SEARCH_CONFIGS, config_for

# The publication dates (inclusive, UTC days) a search is limited to, either end open.
DateRange = tuple[date | None, date | None]

# Characters of body that the ranking vector covers (about the first 100 words).
RANK_LEAD_CHARS = 700
# A snippet for a one-word query that matches beyond the lead is cut from this much body
# around the word's first appearance (about 200 words), starting this far before it.
SNIPPET_WINDOW_CHARS = 1_200
SNIPPET_WINDOW_BEFORE = 400


class RegConfigField(Field):
    def db_type(self, connection: Any) -> str:
        return "regconfig"


class LanguageConfig(Expression):
    """`CASE language WHEN 'en' THEN 'english'::regconfig ... END`, per row.

    Every branch is a regconfig constant (a text-to-regconfig cast of a column would
    depend on search_path); used for snippets in each article's own configuration.
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
        return language_config_case(sql), params


def language_config_case(column: str) -> str:
    """SQL choosing the configuration of the language in `column` (constants only)."""
    whens = " ".join(
        f"WHEN '{code}' THEN '{config}'::regconfig"
        for code, config in sorted(TEXT_SEARCH_CONFIGS.items())
    )
    return f"(CASE {column} {whens} ELSE '{FALLBACK_CONFIG}'::regconfig END)"


# Sample buckets: an article carries ' s:8' with probability 1/8, ' s:32' with 1/32 and
# ' s:128' with 1/128 (nested), by a multiplicative hash of its id: deterministic, and
# spread evenly over any run of ids, so a dump that interleaves its sources in a fixed
# order is not sampled one source at a time as `id % 8` would.
SAMPLE_LEVELS = (8, 32, 128)
_SAMPLE_HASH_MULTIPLIER = 1_327_217_885  # odd, about 2**31 / golden ratio
_SAMPLE_HASH_RANGE = 2**31


def filter_terms_sql() -> str:
    """SQL function `articles_article_filter_terms(id, published_at, source_id, tag_ids)`:
    the filter lexemes of one article (see the module docstring), without positions."""
    levels = ",\n        ".join(
        f"CASE WHEN h < {_SAMPLE_HASH_RANGE // k} THEN ' s:{k}' END" for k in SAMPLE_LEVELS
    )
    hashed = f"((id % {_SAMPLE_HASH_RANGE}) * {_SAMPLE_HASH_MULTIPLIER}) % {_SAMPLE_HASH_RANGE}"
    # Only this module's numbers go into the text.
    return f"""
CREATE OR REPLACE FUNCTION articles_article_filter_terms(
    id bigint, published_at timestamptz, source_id bigint, tag_ids bigint[]
) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT array_to_tsvector(array_remove(ARRAY[
        ' y:' || to_char(published_at AT TIME ZONE 'UTC', 'YYYY'),
        ' m:' || to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM'),
        ' src:' || source_id,
        {levels}
    ], NULL) || ARRAY(SELECT ' t:' || t FROM unnest(tag_ids) AS t))
    FROM (SELECT {hashed} AS h) AS hashed
$$;
"""  # noqa: S608


def vector_trigger_sql() -> str:
    """The trigger function that fills search_vector and rank_vector (see the docstring above).

    The lead ends at the first word boundary after RANK_LEAD_CHARS characters, so no word
    is cut in two; the rest of the body is appended to the lead's vector (tsvector `||`
    shifts its positions after the lead's, so phrases still match across the seam). An
    update that leaves the text (and the vectors) alone parses nothing: when the date,
    source or tags moved, only the filter terms are swapped.
    """
    terms = "articles_article_filter_terms({0}.id, {0}.published_at, {0}.source_id, {0}.tag_ids)"
    return rf"""
CREATE OR REPLACE FUNCTION articles_article_vectors() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cfg regconfig;
    body text;
    lead text;
BEGIN
    -- Django's save() writes back the NULL vectors it never loaded: parse again then.
    IF TG_OP = 'UPDATE' AND NEW.title IS NOT DISTINCT FROM OLD.title
            AND NEW.body IS NOT DISTINCT FROM OLD.body
            AND NEW.language IS NOT DISTINCT FROM OLD.language
            AND NEW.search_vector IS NOT NULL AND NEW.rank_vector IS NOT NULL THEN
        IF (NEW.published_at, NEW.source_id, NEW.tag_ids)
                    IS DISTINCT FROM (OLD.published_at, OLD.source_id, OLD.tag_ids) THEN
            NEW.search_vector := ts_delete(NEW.search_vector,
                    tsvector_to_array({terms.format("OLD")}))
                || {terms.format("NEW")};
        END IF;
        RETURN NEW;
    END IF;
    cfg := {language_config_case("NEW.language")};
    body := coalesce(NEW.body, '');
    lead := left(body, {RANK_LEAD_CHARS})
        || coalesce(substring(substr(body, {RANK_LEAD_CHARS} + 1) from '^\S*'), '');
    NEW.rank_vector := setweight(to_tsvector(cfg, coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector(cfg, lead), 'B');
    NEW.search_vector := NEW.rank_vector
        || setweight(to_tsvector(cfg, substr(body, length(lead) + 1)), 'B')
        || {terms.format("NEW")};
    RETURN NEW;
END
$$;
"""


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


class ParsedQuery(SearchQuery):
    """A tsquery already parsed by PostgreSQL, passed back as a `'...'::tsquery` constant."""

    def __init__(self, text: str) -> None:
        super().__init__(text, search_type="raw")
        self.text = text
        self.has_phrase = False
        self.has_negation = False
        self.snippet_hint = ""  # see _windowed_headline

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        return "%s::tsquery", [self.text]


def _parse_terms(terms: list[Term], configs: list[str]) -> list[list[str]]:
    """Each term parsed in each configuration: the distinct non-empty tsqueries of each.

    Most words parse the same in several configurations ('known' in english and simple);
    OR-ing duplicates would make the GIN index look each one up again and inflate the
    planner's estimate that run_search chooses its plan by.
    """
    parsed = _parse_texts(tuple(t.websearch_text() for t in terms), tuple(configs))
    return [list(parses) for parses in parsed]


@lru_cache(maxsize=4096)
def _parse_texts(texts: tuple[str, ...], configs: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """One round trip to PostgreSQL's parsers, remembered: a page that parses the same query
    twice (an article reached from a search, its neighbours) or a query asked again pays once.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.i, websearch_to_tsquery(c.cfg::regconfig, t.text)::text "
            "FROM unnest(%s::int[], %s::text[]) AS t(i, text) "
            "CROSS JOIN unnest(%s::text[]) WITH ORDINALITY AS c(cfg, n) ORDER BY t.i, c.n",
            [list(range(len(texts))), list(texts), list(configs)],
        )
        parsed: list[list[str]] = [[] for _ in texts]
        for i, text in cursor.fetchall():
            if text and text not in parsed[i]:
                parsed[i].append(text)
    return tuple(tuple(parses) for parses in parsed)


def _term_tsquery(term: Term, parses: list[str]) -> str:
    if term.negated:
        return " & ".join(f"!( {p} )" for p in parses)
    return " | ".join(f"( {p} )" for p in parses)


def archive_query(q: str, configs: list[str] | None = None) -> Any | None:
    """The tsquery expression for a reader's query, or None when it has no terms at all."""
    groups = parse_query(q[:MAX_QUERY_CHARS])
    if not groups:
        return None
    configs = configs or search_configs()
    terms = [term for group in groups for term in group]
    parses = _parse_terms(terms, configs)
    parsed = iter(parses)
    ored = []
    for group in groups:
        anded = [_term_tsquery(term, next(parsed)) for term in group]
        anded = [text for text in anded if text]
        if anded:
            ored.append(" & ".join(f"( {text} )" for text in anded))
    query = ParsedQuery(" | ".join(f"( {text} )" for text in ored))
    # Phrases make PostgreSQL re-read each candidate's vector: the planner of run_search
    # takes cheaper paths sooner for them.
    query.has_phrase = any(t.phrase for group in groups for t in group)
    query.has_negation = any(t.negated for group in groups for t in group)
    if len(terms) == 1 and not terms[0].phrase and not terms[0].negated:
        query.snippet_hint = _snippet_hint(parses[0])
    return query


_ONE_LEXEME = re.compile(r"'([^']+)'")


def _snippet_hint(parses: list[str]) -> str:
    """For a one-word query, the shortest of its lexemes (one per configuration), which
    is usually how the word starts as written; '' when a parse is not a single lexeme."""
    lexemes = [match[1] for p in parses if (match := _ONE_LEXEME.fullmatch(p))]
    if not lexemes or len(lexemes) != len(parses):
        return ""
    return min(lexemes, key=len)


# ts_rank_cd weights for D, C, B, A: one title hit outweighs several lead hits.
RANK_WEIGHTS = [0.05, 0.1, 0.2, 1.0]


def rank_expression(query: Any) -> Any:
    """Relevance over the small inline `rank_vector`, never the TOASTed `search_vector`.

    A match whose title and lead miss the words (most matches of a word) ranks 0 without
    computing ts_rank_cd: testing the vector is a fraction of ranking it (5,000 matches at
    1,000,000 articles: 10.4 -> 7.6 ms). Not for phrases and exclusions, which ts_rank_cd
    judges within each cover (words near each other but not side by side, an excluded word
    elsewhere in the lead), where the whole lead would fail the test.
    """
    rank = SearchRank(F("rank_vector"), query, weights=RANK_WEIGHTS, cover_density=True)
    if getattr(query, "has_phrase", False) or getattr(query, "has_negation", False):
        return rank
    in_lead = Func(F("rank_vector"), query, arg_joiner=" @@ ", template="(%(expressions)s)")
    return Case(
        When(ExpressionWrapper(in_lead, output_field=BooleanField()), then=rank),
        default=Value(0.0),
        output_field=FloatField(),
    )


# --- Snippets: escape, then mark ------------------------------------------------------------

# Sentinels ts_headline puts around hits; control characters never survive ingest cleaning,
# and any that do are removed before marking.
START_SEL = "\x02"
STOP_SEL = "\x03"
_SENTINELS = re.compile(f"([{START_SEL}{STOP_SEL}])")


# ts_headline drops anything shaped like an HTML tag from its output; the body's <, > and &
# go in as these control characters and come back out intact (see `mark_hits`).
_HIDE_HTML = ("<>&", "\x04\x05\x06")
_SHOW_HTML = {4: "<", 5: ">", 6: "&"}


def headline_expression(query: Any, *, highlight_all: bool = False, field: str = "body") -> Any:
    """ts_headline in the row's own configuration, hits wrapped in sentinels.

    With `highlight_all`, the whole `field` (an article page's title or body) with every
    hit marked; otherwise a snippet of the body. ts_headline re-parses the text it is
    given, so its cost grows with the text: the whole body is parsed only when the query
    matches the body but not its lead (checked on the stored vectors, which costs a
    fraction of parsing). Relevance ranks title and lead matches first, so most shown
    results parse only the lead.
    """
    if highlight_all:
        return SearchHeadline(
            _hidden_html(F(field)),
            query,
            config=LanguageConfig(),
            start_sel=START_SEL,
            stop_sel=STOP_SEL,
            highlight_all=True,
        )
    # The lead ends a word past RANK_LEAD_CHARS; a little more text covers that word.
    lead = _snippet_headline(Left("body", RANK_LEAD_CHARS + 100), query)
    whole = _snippet_headline(F("body"), query)
    hint = getattr(query, "snippet_hint", "")
    return Case(
        When(_body_matches("rank_vector", query), then=lead),
        When(
            _body_matches("search_vector", query),
            then=_windowed_headline(query, hint, whole) if hint else whole,
        ),
        # A match in the title alone: the body has nothing to mark beyond its lead.
        default=lead,
    )


# What a result list's snippet expression is compiled with, once per process and shape;
# each search then binds its own query and hint (see `snippet_expression`).
_QUERY_STANDIN = "\x00query\x00"
_HINT_STANDIN = "\x00hint\x00"


def snippet_expression(query: Any) -> RawSQL:
    """`headline_expression(query)` as SQL compiled once per shape of query, then bound.

    The same SQL serves every query of a shape: the tsquery and the snippet hint are its
    only parameters. Building and compiling the nested expressions took 3.3 ms of the
    web process's CPU for every page of results (docs/benchmarks.md, eighth session).
    """
    sql, params = _compiled_snippet(bool(getattr(query, "snippet_hint", "")))
    standins = {_QUERY_STANDIN: query.text, _HINT_STANDIN: getattr(query, "snippet_hint", "")}
    bound = [standins.get(p, p) if isinstance(p, str) else p for p in params]
    return RawSQL(sql, bound, output_field=TextField())  # noqa: S611 -- compiled by the ORM


@lru_cache(maxsize=4)
def _compiled_snippet(hinted: bool) -> tuple[str, tuple[Any, ...]]:
    from .models import Article

    probe = ParsedQuery(_QUERY_STANDIN)
    probe.snippet_hint = _HINT_STANDIN if hinted else ""
    query = Article.objects.all().query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(headline_expression(probe).resolve_expression(query))
    return sql, tuple(params)


def _windowed_headline(query: Any, hint: str, whole: Any) -> Any:
    """The snippet from a window of the body around the first place `hint` appears, or,
    when that window holds no hit (a stem that is not how the word is written, 'compani'
    for 'company', or a hint inside another word), from the whole body.

    A hit deep in a 600-word body cost ts_headline 0.6 ms to find; twenty of them were a
    third of a mid-sized search at 1,000,000 articles (docs/benchmarks.md).
    """
    at = StrIndex(Lower("body"), Value(hint))
    start = Greatest(at - Value(SNIPPET_WINDOW_BEFORE), Value(1), output_field=IntegerField())
    window = _snippet_headline(Substr("body", start, SNIPPET_WINDOW_CHARS), query)
    # A scalar subquery, so the window's headline is computed once and tested for a hit;
    # OFFSET 0 keeps PostgreSQL from pulling it up, which would compute it twice.
    marked = Func(
        window,
        Value(START_SEL),
        template=(
            "(SELECT h FROM (SELECT %(expressions)s OFFSET 0) AS w (h, s) WHERE strpos(h, s) > 0)"
        ),
        output_field=TextField(),
    )
    found = Case(When(GreaterThan(at, 0), then=marked), default=None, output_field=TextField())
    return Coalesce(found, whole, output_field=TextField())


def _body_matches(vector: str, query: Any) -> Any:
    """Whether the body part (weight B) of `vector` alone matches the query."""
    return Func(
        Func(F(vector), Value("{b}"), function="ts_filter", output_field=SearchVectorField()),
        query,
        template="(%(expressions)s)",
        arg_joiner=" @@ ",
        output_field=BooleanField(),
    )


def _hidden_html(text: Any) -> Any:
    return Func(text, Value(_HIDE_HTML[0]), Value(_HIDE_HTML[1]), function="translate")


def _snippet_headline(text: Any, query: Any) -> Any:
    return SearchHeadline(
        _hidden_html(text),
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
    escaped = escape(text.translate(_SHOW_HTML))
    # Unbalanced sentinels (a hit cut by a fragment edge) are closed or dropped. Walks the
    # runs between sentinels, not every character: a page marks twenty snippets.
    out: list[str] = []
    open_ = False
    for part in _SENTINELS.split(escaped):
        if part == START_SEL:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif part == STOP_SEL:
            if open_:
                out.append("</mark>")
                open_ = False
        elif part:
            out.append(part)
    if open_:
        if out[-1] == "<mark>":
            out.pop()  # a start at the very end marks nothing
        else:
            out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - escaped above, only <mark> added


# --- Running a search: one function for the page, the API, the feed and the export -------
#
# Every step reads as few rows as the page needs. The planner's row estimate (EXPLAIN, a
# fraction of a millisecond) picks the plan: small result sets are counted exactly and
# ranked in full; large ones rank only the matches of the last months (about the newest
# 2 x RANK_WINDOW, reached through their month terms), and count and facet the matches of
# one sample bucket, shown as "about N".

# Estimated matches up to which the count is exact. A mid term
# matches ~0.5% of the archive, 5,000 of a million, and the planner's estimate of one runs a
# few percent either side (5,127 for exactly 5,000 at 1,000,000): the limit sits at twice
# that, so a mid term never tips onto the estimated path, where its count would be "about"
# and only its newest 1,000 matches ranked (missing its two best at 1,000,000). Answered
# exactly, that search was no slower: 34-48 ms against 40-59 (docs/benchmarks.md).
EXACT_COUNT_LIMIT = 10_000
# Estimated matches up to which every match is ranked (over the inline rank_vector).
RANK_ALL_LIMIT = 10_000
# The same for phrase queries, whose matches are each re-checked against the full vector.
RANK_ALL_LIMIT_PHRASE = 2_000
# Estimated candidates (articles holding a phrase's words anywhere) up to which a phrase is
# answered exactly; each candidate's full vector is read to check the words' order.
EXACT_PHRASE_CANDIDATES = 4_000
# Above that, about the newest this many matches are ranked: the matches of the last months
# that should hold twice as many (a phrase's, one in about seven of its candidates).
RANK_WINDOW = 1_000
# Fewer matches than this in those months (an estimate far too high, matches concentrated
# in the past) and more months are tried.
MIN_WINDOW = RANK_WINDOW // 8
# Facets read at most about this many matching rows (more: a sample bucket's).
FACET_SAMPLE_ROWS = 5_000
# Values shown per facet (one more is fetched to know whether there are more).
FACET_LIMIT = 15
# Deepest page served: deeper offsets would walk too many rows; narrow the search instead.
MAX_PAGES = 500
PAGE_SIZE = 20

SORTS = ("relevance", "newest", "oldest")


class PageNotFound(Exception):
    """The requested page lies past the last page of results."""


@dataclass
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class TimelineBar:
    label: str
    start: date
    end: date
    count: int


@dataclass
class SearchResults:
    """What a page of results needs, whatever renders it (HTML, JSON, Atom, CSV)."""

    q: str
    sort: str
    articles: list[Any]
    count: int
    count_is_estimate: bool
    page: int
    num_pages: int
    page_size: int
    has_terms: bool = True
    # Set when only the newest RANK_WINDOW matches were ranked.
    ranked_window: int | None = None
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    facets_more: dict[str, bool] = field(default_factory=dict)
    facets_are_estimates: bool = False
    timeline: list[TimelineBar] = field(default_factory=list)
    timeline_unit: str = "year"

    @property
    def start_index(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.articles)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


def estimate_rows(qs: Any) -> int:
    """The planner's estimate of the rows `qs` returns (EXPLAIN, no execution)."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def rank_all_limit(query: Any) -> int:
    """Up to how many estimated matches every match is ranked (else the newest window).

    Ranking all reads every match's heap row; phrase queries also re-read every
    candidate's TOASTed search_vector to check word positions, so they switch sooner.
    """
    return RANK_ALL_LIMIT_PHRASE if getattr(query, "has_phrase", False) else RANK_ALL_LIMIT


def default_sort(q: str) -> str:
    return "relevance" if q.strip() else "newest"


_NEWEST_SQL = "published_at DESC NULLS LAST, id DESC"
_OLDEST_SQL = "published_at ASC NULLS LAST, id ASC"


def select_ids(
    matches: Any,
    query: Any,
    sort: str,
    estimate: int,
    offset: int,
    limit: int,
    *,
    widths: tuple[int, ...] = (1, 8),
    dates: DateRange = (None, None),
) -> tuple[list[int], int | None]:
    """Ids of one page of `matches` in `sort` order; and how many were ranked when only a
    window of the newest matches was.

    `widths`: the windows tried, in multiples of the months that should hold twice
    RANK_WINDOW matches; a wider one when fewer than MIN_WINDOW fell there (the estimate
    ran high: a phrase's, or matches concentrated in the past). A caller that tried the
    first one itself passes the rest.
    """
    if sort == "relevance" and query is not None:
        order = f"rank DESC, {_NEWEST_SQL}"
        if estimate <= rank_all_limit(query):
            inner = matches.annotate(rank=rank_expression(query))
            return _ids_from(inner.values("id", "published_at", "rank"), order, offset, limit), None
        # Rank only the matches of the last months (their filter terms: no date index,
        # no bitmap of every match); if too few fall there even in more months (matches
        # concentrated in the past), walk the date index. Planner estimates run high as
        # often as low: aim at twice the window.
        for width in widths:
            recent = recent_matches(matches, 2 * RANK_WINDOW * width, estimate, dates)
            if recent is None:
                break
            recent = recent.annotate(rank=rank_expression(query))
            ids, found = _ids_and_total(
                recent.values("id", "published_at", "rank"), order, offset, limit
            )
            if found >= MIN_WINDOW:
                return ids, found
        if getattr(query, "has_phrase", False):
            return _rank_newest_matches(matches, query, order, offset, limit), RANK_WINDOW
        # Plain terms are cheap to test per row and dense enough that walking the date
        # index meets RANK_WINDOW matches soon (measured faster than materializing all
        # matches of a broad term AND a big tag: 0.37 s against 0.85 s at 200,000).
        walked = matches.annotate(rank=rank_expression(query)).newest_first()[:RANK_WINDOW]
        return _ids_from(walked.values("id", "published_at", "rank"), order, offset, limit), (
            RANK_WINDOW
        )
    order_sql = _OLDEST_SQL if sort == "oldest" else _NEWEST_SQL
    if estimate > EXACT_COUNT_LIMIT:
        if sort == "newest":
            recent_ids = _newest_page_from_recent(
                matches, estimate, offset, limit, dates, terms=query is not None
            )
            if recent_ids is not None:
                return recent_ids, None
        # Broad: walk the date index and stop after the page.
        ordered = matches.oldest_first() if sort == "oldest" else matches.newest_first()
        return list(ordered.values_list("id", flat=True)[offset : offset + limit]), None
    # Narrow: collect the few matches first (a materialized CTE keeps the planner from
    # walking the whole date index looking for rare matches), then sort them.
    return _ids_from(matches.values("id", "published_at"), order_sql, offset, limit), None


def _newest_page_from_recent(
    matches: Any, estimate: int, offset: int, limit: int, dates: DateRange, *, terms: bool
) -> list[int] | None:
    """A page of `matches`, newest first, read from the last months that should hold four
    times as many; None when they hold too few (or would be most of the archive)."""
    recent = recent_matches(matches, max(200, 4 * (offset + limit)), estimate, dates, terms=terms)
    if recent is None:
        return None
    ids, found = _ids_and_total(recent.values("id", "published_at"), _NEWEST_SQL, offset, limit)
    return ids if found >= offset + limit else None


def _rank_newest_matches(
    matches: Any, query: Any, order: str, offset: int, limit: int
) -> list[int]:
    """Rank the newest RANK_WINDOW of `matches`, taking the matches from the GIN index first.

    Used for phrases whose matches are sparse among recent articles (a filter, an estimate
    far too high): walking the date index would test the phrase row by row, reading each
    row's TOASTed vector: measured 2.3 s against 0.26 s this way (phrase+source, 200,000).
    """
    from .models import Article

    m_sql, m_params = matches.values("id", "published_at").query.sql_with_params()
    ranked = Article.objects.annotate(rank=rank_expression(query))
    r_sql, r_params = ranked.values("id", "published_at", "rank").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH m AS MATERIALIZED ({m_sql}), "  # noqa: S608
            f"w AS (SELECT id FROM m ORDER BY {_NEWEST_SQL} LIMIT %s) "
            f"SELECT r.id FROM ({r_sql}) r WHERE r.id IN (SELECT id FROM w) "
            f"ORDER BY {order} LIMIT %s OFFSET %s",
            (*m_params, RANK_WINDOW, *r_params, limit, offset),
        )
        return [row[0] for row in cursor.fetchall()]


# --- Filter terms: filters the GIN index answers (see the module docstring) ---------------

# Most date terms a date filter is written with (whole years, months at the ends); wider
# covers are left to the date index.
MAX_DATE_TERMS = 48


def _term(kind: str, value: object) -> str:
    return f"' {kind}:{value}'"


def month_terms(first: date, last: date) -> list[str]:
    """The year and month terms covering the months from `first` to `last` (inclusive):
    a year term where the whole year is inside, month terms at the ends; none when that
    takes more than MAX_DATE_TERMS (a stray article dated 9999 would need thousands)."""
    if last.year - first.year > MAX_DATE_TERMS:
        return []
    terms: list[str] = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        if m == 1 and (y, 12) <= (last.year, last.month):
            terms.append(_term("y", f"{y:04d}"))
            y += 1
            continue
        terms.append(_term("m", f"{y:04d}-{m:02d}"))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return terms


def _any_of(terms: list[str]) -> str:
    return " | ".join(terms)


@dataclass(frozen=True)
class SearchFilters:
    """The source, tag and date filters of a search, as filter terms for the GIN index.

    The queryset a search runs on applies the same filters itself: the terms only make
    the index lookup narrower (the rarest term drives it), they never decide alone what
    matches, so a filter without terms (a language) is still exact.
    """

    sources: tuple[int, ...] = ()  # any of them
    tags: tuple[int, ...] = ()  # all of them
    dates: DateRange = (None, None)

    def terms(self) -> str:
        parts = []
        if self.sources:
            parts.append(_any_of([_term("src", pk) for pk in sorted(self.sources)]))
        parts.extend(_term("t", pk) for pk in sorted(self.tags))
        dated = self._date_terms()
        if dated:
            parts.append(_any_of(dated))
        return " & ".join(f"( {part} )" for part in parts)

    def _date_terms(self) -> list[str]:
        start, end = self.dates
        if start is None and end is None:
            return []
        span = archive_date_span()
        if span is None:
            return []
        # The cover must hold every article of the range: open ends reach the archive's
        # first or last date, never just the planner's histogram.
        first = max(start, span[0]) if start else span[0]
        last = min(end, span[1]) if end else span[1]
        if first > last:
            return []
        terms = month_terms(first, last)
        return terms if len(terms) <= MAX_DATE_TERMS else []


def archive_date_span() -> tuple[date, date] | None:
    """The first and last UTC days with a published article (both ends of the date index)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(published_at), max(published_at) FROM articles_article")
        return _utc_days(*cursor.fetchone())


def _utc_days(first: datetime | None, last: datetime | None) -> tuple[date, date] | None:
    if first is None or last is None:
        return None
    return first.astimezone(UTC).date(), last.astimezone(UTC).date()


def narrowed(qs: Any, terms: str) -> Any:
    """`qs` also required to carry the filter `terms` (one more key of the same GIN scan)."""
    return qs.filter(search_vector=ParsedQuery(terms)) if terms else qs


def sample_level(estimate: int, query: Any) -> int:
    """The sample bucket (1 = every match) that holds about facet_sample_rows(query) of
    `estimate` matches."""
    for level in (1, *SAMPLE_LEVELS):
        if estimate / level <= facet_sample_rows(query):
            return level
    return SAMPLE_LEVELS[-1]


def sample_terms(level: int) -> str:
    return _term("s", level) if level > 1 else ""


def recent_matches(
    matches: Any,
    wanted: int,
    estimate: int,
    dates: DateRange = (None, None),
    *,
    terms: bool = True,
) -> Any | None:
    """`matches` limited to the last months (of `dates`, else of the archive) that hold
    about `wanted` of `estimate` of them; None when that would be most of them.

    Written as month terms when `matches` is a text search and they are few (one GIN
    scan, the rare month terms driving), else as a date range (listings without words
    use the date index; a stray article dated 9999 would need thousands of terms).
    """
    statistics = _date_statistics()
    cutoff = _recent_cutoff(wanted, estimate, dates, statistics)
    if cutoff is None:
        return None
    if terms:
        span = statistics.span
        end = dates[1] if dates[1] is not None and dates[1] < date.max else None
        first = cutoff.astimezone(UTC).date()
        last = min(end, span[1]) if end and span else (end or (span[1] if span else None))
        if last is not None and first <= last:
            months = month_terms(first, last)
            if months and len(months) <= MAX_DATE_TERMS:
                return narrowed(matches, _any_of(months))
    return matches.filter(published_at__gte=cutoff)


def _recent_cutoff(
    wanted: int, estimate: int, dates: DateRange, statistics: _DateStatistics
) -> Any:
    """The publication time after which about `wanted` of `estimate` matches fall.

    Assumes matches spread over time like the archive does (within `dates`, the range the
    matches are limited to, when given), and reads that spread from the planner's
    histogram of published_at (no scan); without statistics (a fresh table), from the
    date index.
    """
    from .models import Article

    rows, bounds = statistics.rows, statistics.bounds
    if not rows or not estimate:
        return None
    share = wanted / estimate  # of the matching rows, newest first
    if share >= 1:
        return None
    if len(bounds) >= 2:
        start, end = dates
        low = _histogram_position(bounds, _day_start(start)) if start else 0.0
        high = (
            _histogram_position(bounds, _day_start(end + timedelta(days=1)))
            if end and end < date.max
            else 1.0
        )
        position = (high - share * (high - low)) * (len(bounds) - 1)
        i = max(0, min(int(position), len(bounds) - 2))
        return bounds[i] + (bounds[i + 1] - bounds[i]) * (position - i)
    if dates != (None, None):
        return None
    k = int(share * rows)
    return (
        Article.objects.filter(published_at__isnull=False)
        .newest_first()
        .values_list("published_at", flat=True)[k : k + 1]
        .first()
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def _histogram_position(bounds: list[Any], moment: datetime) -> float:
    """Where `moment` falls among equal-population bounds: 0.0 (oldest) to 1.0 (newest)."""
    if moment <= bounds[0]:
        return 0.0
    if moment >= bounds[-1]:
        return 1.0
    i = bisect_right(bounds, moment) - 1
    return (i + (moment - bounds[i]) / (bounds[i + 1] - bounds[i])) / (len(bounds) - 1)


@dataclass(frozen=True)
class _DateStatistics:
    rows: int  # the planner's article count
    bounds: list[Any]  # its equal-population bounds of published_at, oldest first
    span: tuple[date, date] | None  # the first and last UTC days with an article


def _date_statistics() -> _DateStatistics:
    """What the recent-months window is placed by, in one round trip: the planner's count
    and date histogram (no scan) and both ends of the date index."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT reltuples::bigint FROM pg_class "
            "WHERE oid = 'articles_article'::regclass), "
            "(SELECT histogram_bounds::text::timestamptz[] FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'articles_article' "
            "AND attname = 'published_at'), "
            "(SELECT min(published_at) FROM articles_article), "
            "(SELECT max(published_at) FROM articles_article)"
        )
        rows, bounds, first, last = cursor.fetchone()
    return _DateStatistics(max(0, int(rows or 0)), list(bounds or []), _utc_days(first, last))


def _ids_and_total(inner: Any, order_sql: str, offset: int, limit: int) -> tuple[list[int], int]:
    """Like `_ids_from`, and how many rows `inner` held."""
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH m AS MATERIALIZED ({sql}) "  # noqa: S608
            f"SELECT id, count(*) OVER () FROM m ORDER BY {order_sql} LIMIT %s OFFSET %s",
            (*params, limit, offset),
        )
        rows = cursor.fetchall()
    if rows:
        return [row[0] for row in rows], int(rows[0][1])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) m", params)  # noqa: S608
        return [], int(cursor.fetchone()[0])


def _ids_from(inner: Any, order_sql: str, offset: int, limit: int) -> list[int]:
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH m AS MATERIALIZED ({sql}) SELECT id FROM m ORDER BY {order_sql} "  # noqa: S608
            "LIMIT %s OFFSET %s",
            (*params, limit, offset),
        )
        return [row[0] for row in cursor.fetchall()]


def fetch_articles(ids: list[int], query: Any = None, *, snippets: bool = True) -> list[Any]:
    """The articles of `ids`, in that order, with a marked snippet (for a query) and their
    tags by name as `tag_list`.

    The tags come in the same statement (ArticleQuerySet.with_tag_rows).
    """
    from .models import Article, Tag

    qs = Article.objects.filter(id__in=ids).for_listing().with_tag_rows()
    if snippets and query is not None:
        qs = qs.annotate(raw_snippet=snippet_expression(query))
    elif snippets:
        qs = qs.annotate(raw_snippet=Left("body", 320))
    by_id = {article.pk: article for article in qs}
    articles: list[Any] = [by_id[i] for i in ids if i in by_id]
    for article in articles:
        tags = [Tag(id=pk, name=name, slug=slug) for pk, name, slug in json.loads(article.tag_rows)]
        article.tag_list = sorted(tags, key=attrgetter("name"))
        raw = getattr(article, "raw_snippet", None)
        if raw is None:
            article.snippet = ""
        elif query is not None:
            article.snippet = mark_hits(raw)
        else:
            article.snippet = escape(_lead(raw))
    return articles


def _lead(text: str) -> str:
    text = " ".join(text.split())
    if len(text) < 300:
        return text
    return text[:300].rsplit(" ", 1)[0] + " …"


def run_search(
    base: Any,
    q: str = "",
    *,
    sort: str = "",
    page: int = 1,
    page_size: int = PAGE_SIZE,
    facets: bool = True,
    snippets: bool = True,
    dates: DateRange = (None, None),
    sources: tuple[int, ...] = (),
    tags: tuple[int, ...] = (),
    count: int | None = None,
) -> SearchResults:
    """Search `base` (visible articles, already filtered) for `q`: one page, count, facets.

    `dates`, `sources` (ids, any of them) and `tags` (ids, all of them): the filters `base`
    already applies, when known. The index then answers them with the words (filter
    terms), and the newest-matches ranking window aims inside the dates rather than at
    the archive's last months. `count`: how many articles `base` holds, when the caller
    knows it cheaply (a tag or source page without words or facets): the page is then
    read from the last months alone.
    """
    sort = sort or default_sort(q)
    if page > MAX_PAGES:
        raise PageNotFound(f"Pages stop at {MAX_PAGES}; narrow the search to go further.")
    query = archive_query(q) if q.strip() else None
    if q.strip() and query is None:
        return SearchResults(q, sort, [], 0, False, 1, 1, page_size, has_terms=False)
    matches = base.filter(search_vector=query) if query is not None else base
    if sort == "relevance" and query is None:
        sort = "newest"
    offset = (page - 1) * page_size
    if query is None and count is not None and not facets:
        return _known_count_listing(matches, q, sort, count, page, page_size, dates, snippets)
    # Estimated before the filter terms join the words: the planner, taking a filter's
    # term and its column for independent conditions, would count the filter twice.
    estimate = estimate_rows(matches.values("id"))
    filters = SearchFilters(sources, tags, dates)
    if query is not None:
        matches = narrowed(matches, filters.terms())

    facet_rows: list[tuple] | None = None
    level = 1  # facet rows are from the matches in this sample bucket
    window: int | None = None
    if estimate <= exact_limit(query, sort):
        ids, count, facet_rows = _search_exactly(
            matches, query, sort, offset, page_size, facets=facets
        )
        is_estimate = False
        if not ids and page > 1:
            raise PageNotFound("There are no results on this page.")
    else:
        if facets:
            level = sample_level(estimate, query)
        combined = (
            _window_and_facet_sample(matches, query, estimate, level, offset, page_size, dates)
            if facets and sort == "relevance" and query is not None
            else None
        )
        if combined is not None:
            ids, window, facet_rows = combined
            if window is None:  # too few matches in the last months: more months
                ids, window = select_ids(
                    matches, query, sort, estimate, offset, page_size, widths=(8,), dates=dates
                )
        else:
            ids, window = select_ids(matches, query, sort, estimate, offset, page_size, dates=dates)
        if not ids and page > 1:
            raise PageNotFound("There are no results on this page.")
        if facets and facet_rows is None:
            # A listing without words is filtered by its B-tree and tag indexes, whose big
            # bitmaps its facet sample would AND with the sample's; the sample's GIN scan
            # takes the filter terms instead (a big source and tag at 1,000,000: 93 -> 18 ms).
            extra = filters.terms() if query is None else ""
            facet_rows = _sampled_facet_rows(matches, level, extra)
        sampled = _facet_total(facet_rows) if facet_rows is not None else 0
        if page == 1 and len(ids) < page_size:
            count, is_estimate = len(ids), False
        elif estimate <= EXACT_COUNT_LIMIT:
            count, is_estimate = matches.count(), False
        elif sampled:
            # The sample bucket holds 1/level of the articles, spread evenly: far closer
            # than the planner's estimate (5.5 times too high for a phrase).
            count, is_estimate = max(sampled * level, window or 0), level > 1
        else:
            count, is_estimate = estimate, True
    num_pages = max(1, -(-count // page_size))
    if is_estimate:
        num_pages = max(num_pages, page + (1 if len(ids) == page_size else 0))
    if window is not None:
        num_pages = min(num_pages, -(-window // page_size))
    num_pages = min(num_pages, MAX_PAGES)
    if page > num_pages:
        raise PageNotFound("There are no results on this page.")
    if count == 0 and query is not None and not _has_lexemes(query):
        return SearchResults(q, sort, [], 0, False, 1, 1, page_size, has_terms=False)

    results = SearchResults(
        q=q,
        sort=sort,
        articles=fetch_articles(ids, query, snippets=snippets),
        count=count,
        count_is_estimate=is_estimate,
        page=page,
        num_pages=num_pages,
        page_size=page_size,
        ranked_window=window,
    )
    if facets and count and facet_rows is not None:
        _add_facets(results, facet_rows, 1 / level)
    return results


def _known_count_listing(
    matches: Any,
    q: str,
    sort: str,
    count: int,
    page: int,
    page_size: int,
    dates: DateRange,
    snippets: bool,
) -> SearchResults:
    """A page of a listing whose size is known: the newest pages from the last months
    (a date range), else from all its articles, which it never counts."""
    offset = (page - 1) * page_size
    num_pages = min(max(1, -(-count // page_size)), MAX_PAGES)
    if page > num_pages:
        raise PageNotFound("There are no results on this page.")
    ids: list[int] | None = None
    if sort == "newest" and count > offset + page_size:
        ids = _newest_page_from_recent(matches, count, offset, page_size, dates, terms=False)
    if ids is None:
        order = _OLDEST_SQL if sort == "oldest" else _NEWEST_SQL
        ids = _ids_from(matches.values("id", "published_at"), order, offset, page_size)
    return SearchResults(
        q=q,
        sort=sort,
        articles=fetch_articles(ids, None, snippets=snippets),
        count=count,
        count_is_estimate=False,
        page=page,
        num_pages=num_pages,
        page_size=page_size,
    )


def exact_limit(query: Any, sort: str) -> int:
    """Up to how many estimated matches a search is answered exactly, in one statement.

    A phrase's estimate is that of its words anywhere in the article (the planner cannot
    see word order), 5.5 times its matches in the bench corpus, and an exact answer reads
    every one of those candidates' full vectors out of TOAST (about 10 us each): a date-
    filtered phrase at 1,000,000 articles (2,229 matches in 15,117 candidates) took
    135-200 ms that way, against a window of its last months and a sample bucket.
    """
    if getattr(query, "has_phrase", False):
        return EXACT_PHRASE_CANDIDATES
    if sort == "relevance" and query is not None:
        return min(EXACT_COUNT_LIMIT, rank_all_limit(query))
    return EXACT_COUNT_LIMIT


EXACT_PATH_PAGE_COSTS = "SET LOCAL seq_page_cost = 0.1; SET LOCAL random_page_cost = 0.1"

# The facet columns of the page and count rows (typed, so the UNION's types resolve).
_NO_FACET_KEYS = "NULL::bigint, NULL::text, NULL::timestamp"


def _search_exactly(
    matches: Any, query: Any, sort: str, offset: int, limit: int, *, facets: bool
) -> tuple[list[int], int, list[tuple] | None]:
    """One page of ids, the exact count and (optionally) the facet rows, in one statement.

    The matches are read once, as narrow columns, into a materialized set that the page,
    the count and the facets all come from; three statements read them three times
    (measured at 1,000,000 articles, a mid term with a tag filter: 122 ms before).
    """
    if sort == "relevance" and query is not None:
        order = f"rank DESC, {_NEWEST_SQL}"
        inner = matches.annotate(rank=rank_expression(query))
    else:
        order = _OLDEST_SQL if sort == "oldest" else _NEWEST_SQL
        inner = matches.annotate(rank=Value(0.0))
    names = ("id", "published_at", "rank")
    columns = _facet_columns(inner, *names) if facets else inner.values(*names)
    sql, params = columns.query.sql_with_params()
    with _cheap_pages() as cursor:
        ids, count, facet_rows = _page_count_and_facets(
            cursor, f"m AS MATERIALIZED ({sql})", params, "m", order, offset, limit, facets=facets
        )
    return ids, count, facet_rows


@contextmanager
def _cheap_pages() -> Iterator[Any]:
    """A cursor whose statements are planned with in-memory page costs, in a transaction.

    Few matches are cheaper to filter row by row than to intersect with the bitmap of a
    large tag or source, which the default page costs (made for disks) prefer: a mid term
    and a tag of 194,000 articles at 1,000,000 took 31 ms that way against 12 ms. Only for
    these statements: elsewhere cheap pages make the planner walk the date index testing
    each row's TOASTed vector (docs/benchmarks.md).
    """
    in_outer_transaction = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(EXACT_PATH_PAGE_COSTS)
        yield cursor
        if in_outer_transaction:  # SET LOCAL would last until the caller's commit
            cursor.execute("RESET seq_page_cost; RESET random_page_cost")


def _page_count_and_facets(
    cursor: Any,
    ctes: str,
    params: Any,
    ranked: str,
    order: str,
    offset: int,
    limit: int,
    *,
    facets: bool,
) -> tuple[list[int], int, list[tuple] | None]:
    """Run one statement over the CTEs `ctes`: one page of the rows of `ranked` in `order`,
    how many rows `ranked` holds, and (optionally) the facet rows over the CTE `m`."""
    # The first offset + limit rows by a top-N sort, numbered: sorting and numbering all
    # 5,000 matches of a mid term cost 3 ms at 1,000,000 articles.
    top = f"SELECT * FROM {ranked} ORDER BY {order} LIMIT %s"  # noqa: S608
    parts = [
        f"SELECT 'page', id, {_NO_FACET_KEYS}, row_number() OVER (ORDER BY {order}) "  # noqa: S608
        f"FROM ({top}) p",
        f"SELECT 'count', NULL::bigint, {_NO_FACET_KEYS}, count(*) FROM {ranked}",  # noqa: S608
    ]
    extra: list[Any] = [offset + limit]
    if facets:
        parts.append(_FACET_SQL)
        extra.append(FACET_LIMIT + 1)
    cursor.execute(f"WITH {ctes} " + " UNION ALL ".join(f"({p})" for p in parts), (*params, *extra))
    rows = cursor.fetchall()
    page = sorted((r for r in rows if r[0] == "page"), key=lambda r: r[5])[offset:]
    ids = [row[1] for row in page]
    count = next(int(row[5]) for row in rows if row[0] == "count")
    facet_rows = [row[1:] for row in rows if row[0] == "facet"] if facets else None
    return ids, count, facet_rows


def _has_lexemes(query: Any) -> bool:
    """False when every word of the query was a stop word or punctuation."""
    from django.db.models import IntegerField

    from .models import Article

    nodes = (
        Article.objects.annotate(n=Func(query, function="numnode", output_field=IntegerField()))
        .values_list("n", flat=True)
        .first()
    )
    return nodes != 0


def _window_and_facet_sample(
    matches: Any, query: Any, estimate: int, level: int, offset: int, limit: int, dates: DateRange
) -> tuple[list[int], int | None, list[tuple]] | None:
    """The ranked newest window and the facet sample of a broad search, in one statement.

    Each is one GIN scan in which its rare terms drive: the words AND the last months'
    terms, the words AND a sample bucket's term. The word's own bitmap (33 ms for 220,151
    matches at 1,000,000 articles) and a big tag's (27 ms) are never built. The window is
    None when too few matches fell in those months (the caller then ranks by walking the
    dates); the facet rows stand either way.
    """
    recent = recent_matches(matches, 2 * RANK_WINDOW, estimate, dates)
    if recent is None:
        return None
    ranked = recent.annotate(rank=rank_expression(query)).values("id", "published_at", "rank")
    w_sql, w_params = ranked.query.sql_with_params()
    m_sql, m_params = _facet_columns(narrowed(matches, sample_terms(level))).query.sql_with_params()
    with _cheap_pages() as cursor:
        ids, found, facet_rows = _page_count_and_facets(
            cursor,
            f"w AS MATERIALIZED ({w_sql}), m AS MATERIALIZED ({m_sql})",
            (*w_params, *m_params),
            "w",
            f"rank DESC, {_NEWEST_SQL}",
            offset,
            limit,
            facets=True,
        )
    assert facet_rows is not None
    if found < MIN_WINDOW:
        return [], None, facet_rows
    return ids, found, facet_rows


def _facet_columns(qs: Any, *columns: str) -> Any:
    """`columns` of `qs` and what the facet rows count by (see _FACET_SQL)."""
    return _with_month(qs).values(*columns, "source_id", "language", "month", "tag_ids")


def _with_month(qs: Any) -> Any:
    """`qs` with the month of publication (its first moment, UTC), which the date facets
    group by; the years are summed from the months. One date_trunc per row where two
    EXTRACTs (numeric since PostgreSQL 14) took 5 ms for 5,000 matches at 1,000,000."""
    from django.db.models.functions import TruncMonth

    return qs.annotate(month=TruncMonth("published_at"))


# Facet rows over a set `m` of narrow columns, one pass: GROUPING SETS give the source,
# language and month counts; the tag counts (from the ids on the row: no join) ride
# in the source_id column, marked by grouping -1. unnest() in the select list (a
# ProjectSet) rather than a lateral FROM item, which sets up a function scan per row:
# 12,319 tag ids of 5,000 matches counted in 4.2-5.0 ms instead of 10.3-10.9.
_FACET_SQL = (
    "SELECT 'facet', GROUPING(source_id, language, month), source_id, language, month, "
    "count(*) FROM m GROUP BY GROUPING SETS ((source_id), (language), (month)) "
    "UNION ALL (SELECT 'facet', -1, tag_id, NULL, NULL, count(*) "
    "FROM (SELECT unnest(tag_ids) AS tag_id FROM m) t GROUP BY tag_id ORDER BY 6 DESC, 3 "
    "LIMIT %s)"
)
# GROUPING() of each facet row: a 1 bit for each column it is not grouped by.
_BY_SOURCE, _BY_LANGUAGE, _BY_MONTH, _BY_TAG = 0b011, 0b101, 0b110, -1


def facet_sample_rows(query: Any) -> int:
    """How many matching rows facets read at most: an eighth for phrases, whose estimate
    counts candidates (the words anywhere), each re-checked against its full vector."""
    return FACET_SAMPLE_ROWS // (8 if getattr(query, "has_phrase", False) else 1)


def _sampled_facet_rows(matches: Any, level: int, filter_terms: str = "") -> list[tuple]:
    """Facet rows over the matches in sample bucket `level` (all of them for 1), looked up
    with `filter_terms` too when `matches` are not already."""
    terms = " & ".join(t for t in (sample_terms(level), filter_terms) if t)
    sql, params = _facet_columns(narrowed(matches, terms)).query.sql_with_params()
    with _cheap_pages() as cursor:
        cursor.execute(f"WITH m AS MATERIALIZED ({sql}) {_FACET_SQL}", (*params, FACET_LIMIT + 1))
        return [row[1:] for row in cursor.fetchall()]


def _facet_total(rows: list[tuple]) -> int:
    """How many rows the facet rows were counted over (every row has one language)."""
    return sum(n for grouping, *_, n in rows if grouping == _BY_LANGUAGE)


def _add_facets(results: SearchResults, rows: list[tuple], fraction: float) -> None:
    """Facets and the timeline from facet rows (counts scaled up when from a sample)."""
    from .languages import language_name

    results.facets_are_estimates = fraction < 1.0

    def scaled(n: int, fraction: float = fraction) -> int:
        return n if fraction >= 1.0 else max(1, round(n / fraction))

    source_counts: dict[int, int] = {}
    tag_counts: dict[int, int] = {}
    languages: list[FacetValue] = []
    in_year: dict[int, int] = {}
    months: dict[tuple[int, int], int] = {}
    for grouping, source_id, language, month, n in rows:
        if grouping == _BY_TAG:
            tag_counts[source_id] = scaled(n)
        elif grouping == _BY_SOURCE and source_id is not None:
            source_counts[source_id] = scaled(n)
        elif grouping == _BY_LANGUAGE:
            languages.append(FacetValue(language, language_name(language), scaled(n)))
        elif grouping == _BY_MONTH and month is not None:
            months[(month.year, month.month)] = scaled(n)
            in_year[month.year] = in_year.get(month.year, 0) + n
    years = {y: scaled(n) for y, n in in_year.items()}

    top_sources, top_tags = _largest(source_counts), _largest(tag_counts)
    source_names, tag_names = _names([pk for pk, _ in top_sources], [pk for pk, _ in top_tags])
    sources = _named_facet_values(top_sources, source_names)
    tags = _named_facet_values(top_tags, tag_names)

    languages.sort(key=lambda f: (-f.count, f.label))
    results.facets = {
        "source": sources[:FACET_LIMIT],
        "tag": tags[:FACET_LIMIT],
        "year": [FacetValue(str(y), str(y), n) for y, n in sorted(years.items())],
        "language": languages[:FACET_LIMIT],
    }
    results.facets_more = {
        "source": len(sources) > FACET_LIMIT,
        "tag": len(tags) > FACET_LIMIT,
        "year": False,
        "language": len(languages) > FACET_LIMIT,
    }
    results.timeline, results.timeline_unit = build_timeline(years, months)


def _largest(counts: dict[int, int]) -> list[tuple[int, int]]:
    """The FACET_LIMIT + 1 largest `counts` (row id, count), largest first."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: FACET_LIMIT + 1]


def _names(
    source_ids: list[int], tag_ids: list[int]
) -> tuple[dict[int, tuple[str, str]], dict[int, tuple[str, str]]]:
    """(name, slug) by id of these sources and of these tags, in one query."""
    from .models import Source, Tag

    sql = (
        f'SELECT 0, id, name, slug FROM "{Source._meta.db_table}" WHERE id = ANY(%s) '  # noqa: S608
        f'UNION ALL SELECT 1, id, name, slug FROM "{Tag._meta.db_table}" WHERE id = ANY(%s)'
    )
    names: tuple[dict[int, tuple[str, str]], dict[int, tuple[str, str]]] = ({}, {})
    with connection.cursor() as cursor:
        cursor.execute(sql, [source_ids, tag_ids])
        for kind, pk, name, slug in cursor.fetchall():
            names[kind][pk] = (name, slug)
    return names


def _named_facet_values(
    top: list[tuple[int, int]], names: dict[int, tuple[str, str]]
) -> list[FacetValue]:
    """Counts by row id as facet values named by their rows, largest first."""
    return sorted(
        (FacetValue(names[pk][1], names[pk][0], n) for pk, n in top if pk in names),
        key=lambda f: (-f.count, f.label.lower()),
    )


def build_timeline(
    years: dict[int, int], months: dict[tuple[int, int], int]
) -> tuple[list[TimelineBar], str]:
    """Bars per year, or per month when the matches span two calendar years or fewer."""
    if not years:
        return [], "year"
    first, last = min(years), max(years)
    if last - first <= 1:
        first_month = min(m for (y, m) in months if y == first)
        last_month = max(m for (y, m) in months if y == last)
        bars = []
        y, m = first, first_month
        while (y, m) <= (last, last_month):
            start = date(y, m, 1)
            end = date(y, m, calendar.monthrange(y, m)[1])
            bars.append(TimelineBar(start.strftime("%b %Y"), start, end, months.get((y, m), 0)))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return bars, "month"
    return [
        TimelineBar(str(y), date(y, 1, 1), date(y, 12, 31), years.get(y, 0))
        for y in range(first, last + 1)
    ], "year"
