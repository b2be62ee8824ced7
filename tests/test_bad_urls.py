"""Addresses no page can answer get a clear 400 or 404 in the site's layout, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import override_settings

from tests.factories import make_article, make_source, make_tag


@pytest.fixture
def article(db):
    make_source("Herald")
    make_tag("Space")
    return make_article(
        "Rockets over the harbour",
        "The rockets flew over the harbour at night.",
        source=make_source("Tribune"),
        tags=["Space"],
        published_at=datetime(2017, 6, 14, 10, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "url",
    [
        "/search/?source=%00",
        "/search/?tag=Space%00",
        "/search/?q=rock%00ets",
        "/search/feed/?tag=%00",
        "/search/export.csv?source=%00",
        "/sources/%00/",
        "/tags/sp%00ace/",
        "/feeds/tags/%00/",
        "/archive/2017/?q=%00",
    ],
)
def test_a_nul_character_anywhere_in_the_address_is_a_400_page(client, article, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    assert '<nav aria-label="Main">' in response.content.decode()  # the site's layout


def test_a_nul_character_in_an_article_page_search_is_a_400(client, article):
    response = client.get(article.get_absolute_url(), {"q": "rockets\x00", "pos": "0"})
    assert response.status_code == 400


def test_a_nul_character_in_the_api_is_a_json_400(client, article):
    response = client.get("/api/search", {"source": "\x00"})
    assert response.status_code == 400
    assert "NUL character" in response.json()["error"]


@pytest.mark.parametrize(
    "params",
    [{"to": "9999-12-31"}, {"from": "9999-12-31"}, {"from": "0001-01-01", "to": "9999-12-31"}],
)
def test_the_extreme_dates_a_date_field_accepts_are_searchable(client, article, params):
    for url in ("/search/", "/api/search", "/search/feed/", "/search/export.csv"):
        response = client.get(url, {"q": "rockets", **params})
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)  # read to the end, as a client does
    found = client.get("/api/search", {"q": "rockets", **params}).json()["count"]
    assert found == (0 if params.get("from") == "9999-12-31" else 1)


@pytest.mark.parametrize("url", ["/archive/9999/", "/archive/9999/12/", "/archive/9999/12/31/"])
def test_the_last_year_of_the_calendar_is_an_empty_archive_page(client, article, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "Rockets over the harbour" not in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/archive/99999999999999999999/",
        "/archive/2017/99999999999999999999/",
        "/archive/2017/6/99999999999999999999/",
        "/archive/2017/13/",
        "/articles/99999999999999999999/x/",
    ],
)
def test_impossible_dates_and_ids_are_404s(client, article, url):
    assert client.get(url).status_code == 404


def test_a_search_position_beyond_any_result_list_shows_the_article_without_neighbours(
    client, article
):
    response = client.get(article.get_absolute_url(), {"q": "rockets", "pos": "9" * 20})
    assert response.status_code == 200
    assert "Back to the results" not in response.content.decode()


@pytest.mark.parametrize("url", ["/api/articles/abc", "/api/articles/-1", "/api/nothing/here"])
def test_unknown_api_addresses_are_json_404s(client, db, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json()


@override_settings(DEBUG=False)
def test_a_404_is_a_page_of_the_site_saying_what_was_not_found(client, db):
    response = client.get("/tags/no-such-tag/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in html
    assert "No such tag." in html
    assert '<nav aria-label="Main">' in html
