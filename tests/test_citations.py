"""Citing an article (APA, MLA, Chicago, BibTeX, RIS), its machine-readable descriptions
(citation_* and Dublin Core meta tags, schema.org JSON-LD, a canonical link), and how
browsers and crawlers find the archive (OpenSearch, sitemaps, robots.txt)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from xml.etree import ElementTree

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.citations import apa, bibtex, chicago, citable, json_ld, mla, ris
from articles.discovery import IdRangePaginator
from articles.models import Article
from tests.factories import make_article, make_source

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield


@pytest.fixture
def article(db):
    return make_article(
        "Comet seen over the city",
        "A bright comet.",
        source=make_source("Herald"),
        tags=["Space"],
        published_at=datetime(2020, 3, 14, 21, tzinfo=UTC),
        url="https://herald.example/comet",
    )


def test_the_three_styles(article):
    c = citable(article, "https://archive.example/articles/1/comet/", date(2026, 5, 2))
    assert str(apa(c)) == (
        "Comet seen over the city. (2020, March 14). <i>Herald</i>. https://herald.example/comet"
    )
    assert str(mla(c)) == (
        "“Comet seen over the city.” <i>Herald</i>, 14 Mar. 2020, https://herald.example/comet. "
        "Accessed 2 May 2026."
    )
    assert str(chicago(c)) == (
        "“Comet seen over the city.” <i>Herald</i>, March 14, 2020. https://herald.example/comet."
    )


def test_an_undated_sourceless_article_without_a_url_cites_the_archive_page(db):
    bare = make_article("What? A question", "Text.")
    c = citable(bare, "https://archive.example/articles/9/what/", date(2026, 5, 2))
    assert str(apa(c)) == "What? A question. (n.d.). https://archive.example/articles/9/what/"
    assert str(chicago(c)) == "“What? A question.” n.d. https://archive.example/articles/9/what/."
    asked = make_article("Is it over?", "Text.")
    c = citable(asked, "https://archive.example/articles/10/over/", date(2026, 5, 2))
    assert str(mla(c)).startswith("“Is it over?” https://archive.example/")


def test_hostile_text_is_escaped_in_html_bibtex_and_json_ld(db):
    evil = make_article(
        "</script><b>50% & {braces}</b>", "x", source=make_source("A_B & Co"), language="en"
    )
    c = citable(evil, "https://archive.example/articles/2/x/", date(2026, 1, 1))
    assert "<b>" not in str(apa(c)) and "&lt;/script&gt;&lt;b&gt;" in str(apa(c))
    record = bibtex(c)
    assert r"title = {{</script><b>50\% \& \{braces\}</b>}}" in record
    assert r"journal = {A\_B \& Co}" in record
    data = str(json_ld(c))
    assert "</script>" not in data and "<" not in data
    assert json.loads(data)["headline"] == "</script><b>50% & {braces}</b>"


def test_ris_record(article):
    c = citable(article, "https://archive.example/a/", date(2026, 5, 2), ("Space",))
    assert ris(c).split("\r\n") == [
        "TY  - NEWS",
        "TI  - Comet seen over the city",
        "T2  - Herald",
        "PY  - 2020",
        "DA  - 2020/03/14",
        "UR  - https://herald.example/comet",
        "Y2  - 2026/05/02",
        "LA  - en",
        "KW  - Space",
        "N1  - Newsarchive: https://archive.example/a/",
        "ER  - ",
        "",
    ]


def test_the_article_page_has_the_cite_block_meta_tags_json_ld_and_canonical_link(client, article):
    html = client.get(article.get_absolute_url()).content.decode()
    page = "http://testserver" + article.get_absolute_url()
    assert f'<link rel="canonical" href="{page}">' in html
    assert '<meta name="citation_title" content="Comet seen over the city">' in html
    assert '<meta name="citation_publication_date" content="2020/03/14">' in html
    assert '<meta name="citation_journal_title" content="Herald">' in html
    assert '<meta name="DC.date" content="2020-03-14">' in html
    assert '<meta name="DC.source" content="https://herald.example/comet">' in html
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(block[1])
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Comet seen over the city"
    assert data["datePublished"] == "2020-03-14T21:00:00+00:00"
    assert data["publisher"] == {"@type": "Organization", "name": "Herald"}
    assert data["keywords"] == ["Space"]
    assert '<h2 id="cite-title">Cite this article</h2>' in html
    assert "<dt>APA</dt>" in html and "<dt>MLA</dt>" in html and "<dt>Chicago</dt>" in html
    assert f'href="/articles/{article.pk}/cite.bib"' in html


def test_bibtex_and_ris_downloads(client, article):
    response = client.get(f"/articles/{article.pk}/cite.bib")
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="newsarchive-{article.pk}.bib"'
    )
    text = response.content.decode()
    assert text.startswith(f"@article{{newsarchive{article.pk},\n")
    assert "  month = mar,\n" in text
    response = client.get(f"/articles/{article.pk}/cite.ris")
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert response.content.startswith(b"TY  - NEWS\r\n")
    assert client.get(f"/articles/{article.pk}/cite.pdf").status_code == 404
    Article.objects.filter(pk=article.pk).update(is_hidden=True)
    assert client.get(f"/articles/{article.pk}/cite.bib").status_code == 404


def test_every_page_links_the_opensearch_description(client, article):
    for path in ("/", "/search/?q=comet", article.get_absolute_url(), "/archive/", "/nope/"):
        html = client.get(path).content.decode()
        assert (
            '<link rel="search" type="application/opensearchdescription+xml" '
            'title="Newsarchive" href="/opensearch.xml">'
        ) in html, path
    response = client.get("/opensearch.xml")
    assert response["Content-Type"].startswith("application/opensearchdescription+xml")
    root = ElementTree.fromstring(response.content)
    templates = [u.get("template") for u in root.iter("{http://a9.com/-/spec/opensearch/1.1/}Url")]
    assert "http://testserver/search/?q={searchTerms}" in templates


def test_robots_txt_keeps_crawlers_off_searches_and_points_at_the_sitemap(client, db):
    text = client.get("/robots.txt").content.decode()
    assert "Disallow: /search/\n" in text and "Disallow: /api/\n" in text
    assert "Sitemap: http://testserver/sitemap.xml\n" in text
    assert "admin" not in text  # the admin's prefix may be a secret


def test_the_sitemap_pages_articles_by_id_range_without_counting_them(client, db, monkeypatch):
    monkeypatch.setattr("articles.discovery.ArticleSitemap.limit", 3)
    articles = [make_article(f"Story {i}") for i in range(7)]
    Article.objects.filter(pk=articles[1].pk).update(is_hidden=True)
    with CaptureQueriesContext(connection) as queries:
        index = client.get("/sitemap.xml")
    assert not any("COUNT(" in q["sql"].upper() and "articles_article" in q["sql"] for q in queries)
    locations = [e.text for e in ElementTree.fromstring(index.content).iter(f"{SITEMAP}loc")]
    pages = -(-articles[-1].pk // 3)
    assert "http://testserver/sitemap-articles.xml" in locations
    assert f"http://testserver/sitemap-articles.xml?p={pages}" in locations
    listed = []
    for p in range(1, pages + 1):
        response = client.get(f"/sitemap-articles.xml?p={p}")
        if response.status_code == 200:
            listed += [
                e.text for e in ElementTree.fromstring(response.content).iter(f"{SITEMAP}loc")
            ]
    expected = [
        f"http://testserver{a.get_absolute_url()}" for a in articles if a.pk != articles[1].pk
    ]
    assert listed == expected
    assert client.get(f"/sitemap-articles.xml?p={pages + 1}").status_code == 404
    assert client.get("/sitemap-articles.xml?p=x").status_code == 404


def test_id_range_pages(db):
    assert IdRangePaginator(10).num_pages == 1  # an empty archive still has a first page
