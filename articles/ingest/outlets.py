"""One key per outlet, however a dump names it.

`news.bbc.co.uk`, `bbc.co.uk`, `https://www.bbc.com/news` and news-please's short
publisher name `bbc` all give `bbc`: the registered domain's own label (the domain less
its public suffix, found with tldextract's bundled Public Suffix List; nothing is
downloaded). A name that is not a domain gives its letters and digits in lower case
('The Guardian' -> 'theguardian', which theguardian.com also gives).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from .urls import host_of

MAX_KEY = 100
_DOMAIN_LIKE = re.compile(r"^(?:[\w-]+\.)+[a-z][\w-]*\.?$", re.IGNORECASE)
_NOT_KEY = re.compile(r"[\W_]+")


@lru_cache(maxsize=1)
def _extractor() -> Any:
    import tldextract

    # No suffix list URLs and no cache: the snapshot shipped inside the package, always.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


@lru_cache(maxsize=16384)
def domain_key(host: str) -> str | None:
    """'news.bbc.co.uk' -> 'bbc'; None for a host with no registered domain (an IP, 'localhost')."""
    host = host.strip().strip(".").lower()
    if not host or host.replace(".", "").isdigit() or ":" in host:
        return None
    parts = _extractor()(host)
    if not parts.domain or not parts.suffix:
        return None
    return _name_key(parts.domain)


def _name_key(name: str) -> str | None:
    key = _NOT_KEY.sub("", unicodedata.normalize("NFKC", name).casefold())[:MAX_KEY]
    return key or None


def outlet_key(
    source: str | None = None, url: str | None = None, *, host: str | None = None
) -> str | None:
    """The outlet's key from the article's URL (or its `host`, when known), else from the
    source name; None without."""
    if url or host:
        host = host if host is not None else host_of(url or "")
        if host:
            key = domain_key(host)
            if key:
                return key
    if source:
        name = " ".join(source.split())
        if _DOMAIN_LIKE.match(name):
            key = domain_key(name)
            if key:
                return key
        return _name_key(name)
    return None
