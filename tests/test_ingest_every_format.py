"""`manage.py ingest` of a folder holding one file of every format: what PostgreSQL stores."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.models import Article, ImportRun
from tests.factories import news_page, warc_bytes, write_dump
from tests.test_ingest_feed import RSS
from tests.test_ingest_mail import HTML_MAIL, MBOX
from tests.test_ingest_sgml import SGML

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_folder_of_every_format_stores_the_right_articles(tmp_path):
    crawl = warc_bytes(
        [
            (
                "https://gazette.example.com/ferry",
                "200 OK",
                "text/html",
                news_page("Ferry service resumes after the storm").encode(),
            ),
            ("https://gazette.example.com/logo.png", "200 OK", "image/png", b"\x89PNG\r\n"),
        ],
        gzip=True,
    )
    write_dump(tmp_path, "page.html", news_page())
    write_dump(tmp_path, "crawl.warc.gz", crawl)
    write_dump(tmp_path, "gazette.rss", RSS)
    write_dump(tmp_path, "news.mbox", MBOX)
    write_dump(tmp_path, "pont.eml", HTML_MAIL)
    write_dump(tmp_path, "reut2-000.sgm", SGML)
    # What the importer does not understand: one line each, never an article.
    write_dump(tmp_path, "sitemap.xml", '<?xml version="1.0"?>\n<urlset><url/></urlset>\n')
    write_dump(tmp_path, "slides.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 8)
    write_dump(tmp_path, "z-broken.warc.gz", gzip.compress(b"just some text\n" * 20))
    write_dump(tmp_path, "z-binary.txt", bytes(range(256)) * 16)

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("ingest", str(tmp_path), stdout=out, stderr=err)
    assert raised.value.returncode == 1
    assert (
        "created 7, duplicates 0, failed 4" in out.getvalue()
        and "; 1 warning (1 not-html); 2 skipped (2 no-text)" in out.getvalue()
    )
    assert sorted(line.removeprefix(f"{tmp_path}/") for line in err.getvalue().splitlines()) == [
        "crawl.warc.gz: warning: non-HTML responses skipped: 1 (image/png 1)",
        "gazette.rss#2: skipped: entry 'Ferry timetable changes' has no text "
        "(the feed carries only titles and links)",
        "reut2-000.sgm#NEWID=2:24: skipped: no BODY: the story is a headline only",
        "sitemap.xml: XML is not an RSS or Atom feed (not an article dump)",
        "slides.pdf: unsupported file type .pdf (not an article dump)",
        "z-binary.txt: binary file, not text",
        "z-broken.warc.gz: not a readable WARC file: "
        "Unknown archive format, first line: ['just', 'some', 'text']",
    ]

    stored = sorted(
        (
            (
                a.title,
                a.source.name if a.source else None,
                a.url,
                a.published_at,
                sorted(a.tags.values_list("name", flat=True)),
            )
            for a in Article.objects.select_related("source")
        ),
        key=repr,
    )
    bridge = datetime(2021, 3, 4, 8, 30, tzinfo=UTC)
    gazette = "The Coastal Gazette"
    expected = [
        ("A message that has no subject line.", None, None,
         datetime(2021, 3, 5, 10, 0, tzinfo=UTC), []),
        ("BAHIA COCOA REVIEW", "Reuters", None, datetime(1987, 2, 26, 15, 1, 1, tzinfo=UTC),
         ["cocoa", "el-salvador", "uruguay", "usa"]),
        ("Ferry service resumes after the storm", gazette, "https://gazette.example.com/ferry",
         bridge, []),
        ("Harbour bridge reopens", None, None, bridge,
         ["coastal-news", "local.news", "local.transport"]),
        ("Harbour bridge reopens", gazette, "https://gazette.example.com/news/bridge", bridge,
         ["City", "Transport"]),
        ("Harbour bridge reopens after two years of repairs", gazette, None, bridge, []),
        ("Le pont rouvre après deux ans", None, None, bridge, []),
    ]  # fmt: skip
    assert stored == sorted(expected, key=repr)
    run = ImportRun.objects.get()
    assert run.failed == 4
    assert sorted((e["kind"], e["code"]) for e in run.errors) == [
        ("error", "binary"),
        ("error", "unreadable"),
        ("error", "unsupported"),
        ("error", "unsupported"),
    ]
    assert {
        (kind, code, entry["count"])
        for kind, codes in run.report.items()
        for code, entry in codes.items()
    } == {("skipped", "no-text", 2), ("warning", "not-html", 1)}
