"""`python -m bench`: the benchmark suite (see docs/benchmarks.md).

Generates a synthetic corpus, imports it with `ingest` into a separate *_bench database and
search index, times the import and `reindex`, measures search, pages and peers, load-tests
gunicorn, prints a table with the targets and writes JSON and Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bench import harness, report

ROOT = Path(__file__).resolve().parent.parent


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError(text)
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Generate a synthetic corpus, import it with `ingest` into a separate *_bench "
            "database and search index, time the import and `reindex`, measure search, pages "
            "and peers, load-test gunicorn, print a table with the targets and write JSON."
        ),
    )
    p.add_argument("--articles", type=positive_int, default=20000, help="corpus size")
    p.add_argument("--seed", type=int, default=42, help="corpus seed")
    p.add_argument(
        "--fresh", action="store_true", help="re-import and rebuild peers even if present"
    )
    p.add_argument("--quick", action="store_true", help="few repetitions (smoke run)")
    p.add_argument("--reps", type=positive_int, help="warm repetitions per measurement")
    p.add_argument("--load-seconds", type=positive_float, default=60.0)
    p.add_argument("--clients", type=positive_int, default=16)
    p.add_argument("--text-sample", type=positive_int, help="plain-text files to ingest")
    p.add_argument("--no-peers", action="store_true", help="skip the peers")
    p.add_argument("--no-load", action="store_true", help="skip the load test")
    p.add_argument(
        "--no-imports",
        action="store_true",
        help="skip the import without the index, the plain-text import and reindex "
        "(searches, pages, peers and load on the imported archive)",
    )
    p.add_argument("--output", type=Path, help="JSON results (default in --dir)")
    p.add_argument(
        "--dir", type=Path, help="working folder for corpus, indexes, logs (default var/bench/)"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    workdir = args.dir.resolve() if args.dir else ROOT / "var" / "bench"
    if not os.environ.get(harness.CHILD_FLAG):
        # The parent only picks the bench database and index, and re-executes; see
        # harness.launch.
        try:
            return harness.launch(argv, ROOT, workdir)
        except harness.BenchError as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 1
    harness.setup_django()
    options = harness.Options(
        articles=args.articles,
        seed=args.seed,
        fresh=args.fresh,
        quick=args.quick,
        reps=args.reps,
        load_seconds=args.load_seconds,
        clients=args.clients,
        peers=not args.no_peers,
        load=not args.no_load,
        imports=not args.no_imports,
        text_sample=args.text_sample,
        output=args.output,
        workdir=workdir,
    )
    runner = harness.Runner(options, sys.stdout, ROOT)
    try:
        results = runner.run()
    except harness.BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    report.add_ratios(results)
    output = options.output or runner.dir / f"results-{options.articles}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    output.with_suffix(".md").write_text(report.markdown(results), encoding="utf-8")
    print()
    print(report.table(results))
    print(f"\nresults written to {output}")
    load_errors = (results.get("load") or {}).get("errors", 0)
    if results["problems"] or load_errors:
        print(
            f"bench: {len(results['problems'])} page problem(s), {load_errors} load-test error(s)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
