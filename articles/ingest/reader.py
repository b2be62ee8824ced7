"""From command-line paths to records: files, directories, archives, standard input.

`iter_records` is the parser's whole public interface. It never raises for bad input:
a missing path, an unreadable, empty, binary or broken file, or a bad record becomes a
`RecordError` naming the path (and line) and the records around it still come through.
"""

from __future__ import annotations

import contextlib
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
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import IO, BinaryIO

from . import (
    dates,
    encoding,
    feeds,
    fields,
    jsonfmt,
    limits,
    mail,
    reuters,
    structured,
    warc,
    webpage,
)
from .csvfmt import iter_csv, looks_like_csv_header
from .dateorder import DateOrders, Pending
from .pool import PagePool, PendingPage, in_order
from .records import ERROR, SKIPPED, ParsedArticle, ParseOptions, RecordError
from .streams import CHUNK, Decompressing, Salvaging, TooLarge, read_at_most
from .text import parse_text

FORMATS = ("auto", "text", "json", "jsonl", "csv", "html", "warc", "feed", "mbox", "eml", "sgml")
DATE_ORDERS = dates.ORDERS
MAX_TEXT_FILE = limits.MAX_TEXT_FILE  # one plain-text article larger than this is not an article
MAX_NESTING = limits.MAX_NESTING  # archives inside archives

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

# What the readers yield: a page being extracted stands for its article until in_order()
# (a draft waiting for the dump's date order, a dateorder.Pending, until _iter_records).
Record = ParsedArticle | RecordError | PendingPage


@dataclass(frozen=True)
class _Input:
    origin: str  # shown in messages: a path, 'a.zip!member.json', '<stdin>'
    name: str  # the file name whose extension says the format
    open: Callable[[], IO[bytes]]
    mtime: float | None
    depth: int = 0
    folder: str = ""  # the name of the folder holding the file (for --tag-from-folder)


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


