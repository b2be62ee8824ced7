"""Byte streams that stay within bounds: decompression with limits, and salvage of damage.

`Decompressing` reads .gz, .bz2 and .xz data in pieces, refusing to produce more than
limits.MAX_DECOMPRESSED bytes or (past the first limits.RATIO_CHECKED_FROM) more than
limits.MAX_RATIO times what it has read, so a bomb is reported after a few megabytes. Damage
ends the stream instead of raising: whatever was decompressed before it is delivered (the
records in it are kept), and `damage` says where it was. `Salvaging` does the same for a
stream that raises on damage (a ZIP member with a bad CRC or a broken deflate block).
"""

from __future__ import annotations

import bz2
import io
import lzma
import zipfile
import zlib
from typing import IO, Any

from . import limits

CHUNK = 64 * 1024
# On damage, the last piece is fed again this many bytes at a time to keep what precedes it.
SALVAGE_STEP = 64
_DAMAGE = (zlib.error, EOFError, lzma.LZMAError, zipfile.BadZipFile, OSError, ValueError)


class TooLarge(Exception):
    """Input over one of the limits in articles.ingest.limits; the message says which."""


def _size(n: int) -> str:
    if n >= 1 << 30:
        return f"{n / (1 << 30):,.1f} GB"
    return f"{n / (1 << 20):,.0f} MB" if n >= 1 << 20 else f"{n:,} bytes"


class _Stream(io.RawIOBase):
    """A readable raw stream over `_more()`, which returns the next bytes (b'' at the end)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._buffer and not self._done:
            self._buffer = self._more()
            if not self._buffer:
                self._done = True
        n = min(len(view), len(self._buffer))
        view[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def _more(self) -> bytes:
        raise NotImplementedError


class Decompressing(_Stream):
    """gzip, bzip2 or xz data decompressed piece by piece (concatenated streams included)."""

    def __init__(self, raw: IO[bytes], kind: str) -> None:
        super().__init__()
        self.raw = raw
        self.kind = kind
        self.damage: str | None = None
        self.read_bytes = 0  # compressed bytes read from `raw`
        self.produced = 0
        self._input = b""
        self._decoder: Any = None
        self._started = False  # a stream has begun (its header was seen)

    def _new_decoder(self) -> Any:
        if self.kind == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self.kind == "bz2":
            return bz2.BZ2Decompressor()
        return lzma.LZMADecompressor()

    def _position(self) -> int:
        return self.read_bytes - len(self._input)

    def _more(self) -> bytes:
        while self.damage is None:
            if self._decoder is None:
                if not self._input:
                    self._input = self._read_raw()
                    if not self._input:
                        return b""  # a clean end between streams
                if self.kind != "gzip" and not self._input.strip(b"\x00") and self._started:
                    self._input = b""  # zero padding after an xz or bz2 stream
                    continue
                self._decoder = self._new_decoder()
                self._started = True
            out = self._step()
            if out is None:
                return b""
            if out:
                self._count(len(out))
                return out
        return b""

    def _read_raw(self) -> bytes:
        data = self.raw.read(CHUNK)
        self.read_bytes += len(data)
        return data

    def _step(self) -> bytes | None:
        """The next output of the current stream; b'' when it ended; None at damage."""
        decoder = self._decoder
        if self.kind == "gzip":
            if not self._input:
                self._input = self._read_raw()
                if not self._input:
                    self._truncated()
                    return None
            saved = decoder.copy()
            data, at = self._input, self._position()
            try:
                out = decoder.decompress(data, CHUNK)
            except zlib.error as error:
                return self._salvage(saved, data, at, error)
            self._input = decoder.unconsumed_tail
            if decoder.eof:
                self._input = decoder.unused_data + self._input
                self._decoder = None
            return bytes(out)
        if decoder.needs_input:
            if not self._input:
                self._input = self._read_raw()
                if not self._input:
                    self._truncated()
                    return None
            data, self._input = self._input, b""
        else:
            data = b""
        try:
            out = decoder.decompress(data, CHUNK)
        except (OSError, EOFError, lzma.LZMAError) as error:
            self.damage = (
                f"damaged {self.kind} data near byte {self._position():,}: {error}; "
                "what came before it was read"
            )
            return None
        if decoder.eof:
            self._input = decoder.unused_data
            self._decoder = None
        return bytes(out)

    def _salvage(self, decoder: Any, data: bytes, at: int, error: Exception) -> bytes | None:
        """Feed the damaged piece again in small steps, keeping what precedes the damage."""
        kept = []
        offset = 0
        while offset < len(data):
            try:
                kept.append(decoder.decompress(data[offset : offset + SALVAGE_STEP]))
            except zlib.error:
                break
            offset += SALVAGE_STEP
        self.damage = (
            f"damaged gzip data at about byte {at + offset:,} of the compressed file: {error}; "
            "what came before it was read"
        )
        self._decoder = None
        self._input = b""
        return b"".join(kept)

    def _truncated(self) -> None:
        self.damage = (
            f"truncated {self.kind} data: the file ends at byte {self.read_bytes:,}, "
            "inside a compressed stream; what came before it was read"
        )
        return None

    def _count(self, n: int) -> None:
        self.produced += n
        if self.produced > limits.MAX_DECOMPRESSED:
            raise TooLarge(
                f"decompresses to more than {_size(limits.MAX_DECOMPRESSED)} (the limit): "
                "not read further"
            )
        if (
            self.produced > limits.RATIO_CHECKED_FROM
            and self.produced > max(self.read_bytes, 1) * limits.MAX_RATIO
        ):
            raise TooLarge(
                f"decompresses to over {limits.MAX_RATIO} times its size ({_size(self.produced)} "
                f"from {_size(self.read_bytes)}): a decompression bomb, not read further"
            )


class Salvaging(_Stream):
    """A stream whose damage (bad CRC, broken deflate data) ends it instead of raising."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self.raw = raw
        self.damage: str | None = None
        self.produced = 0

    def _more(self) -> bytes:
        if self.damage is not None:
            return b""
        try:
            data = self.raw.read(CHUNK)
        except _DAMAGE as error:
            self.damage = (
                f"damaged data after {self.produced:,} bytes: {error}; what came before it was read"
            )
            return b""
        self.produced += len(data)
        return data

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            super().close()


def read_at_most(stream: IO[bytes], limit: int) -> bytes | None:
    """The whole stream, or None when it holds more than `limit` bytes (read no further)."""
    data = stream.read(limit + 1)
    return None if len(data) > limit else data
