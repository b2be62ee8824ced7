"""From command-line paths to records: files, directories, archives, standard input.

`iter_records` is the parser's whole public interface. It never raises for bad input:
a missing path, an unreadable, empty, binary or broken file, or a bad record becomes a
`RecordError` naming the path (and line) and the records around it still come through.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import stat
import sys
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import IO, BinaryIO

from . import dates, encoding, feeds, fields, jsonfmt, mail, reuters, structured, warc, webpage
from .csvfmt import iter_csv, looks_like_csv_header
from .pool import PagePool, Pending, in_order
from .records import ParsedArticle, ParseOptions, RecordError
from .text import parse_text

FORMATS = ("auto", "text", "json", "jsonl", "csv", "html", "warc", "feed", "mbox", "eml", "sgml")
MAX_TEXT_FILE = 64 << 20  # one plain-text article larger than this is not an article
MAX_NESTING = 4  # archives inside archives

_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")
_COMPRESSED = {".gz": "gzip", ".tgz": "gzip", ".bz2": "bz2", ".tbz2": "bz2", ".xz": "xz"}
# Documents we cannot read as articles; named rather than parsed into garbage.
# fmt: off
_UNSUPPORTED_LIST = (
    ".pdf", ".doc", ".docx", ".odt", ".rtf", ".xls", ".xlsx", ".ppt",
    ".pptx", ".epub", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".mp3", ".mp4", ".mov",
    ".avi", ".exe", ".dll", ".so", ".pyc", ".sqlite", ".db", ".7z", ".rar"
)
# fmt: on
_UNSUPPORTED = frozenset(_UNSUPPORTED_LIST)
# Files that travel with dumps but are not articles (BBC README.TXT, news-please LICENSE).
# fmt: off
_NOT_ARTICLES_LIST = (
    "readme", "license", "licence", "copying", "notice", "changelog", "changes", "authors",
    "contributing", "manifest", "citation"
)
# fmt: on
_NOT_ARTICLES = frozenset(_NOT_ARTICLES_LIST)

# What the readers yield: a page being extracted stands for its article until in_order().
Record = ParsedArticle | RecordError | Pending


@dataclass(frozen=True)
class _Input:
    origin: str  # shown in messages: a path, 'a.zip!member.json', '<stdin>'
    name: str  # the file name whose extension says the format
    open: Callable[[], IO[bytes]]
    mtime: float | None
    depth: int = 0


def _suffix(name: str) -> str:
    base = name.rsplit("/", 1)[-1].lower()
    dot = base.rfind(".")
    return base[dot:] if dot > 0 else ""


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name in ("__MACOSX", "Thumbs.db", "desktop.ini")


def is_not_article(name: str) -> bool:
    """README, LICENSE and the like, skipped when walking directories and archives."""
    stem = name.rsplit("/", 1)[-1].split(".", 1)[0].lower()
    return stem in _NOT_ARTICLES


def _skip_member(path: str) -> bool:
    parts = [part for part in path.split("/") if part]
    return not parts or any(_is_hidden(part) for part in parts) or is_not_article(parts[-1])


# -- paths ---------------------------------------------------------------------------------


def _walk(path: str, seen: set[tuple[int, int]]) -> Iterator[str | RecordError]:
    """Files under a directory, recursively, in sorted order; hidden entries skipped."""
    try:
        info = os.stat(path)
        if (info.st_dev, info.st_ino) in seen:
            return  # a symlink loop
        seen.add((info.st_dev, info.st_ino))
        with os.scandir(path) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as error:
        yield RecordError(path, f"cannot read directory: {error.strerror or error}")
        return
    for entry in entries:
        if _is_hidden(entry.name):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(entry.path, seen)
        elif not is_not_article(entry.name):
            yield entry.path


def _file_input(path: str) -> _Input | RecordError:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return RecordError(path, "no such file or directory")
    except OSError as error:
        return RecordError(path, f"cannot read: {error.strerror or error}")
    if not stat.S_ISREG(info.st_mode):
        return RecordError(path, "not a regular file")
    return _Input(origin=path, name=path, open=lambda: open(path, "rb"), mtime=info.st_mtime)


def _expand_paths(paths: Sequence[str]) -> Iterator[_Input | RecordError | None]:
    """Inputs for each path; None stands for standard input."""
    for path in paths:
        if path == "-":
            yield None
        elif os.path.isdir(path):
            for item in _walk(path, set()):
                yield item if isinstance(item, RecordError) else _file_input(item)
        else:
            yield _file_input(path)


def count_inputs(paths: Sequence[str]) -> int | None:
    """How many files the paths hold (an archive counts once); None when reading stdin.

    Cheap (no file is opened), for a progress bar.
    """
    total = 0
    for item in _expand_paths(paths):
        if item is None:
            return None
        total += 1
    return total


# -- archives ------------------------------------------------------------------------------


class _Prefixed(io.RawIOBase):
    """A stream that replays bytes already read from its start, then reads on."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)


