"""HTML pages: one article per page, the article's text without the page around it."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from datetime import UTC, datetime

import pytest

from articles.ingest import limits, pool, webpage
from tests.factories import (
    NEWS_PARAGRAPHS,
    news_page,
    only_article,
    parse_dump,
    parse_errors,
    parse_options,
    parse_paths,
    parsed_articles,
    write_dump,
)

NAVIGATION_ONLY = """<!DOCTYPE html><html lang="en">
<head><title>Sections - The Coastal Gazette</title></head>
<body><header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></nav></header>
<div id="cookie-banner">We use cookies. <button>Accept all cookies</button></div>
<footer><a href="/privacy">Privacy policy</a> <a href="/terms">Terms</a></footer></body></html>
"""


def test_a_news_page_is_one_article_without_its_boilerplate(tmp_path):
    article = only_article(parse_dump(tmp_path, "bridge.html", news_page()))
    assert article.title == "Harbour bridge reopens after two years of repairs"
    assert article.body == "\n\n".join(NEWS_PARAGRAPHS)
    assert article.published_at == datetime(2021, 3, 4, 8, 30, tzinfo=UTC)
    assert article.source == "The Coastal Gazette"
    assert article.authors == ("Maria Lindqvist",)
    assert article.language == "en"
    assert article.captured_at is None
    for furniture in ("cookies", "Share on", "Related", "Ferry timetable", "Finally!", "©"):
        assert furniture not in article.body


def test_the_headline_is_the_one_the_page_shows_not_the_title_for_search_engines(tmp_path):
    page = news_page().replace(
        "<h1>Harbour bridge reopens after two years of repairs</h1>",
        '<h1 class="logo">The Coastal Gazette</h1>'
        "<h1>Harbour bridge reopens after two years of repairs, at last</h1>",
    )
    assert only_article(parse_dump(tmp_path, "a.html", page)).title == (
        "Harbour bridge reopens after two years of repairs, at last"
    )
    # Without an <h1>, the <title> less the site's name.
    page = news_page().replace("<h1>Harbour bridge reopens after two years of repairs</h1>", "")
    article = only_article(parse_dump(tmp_path, "b.html", page))
    assert article.title == "Harbour bridge reopens after two years of repairs"


def test_a_page_of_navigation_only_is_skipped_with_a_reason(tmp_path):
    records = parse_dump(tmp_path, "sections.html", NAVIGATION_ONLY)
    assert [(str(error), error.kind, error.code) for error in records] == [
        (
            f"{tmp_path / 'sections.html'}: no article text found in the page "
            "(only navigation or boilerplate)",
            "skipped",
            "only-boilerplate",
        )
    ]


def test_the_declared_charset_decodes_the_page(tmp_path):
    paragraphs = [
        "Le pont du port a rouvert jeudi matin, deux ans après sa fermeture par les ingénieurs "
        "qui avaient trouvé de la corrosion dans les câbles d'acier du tablier principal.",
        "Les travaux ont coûté 48 millions d'euros, un tiers de plus que prévu, parce qu'il a "
        "fallu remplacer chaque câble au lieu de la moitié, selon la mairie de la ville.",
        "Les cyclistes attendaient devant la barrière avant l'aube, et les usagers du bac ont "
        "salué la nouvelle après deux années de détours par le port industriel de l'est.",
    ]
    page = news_page("Le pont du port rouvre après deux ans de travaux", paragraphs, lang="fr")
    page = page.replace('charset="utf-8"', 'charset="windows-1252"')
    article = only_article(parse_dump(tmp_path, "pont.htm", page.encode("cp1252")))
    assert article.title == "Le pont du port rouvre après deux ans de travaux"
    assert article.body == "\n\n".join(paragraphs)
    assert article.language == "fr"


def test_pages_are_found_by_content_and_in_archives(tmp_path):
    write_dump(tmp_path, "a-page-without-extension", news_page("Page one is sniffed"))
    write_dump(tmp_path, "b.html.gz", gzip.compress(news_page("Page two is gzipped").encode()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("c/1.html", news_page("Page three is zipped"))
        archive.writestr("c/2.htm", news_page("Page four is zipped too"))
    write_dump(tmp_path, "c.zip", buffer.getvalue())
    records = parse_paths(tmp_path)
    prefix = f"{tmp_path}/"
    assert [(a.origin.removeprefix(prefix), a.title) for a in parsed_articles(records)] == [
        ("a-page-without-extension", "Page one is sniffed"),
        ("b.html.gz", "Page two is gzipped"),
        ("c.zip!c/1.html", "Page three is zipped"),
        ("c.zip!c/2.htm", "Page four is zipped too"),
    ]
    assert parse_errors(records) == []


def test_gzipped_pages_inside_a_tar_archive(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for n in range(2):
            data = gzip.compress(news_page(f"Bridge page {n} of the crawl").encode())
            info = tarfile.TarInfo(f"crawl/{n}.html.gz")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    write_dump(tmp_path, "crawl.tar.gz", buffer.getvalue())
    records = parse_paths(tmp_path)
    assert [(a.origin, a.title) for a in records] == [
        (f"{tmp_path / 'crawl.tar.gz'}!crawl/{n}.html.gz", f"Bridge page {n} of the crawl")
        for n in range(2)
    ]


def test_the_source_option_wins_over_the_site_name(tmp_path):
    article = only_article(parse_dump(tmp_path, "a.html", news_page(), source="Gazette Archive"))
    assert article.source == "Gazette Archive"


def test_a_page_too_large_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_PAGE", 1 << 20)
    huge = news_page().replace("</body>", "<p>" + "word " * 300_000 + "</p></body>")
    records = parse_dump(tmp_path, "huge.html", huge)
    assert [(e.message, e.code) for e in parse_errors(records)] == [
        ("page over the limit of 1 MB: not read", "too-large")
    ]
    assert parsed_articles(records) == []


def test_many_pages_are_extracted_by_worker_processes_in_their_order(tmp_path, monkeypatch):
    monkeypatch.setattr(pool, "INLINE_PAGES", 2)
    titles = [f"Harbour bridge news number {n} of the week" for n in range(12)]
    for n, title in enumerate(titles):
        write_dump(tmp_path, f"{n:02d}.html", news_page(title))
    write_dump(tmp_path, "05b.html", NAVIGATION_ONLY)
    records = parse_paths(tmp_path)
    assert [getattr(r, "title", r.__class__.__name__) for r in records] == [
        *titles[:6],
        "RecordError",
        *titles[6:],
    ]
    assert {a.body for a in parsed_articles(records)} == {"\n\n".join(NEWS_PARAGRAPHS)}


@pytest.mark.parametrize("workers", [1, 2])
def test_the_pool_gives_the_same_records_as_extracting_here(tmp_path, workers):
    from articles.ingest.dates import DateContext

    ctx = DateContext(datetime(2024, 1, 1, tzinfo=UTC), UTC)
    options = parse_options()
    jobs = [
        webpage.PageJob(news_page(f"Story {n} about the bridge").encode(), f"p{n}", ctx)
        for n in range(pool.INLINE_PAGES + 3)
    ]
    pages = pool.PagePool(options, workers=workers)
    resolved = list(pool.in_order([pages.submit(job) for job in jobs], pages))
    assert resolved == [webpage.parse_page(job, options) for job in jobs]


@pytest.mark.corpora
def test_the_real_pages_keep_their_benchmark_score(corpora):
    from bench.extraction import page_counts, page_id, scores

    folder = corpora / "article-extraction"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    records = parse_paths(folder / "html")
    bodies = {page_id(article.origin): article.body for article in parsed_articles(records)}
    counts = [page_counts(page["articleBody"], bodies.get(key, "")) for key, page in truth.items()]
    precision, recall, f1 = scores(counts)
    assert len(bodies) == len(truth) == 181
    assert f1 >= 0.95, (precision, recall, f1)


def test_xhtml_with_an_xml_declaration_is_a_page_too(tmp_path):
    page = '<?xml version="1.0" encoding="utf-8"?>\n' + news_page().replace("<!DOCTYPE html>\n", "")
    article = only_article(parse_dump(tmp_path, "story", page))
    assert article.title == "Harbour bridge reopens after two years of repairs"


def test_pages_from_workers_and_drafts_waiting_for_the_date_order_all_come_out(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(pool, "INLINE_PAGES", 0)  # every page goes to a worker process
    draft = {"title": "Waiting for its order", "body": "A short body.", "date": "04-06-2019"}
    write_dump(tmp_path, "a/first.jsonl", json.dumps(draft) + "\n")
    titles = [f"Harbour bridge news number {n} of the week" for n in range(3)]
    for n, title in enumerate(titles):
        write_dump(tmp_path, f"b/{n}.html", news_page(title))
    proof = {"title": "The proof", "body": "Another body.", "date": "12-25-2018"}
    write_dump(tmp_path, "c/last.jsonl", json.dumps(proof) + "\n")
    records = parse_paths(tmp_path, tag_from_folder=True)
    # The pages pass the draft held until the last file proves the order (month first).
    assert [getattr(r, "title", getattr(r, "code", None)) for r in records] == [
        *titles,
        "date-order",
        "Waiting for its order",
        "The proof",
    ]
    articles = parsed_articles(records)
    assert [a.tags for a in articles] == [("b",)] * 3 + [("a",), ("c",)]
    assert articles[3].published_at == datetime(2019, 4, 6, tzinfo=UTC)
