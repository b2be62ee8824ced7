"""The interface in English, Arabic and French: chosen from Accept-Language or the language
switcher, mirrored for Arabic, with localised dates and numbers, while each article's own
text keeps its own language and direction."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from tests.factories import bulk_articles, make_article, make_source


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield


@pytest.fixture
def corpus(db):
    herald = make_source("Herald")
    return {
        "english": make_article(
            "Comet seen over the city",
            "A bright comet.",
            source=herald,
            published_at=datetime(2020, 3, 14, 21, tzinfo=UTC),
        ),
        "arabic": make_article(
            "مذنب في السماء",
            "شاهد الناس مذنبا.",
            language="ar",
            published_at=datetime(2021, 1, 1, tzinfo=UTC),
        ),
    }


def html_tag(html: str) -> str:
    return re.search(r"<html[^>]*>", html)[0]


def test_english_is_the_default(client, corpus):
    html = client.get("/").content.decode()
    assert html_tag(html) == '<html lang="en" dir="ltr">'
    assert '<h1 id="home-search-title">Search the archive</h1>' in html


def test_arabic_from_accept_language_is_right_to_left_and_translated(client, corpus):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ar,en;q=0.5")
    html = response.content.decode()
    assert html_tag(html) == '<html lang="ar" dir="rtl">'
    assert '<h1 id="home-search-title">ابحث في الأرشيف</h1>' in html
    assert "أحدث المقالات" in html
    assert "Accept-Language" in response["Vary"]


def test_french_from_accept_language(client, corpus):
    html = client.get("/search/?q=comet", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert html_tag(html) == '<html lang="fr" dir="ltr">'
    assert "1 article" in html and "Affiner les résultats" in html


def test_the_switcher_is_a_post_form_that_sets_the_language(client, corpus):
    html = client.get("/").content.decode()
    form = re.search(
        r'<form class="language-switcher" action="/i18n/setlang/" method="post">', html
    )
    assert form is not None
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<option value="ar" lang="ar">العربيّة</option>' in html
    response = client.post(
        "/i18n/setlang/", {"language": "ar"}, HTTP_REFERER="http://testserver/tags/"
    )
    assert response.status_code == 302
    assert response["Location"] == "http://testserver/tags/"
    assert html_tag(client.get("/").content.decode()) == '<html lang="ar" dir="rtl">'
    client.post("/i18n/setlang/", {"language": "en"})
    assert html_tag(client.get("/").content.decode()) == '<html lang="en" dir="ltr">'


def test_an_article_keeps_its_own_language_and_direction_in_either_interface(client, corpus):
    english, arabic = corpus["english"], corpus["arabic"]
    html = client.get(english.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<article class="article" lang="en" dir="auto">' in html
    assert '<p class="meta" lang="ar" dir="rtl">' in html
    # Dates in the interface's language.
    assert "14 مارس 2020" in html
    html = client.get(arabic.get_absolute_url()).content.decode()
    assert html_tag(html) == '<html lang="en" dir="ltr">'
    assert '<article class="article" lang="ar" dir="rtl">' in html
    assert '<p class="meta" lang="en" dir="ltr">' in html
    listing = client.get("/search/?q=مذنب", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<h3 class="result-title" lang="ar" dir="rtl">' in listing
    listing = client.get("/search/?q=comet", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<h3 class="result-title" lang="en" dir="auto">' in listing


def test_numbers_and_dates_are_localised(client, db):
    bulk_articles(
        1200,
        title="Filler {i}",
        body="ordinary",
        published=[datetime(2020, 3, 14, tzinfo=UTC)] * 1200,
    )
    html = client.get("/search/?q=ordinary", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "1\u202f200 articles" in html or "1\xa0200 articles" in html or "1 200 articles" in html
    assert "14 mars 2020" in html
    html = client.get("/archive/2020/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert ">مارس</a>" in html
    assert "<h1>مقالات 2020</h1>" in html


def test_error_pages_speak_the_interface_language(client, db):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 404
    html = response.content.decode()
    assert html_tag(html) == '<html lang="ar" dir="rtl">'
    assert "<h1>غير موجود</h1>" in html
    response = client.get("/search/?to=31/31/2020", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 400
    assert "تعذّر تنفيذ هذا البحث." in response.content.decode()


def test_every_catalogue_is_compiled_and_complete():
    """The committed .mo files hold every message of the .po files they come from."""
    from pathlib import Path

    from tests.conftest import ROOT

    for code in ("ar", "fr"):
        folder = Path(ROOT) / "locale" / code / "LC_MESSAGES"
        po = (folder / "django.po").read_text(encoding="utf-8")
        assert (folder / "django.mo").stat().st_mtime >= (folder / "django.po").stat().st_mtime - 1
        untranslated = re.findall(r'\nmsgid "(.+)"\nmsgstr ""\n\n', po)
        assert untranslated == []
