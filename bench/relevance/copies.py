"""Near-identical copies of a target, which count as finding it (pure Python).

SaudiNewsNet holds the same wire story from several outlets, word for word but for a
byline, a dateline or the shape of a quotation mark; the export folds only exact repeats.
A query made from one copy finds them all, they score alike (to a tie, once their lengths
fall in the same length bucket of a tantivy index), and which of them comes first is a
coin toss that no engine can get right: it follows the order of the documents in the
index. A reader who remembers the story is served by any copy, so a result whose body is a
near-identical copy of the target's counts as the target, for every engine alike.

Near-identical: the bodies' word 5-gram shingles have a Jaccard similarity of at least 0.8,
the threshold at which the archive groups versions of a story (README, "Near-duplicates"),
computed exactly from the texts here, not through the archive's MinHash estimate, so the
evaluation depends on no engine. Other reports of the same event (a rewrite sharing the
rare words, similarity 0.2-0.7) are other articles, and still rank below the target.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from .documents import Doc

SHINGLE_WORDS = 5
THRESHOLD = 0.8

_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[tuple[str, ...]]:
    """The text's runs of SHINGLE_WORDS consecutive words (lowercased letters and digits)."""
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def similarity(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    """The Jaccard similarity of two shingle sets (0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def near_copies(targets: Iterable[Doc], docs: Iterable[Doc]) -> dict[str, frozenset[str]]:
    """For each target's key, the keys of the other documents of `docs` whose body is a
    near-identical copy of the target's (targets without one are left out)."""
    own = {t.key: shingles(t.body) for t in targets}
    holders: defaultdict[tuple[str, ...], list[str]] = defaultdict(list)
    for key, its in own.items():
        for shingle in its:
            holders[shingle].append(key)
    found: defaultdict[str, set[str]] = defaultdict(set)
    for doc in docs:
        its = shingles(doc.body)
        shared = Counter(
            key for shingle in its for key in holders.get(shingle, ()) if key != doc.key
        )
        for key, n in shared.items():
            if n / (len(own[key]) + len(its) - n) >= THRESHOLD:
                found[key].add(doc.key)
    return {key: frozenset(keys) for key, keys in found.items()}
