"""How text becomes index terms: one analyzer per language that tantivy can stem.

Every article is indexed in the fields of its own language (`title_english`,
`body_french`...), analyzed with that language's stop words and stemmer, so "running"
finds "run" in English and "élections" finds "élection" in French. Languages tantivy
cannot stem, and articles of unknown language, go to the `plain` fields: lowercased and
accent-folded words, nothing dropped. A query is analyzed once per language the archive
holds (articles/search/compile.py), so each article is matched with its own language's
rules and BM25 counts each word's rarity among the articles of that language.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from tantivy import Filter, Index, TextAnalyzer, TextAnalyzerBuilder, Tokenizer

# ISO 639-1 code -> tantivy's stemmer (Snowball) for that language.
STEMMED = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nb": "norwegian",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
}
# The stemmed languages tantivy ships a stop-word list for.
STOP_LISTS = frozenset(
    {
        "danish",
        "dutch",
        "english",
        "finnish",
        "french",
        "german",
        "hungarian",
        "italian",
        "norwegian",
        "portuguese",
        "russian",
        "spanish",
        "swedish",
    }
)
# Languages in Latin script, whose words are also accent-folded (café = cafe).
LATIN = frozenset(STOP_LISTS - {"russian"} | {"romanian", "turkish"})
PLAIN = "plain"
ANALYZERS = (*sorted(set(STEMMED.values())), PLAIN)
# Words of more bytes than this (UTF-8) are not words (URLs, base64, runs of letters): not
# indexed. 80 bytes is 80 Latin or 40 Arabic letters.
MAX_WORD_BYTES = 80


def analyzer_for(language: str) -> str:
    """The analyzer of an article in `language` (an ISO 639-1 code, possibly empty)."""
    return STEMMED.get(language, PLAIN)


def languages_of(analyzer: str) -> list[str]:
    """The language codes an analyzer serves ("" is in the plain analyzer's: unknown)."""
    return [code for code, name in STEMMED.items() if name == analyzer] if analyzer != PLAIN else []


@cache
def text_analyzer(name: str) -> TextAnalyzer:
    """The analyzer registered under `name` for the `title_<name>` and `body_<name>` fields."""
    builder = (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_WORD_BYTES + 1))
        .filter(Filter.lowercase())
    )
    if name != PLAIN:
        # Stop words are indexed (phrases keep their exact words and positions); queries
        # leave them out of what must match (compile.py).
        builder = builder.filter(Filter.stemmer(name))
    if name == PLAIN or name in LATIN:
        builder = builder.filter(Filter.ascii_fold())
    return builder.build()


@cache
def _word_splitter() -> TextAnalyzer:
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_WORD_BYTES + 1))
        .filter(Filter.lowercase())
        .build()
    )


@cache
def _folder() -> TextAnalyzer:
    return TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.ascii_fold()).build()


def folded(word: str) -> str:
    """`word` (lowercased) with its accents folded, as the plain and Latin fields hold it."""
    parts = _folder().analyze(word)
    return parts[0] if len(parts) == 1 else word


@cache
def _stop_words_of(name: str) -> TextAnalyzer:
    return TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.stopword(name)).build()


def register(index: Index) -> None:
    """Make every analyzer known to an opened index (tantivy does not store them)."""
    for name in ANALYZERS:
        index.register_tokenizer(name, text_analyzer(name))


def words(text: str) -> list[str]:
    """The lowercased words of `text` as the index splits them, stop words included, in
    order (so a phrase keeps the positions of the stop words it holds)."""
    return _word_splitter().analyze(text)


@lru_cache(maxsize=65536)
def term(analyzer: str, word: str) -> str | None:
    """The index term of one lowercased `word` under `analyzer` (None for a word too long
    to be indexed)."""
    terms = text_analyzer(analyzer).analyze(word)
    return terms[0] if terms else None


@lru_cache(maxsize=65536)
def is_stop_word(analyzer: str, word: str) -> bool:
    """Whether `word` is on `analyzer`'s stop-word list (none for unlisted languages)."""
    return analyzer in STOP_LISTS and not _stop_words_of(analyzer).analyze(word)


_PREFIX_UNSAFE = re.compile(r"[\\.+*?()|\[\]{}^$#&\-~\"<>@%]")


def regex_literal(text: str) -> str:
    """`text` escaped for tantivy's term regexes (prefix queries)."""
    return _PREFIX_UNSAFE.sub(lambda m: "\\" + m[0], text)
