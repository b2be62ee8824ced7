"""`manage.py reindex`: rebuild the search index from every article in PostgreSQL."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from articles.search import indexer
from articles.search.index import index_dir


class Command(BaseCommand):
    help = (
        "Rebuild the search index from PostgreSQL (after an upgrade, or when it is lost). "
        "Searches keep answering from the old index until the new one is committed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        bar = tqdm(total=0, unit=" articles", disable=None, file=sys.stderr)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        result = indexer.rebuild(progress)
        bar.close()
        self.stdout.write(
            f"Indexed {result.applied:,} articles into {index_dir()} "
            f"in {bar.format_dict['elapsed']:.1f} s."
        )