class _Walk:
    """Files under a folder given on the command line, recursively, in sorted order.

    Hidden entries are skipped. A symlink is followed only to a file or folder inside the
    folder given (one to anything outside, a `loop -> ..` or a second way to a file read
    already is skipped with a line saying so), so a dump cannot pull in other files of the
    machine, and each file is read once.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.dirs: set[tuple[int, int]] = set()
        self.files: set[tuple[int, int]] = set()

    def inside(self, real: str) -> bool:
        return real == self.real_root or real.startswith(self.real_root.rstrip(os.sep) + os.sep)

    def walk(self, path: str) -> Iterator[str | RecordError]:
        try:
            info = os.stat(path)
            if (info.st_dev, info.st_ino) in self.dirs:
                yield _skipped(path, "symlink-loop", "symlink loop: folder already read")
                return
            self.dirs.add((info.st_dev, info.st_ino))
            with os.scandir(path) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            yield RecordError(path, f"cannot read directory: {error.strerror or error}")
            return
        for entry in entries:
            if _is_hidden(entry.name):
                continue
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()  # follows a link
            except OSError:
                is_link, is_dir = False, False
            if is_link:
                real = os.path.realpath(entry.path)
                if not self.inside(real):
                    yield _skipped(
                        entry.path,
                        "symlink-outside",
                        f"symlink to {real} not followed: outside {self.root}",
                    )
                    continue
                if not os.path.exists(real):
                    yield _skipped(entry.path, "symlink-broken", "symlink to nothing")
                    continue
            if is_dir:
                yield from self.walk(entry.path)
            elif not is_not_article(entry.name):
                try:
                    info = os.stat(entry.path)
                except OSError:
                    yield entry.path  # reported when opened
                    continue
                key = (info.st_dev, info.st_ino)
                if key in self.files:
                    yield _skipped(entry.path, "symlink-duplicate", "same file as one read already")
                    continue
                self.files.add(key)
                yield entry.path


def _skipped(origin: str, code: str, message: str) -> RecordError:
    return RecordError(origin, message, None, SKIPPED, code)


def _folder_of(path: str) -> str:
    return os.path.basename(os.path.dirname(os.path.abspath(path)))


def _file_input(path: str) -> _Input | RecordError:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return RecordError(path, "no such file or directory", code="not-found")
    except OSError as error:
        return RecordError(path, f"cannot read: {error.strerror or error}", code="unreadable")
    if not stat.S_ISREG(info.st_mode):
        return RecordError(path, "not a regular file", code="not-a-file")
    return _Input(
        origin=path,
        name=path,
        open=lambda: open(path, "rb"),
        mtime=info.st_mtime,
        folder=_folder_of(path),
    )


def _expand_paths(paths: Sequence[str]) -> Iterator[_Input | RecordError | None]:
    """Inputs for each path; None stands for standard input."""
    for path in paths:
        if path == "-":
            yield None
        elif os.path.isdir(path):
            for item in _Walk(path).walk(path):
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


def input_size(paths: Sequence[str]) -> int | None:
    """The bytes of every file the paths hold (archives as stored); None when reading stdin.

    Cheap (no file is opened), for a progress bar's total.
    """
    total = 0
    for item in _expand_paths(paths):
        if item is None:
            return None
        if isinstance(item, _Input):
            with contextlib.suppress(OSError):  # reported when opened
                total += os.stat(item.name).st_size
    return total


class ReadProgress:
    """How many bytes of the input files the parser has read: the files finished, and the
    position in the one being read (its compressed bytes for an archive)."""

    def __init__(self, total: int | None = None) -> None:
        self.total = total
        self._finished = 0
        self._current: IO[bytes] | None = None
        self._current_size = 0

    @property
    def done(self) -> int:
        position = 0
        if self._current is not None:
            try:
                position = min(self._current.tell(), self._current_size)
            except (OSError, ValueError):  # closed, or not seekable
                position = 0
        return self._finished + position

    def opened(self, stream: IO[bytes]) -> IO[bytes]:
        self._current = stream
        try:
            self._current_size = os.fstat(stream.fileno()).st_size
        except (OSError, ValueError, io.UnsupportedOperation):
            self._current_size = 0
        return stream

    def closed(self) -> None:
        self._finished += self._current_size
        self._current, self._current_size = None, 0


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


def _member_problem(name: str) -> str | None:
    """Why an archive member's path is not read: '..' or an absolute path."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "a '..' in its path"
    return None


def _member_skipped(inp: _Input, name: str, what: str) -> RecordError:
    return RecordError(
        f"{inp.origin}!{name}", f"archive member skipped: {what}", None, SKIPPED, "member-skipped"
    )


def _zip_members(inp: _Input, stream: IO[bytes]) -> Iterator[_Input | RecordError]:
    # ZipFile needs to seek: files can; stdin and compressed ZIPs are read into memory,
    # up to a limit.
    if stream.seekable():
        seekable = stream
    else:
        data = read_at_most(stream, limits.MAX_ZIP_IN_MEMORY)
        if data is None:
            yield RecordError(
                inp.origin,
                "a ZIP archive inside compressed data or read from standard input is read "
                f"into memory, and this one is over {limits.MAX_ZIP_IN_MEMORY >> 20} MB: "
                "unpack it and import the files",
                code="too-large",
            )
            return
        seekable = io.BytesIO(data)
    try:
        archive = zipfile.ZipFile(seekable)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        yield RecordError(inp.origin, f"not a readable ZIP archive: {error}", code="damaged")
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            problem = _member_problem(info.filename)
            # The Unix file type, where the tool that wrote the archive recorded one.
            kind = stat.S_IFMT(info.external_attr >> 16)
            if problem is None and kind and kind != stat.S_IFREG:
                problem = "a symlink" if kind == stat.S_IFLNK else "not a regular file"
            if problem is None:
                problem = _zip_size_problem(info)
            if problem is not None:
                yield _member_skipped(inp, info.filename, problem)
                continue
            if _skip_member(info.filename):
                continue
            try:
                mtime: float | None = time.mktime((*info.date_time, 0, 0, -1))
            except (OverflowError, ValueError):
                mtime = None

            def opener(info: zipfile.ZipInfo = info) -> IO[bytes]:
                return io.BufferedReader(Salvaging(archive.open(info)), CHUNK)

            yield _Input(
                f"{inp.origin}!{info.filename}",
                info.filename,
                opener,
                mtime,
                inp.depth + 1,
                _member_folder(info.filename, inp.folder),
            )


