"""An article's URL: kept only when it is an absolute http(s) address, and its canonical
form for de-duplication (the URL as given stays for display).
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

MAX_URL = 2000
SHOWN = 60  # how much of a dropped value a warning quotes

_SCHEMES = ("http", "https")
_BARE_DOMAIN = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:[/?#]|$)")
_LABEL = r"\w(?:[\w-]{0,62}\w)?"
_HOST = re.compile(rf"^(?:{_LABEL}\.)*{_LABEL}\.?$|^\[[0-9a-f:.]+\]$")
# Query parameters that say where a click came from, not which page it is.
_TRACKING = frozenset(("fbclid", "gclid", "mc_cid", "mc_eid"))
_DEFAULT_PORTS = {"http": 80, "https": 443}


def shorten(value: str) -> str:
    """A value quoted in a warning: at most SHOWN characters."""
    return value if len(value) <= SHOWN else value[: SHOWN - 1] + "…"


def clean_url(raw: str) -> tuple[str | None, str | None]:
    """(the URL to keep, None) or (None, why it was dropped); (None, None) for no value.

    A scheme-less 'www.example.com/x' (a host under a public suffix) is taken as http; a
    protocol-relative '//host/x' as https. `javascript:`, `data:`, `vbscript:`, relative
    paths and malformed addresses are dropped.
    """
    url = "".join(raw.split())
    if not url:
        return None, None
    if url.startswith("//"):
        url = "https:" + url
    elif "://" not in url and _BARE_DOMAIN.match(url) and _has_public_suffix(url):
        url = "http://" + url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None, f"URL dropped: not a valid address: {shorten(raw)!r}"
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        if not scheme or "://" not in url:
            return None, f"URL dropped: not an absolute http(s) address: {shorten(raw)!r}"
        return None, f"URL dropped: {scheme}: is not http(s): {shorten(raw)!r}"
    host = parts.hostname or ""
    if not host or "." not in host.strip("[]") or not _HOST.match(host):
        return None, f"URL dropped: no valid host name: {shorten(raw)!r}"
    if len(url) > MAX_URL:
        return None, f"URL dropped: longer than {MAX_URL:,} characters: {shorten(raw)!r}"
    return url, None


def _has_public_suffix(text: str) -> bool:
    """'www.example.com/x' names a host on the web; 'story.html' does not."""
    from .outlets import domain_key

    host = re.split(r"[/?#:]", text, maxsplit=1)[0]
    return domain_key(host) is not None


def canonical_url(url: str) -> str:
    """The form two URLs of one article share: scheme and host in lower case, no default
    port, no fragment, no tracking parameters (utm_*, fbclid, gclid, mc_cid, mc_eid), no AMP
    markers (an 'amp.' host, an '/amp' path segment, 'amp=1'), no trailing slash.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if host.startswith("amp."):
        host = host[4:]
    netloc = host
    if parts.username or parts.password:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + host
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    path = _without_amp(parts.path).rstrip("/") or "/"
    query = "&".join(p for p in parts.query.split("&") if p and not _is_noise(p))
    return urlunsplit(SplitResult(scheme, netloc, path, query, ""))


def _without_amp(path: str) -> str:
    segments = path.split("/")
    kept = [s for s in segments if s.lower() != "amp"]
    return "/".join(kept) if len(kept) != len(segments) else path


def _is_noise(pair: str) -> bool:
    key, _, value = pair.partition("=")
    key = unquote(key).lower()
    if key.startswith("utm_") or key in _TRACKING:
        return True
    return key == "amp" and value.lower() in ("", "1", "true")
