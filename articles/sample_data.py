"""The bundled sample articles (articles/samples/): put into an empty archive, taken out again.

A newcomer's `make run` shows them; an archive that already holds articles never gets them,
and `manage.py samples --remove` (or the admin's action on their import run) deletes them
with the sources, tags and authors only they used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .importer import DEFAULT_WORKERS, import_paths, parse_options_as_dict, start_run
from .ingest.records import ParseOptions
from .models import Article, ImportRun
from .runs import delete_run_articles

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
# The seed's "2 hours ago" counts back from the moment its dump was taken, not from the
# checkout's file times; every other sample carries an absolute date.
SEED_REFERENCE_TIME = datetime(2017, 6, 14, 12, 0, tzinfo=UTC)
# Recorded in the import run's options: how `remove_samples` finds the samples' runs.
MARKER = "samples"


@dataclass(frozen=True)
class SamplesOutcome:
    created: int  # articles imported (0 when the archive was not empty)
    existing: int  # articles the archive held before
    run: ImportRun | None


def import_samples(**importer_options: Any) -> SamplesOutcome:
    """Import the samples when the archive holds no article; otherwise do nothing at all
    (no import run is recorded)."""
    existing = Article.objects.count()
    if existing:
        return SamplesOutcome(created=0, existing=existing, run=None)
    options = ParseOptions(reference_time=SEED_REFERENCE_TIME)
    paths = [str(SAMPLES_DIR)]
    run = start_run(paths, parse_options_as_dict(options) | {MARKER: True}, dry_run=False)
    importer_options.setdefault("workers", DEFAULT_WORKERS)
    importer = import_paths(paths, options, run=run, **importer_options)
    return SamplesOutcome(created=importer.stats.created, existing=0, run=importer.run_row)


def sample_runs() -> Any:
    """The import runs that brought the samples in."""
    return ImportRun.objects.filter(**{f"options__{MARKER}": True})


def remove_samples() -> int:
    """Delete the sample articles (and what only they used); returns how many went."""
    return delete_run_articles(sample_runs())
