"""Bytes to clean text: encoding detection, binary detection, control-character removal.

Dumps come in whatever encoding their tool used. UTF-8 (with or without BOM) is tried
first because it is by far the most common and a strict decode almost never succeeds on
anything else; BOMs settle UTF-16/32; otherwise we choose between the legacy code pages
users actually have (Windows-1252/Latin-1 and Windows-1256 Arabic) by looking at the
decoded text, and only then ask charset-normalizer, whose guesses on short Western
texts (cp932 for Latin-1 English, cp1250 for French) are not to be trusted first.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import Protocol

from .repair import repair_text

SAMPLE_SIZE = 64 * 1024

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Signatures of binary formats that people leave next to their dumps.
_BINARY_MAGIC: tuple[bytes, ...] = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"\x7fELF",
    b"\x00\x00\x00\x01Bud1",  # macOS .DS_Store
    b"\xd0\xcf\x11\xe0",  # old MS Office
    b"SQLite format 3",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"\x00asm",
    b"7z\xbc\xaf",
    b"Rar!",
)

_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")

FALLBACK_ERRORS = "newsarchive-cp1252"


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode stray bytes in otherwise-UTF-8 text as Windows-1252 (the usual culprit)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bytes(bad).decode("cp1252", errors="replace"), error.end


codecs.register_error(FALLBACK_ERRORS, _cp1252_fallback)


class TextSource(Protocol):
    """What the format parsers read from: a text stream, or anything that reads like one."""

    def read(self, size: int = -1, /) -> str: ...

    def readline(self, size: int = -1, /) -> str: ...

    def __iter__(self) -> Iterator[str]: ...


class NotTextError(ValueError):
    """The bytes are not text (binary data, or no encoding fits)."""


def bom_encoding(data: bytes) -> tuple[str, int] | None:
    """The encoding a byte-order mark announces, and the mark's length."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text without a BOM shows NUL in every other byte (for Latin scripts)."""
    probe = sample[:4096]
    if len(probe) < 8:
        return None
    even, odd = probe[0::2], probe[1::2]
    even_nul = even.count(0) / len(even)
    odd_nul = odd.count(0) / len(odd)
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def looks_binary(sample: bytes) -> bool:
    """True for data that is not text in any encoding (images, executables, .DS_Store...).

    A few NUL bytes in otherwise good text are dirt to clean, not a sign of binary data.
    """
    if sample.startswith(_BINARY_MAGIC):
        return True
    probe = sample[:8192]
    if not probe:
        return False
    ratio = len(_CONTROL_BYTES.findall(probe)) / len(probe)
    if ratio > 0.3:
        return True
    return ratio > 0.05 and not _utf8_valid_prefix(probe, complete=len(probe) == len(sample))


