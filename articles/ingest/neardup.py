"""Near-duplicate detection: a MinHash signature of an article's body, and its LSH bands.

Two wire copies of one story differ by a byline or a trailing sentence, so their
fingerprints differ; the share of signature values they have in common estimates the
Jaccard similarity of their word 5-gram shingles. The signature depends on nothing but
the text (fixed seeds and hash functions; never Python's per-process `hash()`), so
signatures computed by different processes and on different days compare.

The signature is a one-permutation MinHash (Li, Owen and Zhang, 2012) with optimal
densification (Shrivastava, 2017): each shingle is hashed once, the hash's top bits pick
one of NUM_BINS bins and each bin keeps its smallest value; a bin no shingle fell into
takes the value of another bin, chosen by a fixed sequence of its own. Two signatures
agree in a bin with probability the Jaccard similarity, as with NUM_BINS independent
permutations, for one hash per shingle instead of NUM_BINS. The signatures of a whole batch
are computed at once with numpy: about 0.1 ms of CPU per article of 620 words, where 128
permutations cost 0.28 ms and hashing each shingle in Python (datasketch's update_batch)
0.8 ms.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import chain
from typing import Any

NUM_BINS = 128
SEED = 20170614
SHINGLE_WORDS = 5

# Most of a body's text read for its signature (a near-duplicate of a long text is one of
# its first 50,000 bytes): keeps the cost of a huge body bounded.
MAX_SIGNED_BYTES = 50_000
# Words are runs of ASCII letters, digits and '_' and of non-ASCII bytes (UTF-8 letters);
# every other byte becomes a space.
_WORD_BYTES = bytes(
    i if (chr(i).isascii() and (chr(i).isalnum() or chr(i) == "_")) or i >= 0x80 else 0x20
    for i in range(256)
)
_WORD_HASH_BYTES = 32  # bytes of a word that its hash reads
_MAX_HASH = (1 << 32) - 1
_EMPTY = 1 << 32  # a bin no shingle fell into (above every 32-bit value)
_BIN_SHIFT = 64 - (NUM_BINS.bit_length() - 1)  # the hash's top bits number its bin
_OFFSET = 0xCBF29CE484222325  # FNV's 64-bit offset basis
_P = 0x100000001B3  # FNV's 64-bit prime
# The multiplier of the shingle hash (a large odd 64-bit constant).
_SHINGLE_MULTIPLIER = 0x9E3779B97F4A7C15
# How many other bins an empty bin tries, in its own fixed order, before it takes the
# first filled bin; with 20 shingles (the fewest a signature is made of) the fallback
# is needed fewer than once in 10,000 bins.
_DENSIFY_TRIES = 64


@lru_cache(maxsize=1)
def _donors() -> Any:
    """For each try, the bin each bin borrows from (an empty bin never borrows from an
    empty one: the try is skipped)."""
    import numpy as np

    return np.random.RandomState(SEED).randint(0, NUM_BINS, size=(_DENSIFY_TRIES, NUM_BINS))


def signatures(bodies: list[str]) -> list[tuple[int, ...] | None]:
    """The MinHash signature of each body, or None for a body too short to compare (fewer
    than MIN_SHINGLES word 5-grams). Equal bodies give equal signatures in any process."""
    return _signatures(bodies, MIN_SHINGLES)


def minhash_signature(body: str) -> tuple[int, ...]:
    """The body's signature: NUM_BINS unsigned 32-bit values, however short the body."""
    found = _signatures([body], 1)[0]
    return found if found is not None else (_MAX_HASH,) * NUM_BINS


def signature_of(body: str) -> tuple[int, ...] | None:
    """The body's MinHash signature, or None for a body too short to compare."""
    return signatures([body])[0]


