"""The bundled samples: the seed is the canonical one, and every sample imports cleanly."""

from __future__ import annotations

import io
import re
import shlex
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from articles.ingest import ParseOptions, RecordError, iter_records
from articles.models import Article, ArticleAuthor, Author, ImportRun, Source, Tag
from tests.conftest import ROOT, SAMPLES, SEED, SHARED_SEED
from tests.factories import make_article, make_source, make_tag


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


def _make_samples() -> str:
    """Runs the `samples` recipe's own command, read from the Makefile."""
    recipe = re.search(r"^samples:.*\n(?:#.*\n)*\t(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert recipe is not None
    words = shlex.split(recipe[1])
    args = words[words.index("manage.py") + 1 :]
    assert args == ["samples"]
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


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


@pytest.mark.django_db(transaction=True)
def test_samples_go_only_into_an_empty_archive_and_a_second_run_records_nothing():
    out = _make_samples()
    assert re.match(r"Import #\d+: imported \d+ sample articles", out)
    count, runs = Article.objects.count(), ImportRun.objects.count()
    assert runs == 1
    out = _make_samples()
    assert out.strip() == f"The archive already holds {count:,} articles: samples not imported."
    assert (Article.objects.count(), ImportRun.objects.count()) == (count, runs)


@pytest.mark.django_db(transaction=True)
def test_an_archive_with_articles_gets_no_samples():
    make_article("Our own article")
    out = _make_samples()
    assert "already holds 1 articles" in out
    assert Article.objects.count() == 1
    assert not ImportRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_samples_remove_takes_out_the_samples_and_what_only_they_used(client):
    _make_samples()
    sample_sources = set(Source.objects.values_list("name", flat=True))
    assert "The Northern Ledger" in sample_sources
    # A curator's own article, of a source and tag the samples also use, stays.
    kept = make_article(
        "Our own article", source=Source.objects.get(name="The Northern Ledger"), tags=["ours"]
    )
    make_tag("unused")
    make_source("Unused source")
    # ...and so does a sample author the curator's article names.
    assert Author.objects.count() > 1
    shared = Author.objects.order_by("name").first()
    ArticleAuthor.objects.create(article=kept, author=shared, position=0)
    out = io.StringIO()
    call_command("samples", "--remove", stdout=out)
    assert re.fullmatch(r"Removed \d+ sample articles\.\n", out.getvalue())
    assert list(Article.objects.all()) == [kept]
    assert set(Source.objects.values_list("name", flat=True)) == {
        "The Northern Ledger",
        "Unused source",
    }
    assert set(Tag.objects.values_list("name", flat=True)) == {"ours", "unused"}
    assert list(Author.objects.all()) == [shared]
    # Gone from the public pages and the search index too.
    html = client.get("/search/?q=harbour").content.decode()
    assert "No articles match" in html
    out = io.StringIO()
    call_command("samples", "--remove", stdout=out)
    assert out.getvalue() == "No sample articles to remove.\n"
