"""The bundled samples: the seed is the canonical one, and every sample imports cleanly."""

from __future__ import annotations

import io
import re
import shlex
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from articles.ingest import ParseOptions, RecordError, iter_records
from articles.models import Article
from tests.conftest import ROOT, SAMPLES, SEED, SHARED_SEED


def test_the_bundled_seed_is_byte_identical_to_the_shared_one():
    if not SHARED_SEED.exists():
        pytest.skip(f"{SHARED_SEED} not found (only present on developer machines)")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_every_sample_parses_without_an_error():
    records = list(iter_records([str(SAMPLES)], ParseOptions()))
    errors = [r for r in records if isinstance(r, RecordError)]
    assert errors == []
    assert len(records) >= 13
    assert {r.language for r in records if not isinstance(r, RecordError)} >= {"en", "fr", "ar"}


def _make_samples():
    """Runs the `samples` recipe's own ingest arguments, read from the Makefile."""
    recipe = re.search(r"^samples:.*\n(?:#.*\n)*\t(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert recipe is not None
    words = shlex.split(recipe[1].replace("$(SAMPLES)", str(SAMPLES)))
    args = words[words.index("manage.py") + 1 :]
    assert args[0] == "ingest"
    call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_make_samples_dates_the_seed_when_its_dump_was_taken():
    _make_samples()
    seed = Article.objects.get(title__startswith="In a rare public visit")
    assert seed.published_at == datetime(2017, 6, 14, 10, 0, tzinfo=UTC)
    assert Article.objects.count() >= 13


@pytest.mark.django_db(transaction=True)
def test_the_home_page_after_make_run_lists_every_sample_with_the_seed(client):
    _make_samples()
    html = client.get("/").content.decode()
    listed = re.findall(r'<h3 class="result-title"[^>]*><a [^>]*>(.*?)</a>', html)
    assert len(listed) == Article.objects.count()
    assert "In a rare public visit .. Syrian delegation in Baghdad to discuss border security" in (
        listed
    )