def _zip_size_problem(info: zipfile.ZipInfo) -> str | None:
    """A member whose stated size is over the limits (the ZIP reader keeps to that size)."""
    size = info.file_size
    if size > limits.MAX_DECOMPRESSED:
        return f"decompresses to {size:,} bytes, over the limit of {limits.MAX_DECOMPRESSED:,}"
    if size > limits.RATIO_CHECKED_FROM and size > max(info.compress_size, 1) * limits.MAX_RATIO:
        return f"decompresses to {size:,} bytes from {info.compress_size:,}: a decompression bomb"
    return None


def _member_folder(name: str, outer: str) -> str:
    """The folder a member sits in inside its archive; the archive's folder at its root."""
    parts = [part for part in name.replace("\\", "/").split("/") if part]
    return parts[-2] if len(parts) > 1 else outer


def _tar_problem(member: tarfile.TarInfo) -> str | None:
    problem = _member_problem(member.name)
    if problem is not None or member.isfile():
        return problem
    if member.issym():
        return "a symlink"
    if member.islnk():
        return "a hard link"
    if member.ischr() or member.isblk():
        return "a device"
    if member.isfifo():
        return "a FIFO"
    return "not a regular file"


def _tar_members(inp: _Input, stream: IO[bytes]) -> Iterator[_Input | RecordError]:
    try:
        archive = tarfile.open(fileobj=stream, mode="r|*")  # noqa: SIM115 - closed below
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        yield RecordError(inp.origin, f"not a readable tar archive: {error}", code="damaged")
        return
    with archive:
        for member in archive:
            if member.isdir():
                continue
            problem = _tar_problem(member)
            if problem is not None:
                yield _member_skipped(inp, member.name, problem)
                continue
            if _skip_member(member.name):
                continue
            extracted = archive.extractfile(member)
            if extracted is None:
                continue
            handle: IO[bytes] = io.BufferedReader(Salvaging(extracted), CHUNK)
            yield _Input(
                f"{inp.origin}!{member.name}",
                member.name,
                partial(_same, handle),
                float(member.mtime),
                inp.depth + 1,
                _member_folder(member.name, inp.folder),
            )


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
        order = self.options.date_order
        if self.reference is not None:
            return dates.DateContext(self.reference, self.tz, order)
        try:
            moment = datetime.fromtimestamp(mtime, UTC) if mtime is not None else datetime.now(UTC)
        except (OverflowError, OSError, ValueError):
            moment = datetime.now(UTC)
        return dates.DateContext(moment, self.tz, order)

    def run(self, inp: _Input) -> Iterator[Record | Pending]:
        """Every record of one input, whatever happens inside it."""
        try:
            with inp.open() as raw:
                if not isinstance(getattr(raw, "raw", raw), Decompressing | Salvaging):
                    yield from self._read(inp, raw)  # a plain file: it cannot end in damage
                    return
                for item in self._read(inp, raw):
                    if isinstance(item, RecordError) and _damaged(raw) and _consequence(item):
                        continue  # reported below
                    yield item
                damage = _damaged(raw)
            if damage:
                yield RecordError(inp.origin, damage, code="damaged")
        except TooLarge as error:
            yield RecordError(inp.origin, str(error), code="too-large")
        except OSError as error:
            yield RecordError(inp.origin, _describe(error), code="unreadable")
        except (
            EOFError,
            zlib.error,
            lzma.LZMAError,
            zipfile.BadZipFile,
            tarfile.TarError,
        ) as error:
            yield RecordError(inp.origin, f"damaged or truncated data: {error}", code="damaged")
        except (RuntimeError, NotImplementedError) as error:  # encrypted or exotic zip members
            yield RecordError(inp.origin, f"cannot read: {error}", code="unreadable")
        except MemoryError:
            yield RecordError(inp.origin, "too large to read into memory", code="too-large")
        except Exception as error:  # a parser bug must not end the whole import
            yield RecordError(
                inp.origin,
                f"internal parser error: {type(error).__name__}: {error}",
                code="internal-error",
            )

    def _read(self, inp: _Input, raw: IO[bytes]) -> Iterator[Record | Pending]:
        suffix = _suffix(inp.name)
        if suffix in _UNSUPPORTED:
            yield RecordError(
                inp.origin,
                f"unsupported file type {suffix} (not an article dump)",
                code="unsupported",
            )
            return
        head = raw.read(encoding.SAMPLE_SIZE)
        kind = _archive_kind(inp.name, head)
        if kind is not None:
            if inp.depth >= MAX_NESTING:
                yield RecordError(
                    inp.origin,
                    f"archives nested more than {MAX_NESTING} deep: not opened",
                    code="too-deep",
                )
                return
            yield from self._archive(inp, kind, _joined(head, raw))
            return
        if suffix in (".zip", ".tar", ".tgz") or suffix in _COMPRESSED:
            yield RecordError(inp.origin, f"not a valid {suffix} archive", code="damaged")
            return
        structured = _structured_format(inp.name, head, self.options.format)
        if structured is not None:
            yield from self._structured(inp, structured, head, raw)
            return
        yield from self._document(inp, head, raw)

    def _structured(
        self, inp: _Input, fmt: str, head: bytes, raw: IO[bytes]
    ) -> Iterator[Record | Pending]:
        """A web page, crawl, feed, mailbox or SGML file, read by its own module."""
        yield from structured.read(
            fmt,
            head,
            _joined(head, raw),
            inp.origin,
            self.context(inp.mtime),
            self._folder_tags(inp),
            self.pages,
        )

    def _folder_tags(self, inp: _Input) -> tuple[str, ...]:
        return (inp.folder,) if self.options.tag_from_folder and inp.folder else ()

    def _archive(self, inp: _Input, kind: str, stream: IO[bytes]) -> Iterator[Record | Pending]:
        if kind in ("gzip", "bz2", "xz"):
            inner: IO[bytes] = io.BufferedReader(Decompressing(stream, kind), CHUNK)
            name = _inner_name(inp.name)
            opener = partial(_same, inner)
            yield from self.run(
                _Input(inp.origin, name, opener, inp.mtime, inp.depth + 1, inp.folder)
            )
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
            yield RecordError(inp.origin, "archive holds no article files", code="no-articles")

    def _document(
        self, inp: _Input, head: bytes, raw: IO[bytes]
    ) -> Iterator[RecordError | Pending]:
        if not head:
            yield RecordError(inp.origin, "empty file", None, SKIPPED, "no-text")
            return
        complete = len(head) < encoding.SAMPLE_SIZE
        try:
            codec, bom = encoding.detect_encoding(head, complete=complete)
        except encoding.NotTextError:
            yield RecordError(inp.origin, "binary file, not text", code="binary")
            return
        errors = encoding.FALLBACK_ERRORS if codec == "utf-8" else "replace"
        sample = encoding.clean_text(head[bom:].decode(codec, errors=errors))
        if not sample.strip() and complete:
            yield RecordError(inp.origin, "file contains only whitespace", None, SKIPPED, "no-text")
            return
        fmt = self._format(inp.name, sample)
        ctx = self.context(inp.mtime)
        tags = self._folder_tags(inp)
        produced = False
        for item in self._parse(fmt, inp, head, raw, codec, bom, ctx, sample):
            produced = True
            if isinstance(item, RecordError):
                yield item
            else:
                yield Pending(item, ctx, tags)
        if not produced:
            yield RecordError(inp.origin, "no articles found", code="no-articles")

    def finish(self, pending: Pending, orders: dict[str, str]) -> Record:
        """The article a draft makes, in the date orders the dump settled."""
        item = pending.draft
        try:
            return fields.finish(
                item, self.options, pending.ctx, orders=orders, extra_tags=pending.tags
            )
        except Exception as error:  # one odd record must not lose the rest of the file
            return RecordError(
                item.origin,
                f"internal parser error: {type(error).__name__}: {error}",
                item.line,
                code="internal-error",
            )

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
                        inp.origin,
                        f"too large for one plain-text article (over {MAX_TEXT_FILE >> 20} MB)",
                        code="too-large",
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
    """A text stream without NUL characters, at which the csv module stops; the other
    control characters are removed field by field (after mojibake is repaired)."""

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
    return text.replace("\x00", "") if "\x00" in text else text


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
    paths: Sequence[str],
    options: ParseOptions,
    *,
    stdin: BinaryIO | None = None,
    progress: ReadProgress | None = None,
) -> Iterator[ParsedArticle | RecordError]:
    """Every article (ParsedArticle) and every problem (RecordError) in the given paths;
    `progress`, if given, follows the bytes read.

    Raises ValueError at once, before reading anything, for options that make no sense
    (an unknown time zone, format or date order): that is a usage error, not bad input.
    """
    tz = dates.get_zone(options.timezone)
    if options.format not in FORMATS:
        raise ValueError(f"unknown format {options.format!r} (choose from {', '.join(FORMATS)})")
    if options.date_order not in DATE_ORDERS:
        raise ValueError(
            f"unknown date order {options.date_order!r} (choose from {', '.join(DATE_ORDERS)})"
        )
    parser = _Parser(options, tz)
    # Pages extracted in worker processes take their place again here, around everything.
    return in_order(_iter_records(paths, parser, stdin, progress), parser.pages)