def _archive_kind(name: str, head: bytes) -> str | None:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"BZh") and _suffix(name) in (".bz2", ".tbz2"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    return None


def _inner_name(name: str) -> str:
    lowered = name.lower()
    for suffix, replacement in ((".tgz", ".tar"), (".tbz2", ".tar")):
        if lowered.endswith(suffix):
            return name[: -len(suffix)] + replacement
    for suffix in (".gz", ".bz2", ".xz"):
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _zip_members(inp: _Input, stream: IO[bytes]) -> Iterator[_Input | RecordError]:
    # ZipFile needs to seek: files can, stdin and archive members are read into memory.
    seekable = stream if stream.seekable() else io.BytesIO(stream.read())
    try:
        archive = zipfile.ZipFile(seekable)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        yield RecordError(inp.origin, f"not a readable ZIP archive: {error}")
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir() or _skip_member(info.filename):
                continue
            try:
                mtime: float | None = time.mktime((*info.date_time, 0, 0, -1))
            except (OverflowError, ValueError):
                mtime = None

            def opener(info: zipfile.ZipInfo = info) -> IO[bytes]:
                return archive.open(info)

            yield _Input(
                f"{inp.origin}!{info.filename}", info.filename, opener, mtime, inp.depth + 1
            )


def _tar_members(inp: _Input, stream: IO[bytes]) -> Iterator[_Input | RecordError]:
    try:
        archive = tarfile.open(fileobj=stream, mode="r|*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        yield RecordError(inp.origin, f"not a readable tar archive: {error}")
        return
    with archive:
        for member in archive:
            if not member.isfile() or _skip_member(member.name):
                continue
            extracted = archive.extractfile(member)
            if extracted is None:
                continue
            handle: IO[bytes] = extracted
            yield _Input(
                f"{inp.origin}!{member.name}",
                member.name,
                partial(_same, handle),
                float(member.mtime),
                inp.depth + 1,
            )


def _decompressed(kind: str, stream: IO[bytes]) -> IO[bytes]:
    # The decompressors are binary streams; typeshed does not call them IO[bytes].
    if kind == "gzip":
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    if kind == "bz2":
        return bz2.BZ2File(stream)
    return lzma.LZMAFile(stream)


# -- one document --------------------------------------------------------------------------


class _Parser:
    def __init__(self, options: ParseOptions, tz: dates.tzinfo) -> None:
        self.options = options
        self.tz = tz
        reference = options.reference_time
        if reference is not None and reference.tzinfo is None:
            reference = reference.replace(tzinfo=tz)
        self.reference = reference
        self.pages = PagePool(options)

    def context(self, mtime: float | None) -> dates.DateContext:
        if self.reference is not None:
            return dates.DateContext(self.reference, self.tz)
        try:
            moment = datetime.fromtimestamp(mtime, UTC) if mtime is not None else datetime.now(UTC)
        except (OverflowError, OSError, ValueError):
            moment = datetime.now(UTC)
        return dates.DateContext(moment, self.tz)

    def run(self, inp: _Input) -> Iterator[Record]:
        """Every record of one input, whatever happens inside it."""
        try:
            with inp.open() as raw:
                yield from self._read(inp, raw)
        except OSError as error:
            yield RecordError(inp.origin, _describe(error))
        except (
            EOFError,
            zlib.error,
            lzma.LZMAError,
            zipfile.BadZipFile,
            tarfile.TarError,
        ) as error:
            yield RecordError(inp.origin, f"damaged or truncated data: {error}")
        except (RuntimeError, NotImplementedError) as error:  # encrypted or exotic zip members
            yield RecordError(inp.origin, f"cannot read: {error}")
        except MemoryError:
            yield RecordError(inp.origin, "too large to read into memory")
        except Exception as error:  # a parser bug must not end the whole import
            yield RecordError(inp.origin, f"internal parser error: {type(error).__name__}: {error}")

    def _read(self, inp: _Input, raw: IO[bytes]) -> Iterator[Record]:
        suffix = _suffix(inp.name)
        if suffix in _UNSUPPORTED:
            yield RecordError(inp.origin, f"unsupported file type {suffix} (not an article dump)")
            return
        head = raw.read(encoding.SAMPLE_SIZE)
        if (
            head.startswith(b"\x1f\x8b")
            and _structured_format(inp.name, b"", "auto") == "warc"
            and warc.gzipped_by_record(head)
        ):
            # warcio reads a crawl's gzip members itself: a cut-off file loses its last record only.
            yield from self._structured(inp, "warc", head, raw)
            return
        kind = _archive_kind(inp.name, head)
        if kind is not None:
            if inp.depth >= MAX_NESTING:
                yield RecordError(inp.origin, "archives nested too deeply")
                return
            yield from self._archive(inp, kind, _joined(head, raw))
            return
        if suffix in (".zip", ".tar", ".tgz") or suffix in _COMPRESSED:
            yield RecordError(inp.origin, f"not a valid {suffix} archive")
            return
        structured = _structured_format(inp.name, head, self.options.format)
        if structured is not None:
            yield from self._structured(inp, structured, head, raw)
            return
        yield from self._document(inp, head, raw)

    def _structured(self, inp: _Input, fmt: str, head: bytes, raw: IO[bytes]) -> Iterator[Record]:
        """A web page, crawl, feed, mailbox or SGML file, read by its own module."""
        ctx = self.context(inp.mtime)
        yield from structured.read(fmt, head, _joined(head, raw), inp.origin, ctx, self.pages)

    def _archive(self, inp: _Input, kind: str, stream: IO[bytes]) -> Iterator[Record]:
        if kind in ("gzip", "bz2", "xz"):
            inner = _decompressed(kind, stream)
            name = _inner_name(inp.name)
            yield from self.run(_Input(inp.origin, name, lambda: inner, inp.mtime, inp.depth + 1))
            return
        members = _zip_members(inp, stream) if kind == "zip" else _tar_members(inp, stream)
        empty = True
        for member in members:
            empty = False
            if isinstance(member, RecordError):
                yield member
            else:
                yield from self.run(member)
        if empty:
            yield RecordError(inp.origin, "archive holds no article files")

    def _document(self, inp: _Input, head: bytes, raw: IO[bytes]) -> Iterator[Record]:
        if not head:
            yield RecordError(inp.origin, "empty file")
            return
        complete = len(head) < encoding.SAMPLE_SIZE
        try:
            codec, bom = encoding.detect_encoding(head, complete=complete)
        except encoding.NotTextError:
            yield RecordError(inp.origin, "binary file, not text")
            return
        errors = encoding.FALLBACK_ERRORS if codec == "utf-8" else "replace"
        sample = encoding.clean_text(head[bom:].decode(codec, errors=errors))
        if not sample.strip() and complete:
            yield RecordError(inp.origin, "file contains only whitespace")
            return
        fmt = self._format(inp.name, sample)
        ctx = self.context(inp.mtime)
        produced = False
        for item in self._parse(fmt, inp, head, raw, codec, bom, ctx, sample):
            produced = True
            if isinstance(item, RecordError):
                yield item
                continue
            try:
                yield fields.finish(item, self.options, ctx)
            except Exception as error:  # one odd record must not lose the rest of the file
                yield RecordError(
                    inp.origin, f"internal parser error: {type(error).__name__}: {error}", item.line
                )
        if not produced:
            yield RecordError(inp.origin, "no articles found")

    def _format(self, name: str, sample: str) -> str:
        if self.options.format != "auto":
            return self.options.format
        suffix = _suffix(name)
        stripped = sample.lstrip()
        if suffix in _JSONL_SUFFIXES:
            if stripped.startswith(("{", "[")) and not jsonfmt.first_line_is_object(sample):
                return "json"  # a pretty-printed document under a .jsonl name
            return "jsonl"
        if suffix == ".json":
            return "jsonl" if jsonfmt.first_line_is_object(sample) else "json"
        if suffix in (".csv", ".tsv"):
            return "csv"
        # Anything else: look at the content.
        if stripped.startswith("{"):
            if jsonfmt.first_line_is_object(sample):
                return "jsonl"
            if stripped[1:].lstrip().startswith('"'):
                return "json"
        if stripped.startswith("[") and stripped[1:].lstrip()[:1] in ("{", "]"):
            return "json"
        if looks_like_csv_header(stripped.split("\n", 1)[0]):
            return "csv"
        return "text"

    def _parse(
        self,
        fmt: str,
        inp: _Input,
        head: bytes,
        raw: IO[bytes],
        codec: str,
        bom: int,
        ctx: dates.DateContext,
        sample: str,
    ) -> Iterator[fields.Draft | RecordError]:
        if fmt == "text":
            rest = raw.read(MAX_TEXT_FILE + 1 - len(head))
            if not rest and len(head) < encoding.SAMPLE_SIZE:
                # The whole file was the sample, already decoded and cleaned (most articles).
                text = sample
            else:
                data = head + rest
                if len(data) > MAX_TEXT_FILE:
                    yield RecordError(
                        inp.origin, "too large for one plain-text article (over 64 MB)"
                    )
                    return
                text = encoding.clean_text(encoding.decode(data))
            yield parse_text(text, inp.origin, ctx)
            return
        errors = encoding.FALLBACK_ERRORS if codec == "utf-8" else "replace"
        binary = io.BufferedReader(_Prefixed(head[bom:], raw), buffer_size=1 << 16)
        newline = "" if fmt == "csv" else "\n"
        stream = io.TextIOWrapper(binary, encoding=codec, errors=errors, newline=newline)
        # JSON tolerates control characters in strings (they are cleaned field by field);
        # the csv module stops at a NUL byte, so its stream is scrubbed first.
        if fmt == "json":
            yield from jsonfmt.iter_json(stream, inp.origin)
        elif fmt == "jsonl":
            yield from jsonfmt.iter_jsonl(stream, inp.origin)
        else:
            delimiter = "\t" if _suffix(inp.name) == ".tsv" else None
            yield from iter_csv(_Cleaned(stream), inp.origin, delimiter=delimiter)


class _Cleaned:
    """A text stream with control characters (NUL...) removed; keeps \\r for csv."""

    def __init__(self, stream: io.TextIOWrapper) -> None:
        self._stream = stream

    def read(self, size: int = -1, /) -> str:
        return _scrub(self._stream.read(size))

    def readline(self, size: int = -1, /) -> str:
        return _scrub(self._stream.readline(size))

    def __iter__(self) -> Iterator[str]:
        for line in self._stream:
            yield _scrub(line)


def _scrub(text: str) -> str:
    return encoding.scrub_controls(text)


# Suffixes that name a format read by its own module; other files are sniffed by content.
_STRUCTURED_SUFFIXES = {
    ".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html",
    ".warc": "warc", ".arc": "warc",
    ".rss": "feed", ".atom": "feed", ".xml": "feed",
    ".mbox": "mbox", ".mbx": "mbox",
    ".eml": "eml",
    ".sgm": "sgml", ".sgml": "sgml",
}  # fmt: skip
_SNIFFERS = (
    ("warc", warc.looks_like_warc),
    ("feed", feeds.looks_like_feed),
    ("html", webpage.looks_like_html),
    ("mbox", mail.looks_like_mbox),
    ("sgml", reuters.looks_like_sgml),
)


def _structured_format(name: str, head: bytes, forced: str) -> str | None:
    """The format of a web page, crawl, feed, mailbox or SGML file; None for the others."""
    if forced != "auto":
        return forced if forced in _STRUCTURED_SUFFIXES.values() else None
    if name.lower().endswith((".warc.gz", ".arc.gz")):
        return "warc"
    suffix = _suffix(name)
    if suffix in _STRUCTURED_SUFFIXES:
        return _STRUCTURED_SUFFIXES[suffix]
    if suffix in (*_JSONL_SUFFIXES, ".json", ".csv", ".tsv"):
        return None
    # Each of them opens with "<", "WARC/", "filedesc://" or "From ": most text opens otherwise.
    if head[:64].lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"<", b"W", b"f", b"F"):
        return None
    return next((fmt for fmt, sniff in _SNIFFERS if sniff(head)), None)


def _seekable(raw: IO[bytes]) -> bool:
    try:
        return raw.seekable()
    except (AttributeError, OSError, ValueError):  # a streamed tar member's file cannot say
        return False


def _joined(head: bytes, raw: IO[bytes]) -> IO[bytes]:
    if isinstance(raw, io.BufferedReader) and _seekable(raw):
        raw.seek(0)
        return raw
    return io.BufferedReader(_Prefixed(head, raw), buffer_size=1 << 16)


def _describe(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "cannot read: permission denied"
    if isinstance(error, IsADirectoryError):
        return "is a directory"
    if isinstance(error, gzip.BadGzipFile):
        return f"damaged gzip data: {error}"
    return f"cannot read: {error.strerror or error}"


# -- the public entry point ----------------------------------------------------------------


def iter_records(
    paths: Sequence[str], options: ParseOptions, *, stdin: BinaryIO | None = None
) -> Iterator[ParsedArticle | RecordError]:
    """Every article (ParsedArticle) and every problem (RecordError) in the given paths.

    Raises ValueError at once, before reading anything, for options that make no sense
    (an unknown time zone or format): that is a usage error, not bad input.
    """
    tz = dates.get_zone(options.timezone)
    if options.format not in FORMATS:
        raise ValueError(f"unknown format {options.format!r} (choose from {', '.join(FORMATS)})")
    parser = _Parser(options, tz)
    return in_order(_iter_records(paths, parser, stdin), parser.pages)


def _iter_records(
    paths: Sequence[str], parser: _Parser, stdin: BinaryIO | None
) -> Iterator[Record]:
    for item in _expand_paths(paths):
        if isinstance(item, RecordError):
            yield item
        elif item is None:
            stream: IO[bytes] = stdin if stdin is not None else sys.stdin.buffer
            stream = getattr(stream, "buffer", stream)  # a text stream was passed
            yield from parser.run(_Input("<stdin>", "", partial(_stdin_reader, stream), None))
        else:
            yield from parser.run(item)


def _same(stream: IO[bytes]) -> IO[bytes]:
    return stream


def _stdin_reader(stream: IO[bytes]) -> IO[bytes]:
    return io.BufferedReader(_Unclosable(stream))


class _Unclosable(io.RawIOBase):
    """Standard input, which a `with` block must not close."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        data = self._stream.read(len(view))
        view[: len(data)] = data
        return len(data)
