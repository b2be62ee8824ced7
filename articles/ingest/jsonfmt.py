"""JSON dumps: one object, an array of objects, concatenated objects, or JSON Lines.

Arrays are streamed item by item (a SaudiNewsNet day is a 12 MB array), so memory stays
flat however large the dump. JSON Lines are read line by line, and a bad line is
reported with its number while the lines around it are still imported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from . import limits
from .encoding import TextSource
from .fields import ARTICLE_KEYS, Draft, draft_from_mapping, normalise_key
from .records import RecordError

CHUNK = 1 << 20
MAX_RECORD = limits.MAX_JSON_RECORD  # one JSON value larger than this is not an article

# Wrappers APIs put around lists of articles: {"status": "ok", "articles": [...]}.
_WRAPPER_KEYS = ("articles", "items", "data", "records", "results", "entries", "posts", "docs")
_WS = re.compile(r"[ \t\n\r]*")
_decoder = json.JSONDecoder(strict=False)


class _Stop(Exception):
    """The rest of the document cannot be read: report where, then stop."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Buffer:
    """A growing window on a text stream, with line numbers of positions in it."""

    def __init__(self, stream: TextSource) -> None:
        self.stream = stream
        self.text = ""
        self.pos = 0
        self.eof = False
        self._line = 1  # line number at self._line_pos
        self._line_pos = 0

    def more(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        if self.pos > CHUNK:  # forget what has been consumed
            self.line_at(self.pos)
            self.text = self.text[self.pos :]
            self._line_pos -= self.pos
            self.pos = 0
        self.text += chunk
        return True

    def line_at(self, pos: int) -> int:
        if pos >= self._line_pos:
            self._line += self.text.count("\n", self._line_pos, pos)
        else:
            self._line -= self.text.count("\n", pos, self._line_pos)
        self._line_pos = pos
        return self._line

    def skip_ws(self) -> bool:
        """Skip whitespace; False at the end of the document."""
        while True:
            match = _WS.match(self.text, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.text):
                return True
            if not self.more():
                return False

    def decode(self) -> tuple[Any, int]:
        """The JSON value at the current position, and its line."""
        start_line = self.line_at(self.pos)
        while True:
            try:
                value, end = _decoder.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as error:
                if len(self.text) - self.pos > MAX_RECORD:
                    raise _Stop(
                        f"invalid JSON or a record over the limit of {MAX_RECORD >> 20} MB",
                        start_line,
                    ) from error
                if self.more():
                    continue
                line = self.line_at(error.pos)
                raise _Stop(
                    f"invalid JSON: {error.msg} (line {line}, column {error.colno})", line
                ) from error
            except RecursionError as error:
                raise _Stop("JSON nested too deeply", start_line) from error
            if end == len(self.text) and self.more():
                continue  # a number may continue in the next chunk
            self.pos = end
            return value, start_line


def iter_json_values(stream: TextSource) -> Iterator[tuple[Any, int] | RecordError]:
    """Top-level values (items of top-level arrays, streamed), each with its first line.

    Yields a RecordError with an empty origin (the caller fills it) and stops when the
    document is broken.
    """
    buf = _Buffer(stream)
    try:
        while buf.skip_ws():
            if buf.text[buf.pos] != "[":
                yield buf.decode()
                continue
            buf.pos += 1
            first = True
            while True:
                if not buf.skip_ws():
                    raise _Stop("unexpected end of file inside a JSON array", buf.line_at(buf.pos))
                char = buf.text[buf.pos]
                if char == "]":
                    buf.pos += 1
                    break
                if not first:
                    if char != ",":
                        line = buf.line_at(buf.pos)
                        raise _Stop(f"invalid JSON: expected ',' or ']' (line {line})", line)
                    buf.pos += 1
                    if not buf.skip_ws():
                        raise _Stop(
                            "unexpected end of file inside a JSON array", buf.line_at(buf.pos)
                        )
                yield buf.decode()
                first = False
    except _Stop as stop:
        yield RecordError("", stop.message, stop.line)


def _is_article(record: Mapping[Any, Any]) -> bool:
    return any(isinstance(key, str) and normalise_key(key) in ARTICLE_KEYS for key in record)


def drafts_from_value(value: Any, origin: str, line: int | None) -> Iterator[Draft | RecordError]:
    """The article(s) in one JSON value: an article object, or a wrapper around a list."""
    if isinstance(value, dict):
        if _is_article(value):
            yield draft_from_mapping(value, origin, line)
            return
        for key in _WRAPPER_KEYS:
            items = value.get(key)
            if isinstance(items, list):
                for item in items:
                    if isinstance(item, dict) and _is_article(item):
                        yield draft_from_mapping(item, origin, line)
                    else:
                        yield RecordError(
                            origin, f"an item of {key!r} is not an article object", line
                        )
                return
        keys = ", ".join(sorted(str(k) for k in value)[:8]) or "none"
        yield RecordError(origin, f"not an article: no title or text field (fields: {keys})", line)
        return
    kind = "array" if isinstance(value, list) else type(value).__name__
    kind = {"str": "string", "int": "number", "float": "number", "NoneType": "null"}.get(kind, kind)
    yield RecordError(
        origin, f"expected a JSON object, found {'an' if kind == 'array' else 'a'} {kind}", line
    )


def iter_json(stream: TextSource, origin: str) -> Iterator[Draft | RecordError]:
    """Articles from a JSON document (object, array, or concatenated values)."""
    for item in iter_json_values(stream):
        if isinstance(item, RecordError):
            yield RecordError(origin, item.message, item.line)
            return
        value, line = item
        yield from drafts_from_value(value, origin, line)


def iter_jsonl(stream: TextSource, origin: str) -> Iterator[Draft | RecordError]:
    """Articles from JSON Lines: each bad line is reported and skipped.

    A line over limits.MAX_JSON_RECORD characters is reported and passed over without
    being held in memory.
    """
    for number, raw in _bounded_lines(stream, MAX_RECORD):
        if raw is None:
            yield RecordError(
                origin,
                f"line over the limit of {MAX_RECORD >> 20} MB: not read",
                number,
                code="too-large",
            )
            continue
        line = raw.strip()
        if not line:
            continue
        try:
            value = _decoder.decode(line)
        except json.JSONDecodeError as error:
            yield RecordError(origin, f"invalid JSON: {error.msg} (column {error.colno})", number)
            continue
        except RecursionError:
            yield RecordError(origin, "JSON nested too deeply", number)
            continue
        yield from drafts_from_value(value, origin, number)


def _bounded_lines(stream: TextSource, limit: int) -> Iterator[tuple[int, str | None]]:
    """(line number, line) for each line; None for a line over `limit`, which is skipped."""
    number = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith("\n"):
            while True:  # the rest of the line, a piece at a time
                rest = stream.readline(CHUNK)
                if not rest or rest.endswith("\n"):
                    break
            yield number, None
        else:
            yield number, line


def first_line_is_object(sample: str) -> bool:
    """Does the sample open with a whole JSON object on its first line (JSON Lines)?"""
    stripped = sample.lstrip()
    newline = stripped.find("\n")
    if newline < 0 or not stripped.startswith("{"):
        return False
    try:
        return isinstance(_decoder.decode(stripped[:newline].strip()), dict)
    except (json.JSONDecodeError, RecursionError):
        return False