def _iter_records(
    paths: Sequence[str], parser: _Parser, stdin: BinaryIO | None, progress: ReadProgress | None
) -> Iterator[Record]:
    # Numeric dates wait here until the dump's own values settle their order (dateorder.py).
    orders = DateOrders(parser.options.date_order)
    for item in _inputs(paths, parser, stdin, progress):
        if isinstance(item, Pending):
            ready = orders.add(item)
            yield from orders.notes()
            for pending in ready:
                yield parser.finish(pending, orders.decided)
        else:
            yield item
    ready = orders.flush()
    yield from orders.notes()
    for pending in ready:
        yield parser.finish(pending, orders.decided)


def _inputs(
    paths: Sequence[str], parser: _Parser, stdin: BinaryIO | None, progress: ReadProgress | None
) -> Iterator[Record | Pending]:
    for item in _expand_paths(paths):
        if isinstance(item, RecordError):
            yield item
        elif item is None:
            stream: IO[bytes] = stdin if stdin is not None else sys.stdin.buffer
            stream = getattr(stream, "buffer", stream)  # a text stream was passed
            yield from parser.run(_Input("<stdin>", "", partial(_stdin_reader, stream), None))
        elif progress is not None:
            opened = partial(_opened, item.open, progress)
            yield from parser.run(replace(item, open=opened))
            progress.closed()
        else:
            yield from parser.run(item)


def _opened(open_input: Callable[[], IO[bytes]], progress: ReadProgress) -> IO[bytes]:
    return progress.opened(open_input())


def _consequence(error: RecordError) -> bool:
    """An error that damage to the data explains (a cut-off record, an empty member)."""
    return error.kind == ERROR or error.code == "no-text"


def _damaged(stream: object) -> str | None:
    """What damage ended a decompressed or archive-member stream early, if any."""
    for layer in (stream, getattr(stream, "raw", None)):
        damage = getattr(layer, "damage", None)
        if isinstance(damage, str):
            return damage
    return None


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
