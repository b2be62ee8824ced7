"""Reuters-21578 SGML (`reut2-NNN.sgm`): one article per <REUTERS> element.

TITLE is the title, DATE (`26-FEB-1987 15:01:01.79`, in the --timezone zone) the
publication date, DATELINE and BODY the text, AUTHOR the author, the <D> values of TOPICS
and PLACES the tags, and NEWID part of the origin (`reut2-000.sgm#NEWID=5`). Entities
(`&lt;`, `&#3;`) are decoded, control characters dropped, and the trailing " Reuter"
signature kept as the text has it. The body's lines are wrapped at 80 columns with
paragraphs indented: they are joined back into paragraphs. The files are read one element
at a time.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import IO

from . import encoding, limits
from .fields import Draft
from .records import SKIPPED, RecordError

SOURCE = "Reuters"

_START = re.compile(rb"<REUTERS\b([^>]*)>", re.IGNORECASE)
_END = b"</REUTERS>"
_ATTRIBUTE = re.compile(r'(\w+)\s*=\s*"([^"]*)"')
_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?")
_MONTHS = {
    month: number
    for number, month in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_D = re.compile(r"<D>(.*?)</D>", re.IGNORECASE | re.DOTALL)
# "<AUTHOR>    by Janie Gabbett, Reuters</AUTHOR>": the name without "by" and the agency.
_BYLINE = re.compile(r"^by\s+|,?\s*reuters?\s*$", re.IGNORECASE)


def looks_like_sgml(head: bytes) -> bool:
    """The Reuters-21578 doctype or a <REUTERS> element at the start."""
    start = head[:200].lstrip()[:20].upper()
    return start.startswith((b"<!DOCTYPE LEWIS", b"<REUTERS"))


def _element(text: str, name: str) -> str | None:
    match = re.search(rf"<{name}\b[^>]*>(.*?)</{name}>", text, re.IGNORECASE | re.DOTALL)
    return match.group(1) if match else None


def _plain(value: str) -> str:
    return encoding.clean_text(html.unescape(value))


def _paragraphs(text: str) -> str:
    """Lines wrapped at 80 columns, a new paragraph at each indented line."""
    paragraphs: list[list[str]] = []
    for line in text.split("\n"):
        if not line.strip():
            if paragraphs and paragraphs[-1]:
                paragraphs.append([])
            continue
        if line[:1].isspace() or not paragraphs:
            paragraphs.append([])
        paragraphs[-1].append(line.strip())
    return "\n\n".join(" ".join(lines) for lines in paragraphs if lines)


def _date(value: str) -> str | None:
    """'26-FEB-1987 15:01:01.79' as ISO 8601 without a zone (the --timezone applies)."""
    match = _DATE.search(value)
    if match is None:
        return None
    day, month, year, hour, minute, second, _ = match.groups()
    number = _MONTHS.get(month.upper())
    if number is None:
        return None
    return f"{year}-{number:02d}-{int(day):02d}T{int(hour):02d}:{minute}:{second}"


def _tags(text: str, name: str) -> list[str]:
    block = _element(text, name)
    return [_plain(value).strip() for value in _D.findall(block or "") if value.strip()]


def _draft(element: str, attributes: str, origin: str, line: int) -> Draft | RecordError:
    attrs = dict(_ATTRIBUTE.findall(attributes))
    newid = attrs.get("NEWID", "").strip()
    where = f"{origin}#NEWID={newid}" if newid else origin
    draft = Draft(origin=where, line=line, source=SOURCE)
    text = _element(element, "TEXT") or ""
    draft.title = " ".join(_plain(_element(text, "TITLE") or "").split())
    body = _element(text, "BODY")
    if body is None and _element(text, "TITLE") is None:
        body = text  # TYPE="UNPROC": the text is not marked up at all
    elif body is None:
        return RecordError(where, "no BODY: the story is a headline only", line, SKIPPED, "no-text")
    body_text = _paragraphs(_plain(body or ""))
    dateline = " ".join(_plain(_element(text, "DATELINE") or "").split())
    if body_text and dateline:
        # The dateline opens the story on the wire: "SALVADOR, Feb 26 - Showers continued..."
        body_text = f"{dateline} {body_text}"
    draft.body = body_text
    raw_date = _element(element, "DATE")
    if raw_date is not None:
        draft.date = _date(_plain(raw_date)) or _plain(raw_date).strip()
        draft.date_field = "date"
    draft.tags = _tags(element, "TOPICS") + _tags(element, "PLACES")
    author = _BYLINE.sub("", " ".join(_plain(_element(text, "AUTHOR") or "").split()))
    draft.authors = [author] if author else []
    return draft


def iter_sgml(stream: IO[bytes], origin: str) -> Iterator[Draft | RecordError]:
    """One draft per <REUTERS> element, read one element at a time."""
    line = 0
    start_line = 0
    chunk: list[bytes] = []
    attributes = b""
    size = 0
    found = False
    for raw in stream:
        line += 1
        if not chunk:
            match = _START.search(raw)
            if match is None:
                continue
            start_line, attributes = line, match.group(1)
            raw = raw[match.end() :]
            chunk, size = [b""], 0
        size += len(raw)
        if size > limits.MAX_SGML_ELEMENT:
            yield RecordError(
                origin,
                f"a <REUTERS> element over {limits.MAX_SGML_ELEMENT >> 20} MB (no end tag?): "
                "not read",
                start_line,
                code="too-large",
            )
            chunk = []
            continue
        end = raw.find(_END)
        if end < 0:
            chunk.append(raw)
            continue
        chunk.append(raw[:end])
        found = True
        element = encoding.decode(b"".join(chunk))
        yield _draft(element, encoding.decode(attributes), origin, start_line)
        chunk = []
    if chunk:
        yield RecordError(
            origin, "the file ends inside a <REUTERS> element", start_line, code="damaged"
        )
    elif not found:
        yield RecordError(origin, "no <REUTERS> elements found", code="no-articles")
