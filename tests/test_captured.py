"""The capture date (when a crawler fetched a page), never shown as a publication date: an
article with no publication date is dated, labelled, filtered and sorted by it, and every
format says which of the two dates it has."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from articles.models import Article
from articles.search import SearchRequest, search
from tests.factories import news_page, warc_bytes, write_dump

pytestmark = pytest.mark.django_db(transaction=True)

CAPTURED = datetime(2015, 7, 31, 10, 0, tzinfo=UTC)

RECORDS = [
    {  # a crawl's record: the day it was fetched, no publication date
        "title": "Pier reopens to walkers",
        "body": "The pier reopened after its boards were replaced.",
        "date_extracted": "2015-07-31T10:00:00Z",
        "source": "Coast News",
    },
    {  # both dates: the publication date is the article's date
        "title": "Pier repairs begin",
        "body": "Work on the pier boards started this week.",
        "published_at": "2015-03-02T09:00:00Z",
        "date_extracted": "2016-01-05T12:00:00Z",
        "source": "Coast News",
    },
    {  # neither: undated
        "title": "Pier history in pictures",
        "body": "Photographs of the pier over a century.",
        "source": "Coast News",
    },
]


def text_of(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def undated_page() -> bytes:
    """A news page that states no publication date."""
    html = news_page("Quay market returns for the summer")
    html = re.sub(r'<meta property="article:published_time"[^>]*>', "", html)
    return html.encode()


@pytest.fixture
def archive(tmp_path):
    write_dump(tmp_path, "coast.jsonl", "\n".join(json.dumps(r) for r in RECORDS) + "\n")
    crawl = warc_bytes(
        [("https://gazette.example.com/quay", "200 OK", "text/html", undated_page())],
        captured="2015-07-30T07:08:09Z",
    )
    write_dump(tmp_path, "crawl.warc", crawl)
    out = io.StringIO()
    call_command("ingest", str(tmp_path), stdout=out, stderr=io.StringIO())
    assert "created 4," in out.getvalue()
    return {a.title: a for a in Article.objects.all()}


def test_the_importer_stores_the_capture_date_apart_from_the_publication_date(archive):
    pier = archive["Pier reopens to walkers"]
    assert (pier.published_at, pier.captured_at) == (None, CAPTURED)
    quay = archive["Quay market returns for the summer"]
    assert (quay.published_at, quay.captured_at) == (
        None,
        datetime(2015, 7, 30, 7, 8, 9, tzinfo=UTC),
    )
    repairs = archive["Pier repairs begin"]
    assert repairs.published_at == datetime(2015, 3, 2, 9, tzinfo=UTC)
    assert repairs.captured_at == datetime(2016, 1, 5, 12, tzinfo=UTC)


def article_header(response) -> str:
    """The text of the article's own header (not the related articles after it)."""
    found = re.search(r'<article class="article".*?</header>', response.content.decode(), re.S)
    assert found is not None
    return text_of_html(found.group(0))


def test_the_page_says_captured_never_published(client, archive):
    pier = archive["Pier reopens to walkers"]
    response = client.get(pier.get_absolute_url())
    assert "captured 31 July 2015" in article_header(response)
    assert "Undated" not in article_header(response)
    html = response.content.decode()
    # No publication date anywhere a machine reads one.
    assert "citation_publication_date" not in html and "datePublished" not in html
    assert "DC.date" not in html
    assert "(n.d.)" in str(dict(response.context["citations"])["APA"])
    # An article with both shows its publication date only.
    repairs = article_header(client.get(archive["Pier repairs begin"].get_absolute_url()))
    assert "2 March 2015" in repairs and "captured" not in repairs
    # Neither: undated.
    history = article_header(client.get(archive["Pier history in pictures"].get_absolute_url()))
    assert "Undated" in history and "captured" not in history


