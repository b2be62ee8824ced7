"""`python -m bench.relevance`: known-item search quality, ours against two peers.

Each query is made from one real article (BBC News among synthetic distractors, or
SaudiNewsNet); an engine scores 1/rank when that article is in its top 10. Prints
MRR@10 per query kind for ours, SQLite FTS5 and tantivy over the same documents, and
writes the results and the queries as JSON (see docs/benchmarks.md, "Relevance").
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench import harness

from .run import Evaluation, Options, environment

ROOT = Path(__file__).resolve().parent.parent.parent


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.relevance",
        description="Known-item search quality (MRR@10) of ours, SQLite FTS5 and tantivy.",
    )
    p.add_argument(
        "--corpora",
        type=Path,
        default=ROOT.parent / "shared" / "corpora",
        help="folder holding bbc/ and saudinewsnet/ (default ../shared/corpora)",
    )
    p.add_argument(
        "--distractors", type=int, default=150_000, help="synthetic articles around the BBC set"
    )
    p.add_argument("--seed", type=int, default=42, help="seed of dates, distractors, queries")
    p.add_argument("--per-kind", type=positive_int, default=150, help="queries of each kind")
    p.add_argument(
        "--broad",
        type=positive_int,
        default=10_000,
        help="matches a common_broad query needs (by the peers' count)",
    )
    p.add_argument("--queries", type=Path, help="reuse the queries of this file")
    p.add_argument("--fresh", action="store_true", help="rebuild export, indexes and import")
    p.add_argument("--no-ours", action="store_true", help="only the peers")
    p.add_argument("--dir", type=Path, help="working folder (default var/bench/relevance/)")
    p.add_argument("--output", type=Path, help="JSON results (default in --dir)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.distractors < 0:
        print("relevance: --distractors cannot be negative", file=sys.stderr)
        return 2
    options = Options(
        corpora=args.corpora.resolve(),
        workdir=(args.dir or ROOT / "var" / "bench" / "relevance").resolve(),
        distractors=args.distractors,
        seed=args.seed,
        per_kind=args.per_kind,
        broad=args.broad,
        queries=args.queries.resolve() if args.queries else None,
        output=args.output.resolve() if args.output else None,
        fresh=args.fresh,
        ours=not args.no_ours,
    )
    evaluation = Evaluation(options, sys.stdout, ROOT)
    try:
        if options.ours:
            # Ours works in its own database and index folder, never the user's.
            os.environ.update(environment(dict(os.environ), options))
            if os.environ.get("DATABASE_URL"):
                harness.create_database(os.environ["DATABASE_URL"])
            harness.setup_django()
        results = evaluation.run()
    except harness.BenchError as exc:
        print(f"relevance: {exc}", file=sys.stderr)
        return 1
    table = evaluation.write(results)
    print()
    print(table)
    print(f"\nresults written to {evaluation.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
