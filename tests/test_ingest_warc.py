"""WARC crawls: every HTML page fetched is an article; the rest is counted, never imported."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

from articles.ingest import limits
from tests.factories import (
    NEWS_PARAGRAPHS,
    news_page,
    only_article,
    parse_dump,
    parse_errors,
    parse_paths,
    parsed_articles,
    warc_bytes,
    write_dump,
)

BRIDGE = "https://gazette.example.com/news/bridge"
CAPTURED = datetime(2023, 5, 6, 7, 8, 9, tzinfo=UTC)


def page(title: str = "Harbour bridge reopens after two years of repairs") -> bytes:
    return news_page(title).encode()


def test_each_html_page_of_a_crawl_is_an_article_with_its_url_and_capture_date(tmp_path):
    data = warc_bytes(
        [
            (BRIDGE, "200 OK", "text/html; charset=utf-8", page()),
            ("https://gazette.example.com/logo.png", "200 OK", "image/png", b"\x89PNG\r\n"),
            ("https://gazette.example.com/app.js", "200 OK", "application/javascript", b"x=1"),
            ("https://gazette.example.com/gone", "404 Not Found", "text/html", b"<html></html>"),
        ],
        gzip=True,
    )
    article, note = parse_dump(tmp_path, "crawl.warc.gz", data)
    assert article.title == "Harbour bridge reopens after two years of repairs"
    assert article.body == "\n\n".join(NEWS_PARAGRAPHS)
    assert article.url == BRIDGE
    assert article.captured_at == CAPTURED
    assert article.published_at == datetime(2021, 3, 4, 8, 30, tzinfo=UTC)
    assert article.origin == f"{tmp_path / 'crawl.warc.gz'}!{BRIDGE}"
    assert article.warnings == ()
    # What the crawl held besides pages: one warning at its end, counted by its code.
    assert (note.origin, note.kind, note.code, note.message) == (
        str(tmp_path / "crawl.warc.gz"),
        "warning",
        "not-html",
        "non-HTML responses skipped: 3 (image/png 1, application/javascript 1, HTTP 404 1)",
    )


def test_pages_come_out_in_crawl_order_from_a_plain_warc(tmp_path):
    data = warc_bytes(
        [(f"{BRIDGE}/{n}", "200 OK", "text/html", page(f"Bridge story {n}")) for n in range(3)]
    )
    records = parse_dump(tmp_path, "crawl.warc", data)
    assert [(a.url, a.title) for a in records] == [
        (f"{BRIDGE}/{n}", f"Bridge story {n}") for n in range(3)
    ]


def test_a_warc_is_recognised_by_its_content(tmp_path):
    data = warc_bytes([(BRIDGE, "200 OK", "text/html", page())])
    article = only_article(parse_dump(tmp_path, "crawl-2023.dat", data))
    assert article.url == BRIDGE


def test_a_truncated_warc_keeps_the_pages_before_the_cut(tmp_path):
    data = warc_bytes(
        [(f"{BRIDGE}/{n}", "200 OK", "text/html", page(f"Bridge story {n}")) for n in range(2)]
    )
    records = parse_dump(tmp_path, "cut.warc", data[:-800])
    assert [a.title for a in parsed_articles(records)] == ["Bridge story 0"]
    assert [(str(e), e.code) for e in parse_errors(records)] == [
        (
            f"{tmp_path / 'cut.warc'}!{BRIDGE}/1: record cut short (the WARC file ends inside it)",
            "damaged",
        )
    ]


def test_a_truncated_warc_gz_keeps_the_pages_before_the_cut(tmp_path):
    data = warc_bytes(
        [(f"{BRIDGE}/{n}", "200 OK", "text/html", page(f"Bridge story {n}")) for n in range(2)],
        gzip=True,
    )
    records = parse_dump(tmp_path, "cut.warc.gz", data[:-300])
    assert [a.title for a in parsed_articles(records)] == ["Bridge story 0"]
    # Decompressed like any .gz: the damage is named once, not the cut record it explains.
    [error] = parse_errors(records)
    assert (error.origin, error.code) == (str(tmp_path / "cut.warc.gz"), "damaged")
    assert error.message.startswith("truncated gzip data: the file ends at byte ")


def test_a_warc_gz_that_is_not_a_warc_is_one_line_and_no_article(tmp_path):
    records = parse_dump(tmp_path, "crawl.warc.gz", gzip.compress(b"just some text\n" * 50))
    assert [(str(e), e.code) for e in records] == [
        (
            f"{tmp_path / 'crawl.warc.gz'}: not a readable WARC file: "
            "Unknown archive format, first line: ['just', 'some', 'text']",
            "unreadable",
        )
    ]


def test_a_crawl_without_html_pages_says_what_it_held(tmp_path):
    data = warc_bytes([("https://gazette.example.com/a.css", "200 OK", "text/css", b"p{}")])
    records = parse_dump(tmp_path, "assets.warc", data)
    assert [(e.message, e.kind, e.code) for e in records] == [
        (
            "no HTML pages (HTTP 200, text/html) found: non-HTML responses skipped: 1 (text/css 1)",
            "error",
            "no-articles",
        )
    ]


def test_a_page_over_the_size_cap_is_skipped_and_the_crawl_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_PAGE", 1 << 20)
    huge = news_page("Huge").replace("</body>", "<p>" + "word " * 300_000 + "</p></body>")
    data = warc_bytes(
        [
            (f"{BRIDGE}/huge", "200 OK", "text/html", huge.encode()),
            (f"{BRIDGE}/next", "200 OK", "text/html", page("The next story")),
        ]
    )
    records = parse_dump(tmp_path, "big.warc", data)
    assert [(str(r), r.code) if not hasattr(r, "title") else r.title for r in records] == [
        (
            f"{tmp_path / 'big.warc'}!{BRIDGE}/huge: page over the limit of 1 MB: not read",
            "too-large",
        ),
        "The next story",
    ]


def test_errors_after_the_last_page_keep_their_order(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_PAGE", 1 << 20)
    huge = news_page("Huge").replace("</body>", "<p>" + "word " * 300_000 + "</p></body>")
    data = warc_bytes(
        [(f"{BRIDGE}/first", "200 OK", "text/html", page("The first story"))]
        + [(f"{BRIDGE}/huge{n}", "200 OK", "text/html", huge.encode()) for n in range(3)]
    )
    records = parse_dump(tmp_path, "big.warc", data)
    assert [r.title if hasattr(r, "title") else r.origin.rsplit("/", 1)[1] for r in records] == [
        "The first story",
        "huge0",
        "huge1",
        "huge2",
    ]


def arc_bytes(url: str, payload: bytes) -> bytes:
    """An ARC file (the Internet Archive's format before WARC) holding one HTTP response."""
    version = b"1 0 Test Capture\nURL IP-address Archive-date Content-type Archive-length\n"
    head = f"filedesc://test.arc 0.0.0.0 20140216050221 text/plain {len(version)}\n".encode()
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + payload
    record = f"{url} 93.184.216.119 20140216050221 text/html {len(http)}\n".encode() + http
    return head + version + b"\n" + record + b"\n"


def test_an_arc_file_is_read_like_a_warc(tmp_path):
    article = only_article(parse_dump(tmp_path, "old-crawl.arc", arc_bytes(BRIDGE, page())))
    assert article.title == "Harbour bridge reopens after two years of repairs"
    assert article.url == BRIDGE
    assert article.captured_at == datetime(2014, 2, 16, 5, 2, 21, tzinfo=UTC)


def test_a_warc_gzipped_whole_rather_than_record_by_record(tmp_path):
    data = gzip.compress(warc_bytes([(BRIDGE, "200 OK", "text/html", page())]))
    article = only_article(parse_dump(tmp_path, "crawl.warc.gz", data))
    assert article.url == BRIDGE


def test_a_warc_date_no_article_can_have_is_a_warning_not_a_capture_date(tmp_path):
    data = warc_bytes([(BRIDGE, "200 OK", "text/html", page())], captured="9999-12-31T00:00:00Z")
    article = only_article(parse_dump(tmp_path, "crawl.warc", data))
    assert article.captured_at is None
    assert article.published_at == datetime(2021, 3, 4, 8, 30, tzinfo=UTC)
    [warning] = article.warnings
    assert (warning.kind, warning.code) == ("warning", "date-out-of-range")
    assert warning.message.startswith("capture date '9999-12-31T00:00:00Z' is outside 1800-")


def test_pages_of_a_crawl_take_the_folder_tag_and_the_checks_of_every_format(tmp_path):
    page_html = news_page(author="Staff").replace(
        "<p>The harbour",
        "<p>He said &amp;quot;at last&amp;quot;, caf\u00c3\u00a9 owners cheered. The harbour",
    )
    data = warc_bytes([(BRIDGE + "?utm_source=feed", "200 OK", "text/html", page_html.encode())])
    write_dump(tmp_path, "harbour/crawl.warc", data)
    article = only_article(parse_paths(tmp_path, tag_from_folder=True))
    assert article.tags == ("harbour",)
    # Entities escaped twice and mojibake are repaired, as in every other format.
    assert article.body.startswith('He said "at last", café owners cheered. The harbour')
    assert article.canonical_url == BRIDGE
    assert article.outlet_key == "example"
    # A page's furniture is no author; the dropped name is a warning with its code.
    assert article.authors == ()
    assert [w.code for w in article.warnings] == ["author-dropped"]
