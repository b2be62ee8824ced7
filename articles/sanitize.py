"""Stored text made safe for where it goes: XML feeds, spreadsheets, links (pure Python).

Dumps and curators put anything in a field. PostgreSQL stores it faithfully; these small
functions decide what each output may show of it, so the rules live in one place.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# C0 controls except tab and newline, DEL and C1 controls: nothing a reader should see.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The whitespace among them (vertical tab, form feed, CR, the file/group/record/unit
# separators, NEL): in a one-line field they separate words, so they become a space.
_SPACING_CONTROLS = re.compile("[\t\n\x0b\x0c\r\x1c-\x1f\x85]")
# What XML 1.0 cannot hold at all (Char production): C0 controls other than tab, newline
# and CR, lone surrogates, U+FFFE and U+FFFF. Django's feed writer refuses the first with
# an exception, which made a whole feed a 500.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Spreadsheets read a cell starting with these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

LINK_SCHEMES = frozenset({"http", "https"})


def strip_controls(text: str, *, multiline: bool = False) -> str:
    """`text` without control characters. A body (`multiline`) keeps tabs and newlines
    (CR and CRLF become newlines); in a one-line field, such as a title, every line or tab
    break becomes a space."""
    if multiline:
        # str.isprintable() is fast C, and false for tabs and newlines (and for every
        # character removed here, but also for no-break spaces, which are then kept).
        if text.replace("\n", "").replace("\t", "").isprintable():
            return text
        return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if text.isprintable():
        return text
    return _CONTROLS.sub("", _SPACING_CONTROLS.sub(" ", text))


def xml_safe(text: str) -> str:
    """`text` without the characters an XML 1.0 document cannot hold."""
    return _NOT_XML.sub("", text)


def http_url(url: str | None) -> str | None:
    """`url` when a browser may follow it as a link (http or https with a host), else None.

    A stored URL came from a dump or a curator: `javascript:alert(1)//://` is a valid
    string, and as an href it runs a script on the site's origin.
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    return url


def csv_cell(value: object) -> str:
    """`value` as a CSV cell that no spreadsheet runs as a formula (a leading `'`)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
