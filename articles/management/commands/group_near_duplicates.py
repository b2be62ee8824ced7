"""Group the near-duplicates of articles stored before near-duplicate detection existed (or
imported with --no-near-duplicates): the same grouping `ingest` does as it stores them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from articles.importer import group_near_duplicates
from articles.ingest.neardup import signatures
from articles.models import Article, NearDuplicateBand

BATCH = 1000


class Command(BaseCommand):
    help = "Find and group the near-duplicates of articles that have no band keys yet."

    def handle(self, *args: Any, **opts: Any) -> None:
        last, read, grouped = 0, 0, 0
        banded = NearDuplicateBand.objects.values("article_id")
        while True:
            rows = list(
                Article.objects.filter(pk__gt=last)
                .exclude(pk__in=banded)
                .order_by("pk")
                .values_list("pk", "body")[:BATCH]
            )
            if not rows:
                break
            last = rows[-1][0]
            read += len(rows)
            found = signatures([body for _, body in rows])
            signed = {pk: sig for (pk, _), sig in zip(rows, found, strict=True) if sig is not None}
            with transaction.atomic(), connection.cursor() as cursor:
                grouped += group_near_duplicates(cursor, signed)
        self.stdout.write(f"read {read:,} articles; {grouped:,} grouped with other versions")
