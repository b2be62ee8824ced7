"""Naming an article's outlet when the dump's metadata does not.

In order: a known source (admin-curated name or alias) at the very start of the body,
an outlet-like name leading the first paragraph ("Twilight News Iraqi Defense Ministry
said...", "TOKYO (Reuters) - ..."), the URL's domain.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

MAX_SOURCE = 200

# Last words of outlet names ("Twilight News", "Daily Mail Online", "Iraqi News Agency").
_OUTLET_WORDS = (
    "News Agency|Press Agency|News|Times|Post|Press|Herald|Tribune|Journal|Gazette|Telegraph|"
    "Guardian|Observer|Chronicle|Daily|Express|Mirror|Wire|Radio|TV|Television|Network|"
    "Online|Weekly|Newswire|Broadcasting|Newspaper|Dispatch|Courier"
)
# Agencies that lead paragraphs by a single name ("Reuters - ...").
_AGENCIES = (
    "Reuters|AFP|AP|Xinhua|Bloomberg|Interfax|TASS|Anadolu|Yonhap|Kyodo|IANS|PTI|UPI|Bernama|"
    "WAFA|KUNA|WAM|SPA|MENA|IRNA|Sputnik|ANSA|EFE|DPA"
)
_NAME_WORD = r"(?:[A-Z][\w'\u2019&.-]*|al-[A-Z][\w'\u2019-]*)"
_OUTLET_NAME = rf"(?:{_NAME_WORD}\s+){{1,4}}(?:{_OUTLET_WORDS})"
_SEPARATOR = r"\s*(?:-|\u2013|\u2014|:|\|)"
# A name, then a capitalised word or a separator: "Twilight News Iraqi ...", "Sky News - ...".
_LEADING_OUTLET = re.compile(
    rf"^(?:(?P<outlet>{_OUTLET_NAME})(?=\s+[A-Z\u0600-\u06ff]|\s*[-\u2013\u2014:|/])"
    rf"|(?P<agency>{_AGENCIES})(?={_SEPARATOR}))"
)
# "TOKYO (Reuters) - ", "WASHINGTON (AP) — ", "Beijing, June 14 (Xinhua) -- ".
_DATELINE = re.compile(
    rf"^(?:[A-Z][A-Z .,'\u2019-]{{1,40}}\((?P<acronym>[A-Z]{{2,6}})\)"
    rf"|[A-Z][\w .,'\u2019-]{{1,60}}\((?P<name>{_OUTLET_NAME}|{_AGENCIES})\)){_SEPARATOR}"
)
_WWW = re.compile(r"^www\d*\.")


def domain_of(url: str) -> str | None:
    """'https://www.bbc.co.uk/news/x' -> 'bbc.co.uk' (lowercase, no www.)."""
    try:
        host = urlsplit(url if "://" in url else "http://" + url).hostname
    except ValueError:
        return None
    return domain_of_host(host or "")


def domain_of_host(host: str) -> str | None:
    """'www.bbc.co.uk' -> 'bbc.co.uk': a host as a source name."""
    if not host or "." not in host:
        return None
    return _WWW.sub("", host.lower().rstrip(".")) or None


def source_from_metadata(value: str) -> str:
    """A source as metadata gives it; bare domains lose their 'www.'."""
    value = " ".join(value.split())[:MAX_SOURCE]
    if " " not in value and "." in value:
        return _WWW.sub("", value.lower()) if value.lower().startswith("www") else value
    return value


@lru_cache(maxsize=8)
def _known_index(known: frozenset[str]) -> dict[str, list[str]]:
    """Known names by their lowercased first word, longest first."""
    index: dict[str, list[str]] = {}
    for name in known:
        words = name.split()
        if words:
            index.setdefault(words[0].casefold(), []).append(" ".join(words))
    for names in index.values():
        names.sort(key=len, reverse=True)
    return index


def known_source_at_start(body: str, known: frozenset[str]) -> str | None:
    """A known source's name or alias with which the body starts (case-insensitive)."""
    if not known or not body:
        return None
    head = body[:300]
    first = head.split(None, 1)
    if not first:
        return None
    candidates = _known_index(known).get(first[0].casefold().rstrip(":,-\u2013\u2014|"), ())
    normalised = " ".join(head.split())
    folded = normalised.casefold()
    for name in candidates:
        key = name.casefold()
        if folded.startswith(key):
            after = normalised[len(name) : len(name) + 1]
            if not after or not after.isalnum():
                return name
    return None


def outlet_at_start(body: str) -> str | None:
    """An outlet-like name leading the first paragraph, or None."""
    head = body[:300]
    match = _LEADING_OUTLET.match(head) or _DATELINE.match(head)
    if match:
        name = next(group for group in match.groups() if group)
        return " ".join(name.split())
    return None
