"""Stored URLs: only http and https addresses are ever shown as links."""

from __future__ import annotations

import pytest

from articles.models import Source
from tests.factories import make_article, make_source, make_staff
from tests.test_admin import article_form_data, change_url

pytestmark = pytest.mark.django_db

SCRIPT_URL = "javascript:alert(1)//://"


def test_an_article_page_does_not_link_a_javascript_url(client):
    article = make_article("Booby trap", url=SCRIPT_URL)
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'href="javascript' not in html.lower()
    # Still shown, as text, so the record stays faithful.
    assert '<span class="not-a-link">javascript:alert(1)//://</span>' in html


def test_an_article_page_links_an_https_url(client):
    article = make_article("Fine", url="https://example.org/news/1")
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<a href="https://example.org/news/1" rel="nofollow noopener noreferrer">' in html


def test_the_api_gives_no_original_url_for_a_javascript_url(client):
    bad = make_article("Booby trap", url=SCRIPT_URL)
    good = make_article("Fine", url="http://example.org/a")
    assert client.get(f"/api/articles/{bad.pk}").json()["original_url"] is None
    assert client.get(f"/api/articles/{good.pk}").json()["original_url"] == "http://example.org/a"


def test_a_source_page_does_not_link_a_javascript_homepage(client):
    source = make_source("Trap", homepage="javascript:alert(document.cookie)")
    make_article("Anything", source=source)
    html = client.get(source.get_absolute_url()).content.decode()
    assert "javascript:" not in html.lower()


def test_the_feeds_never_carry_a_stored_url(client):
    make_article("Booby trap", url=SCRIPT_URL)
    assert b"javascript" not in client.get("/feeds/latest/").content


@pytest.fixture
def editor_client(client):
    client.force_login(make_staff("editor"))
    return client


@pytest.mark.parametrize(
    "url",
    [SCRIPT_URL, "javascript:alert(1)", "data:text/html,hi", "ftp://example.org/file"],
)
def test_the_admin_accepts_only_http_and_https_urls(editor_client, url):
    article = make_article("Plain", url="https://example.org/plain")
    response = editor_client.post(change_url(article), article_form_data(article, url=url))
    assert response.status_code == 200
    assert "Enter an http:// or https:// address." in response.content.decode()
    article.refresh_from_db()
    assert article.url == "https://example.org/plain"


def test_the_admin_accepts_an_https_url(editor_client):
    article = make_article("Plain")
    response = editor_client.post(
        change_url(article), article_form_data(article, url="https://example.org/ok")
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.url == "https://example.org/ok"


def test_the_admin_form_does_not_link_a_stored_javascript_url(editor_client):
    article = make_article("Booby trap", url=SCRIPT_URL)
    html = editor_client.get(change_url(article)).content.decode()
    assert 'href="javascript' not in html.lower()
    assert SCRIPT_URL in html  # in the input, to be corrected


def test_the_admin_refuses_a_javascript_homepage_for_a_source(client):
    from tests.factories import make_superuser

    client.force_login(make_superuser())
    source = make_source("Herald")
    response = client.post(
        change_url(source),
        {
            "name": "Herald",
            "slug": source.slug,
            "homepage": "javascript:alert(1)",
            "domain": "",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
            "redirects-TOTAL_FORMS": "0",
            "redirects-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Enter an http:// or https:// address." in response.content.decode()
    assert Source.objects.get(pk=source.pk).homepage == ""
