"""HTML extraction measured on the article-extraction benchmark's 181 real pages.

Run from the repository root: `python -m bench.extraction` (no Django, no database).
The pages go through `articles.ingest.iter_records`, the reader `manage.py ingest` uses
(decompression, decoding, extraction in worker processes, cleaning), and each article's
body is scored as the benchmark scores extractors: the words (runs of \\w) of the text
cut into overlapping 4-word shingles, true and false positives and negatives counted
per page as shares of that page's shingles, precision and recall averaged over the
pages, F1 from the two averages. Titles are compared with a hand-checked list of each
page's headline (bench/article-extraction-titles.tsv, stored as hashes).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from articles.ingest import ParsedArticle, ParseOptions, iter_records
from articles.ingest.dates import DateContext, get_zone
from articles.ingest.pool import default_workers
from articles.ingest.webpage import PageJob, parse_page

ROOT = Path(__file__).resolve().parent.parent
CORPORA = Path(os.environ.get("NEWSARCHIVE_CORPORA") or ROOT.parent / "shared" / "corpora")
CORPUS = CORPORA / "article-extraction"
TITLES = Path(__file__).resolve().parent / "article-extraction-titles.tsv"
TARGET_F1 = 0.96
# Published scores on the same pages (the benchmark's README; trafilatura's with 2.0).
PUBLISHED = (
    ("trafilatura 2.0", 0.938, 0.978, 0.958),
    ("news-please", None, None, 0.948),
    ("readability.js", None, None, 0.947),
    ("best", None, None, 0.970),
)

_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    """The text's overlapping runs of `size` words (one shorter run for a short text)."""
    words = _WORD.findall(text)
    count = max(1, len(words) - size + 1)
    return Counter(tuple(words[i : i + size]) for i in range(count) if words[i : i + size])


