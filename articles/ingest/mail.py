"""E-mail: mbox mailboxes and single .eml messages, one article per message.

The Subject is the title, the text/plain part the body (or the text of the text/html
part when there is no plain one), the From display name the author (never the address),
Date the publication date, and Newsgroups and the mailing list's name the tags. An mbox
is split on its `From ` lines as the standard library's `mailbox.mbox` does (undoing the
`>From ` escapes), but streamed rather than indexed: one message is in memory at a time,
so a mailbox of any size imports, from an archive or standard input too.
"""

from __future__ import annotations

import email.policy
import re
from collections.abc import Iterator
from datetime import UTC
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import IO

from . import encoding, limits
from .fields import Draft
from .records import SKIPPED, RecordError
from .webpage import fragment_text

# "From jane@example.org Mon Jan  5 10:00:00 2004": the separator line of an mbox; a body
# line that starts with "From " (unescaped, in mboxo files) rarely also holds a time and year.
_FROM_LINE = re.compile(rb"^From \S+ +\S")
_TIME = re.compile(rb"\b\d{1,2}:\d{2}\b")
_YEAR = re.compile(rb"\b(?:19|20)\d{2}\b")
_HEADER = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")
_ESCAPED_FROM = re.compile(rb"^>+From ")
_SIGNATURE = re.compile(r"\n-- ?\n")


def looks_like_mbox(head: bytes) -> bool:
    """A `From ` separator line followed by header lines."""
    if not head[:64].lstrip(b"\r\n").startswith(b"From "):
        return False
    lines = head[:4096].lstrip(b"\r\n").split(b"\n", 3)
    if len(lines) < 2 or not _is_from_line(lines[0]):
        return False
    return _HEADER.match(lines[1]) is not None


def _is_from_line(line: bytes) -> bool:
    return (
        _FROM_LINE.match(line) is not None
        and _TIME.search(line) is not None
        and _YEAR.search(line) is not None
    )


def iter_mbox(stream: IO[bytes], origin: str) -> Iterator[Draft | RecordError]:
    """One draft per message of a mailbox; a message's line is that of its `From ` line."""
    start = 0
    lines: list[bytes] = []
    size = 0
    too_large = False
    after_blank = True
    for number, line in enumerate(stream, start=1):
        # A separator starts the file or follows a blank line.
        if after_blank and line.startswith(b"From ") and _is_from_line(line):
            if start:
                yield _message(lines, origin, start, too_large)
            start, lines, size, too_large = number, [], 0, False
            continue
        after_blank = not line.strip()
        if not start:
            if line.strip():
                yield RecordError(
                    origin, "not an mbox mailbox (no 'From ' line first)", number, code="unreadable"
                )
                return
            continue
        if too_large:
            continue
        size += len(line)
        if size > limits.MAX_MESSAGE:
            too_large, lines = True, []
            continue
        # mboxrd escapes body lines that begin with "From " as ">From ": undo one level.
        lines.append(line[1:] if _ESCAPED_FROM.match(line) else line)
    if start:
        yield _message(lines, origin, start, too_large)
    else:
        yield RecordError(origin, "empty mailbox", None, SKIPPED, "no-text")


def iter_eml(stream: IO[bytes], origin: str) -> Iterator[Draft | RecordError]:
    """The one message of an .eml file."""
    data = stream.read(limits.MAX_MESSAGE + 1)
    if len(data) > limits.MAX_MESSAGE:
        yield _too_large(origin, None)
        return
    yield _draft(data, origin, None)


def _too_large(origin: str, line: int | None) -> RecordError:
    message = f"message over the limit of {limits.MAX_MESSAGE >> 20} MB: not read"
    return RecordError(origin, message, line, code="too-large")


def _message(lines: list[bytes], origin: str, line: int, too_large: bool) -> Draft | RecordError:
    if too_large:
        return _too_large(origin, line)
    return _draft(b"".join(lines), origin, line)


def _draft(data: bytes, origin: str, line: int | None) -> Draft | RecordError:
    if not data.strip():
        return RecordError(origin, "empty message", line, SKIPPED, "no-text")
    if not _HEADER.match(data.lstrip()[:100]):
        return RecordError(
            origin, "not an e-mail message (no header lines)", line, code="unreadable"
        )
    parsed = email.message_from_bytes(data, _class=EmailMessage, policy=email.policy.default)
    draft = Draft(origin=origin, line=line)
    draft.title = _header(parsed, "Subject")
    draft.body = _body(parsed)
    date = _header(parsed, "Date")
    if date:
        try:
            moment = parsedate_to_datetime(date)
        except (TypeError, ValueError, IndexError):
            moment = None
        if moment is not None and moment.tzinfo is not None:
            draft.published_at = moment.astimezone(UTC)
        else:
            # The general parser: --timezone, the mailbox's date order, or a warning.
            draft.date, draft.date_field = date, "date"
    author = _display_name(parsed)
    draft.authors = [author] if author else []
    draft.tags = _groups(parsed)
    draft.url = _archived_at(parsed)
    return draft


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot decode
        value = ""
    return " ".join(encoding.clean_text(str(value or "")).split())


def _display_name(message: EmailMessage) -> str:
    try:
        header = message.get("From")
        addresses = getattr(header, "addresses", ())
    except (ValueError, IndexError, TypeError):
        return ""
    for address in addresses:
        name = " ".join(encoding.clean_text(address.display_name or "").split())
        if name and "@" not in name:
            return name.strip("\"'")
    return ""


def _groups(message: EmailMessage) -> list[str]:
    tags = [g.strip() for g in _header(message, "Newsgroups").split(",") if g.strip()]
    list_id = _header(message, "List-Id")
    if list_id:
        # 'Python announcements <python-announce.python.org>': the list is the id's first label.
        match = re.search(r"<([^>]+)>", list_id)
        ident = match.group(1) if match else list_id
        name = ident.split(".", 1)[0].strip()
        if name:
            tags.append(name)
    return tags


def _archived_at(message: EmailMessage) -> str:
    value = _header(message, "Archived-At").strip("<> ")
    return value if value.startswith(("http://", "https://")) else ""


def _body(message: EmailMessage) -> str:
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except (KeyError, LookupError):
        part = None
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = encoding.decode(payload) if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    text = encoding.clean_text(content)
    if part.get_content_subtype() == "html":
        return fragment_text(text)
    # Everything after the signature separator ("-- ") is the sender's signature.
    match = _SIGNATURE.search(text)
    return text[: match.start()] if match else text
