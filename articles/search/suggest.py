"""'Did you mean …?': a spelling suggestion from the index's own words.

For a search that finds nothing or next to nothing, each plain word of the query that at
most three articles hold (a word many articles hold is no misspelling) is compared with
every word one edit away (a letter deleted, swapped with the next, changed
or added: "goverment" -> "government"), and replaced by the one that the most articles
hold, when that is clearly more than hold the word as typed. The suggestion is offered
only if the corrected query finds more, with its count.

Words are counted in the bodies' plain field (lowercased, accents folded, never stemmed): one
dictionary lookup per candidate, whatever the number of languages the archive holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from tantivy import Searcher

from . import analysis
from .query import And, Node, Not, Or, Phrase, Word
from .schema import EXACT_BODY

# A replacement must be held by this many times more articles than the word as typed.
MORE_COMMON = 4
# A word held by more articles than this is taken as spelled right (and not looked at).
MAX_TYPO_ARTICLES = 3
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
    q = request.q
    changed = False
    for word in _plain_words(tree):
        parts = analysis.words(word)
        if len(parts) != 1 or len(parts[0]) < MIN_LENGTH or not parts[0].isalpha():
            continue
        typed = analysis.folded(parts[0])
        held = _articles_with(s, typed)
        if held > MAX_TYPO_ARTICLES:
            continue  # a word this many articles hold is no misspelling
        best, best_count = None, held * MORE_COMMON
        for candidate in _one_edit_away(typed):
            found = _articles_with(s, candidate)
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


def _articles_with(s: Searcher, word: str) -> int:
    return int(s.doc_freq(EXACT_BODY, word))


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