_ARABIC_RUN = re.compile(r"[\u0600-\u06ff]+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_LATIN_EXTRA = re.compile(r"[A-Za-z\u00c0-\u024f]")


def _arabic_score(text: str) -> float:
    """Share of non-ASCII characters that form Arabic words (not letters glued to ASCII)."""
    non_ascii = len(_NON_ASCII.findall(text))
    if not non_ascii:
        return 0.0
    good = 0
    for match in _ARABIC_RUN.finditer(text):
        before = text[match.start() - 1] if match.start() else " "
        after = text[match.end()] if match.end() < len(text) else " "
        if not (_ASCII_LETTER.match(before) or _ASCII_LETTER.match(after)):
            good += match.end() - match.start()
    return good / non_ascii


_WESTERN_SYMBOLS = frozenset("£€©®°±«»“”\u2018\u2019\u2013\u2014…•·¡¿§¶ºª¼½¾\u00d7÷¢¥™")


def _western_score(text: str) -> float:
    """Share of non-ASCII characters that are plausible in Western European text."""
    total = good = 0
    for i, ch in enumerate(text):
        if ch < "\x80":
            continue
        total += 1
        if ch in _WESTERN_SYMBOLS or ch == "\xa0":
            good += 1
        elif ch.isalpha() and "\u00c0" <= ch <= "\u024f":
            # Accented letters sit inside words, next to other letters.
            before = text[i - 1] if i else " "
            after = text[i + 1] if i + 1 < len(text) else " "
            if _LATIN_EXTRA.match(before) or _LATIN_EXTRA.match(after):
                good += 1
    return good / total if total else 1.0


def _legacy_encoding(data: bytes) -> str:
    """Choose a legacy code page for bytes that are not UTF-8."""
    arabic = data.decode("cp1256", errors="replace")
    if _arabic_score(arabic) >= 0.8:
        return "cp1256"
    western = data.decode("cp1252", errors="replace")
    if _western_score(western) >= 0.8:
        # Latin-1 and Windows-1252 agree on every printable byte; bytes Windows-1252
        # leaves undefined only decode under Latin-1 (as C1 controls, removed later).
        return "latin-1" if re.search(rb"[\x81\x8d\x8f\x90\x9d]", data) else "cp1252"
    from charset_normalizer import from_bytes

    best = from_bytes(data[:SAMPLE_SIZE]).best()
    if best is not None and best.encoding:
        return str(best.encoding)
    return "cp1252"


def _utf8_valid_prefix(sample: bytes, *, complete: bool) -> bool:
    """Is `sample` UTF-8? An incomplete sample may end inside a multi-byte character."""
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as error:
        return (
            not complete
            and error.start >= len(sample) - 3
            and error.reason.startswith("unexpected end")
        )


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 with a few stray bytes (a paste from Word, a truncated character)."""
    text = data.decode("utf-8", errors="surrogateescape")
    invalid = sum(1 for ch in text if "\udc80" <= ch <= "\udcff")
    valid_multibyte = sum(1 for ch in text if ch >= "\x80" and not "\udc80" <= ch <= "\udcff")
    return valid_multibyte > 0 and valid_multibyte >= invalid


def detect_encoding(sample: bytes, *, complete: bool) -> tuple[str, int]:
    """(codec name, BOM length) for a file whose first bytes are `sample`.

    `complete` says whether `sample` is the whole file. Raises NotTextError for binary data.
    """
    found = bom_encoding(sample)
    if found:
        return found
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return utf16, 0
    if looks_binary(sample):
        raise NotTextError("binary file (not text)")
    if _utf8_valid_prefix(sample, complete=complete):
        return "utf-8", 0
    if _mostly_utf8(sample):
        return "utf-8", 0
    return _legacy_encoding(sample), 0


def decode(data: bytes) -> str:
    """Decode a whole file to text (not yet cleaned); raises NotTextError for binary data."""
    encoding, skip = detect_encoding(data, complete=True)
    return data[skip:].decode(
        encoding, errors=FALLBACK_ERRORS if encoding == "utf-8" else "replace"
    )


# C0 and C1 controls except tab, newline and the line separators below, DEL, lone
# surrogates, noncharacters, BOMs and zero-width spaces: nothing a reader should see or
# PostgreSQL should store.
_JUNK = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufeff\ufffe\uffff\u200b]")
# Vertical tab, form feed, NEL, line and paragraph separators: a line break inside a body,
# a space in a one-line field, never a break between the `Key: value` lines of a header.
SEPARATORS = re.compile("[\x0b\x0c\x85\u2028\u2029]")


def _is_plain(text: str) -> bool:
    # str.isprintable() is fast C; it fails on tabs and line breaks, and on every character
    # we remove (but also on no-break and other Unicode spaces, which are then kept).
    if text.isprintable():
        return True  # one-line fields: a title, a date, a URL
    return text.replace("\n", "").replace("\t", "").replace("\r", "").isprintable()


def scrub_controls(text: str) -> str:
    """Remove control characters but keep line endings as they are (for csv and JSON streams)."""
    return text if _is_plain(text) else _JUNK.sub("", text)


def clean_text(text: str) -> str:
    """Normalise line endings to \\n, repair entities and mojibake, remove NUL and other
    control characters; the SEPARATORS are left for the caller (a body or a one-line field).
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Before the controls go: mojibake of a Latin-1 reading holds C1 characters ('â\x80\x99').
    text = repair_text(text)
    if _is_plain(text):
        return text
    return _JUNK.sub("", text)
