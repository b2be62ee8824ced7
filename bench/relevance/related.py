"""Related articles judged by the BBC set's own categories.

Every BBC article of the evaluation's archive asks for its related articles, as its page
does (no tags: the export carries none, so the words alone decide). A related article is
right when it is a BBC article of the same category (business, entertainment, politics,
sport, tech); another BBC category, an Arabic article or a distractor is wrong. Precision
at 5, the share of articles whose first related one is right, and the time each call
takes in process are reported.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from bench.load import percentile

LIMIT = 5


def category(key: str | None) -> str | None:
    """The BBC category of an evaluation key (`bbc/<category>/<number>`), else None."""
    if not key or not key.startswith("bbc/"):
        return None
    return key.split("/")[1]


def evaluate(keys: Mapping[int, str]) -> dict[str, Any]:
    """Precision of the related articles of every BBC article in the archive (`keys`: the
    article ids' evaluation keys), by category and in all, with the calls' latency."""
    from articles.models import Article
    from articles.search.related import related_articles

    bbc = [pk for pk, key in keys.items() if category(key)]
    articles = Article.objects.filter(pk__in=bbc).order_by("pk")
    right = asked = first_right = 0
    per_category: dict[str, list[int]] = {}
    ms: list[float] = []
    for article in articles.iterator(chunk_size=500):
        wanted = category(keys[article.pk])
        started = time.perf_counter()
        found = related_articles(article, [], LIMIT)
        ms.append((time.perf_counter() - started) * 1000)
        hits = [category(keys.get(other.pk)) == wanted for other in found[:LIMIT]]
        right += sum(hits)
        asked += 1
        first_right += bool(hits and hits[0])
        counts = per_category.setdefault(str(wanted), [0, 0])
        counts[0] += sum(hits)
        counts[1] += LIMIT
    return {
        "articles": asked,
        "precision_at_5": round(right / (asked * LIMIT), 3) if asked else 0.0,
        "first_right": round(first_right / asked, 3) if asked else 0.0,
        "by_category": {
            name: round(hit / total, 3) for name, (hit, total) in sorted(per_category.items())
        },
        "ms_p50": round(percentile(ms, 50), 2),
        "ms_p95": round(percentile(ms, 95), 2),
    }


def table(result: dict[str, Any]) -> str:
    """The related-articles result as one Markdown table."""
    by = result["by_category"]
    head = ["related articles", "P@5", "first right", *by, "p50 ms", "p95 ms"]
    row = [
        f"{result['articles']:,} BBC articles",
        f"{result['precision_at_5']:.3f}",
        f"{result['first_right']:.3f}",
        *(f"{v:.3f}" for v in by.values()),
        f"{result['ms_p50']:.1f}",
        f"{result['ms_p95']:.1f}",
    ]
    return "\n".join(
        [
            "| " + " | ".join(head) + " |",
            "|" + "---|" * len(head),
            "| " + " | ".join(row) + " |",
        ]
    )
