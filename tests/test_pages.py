"""Home, article, source, tag and date-archive pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from articles.models import SourceRedirect, TagRedirect
from tests.factories import make_article, make_source, make_tag


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield


def day(y, m=1, d=1, h=0):
    return datetime(y, m, d, h, tzinfo=UTC)


def titles(response) -> list[str]:
    return re.findall(
        r'<h3 class="result-title"[^>]*><a [^>]*>(.*?)</a>', response.content.decode()
    )


@pytest.fixture
def corpus(db):
    herald = make_source("Herald")
    tribune = make_source("Tribune")
    space = make_tag("Space")
    make_tag("Empty")
    return {
        "herald": herald,
        "space": space,
        "comet": make_article(
            "Comet seen over the city",
            "A bright comet was seen.\n\nAstronomers were delighted by the comet.",
            source=herald,
            tags=[space],
            published_at=day(2020, 3, 14, 21),
            url="https://example.org/comet",
        ),
        "rocket": make_article(
            "Rocket launch delayed",
            "The rocket stays.",
            source=herald,
            tags=[space],
            published_at=day(2020, 3, 15),
        ),
        "budget": make_article(
            "Budget vote", "The budget passed.", source=tribune, published_at=day(2019, 12, 31, 23)
        ),
        "arabic": make_article(
            "مذنب في السماء", "شاهد الناس مذنبا.", language="ar", published_at=day(2021, 1, 1)
        ),
        "hidden": make_article(
            "Hidden comet",
            "secret",
            source=herald,
            tags=[space],
            is_hidden=True,
            published_at=day(2020, 3, 16),
        ),
    }


def test_home_shows_newest_articles_search_box_and_largest_sources_and_tags(client, corpus):
    response = client.get("/")
    html = response.content.decode()
    assert titles(response)[:3] == [
        "مذنب في السماء",
        "Rocket launch delayed",
        "Comet seen over the city",
    ]
    assert 'role="search"' in html
    assert 'Herald</a> <span class="n">2</span>' in html  # the hidden article is not counted
    assert 'Space</a> <span class="n">2</span>' in html
    assert "Hidden comet" not in html


def test_a_listed_article_shows_its_link_source_date_language_lead_and_tags_escaped(client, db):
    source = make_source('Herald & "Post" <b>')
    article = make_article(
        'Storm <em>"warning"</em> & more',
        "The river rose <b>fast</b> overnight.",
        source=source,
        tags=["Weather", "<svg onload=x>"],
        published_at=datetime(2021, 2, 3, 23, 30, tzinfo=UTC),
        language="ar",
    )
    html = client.get("/").content.decode()
    item = html.split('<li class="result">')[1].split("</li>\n")[0]
    assert (
        f'<h3 class="result-title" lang="ar" dir="rtl"><a href="{article.get_absolute_url()}">'
        "Storm &lt;em&gt;&quot;warning&quot;&lt;/em&gt; &amp; more</a></h3>"
    ) in item
    assert (
        f'<a class="source" href="{source.get_absolute_url()}">'
        "Herald &amp; &quot;Post&quot; &lt;b&gt;</a>"
    ) in item
    assert '<time datetime="2021-02-03T23:30:00+00:00">3 February 2021</time>' in item
    assert '<span class="language">ar</span>' in item
    snippet = "The river rose &lt;b&gt;fast&lt;/b&gt; overnight."
    assert f'<p class="snippet" lang="ar" dir="rtl">{snippet}</p>' in item
    assert '<ul class="tags" aria-label="Tags">' in item
    assert '<a href="/tags/weather/">Weather</a>' in item
    assert "&lt;svg onload=x&gt;</a>" in item and "<svg" not in html


def test_article_page_shows_everything_about_the_article(client, corpus):
    article = corpus["comet"]
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Comet seen over the city</h1>" in html
    # The date is isolated left to right (in an Arabic article's meta line too) and links
    # to its day in the date archive.
    assert (
        '<a class="day" href="/archive/2020/3/14/" title="Articles of that day">'
        '<time datetime="2020-03-14T21:00:00+00:00">14 March 2020, 21:00 UTC'
    ) in html
    assert '<a class="source" href="/sources/herald/">Herald</a>' in html
    assert 'href="/tags/space/">Space</a>' in html
    assert "<p>A bright comet was seen.</p>" in html
    assert "<p>Astronomers were delighted by the comet.</p>" in html
    assert 'href="https://example.org/comet"' in html
    assert '<article class="article" lang="en" dir="auto">' in html
    related = html.split('id="related-title"')[1]
    assert "Rocket launch delayed" in related
    assert "Hidden comet" not in related


def test_arabic_article_is_right_to_left(client, corpus):
    html = client.get(corpus["arabic"].get_absolute_url()).content.decode()
    assert '<article class="article" lang="ar" dir="rtl">' in html


def test_stale_slug_redirects_and_missing_or_hidden_is_404(client, corpus):
    article = corpus["comet"]
    response = client.get(f"/articles/{article.pk}/old-title/?q=comet")
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url() + "?q=comet"
    hidden = corpus["hidden"]
    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get("/articles/999999/x/").status_code == 404


def test_article_reached_from_a_search_highlights_hits_and_links_neighbours(client, corpus):
    comet = corpus["comet"]
    make_article("Another comet", "comet", published_at=day(2022))
    make_article("Third comet <i>", "comet", published_at=day(2023))
    url = comet.get_absolute_url() + "?q=comet&sort=newest&pos=2"
    html = client.get(url).content.decode()
    assert "<p>A bright <mark>comet</mark> was seen.</p>" in html
    assert "<h1><mark>Comet</mark> seen over the city</h1>" in html
    assert "<title>Comet seen over the city \N{EN DASH} Newsarchive</title>" in html  # unmarked
    assert 'rel="prev"' in html
    assert 'Previous result: <span dir="auto">Another comet</span>' in html
    assert "Back to the results" in html
    assert 'rel="next"' not in html  # the last result
    first = client.get(
        comet.get_absolute_url().replace(str(comet.pk), str(comet.pk))
        + "?q=comet&sort=newest&pos=0"
    )
    assert "Previous result" not in first.content.decode()  # pos does not match: no links


def test_article_page_escapes_a_hostile_body(client, db):
    article = make_article("<script>t</script>", "<script>alert(1)</script>\n\n<b>x</b> cat")
    html = client.get(article.get_absolute_url() + "?q=cat").content.decode()
    assert "<script>alert" not in html
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>" in html
    assert "<p>&lt;b&gt;x&lt;/b&gt; <mark>cat</mark></p>" in html
    hostile_title = make_article("<b>cat</b> & <i>dog</i>", "cat")
    html = client.get(hostile_title.get_absolute_url() + "?q=cat").content.decode()
    assert "<h1>&lt;b&gt;<mark>cat</mark>&lt;/b&gt; &amp; &lt;i&gt;dog&lt;/i&gt;</h1>" in html


def test_article_page_query_count_is_bounded(client, corpus, django_assert_max_num_queries):
    # The query is parsed in each language in one round trip per archive_query call.
    with django_assert_max_num_queries(14):
        client.get(corpus["comet"].get_absolute_url() + "?q=comet&pos=0")


def test_source_and_tag_lists_with_counts(client, corpus):
    html = client.get("/sources/").content.decode()
    assert 'Herald</a> <span class="n">2</span>' in html
    assert 'Tribune</a> <span class="n">1</span>' in html
    html = client.get("/tags/").content.decode()
    assert 'Space</a> <span class="n">2</span>' in html


def test_source_and_tag_pages_list_articles_newest_first(client, corpus):
    assert titles(client.get("/sources/herald/")) == [
        "Rocket launch delayed",
        "Comet seen over the city",
    ]
    assert titles(client.get("/tags/space/")) == [
        "Rocket launch delayed",
        "Comet seen over the city",
    ]
    assert client.get("/sources/nowhere/").status_code == 404
    assert client.get("/tags/nothing/").status_code == 404
    assert client.get("/tags/space/?page=2").status_code == 404


def test_renamed_sources_and_tags_redirect_permanently(client, corpus):
    SourceRedirect.objects.create(old_slug="old-herald", source=corpus["herald"])
    TagRedirect.objects.create(old_slug="cosmos", tag=corpus["space"])
    response = client.get("/sources/old-herald/")
    assert (response.status_code, response["Location"]) == (301, "/sources/herald/")
    response = client.get("/tags/cosmos/")
    assert (response.status_code, response["Location"]) == (301, "/tags/space/")


def test_source_pages_paginate(client, db):
    source = make_source("Big")
    for i in range(25):
        make_article(f"Item {i:02d}", "x", source=source, published_at=day(2000 + i))
    page2 = client.get("/sources/big/?page=2")
    assert titles(page2) == ["Item 04", "Item 03", "Item 02", "Item 01", "Item 00"]
    assert client.get("/sources/big/?page=3").status_code == 404
    assert client.get("/sources/big/?page=x").status_code == 404


def test_tag_and_source_pages_count_exactly_without_hidden_articles(client, db):
    source, tag = make_source("Wire"), make_tag("World")
    for i in range(45):
        make_article(
            f"Dispatch {i:02d}",
            "x",
            source=source,
            tags=[tag],
            published_at=day(1990 + i % 30, 1 + i % 12),
            is_hidden=i % 9 == 0,  # 5 hidden
        )
    for path in ("/tags/world/", "/sources/wire/"):
        html = client.get(path).content.decode()
        assert '<p class="count">40 articles</p>' in html
        # Page 2 holds the next twenty newest visible articles, whichever way it is read.
        page2 = titles(client.get(path + "?page=2"))
        assert len(page2) == 20
        assert not {"Dispatch 00", "Dispatch 09", "Dispatch 18"} & set(page2)
        assert client.get(path + "?page=3").status_code == 404
    # The lists of sources and tags say the same.
    assert (
        '<a href="/sources/wire/" dir="auto">Wire</a> <span class="n">40</span>'
        in client.get("/sources/").content.decode()
    )
    assert (
        '<a href="/tags/world/" dir="auto">World</a> <span class="n">40</span>'
        in client.get("/tags/").content.decode()
    )


def test_a_large_source_page_pages_through_its_articles_newest_first(client, db):
    from articles.models import Article
    from tests.factories import bulk_articles

    source = make_source("Agency")
    bulk_articles(
        300,
        title="Wire {i}",
        source=source,
        published=[day(2000 + i % 20, 1 + i % 12, 1 + i % 27) for i in range(300)],
    )
    Article.objects.filter(title__in=["Wire 299", "Wire 279"]).update(is_hidden=True)
    newest = (
        Article.objects.visible()
        .filter(source=source)
        .newest_first()
        .values_list("title", flat=True)
    )
    for page in (1, 2, 3):
        shown = titles(client.get(f"/sources/agency/?page={page}"))
        assert shown == list(newest[(page - 1) * 20 : page * 20])
    assert '<p class="count">298 articles</p>' in client.get("/sources/agency/").content.decode()


def test_date_archive_counts_per_month_and_day_in_utc(client, corpus):
    html = client.get("/archive/2020/").content.decode()
    assert '<a href="/archive/2020/3/">March</a> <span class="n">2</span>' in html
    assert 'December <span class="n">0</span>' in html
    assert titles(client.get("/archive/2019/")) == ["Budget vote"]  # 23:00 UTC on 31 Dec
    month = client.get("/archive/2020/3/").content.decode()
    assert '<a href="/archive/2020/3/14/">14</a> <span class="n">1</span>' in month
    assert '<a href="/archive/2020/3/15/">15</a> <span class="n">1</span>' in month
    assert '16 <span class="n">0</span>' in month  # its one article is hidden
    assert titles(client.get("/archive/2020/3/14/")) == ["Comet seen over the city"]
    assert client.get("/archive/2020/2/30/").status_code == 404
    assert client.get("/archive/2020/13/").status_code == 404
    assert (
        '<a href="/archive/2020/3/">March</a> \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} 14'
        in client.get("/archive/2020/3/14/").content.decode()
    )  # the breadcrumb names the month


def test_archive_index_lists_the_years_that_have_visible_articles(client, corpus):
    make_article("Stray date", "x", published_at=day(1, 1, 1))
    make_article("Hidden old", "x", published_at=day(1950), is_hidden=True)
    html = client.get("/archive/").content.decode()
    years = re.findall(r'<li><a href="/archive/(\d+)/">', html)
    assert years == ["2021", "2020", "2019", "1"]  # newest first; no empty years between
    assert 'href="/archive/"' in client.get("/").content.decode()  # in the main navigation


def test_browse_pages_run_a_bounded_number_of_queries(
    client, corpus, django_assert_max_num_queries
):
    urls = ("/", "/sources/herald/", "/tags/space/", "/archive/2020/3/14/", "/archive/2020/")
    for url in (*urls, "/archive/2020/3/", "/archive/", "/sources/", "/tags/"):
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == 200


def test_the_tag_list_is_paginated(client, db, monkeypatch):
    from articles import views

    monkeypatch.setattr(views, "TAGS_PER_PAGE", 2)
    for name in ("a", "b", "c"):
        make_article(f"Tagged {name}", "x", tags=[name])
    html = client.get("/tags/").content.decode()
    assert "3 tags" in html
    assert "Page 1 of 2" in html
    assert client.get("/tags/?page=2").status_code == 200
    assert client.get("/tags/?page=3").status_code == 404


@pytest.mark.django_db
def test_remembered_tag_and_source_urls_follow_renames_and_the_script_prefix():
    from django.urls import set_script_prefix

    from articles.models import Source, Tag

    tag = Tag.objects.create(name="Harbours")
    source = Source.objects.create(name="Harbour Times")
    assert tag.get_absolute_url() == "/tags/harbours/"
    assert source.get_absolute_url() == "/sources/harbour-times/"
    tag.slug = "ports"
    tag.save()
    assert tag.get_absolute_url() == "/tags/ports/"
    set_script_prefix("/archive/")  # served under a sub-path
    try:
        assert tag.get_absolute_url() == "/archive/tags/ports/"
        assert source.get_absolute_url() == "/archive/sources/harbour-times/"
    finally:
        set_script_prefix("/")
    assert tag.get_absolute_url() == "/tags/ports/"


def test_article_urls_are_what_reverse_gives_under_any_script_prefix():
    from django.urls import reverse, set_script_prefix

    from articles.models import Article

    cases = [(7, "storm-warning"), (123456, "économie-à-paris"), (9, "")]
    for prefix in ("/", "/archive/"):
        set_script_prefix(prefix)
        try:
            for pk, slug in cases:
                expected = reverse("articles:article_detail", args=[pk, slug or "article"])
                assert Article(pk=pk, slug=slug).get_absolute_url() == expected
                assert expected.startswith(prefix)
        finally:
            set_script_prefix("/")
    assert Article(pk=5, slug="é").get_absolute_url() == "/articles/5/%C3%A9/"


def test_listed_dates_read_as_django_writes_them_in_every_month():
    from django.utils.dateformat import format as format_date

    from articles.models import Article
    from articles.templatetags.archive_tags import result_item

    for month in range(1, 13):
        moment = datetime(2024, month, 9, 12, tzinfo=UTC)
        article = Article(pk=1, slug="a", title="T", language="en", published_at=moment)
        article.tag_list, article.snippet = [], ""
        html = result_item(article)
        assert f">{format_date(moment, 'j F Y')}</time>" in html


# --- Undated articles and neighbouring periods ----------------------------------------------


def test_an_undated_article_says_so_on_its_page_and_in_lists(client, db):
    article = make_article("Timeless piece", "No date here.")
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<a class="undated" href="/archive/undated/"' in html
    assert ">Undated</a>" in html
    assert '<span class="undated">undated</span>' in client.get("/").content.decode()


def test_the_archive_index_has_an_undated_entry_that_lists_them(client, db):
    make_article("Dated", published_at=day(2020, 5, 1))
    make_article("Timeless piece", "No date here.")
    make_article("Hidden timeless", is_hidden=True)
    html = client.get("/archive/").content.decode()
    assert '<a href="/archive/2020/">2020</a> <span class="n">1</span>' in html
    assert '<a href="/archive/undated/">Undated</a> <span class="n">1</span>' in html
    page = client.get("/archive/undated/")
    assert titles(page) == ["Timeless piece"]
    assert "<h1>Articles without a date</h1>" in page.content.decode()


def test_date_archive_pages_link_the_previous_and_next_period(client, db):
    make_article("Leap", published_at=day(2020, 2, 29))
    html = client.get("/archive/2020/2/29/").content.decode()
    assert '<a rel="prev" href="/archive/2020/2/28/">← 28 February 2020</a>' in html
    assert '<a rel="next" href="/archive/2020/3/1/">1 March 2020 →</a>' in html
    html = client.get("/archive/2020/1/").content.decode()
    assert '<a rel="prev" href="/archive/2019/12/">← December 2019</a>' in html
    assert '<a rel="next" href="/archive/2020/2/">February 2020 →</a>' in html
    html = client.get("/archive/2020/").content.decode()
    assert '<a rel="prev" href="/archive/2019/">← 2019</a>' in html
    html = client.get("/archive/9999/12/31/").content.decode()
    assert 'rel="next"' not in html and '<a rel="prev" href="/archive/9999/12/30/">' in html
    assert 'rel="prev"' not in client.get("/archive/1/1/1/").content.decode()


def test_a_listed_article_is_translated_and_localised(db):
    from django.utils import translation

    from articles.models import Article
    from articles.templatetags.archive_tags import result_item

    article = Article(pk=1, slug="a", title="T", language="en", published_at=day(2024, 3, 9))
    article.tag_list, article.snippet = [], ""
    undated = Article(pk=2, slug="b", title="U", language="en")
    undated.tag_list, undated.snippet = [], ""
    with translation.override("ar"):
        assert ">9 مارس 2024</time>" in result_item(article)
        assert '<span class="undated">غير مؤرخة</span>' in result_item(undated)
    with translation.override("fr"):
        assert ">9 mars 2024</time>" in result_item(article)
