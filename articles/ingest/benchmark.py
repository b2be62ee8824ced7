"""How fast the parser alone is: `python -m articles.ingest.benchmark [--records N]`.

Writes synthetic ~600-word English articles to a temporary directory as one JSON Lines
file and as one plain-text file per article, then times `iter_records` over each.
Prints wall-clock and CPU rates (CPU time is the fair number on a busy machine).
Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .reader import iter_records
from .records import ParsedArticle, ParseOptions

# fmt: off
_WORDS = (
    "the", "of", "and", "to", "in", "a", "that", "for", "is", "on", "was", "with", "said", "he",
    "it", "as", "at", "by", "from", "his", "has", "have", "were", "government", "minister",
    "police", "people", "year", "city", "country", "officials", "president", "company",
    "market", "report", "week", "security", "court", "election", "council", "water", "health",
    "school", "report", "border", "talks", "economy", "workers", "prices", "plan", "state",
    "members", "public", "support", "power", "percent", "million", "statement", "region",
    "local", "national", "international", "agency", "army", "leaders", "meeting", "crisis"
)
# fmt: on


def _article(rng: random.Random, n: int) -> dict[str, object]:
    paragraphs = []
    for _ in range(8):
        sentences = []
        for _ in range(4):
            words = rng.choices(_WORDS, k=rng.randint(14, 24))
            sentences.append(" ".join(words).capitalize() + ".")
        paragraphs.append(" ".join(sentences))
    published = datetime(2017, 1, 1, tzinfo=UTC) + timedelta(minutes=37 * n)
    return {
        "title": f"Article {n}: " + " ".join(rng.choices(_WORDS, k=8)).capitalize(),
        "text": "\n\n".join(paragraphs),
        "date_publish": published.strftime("%Y-%m-%dT%H:%M:%S"),
        "url": f"https://www.example-news.com/2017/{n}.html",
        "authors": ["Jane Doe"],
        "language": None,
    }


def _time(paths: list[str]) -> tuple[int, int, float, float]:
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    good = bad = 0
    for record in iter_records(paths, ParseOptions()):
        if isinstance(record, ParsedArticle):
            good += 1
        else:
            bad += 1
    return good, bad, time.perf_counter() - start_wall, time.process_time() - start_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="JSON Lines records")
    parser.add_argument("--files", type=int, default=5_000, help="plain-text files")
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        root = Path(tmp)
        jsonl = root / "dump.jsonl"
        with jsonl.open("w", encoding="utf-8") as out:
            for n in range(args.records):
                out.write(json.dumps(_article(rng, n)) + "\n")
        text_dir = root / "text"
        text_dir.mkdir()
        for n in range(args.files):
            record = _article(rng, n)
            (text_dir / f"{n:06d}.txt").write_text(
                f"{record['title']}\n\n{record['text']}\n", encoding="utf-8"
            )
        # Load the language model outside the timings (a one-off cost per process).
        list(iter_records([str(text_dir / "000000.txt")], ParseOptions()))
        words = len(str(_article(rng, 0)["text"]).split())
        print(f"synthetic articles of about {words} words")
        for label, paths in (("JSON Lines", [str(jsonl)]), ("plain text", [str(text_dir)])):
            good, bad, wall, cpu = _time(paths)
            print(
                f"{label:>10}: {good:,} articles, {bad} errors, {wall:.2f} s wall "
                f"({good / wall:,.0f}/s), {cpu:.2f} s CPU ({good / max(cpu, 1e-9):,.0f}/s)"
            )


if __name__ == "__main__":
    main()
