"""Near-duplicate signatures measured on real articles: their cost and their accuracy.

Run from the repository root: `python -m bench.neardup` (no Django, no database). Each of
the first `--articles` BBC texts of the shared corpora is paired with one edited copy
(a byline and a closing line added, a share of words replaced, a paragraph dropped, or the
text cut short: what outlets do to wire copy, chosen with a fixed seed), and the first
hundred with the next article (different stories). For every pair the exact Jaccard
similarity of the two texts' word 5-grams is compared with the estimate from their
signatures (`articles.ingest.neardup`), and the decision at THRESHOLD with the exact one.
The cost is the CPU time of `signatures()` over batches of 1,000 bodies, as the importer
calls it.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import time
from pathlib import Path

from articles.ingest.neardup import THRESHOLD, signatures, similarity

ROOT = Path(__file__).resolve().parent.parent
CORPORA = Path(os.environ.get("NEWSARCHIVE_CORPORA") or ROOT.parent / "shared" / "corpora")
BATCH = 1000
_WORD = re.compile(r"[A-Za-z0-9_\x80-\U0010ffff]+")


def shingles(text: str) -> set[tuple[str, ...]]:
    """The text's word 5-grams (all its words, for a shorter text), words as the signature
    reads them."""
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + 5]) for i in range(max(1, len(words) - 4))}


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def edited(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    kind = rng.randrange(4)
    if kind == 0:
        return "By Staff Reporter. " + text + " Additional reporting by agencies."
    if kind == 1:
        for _ in range(max(1, len(words) // rng.choice([20, 40, 80]))):
            words[rng.randrange(len(words))] = rng.choice(["the", "government", "said", "new"])
        return " ".join(words)
    if kind == 2:
        paragraphs = text.split("\n\n")
        if len(paragraphs) > 2:
            paragraphs.pop(rng.randrange(1, len(paragraphs)))
        return "\n\n".join(paragraphs)
    return " ".join(words[: int(len(words) * rng.uniform(0.7, 0.95))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=400)
    options = parser.parse_args()
    files = sorted((CORPORA / "bbc").glob("*/*.txt"))[: options.articles]
    if not files:
        raise SystemExit(f"no BBC texts under {CORPORA / 'bbc'} (set NEWSARCHIVE_CORPORA)")
    texts = [f.read_text(encoding="latin-1") for f in files]
    rng = random.Random(1)
    pairs = [(t, edited(t, rng)) for t in texts]
    pairs += [(texts[i], texts[i + 1]) for i in range(min(100, len(texts) - 1))]
    left = signatures([a for a, _ in pairs])
    right = signatures([b for _, b in pairs])
    errors, agree, missed, extra = [], 0, 0, 0
    for (a, b), x, y in zip(pairs, left, right, strict=True):
        if x is None or y is None:
            continue
        exact, estimate = jaccard(a, b), similarity(x, y)
        errors.append(abs(estimate - exact))
        if (exact >= THRESHOLD) == (estimate >= THRESHOLD):
            agree += 1
        elif exact >= THRESHOLD:
            missed += 1
        else:
            extra += 1
    errors.sort()
    n = len(errors)
    print(
        f"accuracy: {n} pairs; |estimate - exact Jaccard| mean {sum(errors) / n:.4f}, "
        f"p95 {errors[int(0.95 * n)]:.4f}; decision at {THRESHOLD} as the exact one for "
        f"{agree} of {n} ({missed} near-duplicates missed, {extra} wrongly called)"
    )
    bodies = (texts * (BATCH // len(texts) + 1))[:BATCH]
    words = sum(len(b.split()) for b in bodies) / len(bodies)
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        signatures(bodies)
        best = min(best, time.process_time() - started)
    print(
        f"cost: {best * 1000 / len(bodies):.3f} ms of CPU per article of {words:.0f} words "
        f"(batches of {BATCH}, best of 5)"
    )


if __name__ == "__main__":
    main()
