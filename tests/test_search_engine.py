"""The search engine: ranking, the query language end to end, stop words in several
languages, exact counts and facets, and the hidden-article guarantee."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from articles.models import Article
from articles.search import PageNotFound, SearchRequest, search
from articles.search.related import related_articles
from tests.factories import bulk_articles, make_article, make_source, make_tag

pytestmark = pytest.mark.django_db


def day(y, m=1, d=1):
    return datetime(y, m, d, tzinfo=UTC)


def titles(q="", **fields):
    return [a.title for a in search(SearchRequest(q=q, **fields)).articles]


def count(q="", **fields):
    return search(SearchRequest(q=q, **fields)).count


# --- Ranking ------------------------------------------------------------------------------


def test_bm25_ranks_title_hits_then_frequent_then_rare_words_over_every_match(index_articles):
    make_article("Harbour news", "The ferry sails at noon. " + "Filler words here. " * 40)
    make_article("Council meeting", "ferry " * 6 + "and the council met.")
    make_article("Ferry returns to the harbour", "After ten years the service is back.")
    make_article("Weather", "Sunny day. " * 100 + "A ferry was seen far away at the end.")
    make_article("Unrelated", "Nothing about boats.")
    index_articles()
    # Title and body count together against the article's length (BM25F, the title
    # twice): the short body that says it six times, then the title, then the short and
    # the long body that say it once (BM25 discounts long bodies).
    assert titles("ferry") == [
        "Council meeting",
        "Ferry returns to the harbour",
        "Harbour news",
        "Weather",
    ]
    # A word deep in a long body is matched and ranked, not scored zero.
    assert titles("far away")[0] == "Weather"


def test_a_rare_word_outweighs_a_common_one(index_articles):
    for i in range(30):
        make_article(f"Report {i}", "The minister spoke about the budget.")
    make_article("Volcano", "The minister spoke about the volcano.")
    make_article("Budget", "The budget of the volcano institute, the budget again.")
    index_articles()
    # Both words: only two articles; "volcano" is the rare one, "budget" the common one.
    assert titles("volcano budget") == ["Budget"]
    assert titles("volcano OR budget")[:2] == ["Volcano", "Budget"]


def test_relevance_ties_and_sorts_order_every_match_with_undated_last(index_articles):
    make_article("Cat A", "cat", published_at=day(2001))
    make_article("Cat B", "cat", published_at=day(2020))
    make_article("Cat C", "cat", published_at=None)
    make_article("Cat D", "cat", published_at=day(1850))
    index_articles()
    assert titles("cat", sort="newest") == ["Cat B", "Cat A", "Cat D", "Cat C"]
    assert titles("cat", sort="oldest") == ["Cat D", "Cat A", "Cat B", "Cat C"]


def test_the_whole_archive_in_date_order_page_by_page(index_articles):
    # Read from the fewest newest (or oldest) months that hold the page: every page of both
    # orders must still be the archive's, across month ends, ties on a date, hidden and
    # undated articles, and pages that reach into the undated ones.
    moments = [
        datetime(2019, month, d, hour, tzinfo=UTC)
        for month in (1, 2, 3, 5, 12)
        for d, hour in ((1, 0), (15, 12), (28, 23))
    ]
    moments += [day(2019, 3, 15)] * 3 + [datetime(2019, 5, 31, 23, 59, tzinfo=UTC), day(1850)]
    made = bulk_articles(len(moments), title="Dated {i}", published=moments)
    made += bulk_articles(4, title="Undated {i}")
    Article.objects.filter(pk__in=[made[4].pk, made[-1].pk]).update(is_hidden=True)
    index_articles()

    visible = list(Article.objects.visible())
    # Undated articles come last in both orders, by id (the highest first when newest first).
    undated = sorted((a.pk for a in visible if a.published_at is None), reverse=True)
    newest = [
        a.pk
        for a in sorted(
            (a for a in visible if a.published_at), key=lambda a: (a.published_at, a.pk)
        )[::-1]
    ] + undated
    oldest = [
        a.pk
        for a in sorted(
            (a for a in visible if a.published_at), key=lambda a: (a.published_at, a.pk)
        )
    ] + undated[::-1]
    assert len(newest) == len(visible) == 22
    for sort, expected in (("newest", newest), ("oldest", oldest)):
        for size in (1, 2, 3, 5, 21, 40):
            pages = [
                search(SearchRequest(sort=sort, page=n, page_size=size, facets=False))
                for n in range(1, -(-len(expected) // size) + 1)
            ]
            assert [pk for page in pages for pk in page.ids] == expected, (sort, size)
            assert {page.count for page in pages} == {22}
            assert {page.num_pages for page in pages} == {-(-22 // size)}
        window = search(SearchRequest(sort=sort, offset=7, page_size=4, facets=False))
        assert window.ids == expected[7:11]
    with pytest.raises(PageNotFound):
        search(SearchRequest(sort="newest", page=12, page_size=2, facets=False))


# --- Stop words in a mixed-language archive -------------------------------------------------


@pytest.fixture
def mixed(db, index_articles):
    basra = [
        make_article(f"Fighting in Basra {i}", "Troops entered Basra at dawn.", language="en")
        for i in range(4)
    ]
    make_article("Die Beatles in Hamburg", "The Beatles spielten in Hamburg.", language="de")
    make_article("The Beatles split up", "The band broke up.", language="en")
    make_article("Les Beatles à Paris", "Les Beatles ont joué.", language="fr")
    make_article("Unknown tongue", "Basra the beatles words", language="")
    make_article("تقرير من البصرة", "البصرة مدينة في العراق.", language="ar")
    index_articles()
    return basra


def test_stop_words_never_narrow_or_empty_a_query(mixed):
    assert count("Basra") == 5
    assert count("the Basra") == 5
    assert count("in Basra") == 5
    assert count("the beatles") == count("beatles") == 4


def test_a_query_of_stop_words_alone_says_so(mixed):
    found = search(SearchRequest(q="the of and in"))
    assert found.count == 0 and not found.has_terms
    found = search(SearchRequest(q="-the"))
    assert found.count == 0 and not found.has_terms
    assert not search(SearchRequest(q="!!! ***")).has_terms


def test_each_language_is_stemmed_its_own_way(mixed):
    assert "Fighting in Basra 0" in titles("fight")  # English: fighting -> fight
    assert titles("spielten") == ["Die Beatles in Hamburg"]
    assert titles("joue") == ["Les Beatles à Paris"]  # accents folded: joué
    assert titles("البصرة") == ["تقرير من البصرة"]


# --- The query language, end to end ---------------------------------------------------------


@pytest.fixture
def docks(db, index_articles):
    times, post = make_source("Daily Times"), make_source("Evening Post")
    labour = make_tag("Labour")
    found = {
        "strike": make_article(
            "Dock strike ends",
            "The dock workers went back after the strike.",
            source=times,
            tags=[labour],
            published_at=day(2019),
        ),
        "near": make_article(
            "Harbour news",
            "A strike by workers at the old dock.",
            source=post,
            published_at=day(2020),
        ),
        "cranes": make_article(
            "Cranes at the dock",
            "New cranes arrived; no strike.",
            source=post,
            tags=[labour],
            published_at=day(2021),
        ),
        "economy": make_article(
            "Economists warn",
            "The economy of the port is weak.",
            source=times,
            language="en",
            published_at=day(2022),
        ),
        "french": make_article("Grève au port", "Les dockers font grève.", language="fr"),
    }
    index_articles()
    return found


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"dock strike"', {"strike"}),
        ('"strike dock"', set()),
        ('"workers dock"~4', {"near", "strike"}),  # near each other, in either order
        ('"workers dock"~1', set()),
        ("dock <-> strike", {"strike"}),
        ("cranes OR economy", {"cranes", "economy"}),
        ("cranes or economy", {"cranes", "economy"}),
        ("dock -cranes", {"strike", "near"}),
        ('dock -"dock strike"', {"near", "cranes"}),
        ("dock NOT strike", set()),
        ("econom*", {"economy"}),
        ("title:dock", {"strike", "cranes"}),
        ("title:dock strike", {"strike", "cranes"}),
        ("body:cranes", {"cranes"}),
        ("-title:cranes dock", {"strike", "near"}),
        ('title:"dock strike"', {"strike"}),
        ("title:econ*", {"economy"}),
        ("source:evening-post", {"near", "cranes"}),
        ('source:"Daily Times" dock', {"strike"}),
        ("source:daily*", {"strike", "economy"}),
        ("-source:evening-post dock", {"strike"}),
        ("tag:labour", {"strike", "cranes"}),
        ("tag:Labour -title:cranes", {"strike"}),
        ("language:fr", {"french"}),
        ("language:French", {"french"}),
        ("(cranes OR economy) -weak", {"cranes"}),
        ("grève", {"french"}),
    ],
)
def test_every_piece_of_syntax(docks, q, expected):
    ids = set(search(SearchRequest(q=q)).ids)
    assert ids == {docks[name].pk for name in expected}, q


@pytest.mark.parametrize("q", ["title:", '"unclosed', "((a", "*", "a OR", "-", '"', "<-> ("])
def test_malformed_queries_are_plain_words_never_errors(docks, q):
    search(SearchRequest(q=q))


def test_unknown_names_in_filters_say_so_and_match_nothing(docks):
    found = search(SearchRequest(q="source:nowhere dock"))
    assert found.count == 0
    assert [(f.field, f.value) for f in found.unknown_filters] == [("source", "nowhere")]


def test_a_typo_offers_the_corrected_query_with_its_count(docks):
    found = search(SearchRequest(q="dokc strike"))
    assert found.count == 0
    assert found.suggestion is not None
    assert found.suggestion.q == "dock strike"
    assert found.suggestion.count == search(SearchRequest(q="dock strike")).count == 3
    assert search(SearchRequest(q="dock")).suggestion is None


# --- Exact counts, facets and pages ---------------------------------------------------------


def test_counts_facets_timeline_and_pages_agree_exactly(index_articles):
    wire, post = make_source("Wire"), make_source("Post")
    tag = make_tag("World")
    dates = [day(2000 + i % 7, 1 + i % 12, 1 + i % 28) for i in range(95)] + [None] * 12
    for i, published in enumerate(dates):
        make_article(
            f"Flood {i}",
            "flood waters rose",
            source=wire if i % 3 else post,
            tags=[tag] if i % 4 == 0 else [],
            published_at=published,
            language="en" if i % 5 else "fr",
            is_hidden=i % 17 == 0,
        )
    index_articles()
    visible = Article.objects.visible().filter(title__startswith="Flood").count()
    found = search(SearchRequest(q="flood", page_size=20))
    assert found.count == visible
    assert sum(f.count for f in found.facets["language"]) == visible
    assert sum(f.count for f in found.facets["year"]) == visible
    assert found.facets["year"][-1].value == "undated"
    assert (
        found.facets["year"][-1].count
        == Article.objects.visible().filter(title__startswith="Flood", published_at=None).count()
    )
    assert sum(bar.count for bar in found.timeline) == visible
    assert sum(f.count for f in found.facets["source"]) == visible
    tagged = Article.objects.visible().filter(tags=tag).count()
    assert found.facets["tag"][0].count == tagged
    seen = []
    for page in range(1, found.num_pages + 1):
        seen += search(SearchRequest(q="flood", page=page, facets=False)).ids
    assert len(seen) == len(set(seen)) == visible
    with pytest.raises(PageNotFound):
        search(SearchRequest(q="flood", page=found.num_pages + 1))
    # Filters narrow exactly what the facets said.
    for value in found.facets["source"]:
        source = wire if value.value == "wire" else post
        assert count("flood", sources=(source.pk,)) == value.count


def test_a_broad_search_ranks_every_match_not_the_newest(index_articles):
    bulk_articles(3000, title="Office {i}", body="work", published=[day(2020)] * 3000)
    make_article("Making your office work for you", "office work office", published_at=day(2008))
    index_articles()
    found = search(SearchRequest(q="making work office"))
    assert found.articles[0].title == "Making your office work for you"
    assert search(SearchRequest(q="office work")).count == 3001


# --- What readers may see -------------------------------------------------------------------


def test_hidden_articles_are_never_shown_counted_or_faceted(index_articles):
    shown = make_article("Visible flood", "flood", source=make_source("Wire"))
    make_article("Hidden flood", "flood", is_hidden=True, source=make_source("Secret"))
    index_articles()
    found = search(SearchRequest(q="flood"))
    assert found.ids == [shown.pk] and found.count == 1
    assert [f.label for f in found.facets["source"]] == ["Wire"]
    # The admin's search sees both.
    assert search(SearchRequest(q="flood", include_hidden=True)).count == 2


def test_an_index_that_lags_a_hide_or_a_delete_never_shows_the_article(index_articles):
    a = make_article("Flood A", "flood")
    b = make_article("Flood B", "flood")
    index_articles()
    Article.objects.filter(pk=a.pk).update(is_hidden=True)  # the index has not caught up
    b.delete()
    assert search(SearchRequest(q="flood")).articles == []


def test_snippets_mark_stemmed_hits_in_escaped_text(index_articles):
    make_article(
        "Hostile",
        "Intro. <script>alert(1)</script> The floods & rains </mark> came.\n\nMore floods.",
    )
    index_articles()
    snippet = str(search(SearchRequest(q="flooding")).articles[0].snippet)
    assert "<mark>floods</mark>" in snippet
    assert "&lt;script&gt;" in snippet and "<script>" not in snippet
    assert "&lt;/mark&gt;" in snippet and "&amp;" in snippet


def test_related_articles_come_from_the_engine_for_untagged_articles_too(index_articles):
    make_article("Dates harvest in Qassim", "حصاد التمور في القصيم هذا العام وفير", language="ar")
    a = make_article("Dates festival", "مهرجان التمور في القصيم يجذب الزوار", language="ar")
    make_article("Football", "مباراة كرة القدم في الرياض", language="ar")
    make_article("Hidden dates", "التمور في القصيم", language="ar", is_hidden=True)
    index_articles()
    related = [r.title for r in related_articles(a, [])]
    assert related[0] == "Dates harvest in Qassim"
    assert "Hidden dates" not in related and "Dates festival" not in related


def test_related_articles_pass_over_hidden_ones_that_rank_first(index_articles):
    a = make_article("Dates festival", "Dates festival in Qassim draws visitors to the palms")
    for n in range(2):
        make_article(f"Hidden {n}", "Dates festival in Qassim draws visitors", is_hidden=True)
    for n in range(3):
        make_article(f"Visible {n}", f"Dates harvest in Qassim, part {n}")
    make_article("Football", "A football match in Riyadh")
    index_articles()
    related = [r.title for r in related_articles(a, [], limit=2)]
    assert len(related) == 2 and all(t.startswith("Visible") for t in related)


def test_a_hit_deep_in_a_long_body_is_found_and_marked_in_its_snippet(index_articles):
    make_article("Long", "Quiet words fill the page. " * 400 + "Then the rivers flooded the town.")
    make_article(
        "Accented", "Mots tranquilles. " * 200 + "Les élections approchent.", language="fr"
    )
    index_articles()
    snippet = str(search(SearchRequest(q="flood")).articles[0].snippet)
    assert "<mark>flooded</mark>" in snippet and snippet.startswith("… ")
    # "élections": its folded stem is not in the text as written; the whole body is read.
    assert "<mark>élections</mark>" in str(search(SearchRequest(q="elections")).articles[0].snippet)
