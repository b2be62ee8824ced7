"""Near-duplicate detection: a MinHash signature of an article's body, and its LSH bands.

Two wire copies of one story differ by a byline or a trailing sentence, so their
fingerprints differ; the share of signature values they have in common estimates the
Jaccard similarity of their word 5-gram shingles. The signature depends on nothing but
the text (fixed seed and hash functions; never Python's per-process `hash()`), so
signatures computed by different processes and on different days compare.

The signatures of a whole batch are computed at once with numpy (MinHash as datasketch
defines it, with multiply-shift permutations): 0.05 ms of CPU per article of 360 words,
where hashing each shingle in Python (datasketch's update_batch) cost 0.8 ms, more than
half of what the rest of an import spends on an article.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

NUM_PERM = 128
SEED = 20170614
SHINGLE_WORDS = 5

# Most of a body's text read for its signature (a near-duplicate of a long text is one of
# its first 50,000 bytes): keeps the cost of a huge body bounded.
MAX_SIGNED_BYTES = 50_000
# Words are runs of ASCII letters, digits and '_' and of non-ASCII bytes (UTF-8 letters).
_WORD_BYTES = bytes(
    1 if (chr(i).isascii() and (chr(i).isalnum() or chr(i) == "_")) or i >= 0x80 else 0
    for i in range(256)
)
_MAX_HASH = (1 << 32) - 1
_MAX_WORD_BYTES = 64  # bytes of a word that its hash reads
_P = 0x100000001B3  # FNV's 64-bit prime
# The multiplier of the shingle hash (a large odd 64-bit constant).
_SHINGLE_MULTIPLIER = 0x9E3779B97F4A7C15
# Shingles whose permutations are computed at once: rows of 128 64-bit values, 2 MB, which
# stay in the processor's cache (20 MB took three times as long).
_CHUNK_SHINGLES = 2_000


@lru_cache(maxsize=1)
def _permutations() -> tuple[Any, Any]:
    """NUM_PERM random odd 64-bit multipliers and 64-bit offsets, from SEED."""
    import numpy as np

    generator = np.random.RandomState(SEED)
    high = generator.randint(0, 1 << 32, size=(2, NUM_PERM), dtype=np.uint64)
    low = generator.randint(0, 1 << 32, size=(2, NUM_PERM), dtype=np.uint64)
    values = (high << np.uint64(32)) | low
    return values[0] | np.uint64(1), values[1]


@lru_cache(maxsize=1)
def _powers() -> Any:
    import numpy as np

    with np.errstate(over="ignore"):
        powers = np.cumprod(np.full(_MAX_WORD_BYTES, _P, dtype=np.uint64))
    return np.concatenate((np.ones(1, dtype=np.uint64), powers[:-1]))


def signatures(bodies: list[str]) -> list[tuple[int, ...] | None]:
    """The MinHash signature of each body, or None for a body too short to compare (fewer
    than MIN_SHINGLES word 5-grams). Equal bodies give equal signatures in any process.

    Computed for many bodies at once with numpy, over their UTF-8 bytes: each word's hash
    is a polynomial of its bytes, each 5-gram's a polynomial of its words' hashes, and each
    of the NUM_PERM permutations multiply-shift hashing ((a * h + b) mod 2**64, its high 32
    bits). No Python work per word or per 5-gram, and none of Python's randomised hash().
    """
    return _signatures(bodies, MIN_SHINGLES)


def minhash_signature(body: str) -> tuple[int, ...]:
    """The body's signature: NUM_PERM unsigned 32-bit values, however short the body."""
    found = _signatures([body], 1)[0]
    return found if found is not None else (_MAX_HASH,) * NUM_PERM


def signature_of(body: str) -> tuple[int, ...] | None:
    """The body's MinHash signature, or None for a body too short to compare."""
    return signatures([body])[0]


