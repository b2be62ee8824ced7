"""The language of an article: ISO 639-1, from the dump's metadata or detected."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# How much text the classifier sees: enough to be sure, little enough to be fast.
DETECT_CHARS = 400
DETECT_BYTES = 480
# Below this many letters, or this confidence, we do not guess.
MIN_LETTERS = 20
MIN_CONFIDENCE = 0.5

_CODE = re.compile(r"^[a-z]{2,3}(?:[-_][a-z0-9]{1,8})*$", re.IGNORECASE)
MAX_LANGUAGE_VALUE = 60  # longer is not a language name


def normalise_language(value: Any) -> str:
    """'en-US', 'en_us', 'English', 'eng', 'Français', 'iw' -> ISO 639-1 ('en', 'fr', 'he').

    Through langcodes: deprecated codes are replaced ('iw' -> 'he', 'in' -> 'id'), three-
    letter codes shortened where ISO 639-1 has the language ('slk' -> 'sk'), names read in
    any language. A language ISO 639-1 lacks keeps its three-letter code ('fil'); '' when
    the value names no language.
    """
    if not isinstance(value, str):
        return ""
    text = " ".join(value.split())
    if not text or len(text) > MAX_LANGUAGE_VALUE:
        return ""
    return _normalise(text.casefold())


@lru_cache(maxsize=4096)
def _normalise(text: str) -> str:
    import langcodes

    if _CODE.match(text):
        try:
            tag = langcodes.Language.get(text.replace("_", "-"))
        except (langcodes.LanguageTagError, ValueError):
            tag = None
        if tag is not None and tag.language and tag.is_valid():
            return _short(tag.language)
    try:
        found = langcodes.find(text)
    except (LookupError, ValueError):
        return ""
    return _short(found.language) if found.language else ""


def _short(code: str) -> str:
    """The code as the archive keeps it: ISO 639-1, or 639-2/3 where 639-1 has none."""
    if code in ("und", "mul", "zxx", "mis") or "qaa" <= code <= "qtz":
        return ""  # undetermined, multiple, no content, private use: no language
    return code if len(code) <= 3 else ""


_identifier: Any = None


def _get_identifier() -> Any:
    global _identifier
    if _identifier is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


_NOT_LETTERS = re.compile(r"[\W\d_]+")


# Fast paths, because the classifier costs more than all the other parsing of an article.
# English: function words that are common in English and rare as words in other languages.
# fmt: off
_ENGLISH = frozenset((
    "the", "of", "and", "to", "that", "for", "was", "with", "is", "are", "were", "said", "from",
    "his", "her", "has", "have", "had", "be", "been", "by", "this", "which", "will", "would",
    "it", "its", "they", "their", "he", "she", "who", "at", "on", "as", "an", "but", "not"
))
# fmt: on
# Function words of other Latin-script languages ("de", "la", "und", "que", "het"...).
# fmt: off
_NOT_ENGLISH = frozenset((
    "de", "la", "le", "les", "des", "du", "et", "est", "une", "un", "der", "die", "das", "und",
    "ist", "nicht", "mit", "el", "los", "las", "que", "y", "por", "para", "con", "una", "il",
    "di", "che", "della", "per", "non", "het", "een", "van", "og", "och", "att", "er", "ein",
    "eine", "dem", "den", "zu", "não", "em", "os", "uma", "ser", "sie", "wir", "ich"
))
# fmt: on
_ASCII_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_ARABIC_LETTERS = re.compile("[\u0621-\u064a]")
# Letters Persian, Urdu, Pashto, Kurdish and Sindhi add to the Arabic alphabet.
_NOT_ARABIC = re.compile("[\u0679-\u06d3\u067e\u0686\u0698\u06a9\u06af\u06cc]")


def _fast_language(sample: str) -> str:
    """'en' or 'ar' when the text leaves no doubt; '' to ask the classifier."""
    # Nearly all ASCII (a pound sign or curly quotes allowed): maybe English.
    if sample.isascii() or (
        len(sample.encode("utf-8", errors="ignore")) - len(sample) <= len(sample) // 25
    ):
        words = _ASCII_WORD.findall(sample.lower())
        if len(words) >= 25:
            english = sum(map(_ENGLISH.__contains__, words))
            other = sum(map(_NOT_ENGLISH.__contains__, words))
            if english >= len(words) * 0.2 and other <= len(words) * 0.02:
                return "en"
        return ""
    arabic = len(_ARABIC_LETTERS.findall(sample))
    if arabic >= 40 and arabic >= len(sample) * 0.5 and not _NOT_ARABIC.search(sample):
        return "ar"
    return ""


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the text's language, or '' when too short or unsure."""
    sample = text[:DETECT_CHARS]
    if len(text) > DETECT_CHARS:
        cut = sample.rfind(" ")
        if cut > DETECT_CHARS // 2:
            sample = sample[:cut]
    # The classifier walks UTF-8 bytes: cap those, not characters, for non-Latin scripts.
    size = len(sample) if sample.isascii() else len(sample.encode("utf-8", errors="ignore"))
    if size > DETECT_BYTES:
        sample = sample[: len(sample) * DETECT_BYTES // size]
    fast = _fast_language(sample)
    if fast:
        return fast
    if len(_NOT_LETTERS.sub("", sample)) < MIN_LETTERS:
        return ""
    code, confidence = _get_identifier().classify(sample)
    if confidence < MIN_CONFIDENCE or not isinstance(code, str) or len(code) != 2:
        return ""
    return code