def _signatures(bodies: list[str], min_shingles: int) -> list[tuple[int, ...] | None]:
    import numpy as np

    shingles, per_body = _shingle_hashes(bodies)
    found: list[tuple[int, ...] | None] = [None] * len(bodies)
    if not shingles.size:
        return found
    with np.errstate(over="ignore"):
        # splitmix64's finaliser: every bit of the shingle's hash reaches the bin and value.
        shingles ^= shingles >> np.uint64(30)
        shingles *= np.uint64(0xBF58476D1CE4E5B9)
        shingles ^= shingles >> np.uint64(27)
        shingles *= np.uint64(0x94D049BB133111EB)
        shingles ^= shingles >> np.uint64(31)
    cells = np.repeat(np.arange(len(bodies), dtype=np.int64) * NUM_BINS, per_body)
    cells += (shingles >> np.uint64(_BIN_SHIFT)).astype(np.int64)
    flat = np.full(len(bodies) * NUM_BINS, _EMPTY, dtype=np.uint64)
    np.minimum.at(flat, cells, shingles & np.uint64(_MAX_HASH))
    values = flat.reshape(len(bodies), NUM_BINS)
    _densify(values)
    for body in np.flatnonzero(per_body >= min_shingles):
        found[body] = tuple(values[body].tolist())
    return found


def _shingle_hashes(bodies: list[str]) -> tuple[Any, Any]:
    """A 64-bit hash of each word 5-gram of each body, in body order (every word of a body
    of fewer words, as one shingle), and how many each body has."""
    import numpy as np

    words = [
        (b.lower() if b.isascii() else b.casefold())
        .encode("utf-8")[:MAX_SIGNED_BYTES]
        .translate(_WORD_BYTES)
        .split()
        for b in bodies
    ]
    counts = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    n = int(counts.sum())
    if not n:
        return np.zeros(0, dtype=np.uint64), np.zeros(len(bodies), dtype=np.int64)
    # Each word's first _WORD_HASH_BYTES bytes, zero-padded, hashed eight bytes at a time.
    table = np.array(list(chain.from_iterable(words)), dtype=f"S{_WORD_HASH_BYTES}")
    columns = table.view(np.uint64).reshape(n, _WORD_HASH_BYTES // 8)
    with np.errstate(over="ignore"):
        word_hashes = np.full(n, _OFFSET, dtype=np.uint64)
        for column in columns.T:
            word_hashes = (word_hashes ^ column) * np.uint64(_P)
        word_hashes ^= word_hashes >> np.uint64(29)
    body_of_word = np.repeat(np.arange(len(bodies)), counts)
    # Shingles: SHINGLE_WORDS words of one body (all of a shorter body's words).
    combined = np.zeros(n, dtype=np.uint64)
    multiplier = np.uint64(_SHINGLE_MULTIPLIER)
    with np.errstate(over="ignore"):
        for i in range(min(SHINGLE_WORDS, n)):
            shifted = np.zeros(n, dtype=np.uint64)
            shifted[: n - i] = word_hashes[i:]
            same = np.zeros(n, dtype=bool)
            same[: n - i] = body_of_word[i:] == body_of_word[: n - i]
            combined = np.where(same, combined * multiplier + shifted, combined)
    first_of_body = np.concatenate(([0], np.cumsum(counts)[:-1]))[body_of_word]
    last_start = first_of_body + np.maximum(counts[body_of_word] - SHINGLE_WORDS, 0)
    keep = np.arange(n) <= last_start
    return combined[keep], np.bincount(body_of_word[keep], minlength=len(bodies))


def _densify(values: Any) -> None:
    """Fill the empty bins of each row that has a filled one, in place: each empty bin
    takes the value of the first bin of its own sequence (_donors) that a shingle filled,
    else of the row's first filled bin."""
    import numpy as np

    empty = values == _EMPTY
    rows = np.flatnonzero(empty.any(axis=1) & ~empty.all(axis=1))
    if not rows.size:
        return
    filled = values[rows]
    missing = empty[rows]
    holders = ~missing
    original = filled.copy()
    for donors in _donors():
        take = missing & holders[:, donors]
        filled[take] = original[:, donors][take]
        missing &= ~take
        if not missing.any():
            break
    else:
        first = original[np.arange(len(rows)), holders.argmax(axis=1)]
        filled[missing] = np.broadcast_to(first[:, None], filled.shape)[missing]
    values[rows] = filled


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
ROWS = NUM_BINS // BANDS
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
