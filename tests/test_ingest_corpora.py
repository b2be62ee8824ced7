"""The parser on the real dumps in ../shared/corpora (skipped where that folder is absent)."""

from __future__ import annotations

import collections
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.factories import parse_errors, parse_paths, parsed_articles

pytestmark = pytest.mark.corpora


def test_bbc_every_article_parses_with_nothing_failed(corpora: Path):
    records = parse_paths(corpora / "bbc")
    assert parse_errors(records) == []  # .DS_Store and README.TXT skipped, not failed
    found = parsed_articles(records)
    assert len(found) == 2225
    assert all(a.published_at is None and a.url is None for a in found)  # none invented
    assert collections.Counter(a.language for a in found) == {"en": 2225}
    assert all(a.title and a.body and "\n\n\n" not in a.body for a in found)
    # No dateline or outlet-like lead in these stories: no source is made up.
    assert {a.source for a in found} == {None}


def test_bbc_latin1_file_decodes_right(corpora: Path):
    [article] = parse_paths(corpora / "bbc" / "sport" / "199.txt")
    assert article.title == "Chelsea sack Mutu"
    assert "a £15.8m signing from Parma" in article.body
    assert "\ufffd" not in article.body


def test_bbc_first_business_article(corpora: Path):
    [article] = parse_paths(corpora / "bbc" / "business" / "001.txt")
    assert article.title == "Ad sales boost Time Warner profit"
    assert article.body.startswith("Quarterly profits at US media giant TimeWarner jumped 76%")
    assert article.body.count("\n\n") >= 4


def test_newsplease_all_files(corpora: Path):
    records = parse_paths(corpora / "newsplease")
    found = parsed_articles(records)
    problems = parse_errors(records)
    assert len(found) + len(problems) >= 1100  # one record per .json file, none lost
    by_name = {Path(e.origin).name: e.message for e in problems}
    # The two 0-byte files are reported, not crashed on.
    assert by_name["1560c1741eebf6dee0a84ff4b3f5af98b5c67ca43d745db377089bd6.json"] == "empty file"
    assert by_name["8f530c865f0f4a17ffeea55c6d44ec9392c7ad3b10c0e473fa15dfc8.json"] == "empty file"
    assert by_name["sampling.json"].startswith("not an article")
    # Everything else that failed is a crawl record with no text at all.
    others = [m for n, m in by_name.items() if n.endswith(".json") and len(n) > 50]
    assert set(others) == {"empty file", "no body text"}
    assert len(found) > 1000
    assert sum(1 for a in found if a.published_at) > 950
    assert {a.language for a in found} <= {"en", "de", ""}
    assert all("www." not in (a.source or "") for a in found)


def test_newsplease_text_field_record(corpora: Path):
    folder = corpora / "newsplease" / "40er" / "data"
    path = folder / "0302058689a7d4ed34fcc2e78c4addbcf35932b4df5d16c44869da0d.json"
    [article] = parse_paths(path)
    assert article.title.startswith("Germany")
    assert article.published_at == datetime(2017, 12, 30, tzinfo=UTC)
    assert article.source == "dw.com"
    assert article.language == "en"
    assert "Www.Dw.Com" not in article.authors and "Author" not in article.authors
    assert "Carsten Grün" in article.authors


def test_newsplease_record_without_date_key(corpora: Path):
    folder = corpora / "newsplease" / "bbc" / "data" / "nodate"
    records = parse_paths(folder)
    assert parse_errors(records) == []
    assert all(a.published_at is None for a in parsed_articles(records))


def test_saudinewsnet_zip_is_streamed_arabic_with_extraction_dates(corpora: Path):
    path = corpora / "saudinewsnet" / "2015-07-21.zip"
    records = parse_paths(path)
    found = parsed_articles(records)
    assert len(found) + len(parse_errors(records)) == 2972  # every array item accounted for
    assert len(found) > 2800
    assert all(a.origin == f"{path}!2015-07-21.json" and a.line for a in found)
    assert all(
        (m.message, m.kind, m.code) == ("no body text", "skipped", "no-text")
        for m in parse_errors(records)
    )
    languages = collections.Counter(a.language for a in found)
    assert languages["ar"] > len(found) * 0.98
    first = found[0]
    assert first.source == "aawsat"
    assert first.title.startswith("بريطانيا: أربعة محاور")
    # date_extracted is when the crawler fetched the page, not when it was published.
    assert first.captured_at == datetime(2015, 7, 21, 2, 51, 32, tzinfo=UTC)
    assert all(a.published_at is None and a.captured_at for a in found)
    assert first.url.startswith("http://aawsat.com/home/article/410826/")
    assert first.authors == ("لندن: رنيم حنوش",)
    # Bodies that start with whitespace in the dump start with text here.
    assert all(a.body == a.body.strip() for a in found)
