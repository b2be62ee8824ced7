"""Known-item queries made from target articles, seeded and deterministic (pure Python).

Each query is what a reader might type to find one article they remember: a few of its
rare words, its title, a few common words it is about, or a phrase from it. The target is
the article itself; an engine scores 1/rank when the target is in its top 10.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.corpus import STOP_EN

from .documents import Doc

KINDS = ("distinctive", "title", "common", "phrase", "common_old", "common_broad", "arabic")

# A word: letters only, with at most punctuation around it ("(word)," is "word";
# "U.S.", "don't" and Arabic words carrying vowel marks are not words here, so every
# engine's tokenizer reads a chosen word the same way).
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
_PUNCT = rf"[^\w\s{_MARKS}]*"
WORD = re.compile(rf"(?<!\S){_PUNCT}([^\W\d_]+){_PUNCT}(?!\S)")

MIN_LENGTH = 3  # shorter words are rarely what a reader remembers
DISTINCTIVE_POOL = 12  # the target's rarest words that 3-4 are drawn from
COMMON_POOL = 6  # the target's most repeated common words that 2-3 are drawn from
COMMON_MIN_TF = 2  # "strongly about": the word occurs at least twice in the target
COMMON_MIN_DF = 2000  # "common": each word in thousands of articles (less in tiny archives)
OLD_BEFORE = 2012
PHRASE_MIN_CONTENT_WORDS = 2  # so a phrase is not "of the year in"


@dataclass(frozen=True)
class Query:
    kind: str
    q: str
    target: str  # the document's key


def words(text: str) -> list[str]:
    """The text's words, lower-cased, in order."""
    return [m.group(1).lower() for m in WORD.finditer(text)]


def document_frequencies(docs: Iterable[Doc]) -> tuple[Counter[str], int]:
    """In how many documents (title or body) each word occurs, and how many documents."""
    df: Counter[str] = Counter()
    n = 0
    for doc in docs:
        n += 1
        df.update(set(words(doc.title)) | set(words(doc.body)))
    return df, n


def common_min_df(n_docs: int) -> int:
    """COMMON_MIN_DF, or 2% of a smaller archive (at least 2)."""
    return max(2, min(COMMON_MIN_DF, n_docs // 50))


def _content(word: str) -> bool:
    return len(word) >= MIN_LENGTH and word not in STOP_EN


def distinctive(doc: Doc, df: Mapping[str, int], rng: random.Random) -> str | None:
    """3-4 of the body's rarest words in the archive."""
    candidates = sorted({w for w in words(doc.body) if _content(w)}, key=lambda w: (df[w], w))
    pool = candidates[:DISTINCTIVE_POOL]
    k = rng.choice((3, 4))
    if len(pool) < k:
        return None
    return " ".join(rng.sample(pool, k))


def common_pool(doc: Doc, df: Mapping[str, int], min_df: int) -> list[str]:
    """The target's most repeated words among those in at least `min_df` documents."""
    tf = Counter(w for w in words(doc.body) if _content(w) and df[w] >= min_df)
    ranked = sorted((w for w, n in tf.items() if n >= COMMON_MIN_TF), key=lambda w: (-tf[w], w))
    return ranked[:COMMON_POOL]


def common(doc: Doc, df: Mapping[str, int], min_df: int, rng: random.Random) -> str | None:
    """2-3 common words the target is strongly about."""
    pool = common_pool(doc, df, min_df)
    k = rng.choice((2, 3))
    if len(pool) < k:
        return None
    return " ".join(rng.sample(pool, k))


def common_broad(
    doc: Doc,
    df: Mapping[str, int],
    min_df: int,
    rng: random.Random,
    count: Callable[[str], int],
    broad: int,
) -> str | None:
    """A `common` query of the target that matches at least `broad` documents."""
    pool = common_pool(doc, df, min_df)
    choices = [c for k in (2, 3) for c in itertools.combinations(pool, k)]
    rng.shuffle(choices)
    for choice in choices:
        # No combination matches more documents than its rarest word is in.
        if min(df[w] for w in choice) >= broad:
            q = " ".join(choice)
            if count(q) >= broad:
                return q
    return None


def phrase(doc: Doc, rng: random.Random) -> str | None:
    """3-5 consecutive words of the body (no punctuation between them), in quotes."""
    n = rng.choice((3, 4, 5))
    runs: list[list[re.Match[str]]] = []
    run: list[re.Match[str]] = []
    for match in WORD.finditer(doc.body):
        bare = match.span(1) == match.span()
        joined = bool(run) and doc.body[run[-1].end() : match.start()] == " "
        if bare and joined:
            run.append(match)
        else:
            if len(run) >= n:
                runs.append(run)
            run = [match] if bare else []
    if len(run) >= n:
        runs.append(run)
    windows = [
        run[i : i + n]
        for run in runs
        for i in range(len(run) - n + 1)
        if sum(_content(m.group(1).lower()) for m in run[i : i + n]) >= PHRASE_MIN_CONTENT_WORDS
    ]
    if not windows:
        return None
    window = rng.choice(windows)
    return '"' + doc.body[window[0].start() : window[-1].end()] + '"'


def generate(
    targets_a: Sequence[Doc],
    targets_b: Sequence[Doc],
    df: Mapping[str, int],
    n_docs: int,
    *,
    seed: int,
    per_kind: int,
    broad: int,
    count: Callable[[str], int],
) -> list[Query]:
    """`per_kind` queries of each kind (fewer when too few targets qualify), each kind
    from its own seeded draw of distinct targets. `count` gives the matches of a query
    (used for `common_broad` only)."""
    min_df = common_min_df(n_docs)
    makers: dict[str, tuple[Sequence[Doc], Callable[[Doc, random.Random], str | None]]] = {
        "distinctive": (targets_a, lambda d, r: distinctive(d, df, r)),
        "title": (targets_a, lambda d, r: d.title),
        "common": (targets_a, lambda d, r: common(d, df, min_df, r)),
        "phrase": (targets_a, phrase),
        "common_old": (
            [d for d in targets_a if d.year is not None and d.year < OLD_BEFORE],
            lambda d, r: common(d, df, min_df, r),
        ),
        "common_broad": (
            targets_a,
            lambda d, r: common_broad(d, df, min_df, r, count, broad),
        ),
        "arabic": (targets_b, lambda d, r: distinctive(d, df, r)),
    }
    queries: list[Query] = []
    for kind in KINDS:
        pool, make = makers[kind]
        rng = random.Random(f"{seed}-{kind}")
        order = sorted(pool, key=lambda d: d.key)
        rng.shuffle(order)
        made = 0
        for doc in order:
            if made == per_kind:
                break
            q = make(doc, rng)
            if q:
                queries.append(Query(kind, q, doc.key))
                made += 1
    return queries


def write_queries(path: Path, queries: list[Query], meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**meta, "queries": [asdict(q) for q in queries]}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


class QueriesError(Exception):
    """A queries file that cannot be used; the message names the file."""


def read_queries(path: Path) -> tuple[list[Query], dict[str, Any]]:
    """The queries of a file written by `write_queries`, and its other fields."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        queries = [Query(str(q["kind"]), str(q["q"]), str(q["target"])) for q in data["queries"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise QueriesError(f"{path}: not a queries file of this evaluation ({exc})") from exc
    unknown = sorted({q.kind for q in queries} - set(KINDS))
    if unknown:
        raise QueriesError(f"{path}: unknown query kind(s) {', '.join(unknown)}")
    meta = {k: v for k, v in data.items() if k != "queries"}
    return queries, meta