def _signatures(bodies: list[str], min_shingles: int) -> list[tuple[int, ...] | None]:
    import numpy as np

    texts = [
        (b.lower() if b.isascii() else b.casefold()).encode("utf-8")[:MAX_SIGNED_BYTES]
        for b in bodies
    ]
    found: list[tuple[int, ...] | None] = [None] * len(bodies)
    if not texts:
        return found
    # One text, bodies apart by a space (no word spans two); offsets of each body in it.
    joined = b" ".join(texts)
    offsets = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    data = np.frombuffer(joined, dtype=np.uint8)
    in_word = np.frombuffer(_WORD_BYTES, dtype=np.uint8)[data].astype(bool)
    starts = np.flatnonzero(in_word & ~np.concatenate(([False], in_word[:-1])))
    if not starts.size:
        return found
    # Each word byte's position in its word, then each word's hash.
    word_of_byte = np.cumsum(in_word & ~np.concatenate(([False], in_word[:-1]))) - 1
    positions = np.flatnonzero(in_word)
    words = word_of_byte[positions]
    position = np.minimum(positions - starts[words], _MAX_WORD_BYTES - 1)
    with np.errstate(over="ignore"):
        weighted = (data[positions].astype(np.uint64) + np.uint64(1)) * _powers()[position]
        word_starts = np.flatnonzero(np.diff(np.concatenate(([-1], words))))
        word_hashes = np.add.reduceat(weighted, word_starts)
        word_hashes ^= word_hashes >> np.uint64(29)
    body_of_word = np.searchsorted(offsets, starts, side="right") - 1
    counts = np.bincount(body_of_word, minlength=len(texts))
    # Shingles: SHINGLE_WORDS words of one body (all of a shorter body's words).
    n = word_hashes.size
    combined = np.zeros(n, dtype=np.uint64)
    multiplier = np.uint64(_SHINGLE_MULTIPLIER)
    with np.errstate(over="ignore"):
        for i in range(min(SHINGLE_WORDS, n)):
            shifted = np.zeros(n, dtype=np.uint64)
            shifted[: n - i] = word_hashes[i:]
            same = np.zeros(n, dtype=bool)
            same[: n - i] = body_of_word[i:] == body_of_word[: n - i]
            combined = np.where(same, combined * multiplier + shifted, combined)
    word_index = np.arange(n)
    first_of_body = np.concatenate(([0], np.cumsum(counts)[:-1]))[body_of_word]
    last_start = first_of_body + np.maximum(counts[body_of_word] - SHINGLE_WORDS, 0)
    keep = word_index <= last_start
    shingles = (combined ^ (combined >> np.uint64(32)))[keep] & np.uint64(_MAX_HASH)
    shingle_body = body_of_word[keep]
    per_body = np.bincount(shingle_body, minlength=len(texts))
    a, b = _permutations()
    begin = 0
    body = 0
    while body < len(texts):
        # Whole bodies, up to _CHUNK_SHINGLES shingles (at least one body).
        end_body, total = body, 0
        while end_body < len(texts) and (
            total == 0 or total + per_body[end_body] <= _CHUNK_SHINGLES
        ):
            total += int(per_body[end_body])
            end_body += 1
        chunk = shingles[begin : begin + total]
        if total:
            # One row per permutation: the minima are taken along rows (three times faster
            # than down columns).
            values = np.multiply.outer(a, chunk)
            with np.errstate(over="ignore"):
                values += b[:, None]
            values >>= np.uint64(32)
            sizes = per_body[body:end_body]
            nonempty = np.flatnonzero(sizes)
            bounds = np.concatenate(([0], np.cumsum(sizes)[:-1]))[nonempty]
            minima = np.minimum.reduceat(values, bounds, axis=1).T
            for row, index in zip(minima, nonempty, strict=True):
                if sizes[index] >= min_shingles:
                    found[body + int(index)] = tuple(row.tolist())
        begin += total
        body = end_body
    return found


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """The estimated Jaccard similarity of two bodies' shingles, from their signatures."""
    if len(a) != len(b) or not a:
        raise ValueError("signatures of different sizes")
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


# Locality-sensitive hashing: the signature cut into BANDS bands of ROWS values each; two
# articles sharing any band are candidates, and a candidate is a near-duplicate when its
# estimated similarity reaches THRESHOLD. 16 bands of 8 find a pair at similarity 0.8 with
# probability 0.95 (0.9: more than 0.999) and make a candidate of a pair at 0.5 only 6 times
# in 100, which the check against THRESHOLD then drops.
BANDS = 16
ROWS = NUM_PERM // BANDS
THRESHOLD = 0.8
# Fewer shingles than this (a title-only record, a two-line brief) and an article gets no
# signature: short texts are alike by chance, and empty ones would all collide.
MIN_SHINGLES = 20


def band_keys(signature: tuple[int, ...]) -> list[int]:
    """One signed 64-bit key per band (its number and values hashed), as stored."""
    return band_keys_of([signature])[0]


def band_keys_of(signatures: list[tuple[int, ...]]) -> list[list[int]]:
    """band_keys of many signatures at once (numpy: a polynomial of each band's values,
    seeded by the band's number, mixed and read as a signed 64-bit integer)."""
    import numpy as np

    if not signatures:
        return []
    values = np.array(signatures, dtype=np.uint64).reshape(len(signatures), BANDS, ROWS)
    with np.errstate(over="ignore"):
        keys = np.broadcast_to(np.arange(1, BANDS + 1, dtype=np.uint64), (len(signatures), BANDS))
        keys = keys * np.uint64(_P)
        for row in range(ROWS):
            keys = (keys ^ values[:, :, row]) * np.uint64(_P)
        keys ^= keys >> np.uint64(31)
        keys *= np.uint64(_SHINGLE_MULTIPLIER)
        keys ^= keys >> np.uint64(29)
    return keys.view(np.int64).tolist()


def is_near_duplicate(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return similarity(a, b) >= THRESHOLD
