"""Query building: the websearch syntax parser (no database) and matching in every language."""

from __future__ import annotations

import pytest
from django.db import connection

from articles.models import Article
from articles.search import Term, clear_languages_cache, parse_query
from tests.factories import make_article


@pytest.fixture(autouse=True)
def _fresh_languages():
    clear_languages_cache()
    yield
    clear_languages_cache()


def test_parse_query_splits_words_phrases_or_and_exclusions():
    assert parse_query('cat dog or mouse -rat "big cats"') == [
        [Term("cat"), Term("dog")],
        [Term("mouse"), Term("rat", negated=True), Term("big cats", phrase=True)],
    ]


def test_parse_query_survives_garbage():
    assert parse_query("") == []
    assert parse_query('   or  -  " ') == []
    assert parse_query('"unclosed phrase') == [[Term("unclosed phrase", phrase=True)]]
    assert parse_query('-"not this" that') == [
        [Term("not this", phrase=True, negated=True), Term("that")]
    ]


def ids(qs):
    return sorted(a.pk for a in qs)


@pytest.mark.django_db
def test_search_stems_english_and_french_and_finds_arabic():
    en = make_article("Cats running", "The cats were running home.", language="en")
    fr = make_article("Les chevaux", "Les chevaux mangeaient des pommes.", language="fr")
    ar = make_article("الحكومة الجديدة", "أعلنت الحكومة اليوم عن خطة جديدة.", language="ar")
    assert ids(Article.objects.visible().search("cat run")) == [en.pk]
    assert ids(Article.objects.visible().search("cheval")) == [fr.pk]
    assert ids(Article.objects.visible().search("الحكومة")) == [ar.pk]


@pytest.mark.django_db
def test_search_phrase_or_and_exclusion():
    a = make_article("Big cats roam", "Lions and tigers.")
    b = make_article("Cats big and small", "Tigers only.")
    c = make_article("Dogs bark", "Nothing feline.")
    assert ids(Article.objects.search('"big cats"')) == [a.pk]
    assert ids(Article.objects.search("lion or dog")) == sorted([a.pk, c.pk])
    assert ids(Article.objects.search("tigers -lions")) == [b.pk]


@pytest.mark.django_db
def test_exclusion_holds_across_languages_with_different_stemming():
    # 'cats' is 'cat' in English but 'cats' in the simple configuration.
    english = make_article("Cats", "About cats.", language="en")
    other = make_article("Dogs", "About dogs.", language="")
    assert english.pk and other.pk
    assert ids(Article.objects.search("about -cats")) == [other.pk]


@pytest.mark.django_db
def test_empty_and_stopword_queries_match_nothing_without_error():
    make_article("The cat", "the body")
    assert list(Article.objects.search("")) == []
    assert list(Article.objects.search("the and of")) == []
    assert list(Article.objects.search("!!& | :* <-> ( )")) == []


@pytest.mark.django_db
def test_matching_uses_the_gin_index():
    make_article("Cats", "About cats.")
    qs = Article.objects.visible().matching("cat")
    sql, params = qs.values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "article_search_gin" in plan


@pytest.mark.django_db
@pytest.mark.parametrize("order", ["newest_first", "oldest_first"])
def test_listings_in_either_date_order_read_an_index_instead_of_sorting_every_article(order):
    # Oldest first (undated last) had no index in its order: at 1,000,000 articles the
    # "oldest" sort of the search page sorted them all, 323 ms (migration 0010).
    qs = getattr(Article.objects.visible(), order)().values("id")[:20]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_sort")
    assert "Sort" not in plan
    assert "article_published" in plan


@pytest.mark.django_db
def test_search_columns_keep_fine_statistics_for_the_planner():
    # Rare and mid terms are told apart only with a statistics target well above the
    # default (migration 0005); a reset to the default would silently bring back
    # "about 9,972" for a word found in 52 articles at a million.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attstattarget FROM pg_attribute "
            "WHERE attrelid = 'articles_article'::regclass "
            "AND attname IN ('search_vector', 'tag_ids') ORDER BY attname"
        )
        assert cursor.fetchall() == [("search_vector", 1000), ("tag_ids", 1000)]


@pytest.mark.django_db
def test_search_vector_is_stored_without_a_compression_attempt():
    # pglz never shrinks a tsvector enough to keep the result (migration 0009): the
    # attempt cost every insert and vector update 15 us at 1,000,000 articles.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attstorage FROM pg_attribute "
            "WHERE attrelid = 'articles_article'::regclass "
            "AND attname IN ('body', 'search_vector') ORDER BY attname"
        )
        assert cursor.fetchall() == [("body", "x"), ("search_vector", "e")]
    words = " ".join(f"word{n}" for n in range(1500))
    article = make_article(title="Long read", body=f"{words} harbour strike ended {words}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_size(search_vector) > 8000, pg_column_compression(search_vector) "
            "FROM articles_article WHERE id = %s",
            [article.pk],
        )
        assert cursor.fetchone() == (True, None)  # out of line, stored as it is
    assert list(Article.objects.matching('"strike ended"')) == [article]
