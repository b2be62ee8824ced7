"""ISO 639-1 codes and the PostgreSQL text-search configuration each one selects.

Plain Python (no Django import): the parser uses it to validate languages, the
models use it to build the per-row configuration of the stored search vectors.
"""

from __future__ import annotations

# The configurations PostgreSQL ships with (initdb's list), keyed by ISO 639-1 code.
TEXT_SEARCH_CONFIGS: dict[str, str] = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}

# Used for any language PostgreSQL has no stemmer for, and for unknown ones.
FALLBACK_CONFIG = "simple"

# Names shown to readers; codes without a name here are shown as the code.
LANGUAGE_NAMES: dict[str, str] = {
    "ar": "Arabic",
    "ca": "Catalan",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "eu": "Basque",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "ga": "Irish",
    "he": "Hebrew",
    "hi": "Hindi",
    "hu": "Hungarian",
    "hy": "Armenian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "lt": "Lithuanian",
    "ne": "Nepali",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sr": "Serbian",
    "sv": "Swedish",
    "ta": "Tamil",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "yi": "Yiddish",
    "zh": "Chinese",
}

# Written right to left; pages set dir="rtl" for these.
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "yi"})


def config_for(language: str) -> str:
    """The text-search configuration for an ISO 639-1 code ('simple' when none fits)."""
    return TEXT_SEARCH_CONFIGS.get(language, FALLBACK_CONFIG)


def language_name(language: str) -> str:
    return LANGUAGE_NAMES.get(language, language or "Unknown")
