"""`manage.py index`: apply the change log to the search index, once or continuously."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.search import indexer
from articles.search.index import index_dir


class Command(BaseCommand):
    help = (
        "Bring the search index up to date with PostgreSQL: apply the changes logged since "
        "its last commit (building it first when it is missing). Imports and the admin do "
        "this themselves; this command catches up after changes made by other means, or "
        "follows the log for a machine that keeps its own index (--follow)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--follow", action="store_true", help="keep catching up until interrupted"
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between catch-ups (--follow)"
        )
        parser.add_argument(
            "--status", action="store_true", help="show how far each index has applied the log"
        )
        parser.add_argument(
            "--forget", metavar="NAME", help="stop keeping the log for a retired index"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["forget"]:
            if not indexer.forget(options["forget"]):
                raise CommandError(f"No index called {options['forget']!r} follows the log.")
            self.stdout.write(f"Forgot {options['forget']!r}.")
            return
        if options["status"]:
            self._status()
            return
        if options["follow"]:
            self.stdout.write(f"Following the change log into {index_dir()} (Ctrl-C to stop).")
            with contextlib.suppress(KeyboardInterrupt):
                indexer.follow(options["interval"])
            return
        started = time.monotonic()
        result = indexer.catch_up(rebuild=True)
        if result.locked_out:
            self.stdout.write("Another process is writing the index; it applies the log.")
        elif result.rebuilt:
            self.stdout.write(f"Built the index from {result.applied:,} articles.")
        else:
            self.stdout.write(
                f"Applied {result.applied:,} changes in {time.monotonic() - started:.1f} s."
            )

    def _status(self) -> None:
        self.stdout.write(f"Index folder: {index_dir()}")
        self.stdout.write(f"Changes not yet applied here: {indexer.pending_changes():,}")
        for name, horizon, at in indexer.followers():
            self.stdout.write(
                f"  {name}: applied up to transaction {horizon}, at {at:%Y-%m-%d %H:%M:%S}"
            )
