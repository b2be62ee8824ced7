"""Scoring and reporting the known-item runs (pure Python).

MRR@10: the mean over a kind's queries of 1/rank of the target when it is in the top
10, else 0; a near-identical copy of the target counts as the target (copies.py), and the
MRR@10 of the target alone is kept beside it. Per kind and engine too: how many queries
found nothing, the median number of matches, and the latency of answering (top 10 and
count) in process.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench.load import percentile

from .engines import TOP, Answer
from .queries import KINDS, Query

ENGINES = ("ours", "sqlite_fts5", "tantivy")
LABELS = {"ours": "ours", "sqlite_fts5": "SQLite FTS5", "tantivy": "tantivy"}


@dataclass(frozen=True)
class Outcome:
    rank: int | None  # 1-based rank of the target or a copy of it in the top 10, or None
    count: int
    ms: float
    target_rank: int | None = None  # the same for the target itself, copies not counted


def reciprocal_rank(rank: int | None) -> float:
    return 0.0 if rank is None or rank > TOP else 1.0 / rank


def run_engine(
    search: Callable[[str], Answer],
    queries: Sequence[Query],
    key_of: Callable[[Any], str | None],
    copies: Mapping[str, Collection[str]] | None = None,
) -> list[Outcome]:
    """Each query once to warm the engine's caches, then once timed. `copies`: the keys
    of each target's near-identical copies (each counts as the target)."""
    for query in queries:
        search(query.q)
    outcomes = []
    for query in queries:
        started = time.perf_counter()
        answer = search(query.q)
        ms = (time.perf_counter() - started) * 1000
        keys = [key_of(i) for i in answer.ids[:TOP]]
        same = (copies or {}).get(query.target, ())
        found = [i for i, key in enumerate(keys, start=1) if key == query.target or key in same]
        rank = found[0] if found else None
        target_rank = keys.index(query.target) + 1 if query.target in keys else None
        outcomes.append(Outcome(rank, answer.count, round(ms, 3), target_rank))
    return outcomes


def summarize(queries: Sequence[Query], outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """Per kind: queries, MRR@10, found nothing, median matches, p50/p95 ms."""
    out: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        mine = [o for q, o in zip(queries, outcomes, strict=True) if q.kind == kind]
        if not mine:
            out[kind] = {"queries": 0}
            continue
        times = [o.ms for o in mine]
        out[kind] = {
            "queries": len(mine),
            "mrr10": round(statistics.fmean(reciprocal_rank(o.rank) for o in mine), 4),
            "mrr10_target": round(
                statistics.fmean(reciprocal_rank(o.target_rank) for o in mine), 4
            ),
            "found_target": sum(1 for o in mine if o.rank is not None),
            "found_nothing": sum(1 for o in mine if o.count == 0),
            "median_matches": statistics.median(o.count for o in mine),
            "p50_ms": round(percentile(times, 50), 2),
            "p95_ms": round(percentile(times, 95), 2),
        }
    return out


def _rows(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return [line(header), rule, *(line(r) for r in rows)]


def table(results: dict[str, Any]) -> str:
    """The run as four Markdown tables: MRR@10, MRR@10 of the target alone (copies not
    counted), found nothing and median matches, latency."""
    engines = results["engines"]
    per_kind = results["per_kind"]
    kinds = [k for k in KINDS if any(engines[e].get("kinds", {}).get(k) for e in engines)]

    def cell(engine: str, kind: str, make: Callable[[dict[str, Any]], str]) -> str:
        summary = engines.get(engine, {}).get("kinds", {}).get(kind)
        return make(summary) if summary and summary.get("queries") else "-"

    def label(kind: str) -> str:
        n = max(engines[e].get("kinds", {}).get(kind, {}).get("queries", 0) for e in engines)
        return kind if n == per_kind else f"{kind} ({n})"

    lines = _rows(
        [
            f"queries ({per_kind} each)",
            *(f"MRR@10 {LABELS[e]}" if e == "ours" else LABELS[e] for e in ENGINES),
        ],
        [[label(k), *(cell(e, k, lambda s: f"{s['mrr10']:.3f}") for e in ENGINES)] for k in kinds],
    )
    lines.append("")
    lines += _rows(
        ["MRR@10, the target alone", *(LABELS[e] for e in ENGINES)],
        [
            [label(k), *(cell(e, k, lambda s: f"{s.get('mrr10_target', 0):.3f}") for e in ENGINES)]
            for k in kinds
        ],
    )
    lines.append("")
    lines += _rows(
        ["found nothing / median matches", *(LABELS[e] for e in ENGINES)],
        [
            [
                label(k),
                *(
                    cell(e, k, lambda s: f"{s['found_nothing']} / {s['median_matches']:,.0f}")
                    for e in ENGINES
                ),
            ]
            for k in kinds
        ],
    )
    lines.append("")
    lines += _rows(
        ["p50 / p95 ms (in process)", *(LABELS[e] for e in ENGINES)],
        [
            [
                label(k),
                *(cell(e, k, lambda s: f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f}") for e in ENGINES),
            ]
            for k in kinds
        ],
    )
    for engine in ENGINES:
        note = engines.get(engine, {}).get("note")
        if note:
            lines.append(f"{LABELS[engine]}: {note}")
    return "\n".join(lines)
