"""The search page's filters as a reader meets them: chips, the language menu, facets with
more values, date presets, numbered pages, page sizes, the sort in force, clean URLs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.factories import bulk_articles, make_article, make_source, make_tag


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield


def day(y, m=1, d=1):
    return datetime(y, m, d, tzinfo=UTC)


@pytest.fixture
def corpus(db):
    times = make_source("Daily Times")
    post = make_source("Evening Post")
    politics = make_tag("Politics")
    make_article(
        "Election results", "The election.", source=times, tags=[politics], published_at=day(2019)
    )
    make_article("Storm and election", "election rain", source=post, published_at=day(2020))
    make_article("Élection", "élection", language="fr", published_at=day(2021))
    make_article("Unknown tongue election", "election", language="")
    return {"times": times, "post": post, "politics": politics}


def chips(html: str) -> list[str]:
    block = re.search(r'<div class="chips">(.*?)</div>', html, re.S)
    if block is None:
        return []
    items = re.findall(r"<li><a href=\"([^\"]*)\">(.*?)</a></li>", block[1], re.S)
    out = []
    for href, text in items:
        shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).split(" (")[0].strip()
        out.append(f"{shown} -> {href}")
    return out


def test_empty_parameters_are_dropped_by_a_redirect(client, corpus):
    response = client.get("/search/?q=election&language=&from=&to=&sort=&page_size=")
    assert response.status_code == 302
    assert response["Location"] == "/search/?q=election"
    response = client.get("/search/?q=&language=")
    assert response["Location"] == "/search/"
    # What the form's menus send for the order and page size in force anyway goes too.
    response = client.get("/search/?q=election&language=&sort=relevance&page_size=20")
    assert response["Location"] == "/search/?q=election"
    response = client.get("/search/?sort=newest&page_size=50")
    assert response["Location"] == "/search/?page_size=50"
    assert client.get("/search/?q=election&sort=newest&page_size=50").status_code == 200


def test_active_filters_are_chips_that_remove_themselves(client, corpus):
    html = client.get(
        "/search/",
        {
            "q": "election",
            "source": ["daily-times", "evening-post"],
            "tag": "politics",
            "language": "en",
            "from": "2019-01-01",
            "to": "2019-12-31",
        },
    ).content.decode()
    assert chips(html) == [
        "Source: Daily Times ✕ -> ?q=election&amp;source=evening-post&amp;tag=politics"
        "&amp;language=en&amp;from=2019-01-01&amp;to=2019-12-31",
        "Source: Evening Post ✕ -> ?q=election&amp;source=daily-times&amp;tag=politics"
        "&amp;language=en&amp;from=2019-01-01&amp;to=2019-12-31",
        "Tag: Politics ✕ -> ?q=election&amp;source=daily-times&amp;source=evening-post"
        "&amp;language=en&amp;from=2019-01-01&amp;to=2019-12-31",
        "Language: English ✕ -> ?q=election&amp;source=daily-times&amp;source=evening-post"
        "&amp;tag=politics&amp;from=2019-01-01&amp;to=2019-12-31",
        "Dates: 1 Jan 2019 – 31 Dec 2019 ✕ -> ?q=election&amp;source=daily-times"  # noqa: RUF001
        "&amp;source=evening-post&amp;tag=politics&amp;language=en",
    ]
    assert '<li class="clear"><a href="?q=election">Remove all filters</a></li>' in html


def test_no_filters_no_chips_and_undated_is_a_chip(client, corpus):
    assert chips(client.get("/search/?q=election").content.decode()) == []
    html = client.get("/search/?q=election&from=undated").content.decode()
    assert chips(html) == ["Date: Undated ✕ -> ?q=election"]
    assert "Unknown tongue election" in html


def test_the_language_menu_lists_the_archives_languages_and_unknown(client, corpus):
    make_article("Deutsch", "Wahl", language="de", is_hidden=True)  # hidden: not counted
    html = client.get("/search/?q=election").content.decode()
    menu = re.search(r'<select id="id_language" name="language">(.*?)</select>', html, re.S)
    assert menu is not None
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', menu[1])
    assert options == [
        ("", "Any language"),
        ("en", "English"),
        ("fr", "French"),
        ("unknown", "Unknown"),
    ]
    html = client.get("/search/?q=election&language=unknown").content.decode()
    assert '<option value="unknown" selected>Unknown</option>' in html
    assert re.findall(r'<h3 class="result-title"[^>]*><a [^>]*>(.*?)</a>', html) == [
        "Unknown tongue election"
    ]


def test_the_sort_menu_shows_the_order_in_force(client, corpus):
    html = client.get("/search/?q=election").content.decode()
    assert '<option value="relevance" selected>Relevance</option>' in html
    html = client.get("/search/").content.decode()
    assert '<option value="newest" selected>Newest first</option>' in html
    assert 'value="relevance"' not in html  # no words, nothing to rank by
    html = client.get("/search/?q=election&sort=oldest").content.decode()
    assert '<option value="oldest" selected>Oldest first</option>' in html
    assert "Sorted by: <a" in html and '<strong aria-current="true">Oldest first</strong>' in html


def test_a_facet_shows_all_its_values_in_place(client, db):
    tags = [make_tag(f"Topic {i:02d}") for i in range(20)]
    for i, tag in enumerate(tags):
        make_article(f"Report {i}", "report", tags=[tag])
    html = client.get("/search/?q=report").content.decode()
    assert html.count('href="?q=report&amp;tag=topic-') == 2 * 15  # phone and sidebar
    assert '<a href="?q=report&amp;more=tag">Show all<span class="visually-hidden"> (Tag)' in html
    html = client.get("/search/?q=report&more=tag").content.decode()
    assert html.count('href="?q=report&amp;tag=topic-') == 2 * 20
    assert '<a href="?q=report">Show fewer' in html
    assert client.get("/search/?q=report&more=everything").status_code == 400


def test_facets_come_before_the_results_in_a_disclosure_for_phones(client, corpus):
    html = client.get("/search/?q=election").content.decode()
    phone, results, sidebar = (
        html.index('<details class="facets-phone">'),
        html.index('<ol class="results"'),
        html.index('<aside class="facets"'),
    )
    assert phone < results < sidebar
    assert 'id="phone-facet-source"' in html and 'id="facet-source"' in html


def test_date_presets_set_the_past_week_month_and_year(client, corpus):
    today = timezone.localdate()
    html = client.get("/search/?q=election").content.decode()
    week = (today - timedelta(days=7)).isoformat()
    assert f'<a href="?q=election&amp;from={week}&amp;to={today.isoformat()}">Past week</a>' in html
    assert ">Past month</a>" in html and ">Past year</a>" in html
    html = client.get(f"/search/?q=election&from={week}&to={today.isoformat()}").content.decode()
    assert 'aria-current="true">Past week</a>' in html


def test_numbered_pages_with_first_and_last_reachable(client, db):
    bulk_articles(250, title="Cat {i}", body="cats")
    html = client.get("/search/?q=cat&page=6").content.decode()
    pages = re.search(r'<nav class="pagination".*?</nav>', html, re.S)[0]
    numbers = re.findall(r">(\d+|…)</(?:a|span|li)>", pages)
    assert numbers == ["1", "…", "4", "5", "6", "7", "8", "…", "13"]
    assert '<span aria-current="page"><span class="visually-hidden">Page </span>6</span>' in pages
    assert "Page 6 of 13" in pages
    html = client.get("/search/?q=cat&page_size=100").content.decode()
    assert len(re.findall(r'<li class="result">', html)) == 100
    pages = re.search(r'<nav class="pagination".*?</nav>', html, re.S)[0]
    assert re.findall(r">(\d+|…)</(?:a|span|li)>", pages) == ["1", "2", "3"]
    assert 'href="?q=cat&amp;page_size=100&amp;page=3"' in pages
    assert '<option value="100" selected>100</option>' in html


def test_the_last_page_link_stops_at_the_last_reachable_page(client, db, monkeypatch):
    monkeypatch.setattr("articles.search.searcher.MAX_RESULTS", 100)
    bulk_articles(250, title="Cat {i}", body="cats")
    html = client.get("/search/?q=cat").content.decode()
    pages = re.search(r'<nav class="pagination".*?</nav>', html, re.S)[0]
    assert re.findall(r">(\d+|…)</(?:a|span|li)>", pages) == ["1", "2", "3", "…", "5"]


def test_counts_have_thousands_separators(client, db):
    bulk_articles(1200, title="Filler {i}", body="ordinary", source=make_source("Big"))
    html = client.get("/search/?q=ordinary").content.decode()
    assert "1,200 articles" in html
    assert '<span class="n">1,200</span>' in html
    assert '<span class="n">1,200</span>' in client.get("/sources/").content.decode()
    assert "1,200 articles" in client.get("/sources/big/").content.decode()