def page_counts(truth: str, extracted: str) -> tuple[float, float, float]:
    """True positives, false positives and false negatives as shares of the page's shingles."""
    expected, found = shingles(truth), shingles(extracted)
    tp = sum((expected & found).values())
    fp = sum((found - expected).values())
    fn = sum((expected - found).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def scores(counts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Precision and recall averaged over pages (those where each is defined), and F1."""
    precisions = [_precision(*c) for c in counts if c[0] + c[1] > 0]
    recalls = [_recall(*c) for c in counts if c[0] + c[2] > 0]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def title_key(title: str) -> str:
    """How the reference list stores a headline: SHA-1 of its lower-cased words."""
    folded = " ".join(_WORD.findall(title.casefold()))
    return hashlib.sha1(folded.encode(), usedforsecurity=False).hexdigest()


def load_titles(path: Path) -> dict[str, str]:
    rows = (line.split("\t") for line in path.read_text().splitlines() if line[:1] != "#")
    return {row[0]: row[1].strip() for row in rows if len(row) == 2}


def page_id(origin: str) -> str:
    return Path(origin).name.split(".", 1)[0]


def extract_all(
    html_dir: Path, rounds: int
) -> tuple[dict[str, ParsedArticle | None], float, float]:
    """Every page through the ingest reader `rounds` times: the first round's results,
    pages/s, and this (the importing) process's CPU seconds per page."""
    results: dict[str, ParsedArticle | None] = {}
    started, cpu = time.perf_counter(), time.process_time()
    count = 0
    for record in iter_records([str(html_dir)] * rounds, ParseOptions()):
        count += 1
        key = page_id(record.origin)
        if key not in results:
            results[key] = record if isinstance(record, ParsedArticle) else None
    elapsed = time.perf_counter() - started
    return results, count / elapsed, (time.process_time() - cpu) / count


def trafilatura_alone(html_dir: Path, flags: list[str]) -> tuple[dict[str, str], float]:
    """trafilatura.extract's text of each page with the given options set (no cleaning of
    ours), and pages/s in one process: how the options were chosen."""
    import trafilatura

    options: dict[str, Any] = {flag: True for flag in flags if flag}
    texts: dict[str, str] = {}
    started = time.perf_counter()
    for path in sorted(html_dir.glob("*.html.gz")):
        html = gzip.decompress(path.read_bytes())
        texts[page_id(str(path))] = (
            trafilatura.extract(html, include_comments=False, **options) or ""
        )
    return texts, len(texts) / (time.perf_counter() - started)


def cpu_per_page(html_dir: Path) -> float:
    """Seconds of CPU one page's extraction takes in this process, once warmed up.

    CPU time, unlike pages/s, does not depend on what else the machine is running.
    """
    pages = [gzip.decompress(path.read_bytes()) for path in sorted(html_dir.glob("*.html.gz"))]
    options = ParseOptions()
    ctx = DateContext(datetime.now(UTC), get_zone("UTC"))
    jobs = [PageJob(data, str(number), ctx) for number, data in enumerate(pages)]
    for job in jobs:  # the first pass loads models and compiles patterns
        parse_page(job, options)
    started = time.process_time()
    for job in jobs:
        parse_page(job, options)
    return (time.process_time() - started) / len(pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the benchmark's folder")
    parser.add_argument(
        "--rounds", type=int, default=3, help="passes over the pages for the speed (default 3)"
    )
    parser.add_argument("--verbose", action="store_true", help="list the weakest pages")
    parser.add_argument(
        "--trafilatura",
        metavar="FLAGS",
        help="score trafilatura.extract alone with these options set, comma-separated "
        "(e.g. fast,favor_precision; '' for its defaults)",
    )
    args = parser.parse_args(argv)
    html_dir = args.corpus / "html"
    truth_file = args.corpus / "ground-truth.json"
    if not truth_file.is_file() or not html_dir.is_dir():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    titles = load_titles(TITLES)
    if args.trafilatura is not None:
        flags = [flag.strip() for flag in args.trafilatura.split(",")]
        texts, rate = trafilatura_alone(html_dir, flags)
        precision, recall, f1 = scores(
            [
                page_counts(page.get("articleBody", ""), texts.get(key, ""))
                for key, page in truth.items()
            ]
        )
        print(
            f"trafilatura.extract({', '.join(f'{f}=True' for f in flags if f)}): "
            f"precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}, {rate:.0f} pages/s"
        )
        return 0

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    results, pages_per_second, reader_cpu = extract_all(html_dir, max(1, args.rounds))
    counts: dict[str, tuple[float, float, float]] = {}
    for key, expected in truth.items():
        article = results.get(key)
        counts[key] = page_counts(expected.get("articleBody", ""), article.body if article else "")
    precision, recall, f1 = scores(list(counts.values()))

    wrong_titles = []
    for key, reference in titles.items():
        article = results.get(key)
        if article is None or title_key(article.title) != reference:
            wrong_titles.append((key, article.title if article else "(no article)"))
    cpu = cpu_per_page(html_dir)

    print(f"HTML extraction on {len(truth)} pages of {args.corpus}")
    print(f"{'':28} {'precision':>9} {'recall':>7} {'F1':>6}")
    print(f"{'newsarchive':28} {precision:9.3f} {recall:7.3f} {f1:6.3f}")
    for name, p, r, f in PUBLISHED:
        shown_p = f"{p:9.3f}" if p is not None else f"{'-':>9}"
        shown_r = f"{r:7.3f}" if r is not None else f"{'-':>7}"
        print(f"{name + ' (published)':28} {shown_p} {shown_r} {f:6.3f}")
    met = "met" if f1 >= TARGET_F1 else "NOT met"
    print(f"target F1 >= {TARGET_F1}: {met}")
    print(f"titles: {len(titles) - len(wrong_titles)} of {len(titles)} pages with a headline right")
    for key, title in wrong_titles:
        print(f"  wrong title {key[:12]}: {title!r}")
    print(
        f"speed: {pages_per_second:.0f} pages/s through the ingest reader with "
        f"{default_workers()} worker processes ({args.rounds} rounds; "
        f"load average {load:.1f} before the run)"
    )
    print(
        f"CPU per page: {cpu * 1000:.1f} ms to extract (a worker's share), "
        f"{reader_cpu * 1000:.1f} ms in the importing process (reading, decompressing, "
        f"handing over): two idle cores extract at most {2 / (cpu + reader_cpu):.0f} pages/s"
    )
    if args.verbose:
        worst = sorted(counts, key=lambda key: min(_precision(*counts[key]), _recall(*counts[key])))
        for key in worst[:20]:
            c = counts[key]
            print(f"  {key[:12]} precision {_precision(*c):.2f} recall {_recall(*c):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
