"""'Did you mean …?': a spelling suggestion from the index's own words.

For a search that finds nothing or next to nothing, each plain word of the query is
compared with every word one edit away (a letter deleted, swapped with the next, changed
or added: "goverment" -> "government"), and replaced by the one that the most articles
hold, when that is clearly more than hold the word as typed. The suggestion is offered
only if the corrected query finds more, with its count.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from tantivy import Searcher

from . import analysis
from .query import And, Node, Not, Or, Phrase, Word
from .schema import text_field

# A replacement must be held by this many times more articles than the word as typed.
MORE_COMMON = 4
# Words shorter than this are not corrected (too many neighbours, too little evidence).
MIN_LENGTH = 4
_ALPHABETS = {
    "latin": "abcdefghijklmnopqrstuvwxyz",
    "arabic": "".join(chr(c) for c in range(0x0621, 0x064B)),
    "cyrillic": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "greek": "αβγδεζηθικλμνξοπρστυφχψω",
}


@dataclass(frozen=True)
class Suggestion:
    q: str
    count: int


def suggest(
    s: Searcher, tree: Node, request: Any, count_of: Callable[[Any], int]
) -> Suggestion | None:
    """A corrected query that finds more than `request` does, or None."""
    from .searcher import analyzers_in

    analyzers = sorted(analyzers_in(s))
    q = request.q
    changed = False
    for word in _plain_words(tree):
        parts = analysis.words(word)
        if len(parts) != 1 or len(parts[0]) < MIN_LENGTH or not parts[0].isalpha():
            continue
        typed = parts[0]
        best, best_count = None, _articles_with(s, typed, analyzers) * MORE_COMMON
        for candidate in _one_edit_away(typed):
            found = _articles_with(s, candidate, analyzers)
            if found > best_count:
                best, best_count = candidate, found
        if best is not None:
            q = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", best, q, count=1, flags=re.IGNORECASE)
            changed = True
    if not changed:
        return None
    corrected = replace(request, q=q)
    count = count_of(corrected)
    return Suggestion(q, count) if count > 0 else None


def _plain_words(node: Node) -> Iterator[str]:
    """The query's plain words (no field, prefix, phrase or exclusion), in order."""
    if isinstance(node, Word):
        if node.field is None and not node.prefix:
            yield node.text
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from _plain_words(child)
    elif isinstance(node, Not | Phrase):
        return


def _articles_with(s: Searcher, word: str, analyzers: Iterable[str]) -> int:
    total = 0
    for name in analyzers:
        term = analysis.term(name, word)
        if term is not None:
            total += s.doc_freq(text_field(name), term)
    return total


def _one_edit_away(word: str) -> set[str]:
    letters = _alphabet(word)
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changes = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return (deletes | swaps | changes | inserts) - {word}


def _alphabet(word: str) -> str:
    first = word[0]
    if "\u0600" <= first <= "\u06ff":
        base = _ALPHABETS["arabic"]
    elif "\u0400" <= first <= "\u04ff":
        base = _ALPHABETS["cyrillic"]
    elif "\u0370" <= first <= "\u03ff":
        base = _ALPHABETS["greek"]
    else:
        base = _ALPHABETS["latin"]
    return "".join(sorted(set(base) | set(word)))
