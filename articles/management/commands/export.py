"""`manage.py export`: every article as JSON Lines, the format `ingest` reads back."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.importer import export_articles


class Command(BaseCommand):
    help = (
        "Write every article as one JSON object per line (id, title, source, published_at, "
        "captured_at, language, tags, authors, url, body) to standard output or --output FILE. "
        "`ingest` imports the result."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", metavar="FILE", help="write here, not to stdout")

    def handle(self, *args: Any, **opts: Any) -> None:
        output: str | None = opts["output"]
        if output and output != "-":
            try:
                with open(output, "w", encoding="utf-8", newline="\n") as out:
                    count = export_articles(out)
            except OSError as exc:
                raise CommandError(f"{output}: {exc.strerror or exc}", returncode=2) from exc
            self.stderr.write(f"Exported {count:,} articles to {output}")
        else:
            try:
                stream: TextIO = opts.get("stdout") or sys.stdout
                count = export_articles(stream)
                stream.flush()
            except BrokenPipeError:
                # `export | head`: the reader has what it wanted; stop quietly.
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115 -- silences the flush at exit
                return
            self.stderr.write(f"Exported {count:,} articles")
