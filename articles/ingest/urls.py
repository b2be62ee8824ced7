"""An article's URL: kept only when it is an absolute http(s) address, and its canonical
form for de-duplication (the URL as given stays for display).
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import SplitResult, unquote, urlsplit

MAX_URL = 2000
SHOWN = 60  # how much of a dropped value a warning quotes

_SCHEMES = ("http", "https")
_BARE_DOMAIN = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:[/?#]|$)")
_LABEL = r"\w(?:[\w-]{0,62}\w)?"
_HOST = re.compile(rf"^(?:{_LABEL}\.)*{_LABEL}\.?$|^\[[0-9a-f:.]+\]$")
# Query parameters that say where a click came from, not which page it is.
_SIMPLE = re.compile(
    r"(?P<scheme>https?)://(?P<netloc>(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
    r"(?::(?P<port>[0-9]{1,5}))?)(?P<path>/[^?#]*)?(?:\?(?P<query>[^#]*))?(?:#.*)?",
    re.IGNORECASE | re.DOTALL,
)
_TRACKING = frozenset(("fbclid", "gclid", "mc_cid", "mc_eid"))
_DEFAULT_PORTS = {"http": 80, "https": 443}


def shorten(value: str) -> str:
    """A value quoted in a warning: at most SHOWN characters."""
    return value if len(value) <= SHOWN else value[: SHOWN - 1] + "…"


class Url(NamedTuple):
    """An article's URL as kept: as given, canonical, and its host."""

    url: str
    canonical: str
    host: str


def read_url(raw: str) -> tuple[Url | None, str | None]:
    """(the URL, None), or (None, why it was dropped); (None, None) for no value.

    A scheme-less 'www.example.com/x' (a host under a public suffix) is taken as http; a
    protocol-relative '//host/x' as https. `javascript:`, `data:`, `vbscript:`, relative
    paths and malformed addresses are dropped.
    """
    url = raw if raw.isprintable() and " " not in raw else "".join(raw.split())
    if not url:
        return None, None
    if url.startswith("//"):
        url = "https:" + url
    elif "://" not in url and _BARE_DOMAIN.match(url) and _has_public_suffix(url):
        url = "http://" + url
    simple = _SIMPLE.fullmatch(url)
    if simple is not None:
        # Nearly every URL in a dump: read by one regex, not urlsplit and its properties.
        parts = SplitResult(
            simple["scheme"].lower(),
            simple["netloc"],
            simple["path"] or "",
            simple["query"] or "",
            "",
        )
        host = simple["host"].lower()
        port = int(simple["port"]) if simple["port"] else None
        if (port is not None and port > 65535) or ".." in host:
            return None, f"URL dropped: not a valid address: {shorten(raw)!r}"
    else:
        try:
            parts = urlsplit(url)
            host, port = host_and_port(parts)
        except ValueError:
            return None, f"URL dropped: not a valid address: {shorten(raw)!r}"
    scheme = parts.scheme
    if scheme not in _SCHEMES:
        if not scheme or "://" not in url:
            return None, f"URL dropped: not an absolute http(s) address: {shorten(raw)!r}"
        return None, f"URL dropped: {scheme}: is not http(s): {shorten(raw)!r}"
    if not host or "." not in host or (simple is None and not _HOST.match(host)):
        return None, f"URL dropped: no valid host name: {shorten(raw)!r}"
    if len(url) > MAX_URL:
        return None, f"URL dropped: longer than {MAX_URL:,} characters: {shorten(raw)!r}"
    return Url(url, _canonical(parts, host, port), host), None


def clean_url(raw: str) -> tuple[str | None, str | None]:
    """(the URL to keep, None) or (None, why it was dropped); see read_url."""
    kept, problem = read_url(raw)
    return (kept.url if kept else None), problem


def host_and_port(parts: SplitResult) -> tuple[str, int | None]:
    """The host (lower case) and port of a split URL; ValueError for a bad port.

    Plain 'host:port' is read here directly: urlsplit's hostname and port properties
    cost more than the rest of a URL's handling.
    """
    netloc = parts.netloc
    if "@" in netloc or "[" in netloc:
        return (parts.hostname or ""), parts.port
    host, colon, port = netloc.partition(":")
    if not colon or not port:
        return host.lower(), None
    if not port.isascii() or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"bad port {port!r}")
    return host.lower(), int(port)


def host_of(url: str) -> str:
    """The URL's host in lower case ('' when it has none or is malformed)."""
    simple = _SIMPLE.fullmatch(url)
    if simple is not None:
        return simple["host"].lower()
    try:
        return host_and_port(urlsplit(url))[0]
    except ValueError:
        return ""


def _has_public_suffix(text: str) -> bool:
    """'www.example.com/x' names a host on the web; 'story.html' does not."""
    from .outlets import domain_key  # outlets imports this module

    host = re.split(r"[/?#:]", text, maxsplit=1)[0]
    return domain_key(host) is not None


def canonical_url(url: str) -> str:
    """The form two URLs of one article share: scheme and host in lower case, no default
    port, no fragment, no tracking parameters (utm_*, fbclid, gclid, mc_cid, mc_eid), no AMP
    markers (an 'amp.' host, an '/amp' path segment, 'amp=1'), no trailing slash.
    """
    parts = urlsplit(url)
    try:
        host, port = host_and_port(parts)
    except ValueError:
        host, port = parts.netloc.lower(), None
    return _canonical(parts, host, port)


def _canonical(parts: SplitResult, host: str, port: int | None) -> str:
    scheme = parts.scheme
    host = host.rstrip(".")
    if host.startswith("amp."):
        host = host[4:]
    netloc = host
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    path = parts.path
    if "amp" in path.lower():
        path = _without_amp(path)
    path = path.rstrip("/") or "/"
    query = parts.query
    if query:
        query = "&".join(p for p in query.split("&") if p and not _is_noise(p))
        if query:
            return f"{scheme}://{netloc}{path}?{query}"
    return f"{scheme}://{netloc}{path}"


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
