"""Near-duplicate detection: a MinHash signature of an article's body (datasketch).

Two wire copies of one story differ by a byline or a trailing sentence, so their
fingerprints differ; the share of signature values they have in common estimates the
Jaccard similarity of their word 5-gram shingles. The signature depends on nothing but
the text (fixed seed, permutations and hash function: zlib's CRC-32, which Python does not
randomise per process as it does `hash()`), so signatures computed by different processes
and on different days compare.

Cost: 0.28 ms of CPU per article on the first 1,000 BBC articles (339 words on average),
on the machine of docs/benchmarks.md; tests/test_ingest_neardup.py checks it stays small.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from functools import lru_cache
from typing import Any

NUM_PERM = 128
SEED = 20170614
SHINGLE_WORDS = 5

_WORD = re.compile(r"\w+")


def shingles(body: str) -> set[bytes]:
    """The word 5-grams of the body, case and Unicode form folded; the whole text if shorter."""
    words = _WORD.findall(unicodedata.normalize("NFKC", body).casefold())
    if len(words) <= SHINGLE_WORDS:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {
        " ".join(words[i : i + SHINGLE_WORDS]).encode("utf-8")
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }


@lru_cache(maxsize=1)
def _template() -> Any:
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=zlib.crc32)


def minhash_signature(body: str) -> tuple[int, ...]:
    """NUM_PERM unsigned 32-bit values; equal bodies give equal signatures in any process."""
    from datasketch import MinHash

    template = _template()
    sketch = MinHash(
        num_perm=NUM_PERM,
        seed=SEED,
        hashfunc=zlib.crc32,
        permutations=template.permutations,
        scheme=template.scheme,
    )
    sketch.update_batch(shingles(body))
    return tuple(int(value) for value in sketch.hashvalues)


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


def signature_of(body: str) -> tuple[int, ...] | None:
    """The body's MinHash signature, or None for a body too short to compare."""
    if len(_WORD.findall(body, 0, 20_000)) < MIN_SHINGLES + SHINGLE_WORDS - 1:
        return None
    return minhash_signature(body)


def band_keys(signature: tuple[int, ...]) -> list[int]:
    """One signed 64-bit key per band (its number and values hashed), as stored."""
    keys = []
    for band in range(BANDS):
        values = signature[band * ROWS : (band + 1) * ROWS]
        data = band.to_bytes(1, "big") + b"".join(v.to_bytes(4, "big") for v in values)
        digest = hashlib.blake2b(data, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return keys


def is_near_duplicate(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return similarity(a, b) >= THRESHOLD
