"""The search page: what a reader sees for queries, filters, facets, sort and pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from tests.factories import make_article, make_source, make_tag


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield


def day(y, m=1, d=1):
    return datetime(y, m, d, tzinfo=UTC)


def result_titles(response) -> list[str]:
    html = response.content.decode()
    return [
        re.sub(r"<[^>]+>", "", t)
        for t in re.findall(r'<h3 class="result-title"[^>]*><a [^>]*>(.*?)</a>', html)
    ]


@pytest.fixture
def corpus(db):
    times = make_source("Daily Times")
    post = make_source("Evening Post")
    politics = make_tag("Politics")
    weather = make_tag("Weather")
    return {
        "times": times,
        "post": post,
        "politics": politics,
        "weather": weather,
        "a": make_article(
            "Election results announced",
            "The election was close.\n\nVoters turned out in numbers.",
            source=times,
            tags=[politics],
            published_at=day(2019, 5, 2),
        ),
        "b": make_article(
            "Storm hits the coast",
            "Heavy rain and an election delay.",
            source=post,
            tags=[weather, politics],
            published_at=day(2020, 3, 1),
        ),
        "c": make_article(
            "Élections municipales",
            "Les électeurs ont voté dimanche.",
            source=post,
            language="fr",
            published_at=day(2021, 7, 9),
        ),
        "d": make_article(
            "الانتخابات البرلمانية",
            "صوت الناخبون في الانتخابات اليوم.",
            language="ar",
            published_at=day(2018, 1, 1),
        ),
        "hidden": make_article("Election fraud rumour", "election", source=times, is_hidden=True),
    }


def test_search_shows_ranked_results_with_snippet_source_date_tags(client, corpus):
    response = client.get("/search/", {"q": "election"})
    assert response.status_code == 200
    # Each article is matched in its own language, accents folded: the French article's
    # "Élections" is the French stem of "election" too, but a word found as typed scores
    # more than one found through its stem.
    assert result_titles(response) == [
        "Election results announced",
        "Storm hits the coast",
        "Élections municipales",
    ]
    html = response.content.decode()
    assert "3 articles" in html
    assert "<mark>election</mark>" in html
    assert '<time datetime="2019-05-02T00:00:00+00:00">' in html
    assert 'href="/sources/daily-times/"' in html
    assert 'href="/tags/politics/"' in html
    assert 'value="election"' in html  # the query stays in the form
    assert "Election fraud rumour" not in html


def test_french_stemming_and_arabic(client, corpus):
    assert result_titles(client.get("/search/", {"q": "électeur"})) == ["Élections municipales"]
    response = client.get("/search/", {"q": "الانتخابات"})
    assert result_titles(response) == ["الانتخابات البرلمانية"]
    assert 'lang="ar" dir="rtl"' in response.content.decode()


def test_phrase_or_and_exclusion(client, corpus):
    assert result_titles(client.get("/search/", {"q": '"election delay"'})) == [
        "Storm hits the coast"
    ]
    assert result_titles(client.get("/search/", {"q": "storm or voters"})) == [
        "Storm hits the coast",
        "Election results announced",
    ]
    assert result_titles(client.get("/search/", {"q": "election -rain"})) == [
        "Election results announced",
        "Élections municipales",
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"source": "evening-post"}, ["Élections municipales", "Storm hits the coast"]),
        ({"source": "EVENING POST"}, ["Élections municipales", "Storm hits the coast"]),
        (
            {"source": ["evening-post", "daily-times"]},
            ["Élections municipales", "Storm hits the coast", "Election results announced"],
        ),
        ({"tag": "politics"}, ["Storm hits the coast", "Election results announced"]),
        ({"tag": ["Politics", "weather"]}, ["Storm hits the coast"]),
        ({"language": "fr"}, ["Élections municipales"]),
        ({"from": "2020-03-01"}, ["Élections municipales", "Storm hits the coast"]),
        (
            {"to": "2020-03-01"},
            ["Storm hits the coast", "Election results announced", "الانتخابات البرلمانية"],
        ),
        ({"from": "2019-05-02", "to": "2019-05-02"}, ["Election results announced"]),
        (
            {"sort": "oldest", "from": "2019-01-01"},
            ["Election results announced", "Storm hits the coast", "Élections municipales"],
        ),
    ],
)
def test_each_filter_browses_newest_first_without_a_query(client, corpus, params, expected):
    response = client.get("/search/", params)
    assert response.status_code == 200
    assert result_titles(response) == expected


def test_filters_combine_with_a_query(client, corpus):
    response = client.get("/search/", {"q": "election", "source": "daily-times"})
    assert result_titles(response) == ["Election results announced"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"source": "evening-post"}, ["Élections municipales", "Storm hits the coast"]),
        (
            {"source": ["evening-post", "daily-times"]},
            ["Élections municipales", "Storm hits the coast", "Election results announced"],
        ),
        ({"tag": "politics"}, ["Storm hits the coast", "Election results announced"]),
        ({"tag": ["Politics", "weather"]}, ["Storm hits the coast"]),
        ({"from": "2020-03-01"}, ["Élections municipales", "Storm hits the coast"]),
        ({"to": "2020-02-29"}, ["Election results announced", "الانتخابات البرلمانية"]),
        ({"from": "2019-05-02", "to": "2019-05-02"}, ["Election results announced"]),
        ({"from": "2019-05-03", "to": "2020-02-29"}, []),
        (
            {"source": "evening-post", "tag": "politics", "to": "2021-01-01"},
            ["Storm hits the coast"],
        ),
    ],
)
def test_each_filter_narrows_a_query_exactly(client, corpus, params, expected):
    # The search index answers these filters with its filter terms, the rows with their
    # columns: both must agree, at every date edge.
    query = "election or élections or الانتخابات or storm"
    response = client.get("/search/", {"q": query, "sort": "newest", **params})
    assert response.status_code == 200
    assert result_titles(response) == expected
    api = client.get("/api/search", {"q": query, "sort": "newest", **params}).json()
    assert [r["title"] for r in api["results"]] == expected
    assert api["count"] == len(expected)


def test_sort_by_date(client, corpus):
    newest = client.get("/search/", {"q": "election", "sort": "newest"})
    oldest = client.get("/search/", {"q": "election", "sort": "oldest"})
    assert result_titles(newest) == [
        "Élections municipales",
        "Storm hits the coast",
        "Election results announced",
    ]
    assert result_titles(oldest) == list(reversed(result_titles(newest)))


def test_facets_count_the_current_query_and_link_to_add_and_remove(client, corpus):
    html = client.get("/search/", {"q": "election"}).content.decode()
    facet = re.search(
        r'<section class="facet" aria-labelledby="facet-source">(.*?)</section>', html, re.S
    ).group(1)
    assert 'Daily Times</a> <span class="n">1</span>' in facet
    assert 'href="?q=election&amp;source=daily-times"' in facet
    years = re.search(r'aria-labelledby="facet-year">(.*?)</section>', html, re.S).group(1)
    assert years.index("2019") < years.index("2020")
    assert 'href="?q=election&amp;from=2019-01-01&amp;to=2019-12-31"' in years
    assert 'Politics</a> <span class="n">2</span>' in html

    selected = client.get("/search/", {"q": "election", "source": "daily-times"}).content.decode()
    facet = re.search(r'aria-labelledby="facet-source">(.*?)</section>', selected, re.S).group(1)
    assert 'aria-current="true"' in facet
    assert 'href="?q=election"' in facet  # the link removes the filter


def test_timeline_is_an_accessible_svg_of_links(client, corpus):
    html = client.get("/search/", {"q": "election", "language": "en"}).content.decode()
    assert '<svg viewBox="0 0 100 100" preserveAspectRatio="none" role="group"' in html
    assert '<title id="timeline-title">Matches per month' in html
    assert (
        'href="?q=election&amp;language=en&amp;from=2019-05-01&amp;to=2019-05-31" '
        'aria-label="May 2019: 1 match"' in html
    )


def test_timeline_bars_without_matches_are_drawn_but_are_no_links():
    from articles.templatetags.archive_tags import timeline_chart

    bars = [
        {
            "label": "2019",
            "count": 3,
            "href": "?from=2019-01-01",
            "x": 0,
            "width": 30,
            "y": 10,
            "height": 90,
        },
        {
            "label": "2020",
            "count": 0,
            "href": "?from=2020-01-01",
            "x": 33,
            "width": 30,
            "y": 100,
            "height": 0,
        },
    ]
    svg = str(timeline_chart(bars, "year"))
    assert svg.count("<a ") == 1
    assert 'aria-label="2019: 3 matches"' in svg
    assert "?from=2020-01-01" not in svg
    assert "<title>2020: 0</title>" in svg  # still drawn, and named by the chart's title
    assert "2019: 3, 2020: 0</title>" in svg


def test_pagination_and_a_page_past_the_end(client, db):
    for i in range(45):
        make_article(f"Cat story {i:02d}", "cats", published_at=day(2000 + i))
    page1 = client.get("/search/", {"q": "cat", "sort": "newest"})
    assert result_titles(page1)[0] == "Cat story 44"
    assert "Page 1 of 3" in page1.content.decode()
    assert 'href="?q=cat&amp;sort=newest&amp;page=2"' in page1.content.decode()
    page3 = client.get("/search/", {"q": "cat", "sort": "newest", "page": 3})
    assert result_titles(page3) == [
        "Cat story 04",
        "Cat story 03",
        "Cat story 02",
        "Cat story 01",
        "Cat story 00",
    ]
    assert client.get("/search/", {"q": "cat", "page": 4}).status_code == 404
    assert client.get("/search/", {"page": 99999}).status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "yesterday"}, "from: Enter a valid date."),
        ({"from": "2020-05-01", "to": "2020-01-01"}, "The “from” date is after the “to” date."),
        ({"sort": "random"}, "sort: Select a valid choice."),
        ({"page": "two"}, "page: Enter a whole number."),
        ({"page": "0"}, "page: Ensure this value is greater than or equal to 1."),
        ({"language": "xx"}, "language: Select a valid choice."),
        ({"source": "Nowhere Gazette"}, "No source called “Nowhere Gazette”."),
        ({"tag": "nope"}, "No tag called “nope”."),
        ({"q": "x" * 501}, "q: Ensure this value has at most 500 characters"),
    ],
)
def test_bad_parameters_get_a_friendly_message(client, corpus, params, message):
    response = client.get("/search/", params)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    assert message.replace("“", "&ldquo;").replace("”", "&rdquo;") in html or message in html


def test_malformed_and_stopword_queries_never_error(client, corpus):
    for q in ['"', "-", "or or", "!!&|:*<->()", "the of and", "'; DROP TABLE x; --"]:
        response = client.get("/search/", {"q": q})
        assert response.status_code == 200, q
    assert "no words the archive indexes" in client.get("/search/", {"q": "&& ||"}).content.decode()


def test_hostile_titles_bodies_sources_tags_and_queries_are_escaped(client, db):
    source = make_source('<script>alert("s")</script>')
    make_article(
        '<img src=x onerror=alert("t")> cats',
        'A body with <script>alert("b")</script> and cats </mark><b>bold</b>',
        source=source,
        tags=['<svg onload=alert("g")>'],
    )
    html = client.get("/search/", {"q": 'cats <script>alert("q")</script>'}).content.decode()
    html += client.get("/search/", {"q": "cats"}).content.decode()
    for raw in ("<script>alert", "<img src=x", "<svg onload", "</mark><b>", "<b>bold"):
        assert raw not in html
    assert "&lt;img src=x onerror=alert(&quot;t&quot;)&gt;" in html
    assert "&lt;/mark&gt;&lt;b&gt;bold" in html


def test_the_search_page_runs_a_bounded_number_of_queries(
    client, corpus, django_assert_max_num_queries
):
    # 12 for the search, and two for the reader's rate-limit counter (articles/throttle.py).
    with django_assert_max_num_queries(14):
        assert client.get("/search/", {"q": "election", "tag": "politics"}).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/search/").status_code == 200


def test_empty_query_browses_everything_newest_first(client, corpus):
    response = client.get("/search/")
    assert result_titles(response) == [
        "Élections municipales",
        "Storm hits the coast",
        "Election results announced",
        "الانتخابات البرلمانية",
    ]
    assert "Browse the archive" in response.content.decode()


def test_an_all_stopword_query_says_so(client, db):
    make_article("The cat", "The cat sat.")
    response = client.get("/search/", {"q": "the of and"})
    assert response.status_code == 200
    assert "no words the archive indexes" in response.content.decode()
