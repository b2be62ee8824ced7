"""Authors as display names: from bylines, `author`/`authors` fields and crawlers' lists.

Crawlers fill author lists with page furniture ("Author", "Www.Dw.Com", "Share"), e-mail
addresses and initials; those are dropped, each with a warning. A mail-style value keeps
its name ('Jane Doe <jane@example.org>', 'jdoe@example.edu (John Doe)').
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .urls import shorten

MAX_AUTHOR = 120  # a longer "name" is a sentence that landed in the field
MAX_AUTHORS = 50

_JUNK = re.compile(
    r"^(author|authors|by|staff|admin|administrator|editor|editors|min read|\d+ min read|"
    r"read more|share|unknown|none|null|n/?a|anonymous|guest|contributor|reporter|"
    r"correspondent|redaktion|redacción|rédaction|\W*)$",
    re.IGNORECASE,
)
_URL_LIKE = re.compile(
    r"^(?:https?:|www\d*\.)|^[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|info|co|uk|de|fr|io|news|tv)$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NAME_AND_MAIL = re.compile(r"^(?P<name>[^<>]+?)\s*<\s*[^<>@\s]+@[^<>\s]+\s*>$")
_MAIL_AND_NAME = re.compile(r"^[^()\s@]+@[^()\s]+\s*\((?P<name>[^()]+)\)$")
_BY = re.compile(r"^(?:by|von|par|por)\s*:?\s+", re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]{2,}")


def clean_authors(values: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(display names in order without repeats, a warning for each value dropped)."""
    values = tuple(values)
    return _clean_authors(values) if values else ((), ())


@lru_cache(maxsize=16384)
def _clean_authors(values: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # Dumps repeat the same few bylines thousands of times.
    kept: list[str] = []
    seen: set[str] = set()
    dropped: list[str] = []
    for value in values:
        raw = " ".join(value.split())
        if not raw:
            continue
        name, why = author_name(raw)
        if name is None:
            dropped.append(f"author dropped: {why}: {shorten(raw)!r}")
            continue
        key = name.casefold()
        if key in seen:
            continue
        if len(kept) >= MAX_AUTHORS:
            dropped.append(f"author dropped: more than {MAX_AUTHORS} authors: {shorten(raw)!r}")
            continue
        seen.add(key)
        kept.append(name)
    return tuple(kept), tuple(dropped)


@lru_cache(maxsize=16384)
def author_name(raw: str) -> tuple[str | None, str]:
    """(the display name, '') or (None, why the value is not a person's name)."""
    value = raw.strip(" \t,;:|-\u2013\u2014")
    match = _NAME_AND_MAIL.match(value) or _MAIL_AND_NAME.match(value)
    if match:
        value = match.group("name").strip(" \"'")
    value = _BY.sub("", value).strip()
    if not value or _JUNK.match(value):
        return None, "not a name"
    if _EMAIL.search(value):
        return None, "an e-mail address"
    if _URL_LIKE.search(value):
        return None, "a web address"
    if len(value) > MAX_AUTHOR:
        return None, f"longer than {MAX_AUTHOR} characters"
    if not _LETTERS.search(value):
        return None, "initials or symbols only"
    return value, ""
