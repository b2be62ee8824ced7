"""Build the word-frequency lists the corpus generator samples from (run once, by hand).

The lists hold word counts only, never text: English words and two-word phrases
counted over the BBC News set, Arabic words over SaudiNewsNet, both in
../shared/corpora; French from the `wordfreq` package (no French corpus is at
hand), scaled to counts. Usage, from the repository root:

    python -m bench.build_wordlists ../shared/corpora bench/data

(`wordfreq` must be importable for French; it is not a project dependency.)
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import zipfile
from collections import Counter
from pathlib import Path

# Words too frequent to make a bigram or a query term interesting.
from bench.corpus import STOP_EN

EN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
AR_WORD = re.compile(r"[\u0621-\u064a]{2,}")
FR_WORD = re.compile(r"^[a-zàâäçéèêëîïôöùûüÿœæ]{2,}$")


EN_WORDS = 12000
EN_BIGRAMS = 400
AR_WORDS = 8000
FR_WORDS = 8000


def count_english(root: Path) -> tuple[Counter[str], Counter[str]]:
    words: Counter[str] = Counter()
    bigrams: Counter[str] = Counter()
    for path in sorted(root.glob("*/*.txt")):
        text = path.read_bytes().decode("utf-8", errors="replace").lower()
        tokens = EN_WORD.findall(text)
        words.update(t for t in tokens if len(t) > 1 or t in {"a", "i"})
        for first, second in itertools.pairwise(tokens):
            if (
                first not in STOP_EN
                and second not in STOP_EN
                and len(first) > 2
                and len(second) > 2
            ):
                bigrams[f"{first} {second}"] += 1
    return words, bigrams


def count_arabic(root: Path) -> Counter[str]:
    words: Counter[str] = Counter()
    for path in sorted(root.glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                for item in json.loads(archive.read(name)):
                    words.update(
                        AR_WORD.findall(f"{item.get('title') or ''} {item.get('content') or ''}")
                    )
    return words


def french_counts() -> Counter[str]:
    from wordfreq import top_n_list, word_frequency

    counts: Counter[str] = Counter()
    for word in top_n_list("fr", FR_WORDS * 2):
        if FR_WORD.match(word) and len(counts) < FR_WORDS:
            counts[word] = max(1, round(word_frequency(word, "fr") * 1e8))
    return counts


def write(path: Path, counts: Counter[str], limit: int) -> None:
    lines = [f"{word}\t{count}\n" for word, count in counts.most_common(limit)]
    path.write_text("".join(lines), encoding="utf-8")
    print(f"{path}: {len(lines)} entries")


def main(argv: list[str]) -> None:
    corpora, out = Path(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    words, bigrams = count_english(corpora / "bbc")
    write(out / "words-en.tsv", words, EN_WORDS)
    write(out / "bigrams-en.tsv", bigrams, EN_BIGRAMS)
    write(out / "words-ar.tsv", count_arabic(corpora / "saudinewsnet"), AR_WORDS)
    write(out / "words-fr.tsv", french_counts(), FR_WORDS)


if __name__ == "__main__":
    main(sys.argv[1:])
