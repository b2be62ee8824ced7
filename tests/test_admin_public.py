"""What curators' admin actions do to the public site: hidden articles vanish, old URLs redirect."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.cache import cache
from django.urls import reverse

from tests.factories import make_article, make_source, make_staff, make_tag

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_caches():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def curator(client):
    client.force_login(make_staff("editor"))
    return client


def run_action(client, model: str, name: str, objs, **extra):
    url = reverse(f"admin:articles_{model}_changelist")
    data = {"action": name, "index": 0, ACTION_CHECKBOX_NAME: [o.pk for o in objs], **extra}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:1000]
    return response


def test_a_hidden_article_vanishes_from_every_public_page_but_stays_in_the_admin(curator, client):
    source, tag = make_source("Daily Planet"), make_tag("Volcanoes")
    hidden = make_article("Volcano secret report", source=source, tags=[tag])
    shown = make_article("Volcano public report", source=source, tags=[tag])
    public_urls = [
        reverse("articles:home"),
        reverse("articles:search") + "?q=volcano",
        reverse("articles:api_search") + "?q=volcano",
        reverse("articles:latest_feed"),
        reverse("articles:tag_detail", args=[tag.slug]),
        reverse("articles:source_detail", args=[source.slug]),
        reverse("articles:tag_feed", args=[tag.slug]),
        reverse("articles:source_feed", args=[source.slug]),
    ]
    for url in public_urls:
        assert "Volcano secret report" in client.get(url).content.decode(), url

    run_action(curator, "article", "hide", [hidden])
    cache.clear()

    for url in public_urls:
        html = client.get(url).content.decode()
        assert "Volcano secret report" not in html, url
        assert "Volcano public report" in html, url
    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get(reverse("articles:api_article", args=[hidden.pk])).status_code == 404
    assert client.get(shown.get_absolute_url()).status_code == 200
    admin_list = curator.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "Volcano secret report" in admin_list

    run_action(curator, "article", "unhide", [hidden])
    assert client.get(hidden.get_absolute_url()).status_code == 200


def test_merged_tags_old_urls_redirect_to_the_target_which_lists_their_articles(curator, client):
    keep, gone = make_tag("Climate"), make_tag("Global warming")
    article = make_article("Glaciers retreat", tags=[gone])
    old_url = reverse("articles:tag_detail", args=[gone.slug])
    assert client.get(old_url).status_code == 200

    run_action(curator, "tag", "merge_tags", [keep, gone], apply="yes", target=keep.pk)

    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == reverse("articles:tag_detail", args=[keep.slug])
    assert "Glaciers retreat" in client.get(response["Location"]).content.decode()
    # Search still finds the article, now under the target tag.
    assert (
        "Glaciers retreat"
        in client.get(reverse("articles:search") + "?q=glaciers").content.decode()
    )
    assert list(article.tags.values_list("name", flat=True)) == ["Climate"]


def test_old_slugs_of_merged_or_renamed_tags_and_sources_still_filter_searches(curator, client):
    keep, gone = make_tag("Climate"), make_tag("Global warming")
    bbc, bbc_news = make_source("BBC"), make_source("BBC News")
    make_article("Glaciers retreat", tags=[gone], source=bbc_news)
    run_action(curator, "tag", "merge_tags", [keep, gone], apply="yes", target=keep.pk)
    run_action(curator, "source", "merge_sources", [bbc, bbc_news], apply="yes", target=bbc.pk)
    # A bookmarked search, an API client and a feed subscription from before the merges:
    params = {"q": "glaciers", "tag": gone.slug, "source": bbc_news.slug}
    page = client.get(reverse("articles:search"), params)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Glaciers retreat" in html
    assert f"tag={keep.slug}" in html and f"tag={gone.slug}" not in html  # links: current slug
    api = client.get(reverse("articles:api_search"), params)
    assert [r["title"] for r in api.json()["results"]] == ["Glaciers retreat"]
    assert client.get(reverse("articles:search_feed"), params).status_code == 200


def test_public_counts_follow_a_merge_and_a_hide_at_the_next_request(
    curator, client, django_capture_on_commit_callbacks
):
    keep, gone = make_tag("Climate"), make_tag("Global warming")
    bbc = make_source("BBC")
    glaciers = make_article("Glaciers retreat", tags=[gone], source=bbc)
    make_article("Seas rise", tags=[keep], source=bbc)
    with django_capture_on_commit_callbacks(execute=True):  # the factory's saves commit
        pass
    assert "Global warming" in client.get("/tags/").content.decode()  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        run_action(curator, "tag", "merge_tags", [keep, gone], apply="yes", target=keep.pk)
    tags = client.get("/tags/").content.decode()
    assert "Global warming" not in tags
    assert '<span class="n">2</span>' in tags
    with django_capture_on_commit_callbacks(execute=True):
        run_action(curator, "article", "hide", [glaciers])
    home = client.get("/").content.decode()
    assert '<a href="/sources/bbc/" dir="auto">BBC</a> <span class="n">1</span>' in home


def test_merged_sources_old_urls_redirect(curator, client):
    keep, gone = make_source("BBC"), make_source("BBC News")
    make_article("Election night", source=gone)
    old_url = reverse("articles:source_detail", args=[gone.slug])

    run_action(curator, "source", "merge_sources", [keep, gone], apply="yes", target=keep.pk)

    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == reverse("articles:source_detail", args=[keep.slug])
    assert "Election night" in client.get(response["Location"]).content.decode()


def test_a_renamed_tags_old_url_redirects(curator, client):
    tag = make_tag("Brexit")
    make_article("Vote count", tags=[tag])
    old_url = reverse("articles:tag_detail", args=["brexit"])
    response = curator.post(
        reverse("admin:articles_tag_change", args=[tag.pk]),
        {
            "name": "Brexit referendum",
            "slug": "brexit",
            "redirects-TOTAL_FORMS": 0,
            "redirects-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == "/tags/brexit-referendum/"
    assert "Vote count" in client.get("/tags/brexit-referendum/").content.decode()


def test_an_admin_edit_shows_on_the_public_article_page_and_in_search(curator, client):
    article = make_article("Quiet harbour", "Boats at rest.")
    response = curator.post(
        reverse("admin:articles_article_change", args=[article.pk]),
        {
            "title": "Quiet harbour",
            "body": "Boats at rest. A whale appeared.",
            "source": "",
            "published_at_0": "",
            "published_at_1": "",
            "url": "",
            "language": "en",
        },
    )
    assert response.status_code == 302
    assert "A whale appeared." in client.get(article.get_absolute_url()).content.decode()
    assert "Quiet harbour" in client.get(reverse("articles:search") + "?q=whale").content.decode()
