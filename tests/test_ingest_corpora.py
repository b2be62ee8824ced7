"""The parser on the real dumps in ../shared/corpora (skipped where that folder is absent)."""

from __future__ import annotations

import collections
import hashlib
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from articles.ingest.outlets import outlet_key
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


# -- faithful text, every article once, one key per outlet ---------------------------------------

RESIDUE = re.compile(r"&[a-z]+;|&#\d+;|Ã.")


def _residue(articles) -> list[str]:
    return [a.origin for a in articles if RESIDUE.search(a.title) or RESIDUE.search(a.body)]


def test_bbc_every_file_once_tagged_by_its_folder_with_no_residue(corpora: Path):
    found = parsed_articles(parse_paths(corpora / "bbc", tag_from_folder=True))
    assert len(found) == len({a.origin for a in found}) == 2225
    assert {a.tags for a in found} == {
        (c,) for c in ("business", "entertainment", "politics", "sport", "tech")
    }
    assert all(a.tags == (Path(a.origin).parent.name,) for a in found)
    # The 98 pairs of byte-identical files give 98 pairs of identical articles.
    by_bytes = collections.defaultdict(list)
    for path in (corpora / "bbc").rglob("*.txt"):
        if path.parent != corpora / "bbc":
            by_bytes[hashlib.sha256(path.read_bytes()).hexdigest()].append(str(path))
    pairs = [paths for paths in by_bytes.values() if len(paths) == 2]
    assert len(pairs) == 98
    by_origin = {a.origin: (a.title, a.body) for a in found}
    assert all(by_origin[a] == by_origin[b] for a, b in pairs)
    assert _residue(found) == []


def test_newsplease_distinct_articles_and_one_outlet_key_per_outlet(corpora: Path):
    records = parse_paths(corpora / "newsplease")
    found = parsed_articles(records)
    distinct = {a.canonical_url or a.origin for a in found}
    assert 450 <= len(distinct) <= 650  # about 570 in 1,100 files
    assert _residue(found) == []
    # The raw records' outlet names (source_domain, or publisher short names) each get one
    # key, the key their URLs give.
    keys: dict[str, set[str | None]] = collections.defaultdict(set)
    for path in (corpora / "newsplease").rglob("*.json"):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        name = record.get("source_domain") or record.get("publisher")
        if name and record.get("url"):
            keys[name].add(outlet_key(name))
            keys[name].add(outlet_key(url=record["url"]))
    assert len(keys) > 100
    assert {name: k for name, k in keys.items() if len(k) != 1 or None in k} == {}
    assert keys["dailymail"] == keys["www.dailymail.co.uk"] == {"dailymail"}
    assert keys["nytimes"] == keys["www.nytimes.com"] == {"nytimes"}
    assert keys["bbc"] == keys["www.bbc.com"] == {"bbc"}
    assert all(a.outlet_key for a in found if a.url)


def test_saudinewsnet_every_record_once_with_no_residue(corpora: Path):
    days = sorted((corpora / "saudinewsnet").glob("*.zip"))
    assert len(days) == 9
    records = parse_paths(*days)
    found = parsed_articles(records)
    skipped = [r for r in parse_errors(records) if r.kind == "skipped"]
    assert {r.code for r in skipped} <= {"no-text"}
    assert [r for r in parse_errors(records) if r.kind == "error"] == []
    total = 0
    for day in days:
        with zipfile.ZipFile(day) as archive:
            for name in archive.namelist():
                total += len(json.loads(archive.read(name)))
    assert len(found) + len(skipped) == total
    assert 15_000 <= len(found) <= 17_000  # 16,111 with text, of about 17,000 records
    assert len({(a.origin, a.line) for a in found}) == len(found)
    assert _residue(found) == []
    # Before repair, 178 titles carried '&quot;'; now they hold the quotation marks.
    assert sum('"' in a.title for a in found) >= 178
    assert all(a.published_at is None and a.captured_at for a in found)
