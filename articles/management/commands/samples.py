"""`manage.py samples [--remove]`: the bundled sample articles (thin: see articles.sample_data)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from articles.sample_data import import_samples, remove_samples


class Command(BaseCommand):
    help = (
        "Import the bundled sample articles into an empty archive (an archive that holds "
        "articles is left alone), or with --remove delete them again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--remove",
            action="store_true",
            help="delete the sample articles and the sources, tags and authors only they used",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["remove"]:
            removed = remove_samples()
            if removed:
                self.stdout.write(f"Removed {removed:,} sample articles.")
            else:
                self.stdout.write("No sample articles to remove.")
            return
        outcome = import_samples()
        if outcome.run is None:
            self.stdout.write(
                f"The archive already holds {outcome.existing:,} articles: samples not imported."
            )
            return
        self.stdout.write(
            f"Import #{outcome.run.pk}: imported {outcome.created:,} sample articles "
            "(remove them with: python manage.py samples --remove)."
        )
