"""`manage.py bench`: the benchmark suite of issue 6 (see docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.bench import harness, report


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


class Command(BaseCommand):
    help = (
        "Generate a synthetic corpus, import it with `ingest` into a separate *_bench database, "
        "measure search, pages and peers, load-test gunicorn, print a table and write JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--articles", type=positive_int, default=20000, help="corpus size")
        parser.add_argument("--seed", type=int, default=42, help="corpus seed")
        parser.add_argument(
            "--fresh", action="store_true", help="re-import and rebuild peers even if present"
        )
        parser.add_argument("--quick", action="store_true", help="few repetitions (smoke run)")
        parser.add_argument("--reps", type=positive_int, help="warm repetitions per measurement")
        parser.add_argument("--load-seconds", type=positive_float, default=60.0)
        parser.add_argument("--clients", type=positive_int, default=16)
        parser.add_argument("--text-sample", type=positive_int, help="plain-text files to ingest")
        parser.add_argument("--no-peers", action="store_true", help="skip the peers")
        parser.add_argument("--no-load", action="store_true", help="skip the load test")
        parser.add_argument("--output", type=Path, help="JSON results (default in --dir)")
        parser.add_argument(
            "--dir", type=Path, help="working folder for corpus, indexes, logs (default var/bench/)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not os.environ.get(harness.CHILD_FLAG):
            code = harness.launch(_argv(opts), Path(settings.BASE_DIR) / "manage.py")
            if code:
                raise CommandError(f"the benchmark failed (exit {code})", returncode=code)
            return
        options = harness.Options(
            articles=opts["articles"],
            seed=opts["seed"],
            fresh=opts["fresh"],
            quick=opts["quick"],
            reps=opts["reps"],
            load_seconds=opts["load_seconds"],
            clients=opts["clients"],
            peers=not opts["no_peers"],
            load=not opts["no_load"],
            text_sample=opts["text_sample"],
            output=opts["output"],
            workdir=opts["dir"].resolve() if opts["dir"] else None,
        )
        runner = harness.Runner(options, self.stdout, Path(settings.BASE_DIR))
        try:
            results = runner.run()
        except harness.BenchError as exc:
            raise CommandError(str(exc)) from exc
        report.add_ratios(results)
        output = options.output or runner.dir / f"results-{options.articles}.json"
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, indent=2, ensure_ascii=False))
        output.with_suffix(".md").write_text(report.markdown(results), encoding="utf-8")
        self.stdout.write("")
        self.stdout.write(report.table(results))
        self.stdout.write(f"\nresults written to {output}")
        load_errors = (results.get("load") or {}).get("errors", 0)
        if results["problems"] or load_errors:
            raise CommandError(
                f"{len(results['problems'])} page problem(s), {load_errors} load-test error(s)",
                returncode=1,
            )


def _argv(opts: dict[str, Any]) -> list[str]:
    """The options again as command-line arguments, for the child process."""
    argv = [f"--articles={opts['articles']}", f"--seed={opts['seed']}"]
    argv += [f"--load-seconds={opts['load_seconds']}", f"--clients={opts['clients']}"]
    for name in ("reps", "text_sample", "output", "dir"):
        if opts[name] is not None:
            argv.append(f"--{name.replace('_', '-')}={opts[name]}")
    for name in ("fresh", "quick", "no_peers", "no_load"):
        if opts[name]:
            argv.append(f"--{name.replace('_', '-')}")
    return argv
