"""One source per outlet: a dump's domains, subdomains and publisher short names of one
outlet meet in one source, the other spellings recorded as its aliases; curated names and
aliases still decide."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from django.core.management import CommandError

from articles.ingest.outlets import outlet_key
from articles.models import Article, Source, SourceAlias
from tests.factories import ingest, make_source

pytestmark = pytest.mark.django_db(transaction=True)

RECORDS = [
    ("news.bbc.co.uk", "http://news.bbc.co.uk/1/hi/world/4123.stm"),
    ("bbc.co.uk", "https://www.bbc.co.uk/news/world-1"),
    ("www.bbc.com", "https://www.bbc.com/news/world-2"),
    ("bbc", "https://www.bbc.com/news/world-3"),
    ("BBC News", "https://www.bbc.co.uk/news/world-4"),
    ("nytimes", "https://www.nytimes.com/2017/01/02/world/a.html"),
    ("www.nytimes.com", "https://www.nytimes.com/2017/01/03/world/b.html"),
    # A portal's copy of an agency's story is still the agency's.
    ("Reuters", "https://news.yahoo.com/ship-sinks-1.html"),
    ("news.yahoo.com", "https://news.yahoo.com/market-closes-2.html"),
]


def dump(path: Path, records: list[tuple[str, str]], start: int = 0) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for n, (source, url) in enumerate(records, start):
            record = {"title": f"Story {n}", "text": f"Body of story {n}.", "source": source}
            f.write(json.dumps(record | {"url": url}) + "\n")
    return path


def aliases(source: Source) -> list[str]:
    return sorted(source.aliases.values_list("name", flat=True))


@pytest.mark.parametrize("batch_size", ["1000", "1"])
def test_every_spelling_of_an_outlet_meets_in_one_source(tmp_path, batch_size):
    ingest(str(dump(tmp_path / "d.jsonl", RECORDS)), "--batch-size", batch_size)

    assert Source.objects.count() == 4
    bbc = Source.objects.get(outlet_key="bbc")
    assert bbc.articles.count() == 5
    spellings = {bbc.name, *aliases(bbc)}
    assert spellings == {"news.bbc.co.uk", "bbc.co.uk", "bbc.com", "bbc", "BBC News"}
    nytimes = Source.objects.get(outlet_key="nytimes")
    assert {nytimes.name, *aliases(nytimes)} == {"nytimes", "nytimes.com"}
    assert Source.objects.get(name="Reuters").articles.count() == 1
    assert Source.objects.get(name="news.yahoo.com").articles.count() == 1


def test_a_later_dump_files_a_new_spelling_under_the_stored_source(tmp_path):
    ingest(str(dump(tmp_path / "a.jsonl", RECORDS[:1])))
    ingest(str(dump(tmp_path / "b.jsonl", RECORDS[1:5], start=1)))

    source = Source.objects.get()
    assert source.name == "news.bbc.co.uk"
    assert aliases(source) == ["BBC News", "bbc", "bbc.co.uk", "bbc.com"]
    assert Article.objects.filter(source=source).count() == 5


def test_curated_sources_and_aliases_still_win(tmp_path):
    bbc = make_source("British Broadcasting Corporation", domain="bbc.co.uk")
    SourceAlias.objects.create(source=bbc, name="BBC News")
    mine = make_source("Beeb Watch")
    SourceAlias.objects.create(source=mine, name="bbc")  # a curator's own decision

    ingest(str(dump(tmp_path / "d.jsonl", RECORDS[:5])))

    assert Article.objects.get(title="Story 3").source == mine
    assert set(Article.objects.exclude(title="Story 3").values_list("source", flat=True)) == {
        bbc.pk
    }
    assert Source.objects.count() == 2
    assert aliases(bbc) == ["BBC News", "bbc.com", "news.bbc.co.uk"]


def test_newsplease_corpus_gives_one_source_per_outlet(corpora):
    folder = corpora / "newsplease"
    with pytest.raises(CommandError, match="1 record failed"):  # a broken file in the set
        ingest(str(folder))
    assert Article.objects.count() > 400

    by_key: dict[str, set[int]] = defaultdict(set)
    for article in Article.objects.select_related("source").exclude(source=None):
        assert article.source is not None
        by_key[outlet_key(article.source.name) or ""].add(article.source.pk)
        for alias in article.source.aliases.all():
            by_key[outlet_key(alias.name) or ""].add(article.source.pk)
    assert len(by_key) > 50
    assert {key: ids for key, ids in by_key.items() if len(ids) != 1} == {}
    for key in ("bbc", "nytimes", "dailymail"):
        source = Source.objects.get(outlet_key=key)
        assert source.aliases.exists(), key
