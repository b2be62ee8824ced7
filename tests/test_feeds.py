"""Atom feeds (latest, per source, per tag, of a search) and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest

from articles.models import SourceRedirect, TagRedirect
from tests.factories import make_article, make_source, make_tag

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _fresh():
    yield


def entries(response) -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)
    return [e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")]


@pytest.fixture
def corpus(db):
    source = make_source("Herald")
    tag = make_tag("Science")
    make_article(
        "Old <b>comet</b>",
        "comet",
        source=source,
        tags=[tag],
        published_at=datetime(2001, 1, 1, tzinfo=UTC),
    )
    make_article(
        "New comet",
        "comet seen",
        source=source,
        published_at=datetime(2022, 1, 1, tzinfo=UTC),
        url="https://example.org/c",
    )
    make_article("Other news", "nothing", tags=[tag], published_at=datetime(2010, 1, 1, tzinfo=UTC))
    make_article("Hidden comet", "comet", source=source, tags=[tag], is_hidden=True)
    return source, tag


def test_latest_feed_lists_newest_first(client, corpus):
    assert entries(client.get("/feeds/latest/")) == ["New comet", "Other news", "Old <b>comet</b>"]


def test_source_and_tag_feeds(client, corpus):
    assert entries(client.get("/feeds/sources/herald/")) == ["New comet", "Old <b>comet</b>"]
    assert entries(client.get("/feeds/tags/science/")) == ["Other news", "Old <b>comet</b>"]
    assert client.get("/feeds/sources/nowhere/").status_code == 404


def test_feeds_of_renamed_sources_and_tags_redirect(client, corpus):
    source, tag = corpus
    SourceRedirect.objects.create(old_slug="the-herald", source=source)
    TagRedirect.objects.create(old_slug="sci", tag=tag)
    response = client.get("/feeds/sources/the-herald/")
    assert response.status_code == 301
    assert response["Location"] == "/feeds/sources/herald/"
    response = client.get("/feeds/tags/sci/")
    assert response.status_code == 301
    assert response["Location"] == "/feeds/tags/science/"


def test_search_feed_lists_the_newest_matches(client, corpus):
    assert entries(client.get("/search/feed/", {"q": "comet"})) == ["New comet", "Old <b>comet</b>"]
    assert entries(client.get("/search/feed/", {"q": "comet", "from": "2020-01-01"})) == [
        "New comet"
    ]
    assert client.get("/search/feed/", {"from": "nope"}).status_code == 400


def test_search_feed_links_to_itself_and_to_the_search_with_the_query(client, corpus):
    root = ElementTree.fromstring(client.get("/search/feed/", {"q": "comet"}).content)
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links["self"] == "http://testserver/search/feed/?q=comet"
    assert links["alternate"] == "http://testserver/search/?q=comet"


def test_csv_export_streams_every_match(client, corpus):
    response = client.get("/search/export.csv", {"q": "comet"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbfid,title,")  # a UTF-8 BOM, for Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [
        "id",
        "title",
        "source",
        "published_at",
        "language",
        "tags",
        "url",
        "page_url",
        "authors",
        "captured_at",
    ]
    assert [r[1] for r in rows[1:]] == ["New comet", "Old <b>comet</b>"]
    assert rows[1][2] == "Herald"
    assert rows[1][3] == "2022-01-01T00:00:00+00:00"
    assert rows[1][6] == "https://example.org/c"
    assert rows[1][7].startswith("http://testserver/articles/")
    assert rows[2][5] == "Science"


def test_csv_export_lists_tags_in_name_order_and_none_as_empty(client, db):
    make_article("Harbour gates", "harbour news", tags=[make_tag("Zeta"), make_tag("Alpha")])
    make_article("Harbour wall", "harbour news")
    response = client.get("/search/export.csv", {"q": "harbour"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert sorted((r[1], r[5]) for r in rows[1:]) == [
        ("Harbour gates", "Alpha; Zeta"),
        ("Harbour wall", ""),
    ]


def test_csv_export_rejects_bad_parameters(client, corpus):
    response = client.get("/search/export.csv", {"to": "31/31/2020"})
    assert response.status_code == 400
    assert b"to:" in response.content


def test_csv_export_is_named_after_its_search(client, corpus):
    def disposition(params) -> str:
        response = client.get("/search/export.csv", params)
        b"".join(response.streaming_content)  # read to the end: that frees its export slot
        return response["Content-Disposition"]

    assert disposition({"q": "Comet tails", "from": "2020-01-01"}) == (
        'attachment; filename="newsarchive-comet-tails-2020-01-01.csv"'
    )
    assert disposition({"q": "مذنب"}) == (
        "attachment; filename*=utf-8''newsarchive-%D9%85%D8%B0%D9%86%D8%A8.csv"
    )
    assert disposition({}) == 'attachment; filename="newsarchive-search.csv"'