def test_results_label_the_capture_date(client, archive):
    response = client.get("/search/", {"q": "pier"})
    items = re.findall(r'<li class="result">.*?</li>\n', response.content.decode(), re.S)
    by_title = {re.search(r'">([^<]+)</a></h3>', item).group(1): item for item in items}
    assert '<span class="captured"' in by_title["Pier reopens to walkers"]
    assert "captured" in text_of_html(by_title["Pier reopens to walkers"])
    assert "captured 31 July 2015" in text_of_html(by_title["Pier reopens to walkers"])
    assert "captured" not in by_title["Pier repairs begin"]
    assert "undated" in text_of_html(by_title["Pier history in pictures"])


def text_of_html(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_dates_filter_facet_and_sort_by_publication_else_capture(client, archive):
    def titles(**kwargs) -> list[str]:
        return [a.title for a in search(SearchRequest(**kwargs)).articles]

    july = {"date_from": datetime(2015, 7, 1).date(), "date_to": datetime(2015, 7, 31).date()}
    assert sorted(titles(**july)) == [
        "Pier reopens to walkers",
        "Quay market returns for the summer",
    ]
    # The article with both dates is filed under its publication date, not its capture.
    january = {"date_from": datetime(2016, 1, 1).date(), "date_to": datetime(2016, 1, 31).date()}
    assert titles(**january) == []
    assert titles(undated=True) == ["Pier history in pictures"]
    assert titles(sort="newest") == [
        "Pier reopens to walkers",
        "Quay market returns for the summer",
        "Pier repairs begin",
        "Pier history in pictures",
    ]
    assert titles(sort="oldest")[:3] == [
        "Pier repairs begin",
        "Quay market returns for the summer",
        "Pier reopens to walkers",
    ]
    years = {f.value: f.count for f in search(SearchRequest(q="pier OR quay")).facets["year"]}
    assert years == {"2015": 3, "undated": 1}
    data = client.get("/api/search", {"from": "2015-07-31", "to": "2015-07-31"}).json()
    assert [r["title"] for r in data["results"]] == ["Pier reopens to walkers"]
    # The date archive files it under its capture day.
    day = client.get("/archive/2015/7/31/")
    assert [a.title for a in day.context["results"].articles] == ["Pier reopens to walkers"]
    assert "captured 31 July 2015" in text_of(day)


def test_the_api_csv_and_export_carry_both_dates(client, archive):
    data = client.get("/api/search", {"q": "pier", "sort": "oldest"}).json()
    dates = {r["title"]: (r["published_at"], r["captured_at"]) for r in data["results"]}
    assert dates == {
        "Pier repairs begin": ("2015-03-02T09:00:00+00:00", "2016-01-05T12:00:00+00:00"),
        "Pier reopens to walkers": (None, "2015-07-31T10:00:00+00:00"),
        "Pier history in pictures": (None, None),
    }
    pier = archive["Pier reopens to walkers"]
    one = client.get(f"/api/articles/{pier.pk}").json()
    assert (one["published_at"], one["captured_at"]) == (None, "2015-07-31T10:00:00+00:00")

    response = client.get("/search/export.csv", {"q": "pier"})
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    by_title = {r["title"]: (r["published_at"], r["captured_at"]) for r in rows}
    assert by_title["Pier reopens to walkers"] == ("", "2015-07-31T10:00:00+00:00")

    out = io.StringIO()
    call_command("export", stdout=out, stderr=io.StringIO())
    records = {r["title"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert records["Pier reopens to walkers"]["published_at"] is None
    assert records["Pier reopens to walkers"]["captured_at"] == "2015-07-31T10:00:00Z"


def test_a_curator_setting_the_capture_date_moves_the_article_in_search(archive):
    history = archive["Pier history in pictures"]
    assert search(SearchRequest(undated=True)).ids == [history.pk]
    history.captured_at = datetime(2014, 5, 1, tzinfo=UTC)
    history.save()
    from articles.search import indexer

    indexer.catch_up()
    assert search(SearchRequest(undated=True)).ids == []
    in_2014 = SearchRequest(
        date_from=datetime(2014, 1, 1).date(), date_to=datetime(2014, 12, 31).date()
    )
    assert search(in_2014).ids == [history.pk]
