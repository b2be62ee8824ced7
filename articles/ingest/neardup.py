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
