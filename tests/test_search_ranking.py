"""Ranking, counts, facets and snippets of `run_search` on a small pinned corpus."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from articles import search
from articles.models import Article, Tag
from articles.search import clear_languages_cache, mark_hits, run_search
from tests.factories import bulk_articles, make_article, make_source, make_tag


@pytest.fixture(autouse=True)
def _fresh_languages():
    clear_languages_cache()
    yield
    clear_languages_cache()


def day(y, m=1, d=1):
    return datetime(y, m, d, tzinfo=UTC)


def titles(results):
    return [a.title for a in results.articles]


@pytest.mark.django_db
def test_ranking_title_beats_body_more_hits_beat_fewer_recency_breaks_ties():
    make_article("Budget talks", "The volcano erupted.", published_at=day(2001))
    make_article("Harbour news", "A volcano erupted near the harbour.", published_at=day(2020))
    make_article("Volcano erupts", "Ash everywhere.", published_at=day(2000))
    make_article("Island report", "Volcano, volcano, volcano: lava.", published_at=day(2002))
    make_article("Older harbour news", "A volcano erupted.", published_at=day(2010))
    make_article("Nothing", "Unrelated text.", published_at=day(2021))
    results = run_search(Article.objects.visible(), "volcano")
    assert titles(results) == [
        "Volcano erupts",  # title hit
        "Island report",  # three body hits
        "Harbour news",  # one body hit, newest of the ties
        "Older harbour news",
        "Budget talks",
    ]
    assert results.count == 5
    assert not results.count_is_estimate


@pytest.mark.django_db
def test_sort_newest_and_oldest_put_undated_last():
    make_article("Cats a", "cats", published_at=day(2001))
    make_article("Cats b", "cats", published_at=None)
    make_article("Cats c", "cats", published_at=day(2005))
    base = Article.objects.visible()
    assert titles(run_search(base, "cat", sort="newest")) == ["Cats c", "Cats a", "Cats b"]
    assert titles(run_search(base, "cat", sort="oldest")) == ["Cats a", "Cats c", "Cats b"]
    assert run_search(base, "").sort == "newest"


@pytest.mark.django_db
def test_hidden_articles_vanish_from_results_counts_and_facets():
    source = make_source("Hidden Herald")
    make_article("Cats shown", "cats", tags=["pets"])
    make_article("Cats hidden", "cats", source=source, tags=["secret"], is_hidden=True)
    results = run_search(Article.objects.visible(), "cats")
    assert titles(results) == ["Cats shown"]
    assert results.count == 1
    assert [f.label for f in results.facets["tag"]] == ["pets"]
    assert results.facets["source"] == []


@pytest.mark.django_db
def test_facets_count_the_current_query_and_years_are_chronological():
    times = make_source("Times")
    post = make_source("Post")
    for year, source in [(2019, times), (2003, times), (2011, post), (2003, post)]:
        make_article(
            f"Flood {year} {source.name}",
            "flood water",
            source=source,
            published_at=day(year),
            tags=["weather"],
        )
    make_article("Drought", "dry", source=post, published_at=day(2015), tags=["climate"])
    results = run_search(Article.objects.visible(), "flood")
    facets = {k: [(f.value, f.count) for f in v] for k, v in results.facets.items()}
    assert facets["source"] == [("post", 2), ("times", 2)]
    assert facets["tag"] == [("weather", 4)]
    assert facets["year"] == [("2003", 2), ("2011", 1), ("2019", 1)]
    assert facets["language"] == [("en", 4)]
    assert results.timeline_unit == "year"
    assert [(b.label, b.count) for b in results.timeline][:3] == [
        ("2003", 2),
        ("2004", 0),
        ("2005", 0),
    ]
    assert len(results.timeline) == 2019 - 2003 + 1


@pytest.mark.django_db
def test_timeline_is_monthly_when_the_matches_span_two_years_or_less():
    make_article("Storm one", "storm", published_at=day(2020, 11, 5))
    make_article("Storm two", "storm", published_at=day(2021, 2, 5))
    results = run_search(Article.objects.visible(), "storm")
    assert results.timeline_unit == "month"
    assert [(b.label, b.count) for b in results.timeline] == [
        ("Nov 2020", 1),
        ("Dec 2020", 0),
        ("Jan 2021", 0),
        ("Feb 2021", 1),
    ]
    assert results.timeline[-1].end.isoformat() == "2021-02-28"


def reports(count, *, first_year=2000, years=20, body="election results"):
    """`count` articles spread evenly over `years` years, a distinct day each, in one INSERT."""
    return bulk_articles(
        count,
        title="Report {i}",
        body=body,
        language="en",
        published=[
            day(first_year + i % years, 1 + (i // years) % 12, 1 + (i // (12 * years)) % 28)
            for i in range(count)
        ],
    )


@pytest.mark.django_db
def test_broad_queries_rank_the_last_months_and_count_and_facet_a_sample(
    monkeypatch, django_assert_max_num_queries
):
    # The thresholds are lowered so a small corpus takes the large-result-set path.
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 5)
    monkeypatch.setattr(search, "RANK_ALL_LIMIT", 5)
    monkeypatch.setattr(search, "RANK_WINDOW", 10)
    monkeypatch.setattr(search, "MIN_WINDOW", 2)
    monkeypatch.setattr(search, "FACET_SAMPLE_ROWS", 200)
    reports(800)
    make_article("Election special", "election", published_at=day(1990))  # oldest: outside
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    with django_assert_max_num_queries(15):
        results = run_search(Article.objects.visible(), "election", page_size=5)
    # Counted from the 1-in-8 sample bucket: about 801, not exactly.
    assert results.count_is_estimate
    assert 500 < results.count < 1200
    # Only the matches of the last months are ranked (about twice RANK_WINDOW), and only
    # they are paged.
    assert 10 <= results.ranked_window <= 80
    assert results.num_pages == -(-results.ranked_window // 5)
    assert all(a.published_at.year == 2019 for a in results.articles)
    assert "Election special" not in titles(results)
    # The facets come from the sample, spread over the whole archive (not from the ranked
    # window, which holds only the last months), scaled up to the whole.
    assert results.facets_are_estimates
    assert results.facets["language"][0].value == "en"
    assert 500 < results.facets["language"][0].count < 1200
    assert len(results.facets["year"]) >= 15
    with pytest.raises(search.PageNotFound):
        run_search(Article.objects.visible(), "election", page=results.num_pages + 1, page_size=5)
    # A `to` date in the past defeats the last-months guess (none of the archive's last
    # months is in range): months reaching further back are tried.
    past = Article.objects.visible().published_between(None, date(2003, 12, 31))
    old = run_search(past, "election", page_size=5)
    assert len(old.articles) == 5
    assert old.ranked_window >= 10
    assert all(a.published_at.year <= 2003 for a in old.articles)
    # Told the date range, the window aims inside it (no walk) and ranks the same articles.
    dated = run_search(past, "election", page_size=5, dates=(None, date(2003, 12, 31)))
    assert dated.ranked_window >= 10
    assert titles(dated) == titles(old)
    old_newest = run_search(past, "election", sort="newest", page_size=5)
    dates = [a.published_at for a in old_newest.articles]
    assert dates == sorted(dates, reverse=True)
    assert dates[0].year == 2003
    newest = run_search(Article.objects.visible(), "election", sort="newest", page_size=5)
    assert newest.ranked_window is None
    assert titles(newest)[0] == titles(results)[0]  # all ranked alike: the newest first


@pytest.mark.django_db
def test_a_large_listing_without_words_facets_a_sample_looked_up_with_its_filter_terms(
    monkeypatch,
):
    # Its source and tag filters are B-tree and tag-index bitmaps; ANDing them with the
    # sample bucket's took 93 ms for a big source and tag at 1,000,000 articles, the filter
    # terms in the sample's own GIN scan 18 ms. The facets must be those of the filtered
    # articles either way.
    harbour, other = make_source("Harbour Times"), make_source("Other Post")
    storm = make_tag("Storm")
    dates = [day(2000 + i % 20, 1 + i % 12) for i in range(1600)]
    ours = bulk_articles(1600, source=harbour, language="en", published=dates)
    theirs = bulk_articles(800, title="Other {i}", source=other, language="en", published=dates)
    links = [a for a in ours[::2]] + theirs
    Article.tags.through.objects.bulk_create(
        [Article.tags.through(article_id=a.pk, tag_id=storm.pk) for a in links]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    base = Article.objects.visible().filter(source=harbour).tagged(storm)
    known = {"sources": (harbour.pk,), "tags": (storm.pk,)}

    exact = run_search(base, **known)
    assert exact.count == 800 and not exact.facets_are_estimates
    assert [(v.label, v.count) for v in exact.facets["source"]] == [("Harbour Times", 800)]

    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 5)
    monkeypatch.setattr(search, "FACET_SAMPLE_ROWS", 150)
    with CaptureQueriesContext(connection) as queries:
        sampled = run_search(base, **known)
    assert sampled.facets_are_estimates
    [source] = sampled.facets["source"]
    [tag] = sampled.facets["tag"]
    assert source.label == "Harbour Times" and 500 < source.count < 1100
    assert tag.label == "Storm" and tag.count == source.count
    assert [v.value for v in sampled.facets["year"]] == [str(y) for y in range(2000, 2020, 2)]
    facet_sql = [q["sql"] for q in queries.captured_queries if "GROUPING SETS" in q["sql"]]
    assert len(facet_sql) == 1
    assert f"src:{harbour.pk}" in facet_sql[0] and f"t:{storm.pk}" in facet_sql[0]


@pytest.mark.django_db
def test_sample_buckets_are_nested_and_hold_about_their_share():
    reports(2000, body="filler")

    def count(sql, *terms):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM articles_article WHERE {sql}", terms)
            return cursor.fetchone()[0]

    in_bucket = "search_vector @@ %s::tsquery"
    assert 180 < count(in_bucket, "' s:8'") < 320  # 250 expected
    assert 30 < count(in_bucket, "' s:32'") < 100  # 62.5 expected
    outside = f"{in_bucket} AND NOT {in_bucket}"
    assert count(outside, "' s:32'", "' s:8'") == 0
    assert count(outside, "' s:128'", "' s:32'") == 0


@pytest.mark.django_db
def test_the_index_answers_filters_with_terms_a_reader_can_never_type():
    source, other = make_source("Harbour Gazette"), make_source("Other Times")
    article = make_article(
        "Storm report",
        "A storm hit the coast.",
        source=source,
        tags=["weather", "coast"],
        published_at=day(2020, 5, 3),
    )
    weather = article.tags.get(name="weather")

    def terms():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tsvector_to_array(search_vector) FROM articles_article WHERE id = %s",
                [article.pk],
            )
            return {t for t in cursor.fetchone()[0] if t.startswith(" ")}

    tag_terms = {f" t:{t.pk}" for t in article.tags.all()}
    assert {" y:2020", " m:2020-05", f" src:{source.pk}", *tag_terms} <= terms()
    # The terms follow a curator's changes; the words stay.
    article.published_at = datetime(2021, 11, 30, 23, tzinfo=UTC)
    article.source = other
    article.save()
    article.tags.remove(weather)
    now = terms()
    assert {" y:2021", " m:2021-11", f" src:{other.pk}"} <= now
    assert not {" y:2020", " m:2020-05", f" src:{source.pk}", f" t:{weather.pk}"} & now
    assert Article.objects.filter(pk=article.pk, search_vector="storm").exists()
    # Nothing a reader types reaches them.
    for q in ("y:2021", "m:2021-11", f"src:{other.pk}", "s:8", f"t:{weather.pk}", "2021-11"):
        assert run_search(Article.objects.visible(), q).count == 0, q


@pytest.mark.django_db
def test_filter_terms_change_how_filtered_searches_run_not_what_they_find(monkeypatch):
    harbour, other = make_source("Harbour Gazette"), make_source("Other Times")
    for i in range(30):
        make_article(
            f"Storm {i}",
            "storm over the bay",
            source=harbour if i % 3 else other,
            tags=["weather"] if i % 2 else ["coast"],
            published_at=day(2000 + i % 6, 1 + i % 12, 1 + i % 28),
        )
    make_article("Undated storm", "storm", source=harbour, tags=["weather"])
    weather = Tag.objects.get(name="weather")
    base = Article.objects.visible()
    spring_2001 = (date(2001, 3, 15), date(2003, 6, 30))
    cases = [
        (base.from_sources([harbour]), {"sources": (harbour.pk,)}),
        (base.tagged(weather), {"tags": (weather.pk,)}),
        (base.published_between(*spring_2001), {"dates": spring_2001}),
        (base.published_between(None, date(2002, 12, 31)), {"dates": (None, date(2002, 12, 31))}),
        (base.published_between(date(2004, 2, 1), None), {"dates": (date(2004, 2, 1), None)}),
        (
            base.from_sources([harbour, other])
            .tagged(weather)
            .published_between(date(2001, 1, 1), None),
            {
                "sources": (harbour.pk, other.pk),
                "tags": (weather.pk,),
                "dates": (date(2001, 1, 1), None),
            },
        ),
    ]
    for limit in (10_000, 5):  # the exact path, then the broad one
        monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", limit)
        monkeypatch.setattr(search, "RANK_ALL_LIMIT", limit)
        for filtered, known in cases:
            plain = run_search(filtered, "storm", sort="newest", page_size=50, facets=False)
            told = run_search(filtered, "storm", sort="newest", page_size=50, facets=False, **known)
            assert titles(plain), known
            assert titles(told) == titles(plain), known


@pytest.mark.django_db
def test_a_phrase_estimated_broad_but_matching_few_is_counted_exactly(monkeypatch):
    # The planner estimates a phrase by its words anywhere in the article; when those
    # words are common but rarely side by side, the page still gives the exact count.
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 5)
    monkeypatch.setattr(search, "EXACT_PHRASE_CANDIDATES", 50)
    for i in range(40):
        make_article(f"Apart {i}", "the harbour was quiet; gates closed", published_at=day(2001))
    for i in range(3):
        make_article(f"Together {i}", "the harbour gates closed", published_at=day(2002))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    results = run_search(Article.objects.visible(), '"harbour gates"', page_size=2)
    assert not results.count_is_estimate
    assert results.count == 3
    assert results.num_pages == 2
    assert set(titles(results)) < {"Together 0", "Together 1", "Together 2"}
    assert not results.facets_are_estimates
    assert [(v.value, v.count) for v in results.facets["year"]] == [("2002", 3)]


@pytest.mark.django_db
def test_snippets_mark_hits_and_escape_hostile_bodies():
    make_article("Hostile", 'Before <script>alert("x")</script> the cat </mark> & after.')
    [article] = run_search(Article.objects.visible(), "cat").articles
    assert "<mark>cat</mark>" in article.snippet
    assert "<script>" not in article.snippet
    assert "&lt;script&gt;" in article.snippet
    assert "&lt;/mark&gt;" in article.snippet


@pytest.mark.django_db
def test_snippets_find_hits_in_the_lead_and_deep_in_the_body():
    filler = " ".join(f"word{i}" for i in range(400))  # ~3,500 characters, no hit
    make_article("Lead hit", f"The harbour opened today. {filler}")
    make_article("Deep hit", f"{filler} At last the harbour closed.")
    make_article("Phrase split", f"Old harbour. {filler} The harbour gates shut.")
    found = {a.title: a.snippet for a in run_search(Article.objects.visible(), "harbour").articles}
    assert "<mark>harbour</mark> opened" in found["Lead hit"]
    assert "the <mark>harbour</mark> closed" in found["Deep hit"]
    # A phrase whose words are in the lead but not side by side there is marked where it is.
    [phrase] = run_search(Article.objects.visible(), '"harbour gates"').articles
    assert "<mark>harbour</mark> <mark>gates</mark> shut" in phrase.snippet


@pytest.mark.django_db
def test_a_one_word_snippet_deep_in_the_body_comes_from_a_window_around_the_word():
    filler = " ".join(f"word{i}" for i in range(400))
    article = make_article("Deep hit", f"{filler} At last the harbour closed. {filler}")
    query = search.archive_query("harbour")
    assert query.snippet_hint == "harbour"
    # The window alone (no whole-body fallback) finds and marks the hit.
    window = search._windowed_headline(query, query.snippet_hint, Value("no hit in window"))
    [raw] = Article.objects.filter(pk=article.pk).annotate(s=window).values_list("s", flat=True)
    assert "the \x02harbour\x03 closed" in raw
    assert not raw.startswith("word0 ") and len(raw) < search.SNIPPET_WINDOW_CHARS
    # Queries of several words, phrases and exclusions have no hint (whole-body snippets).
    for q in ("harbour gates", '"harbour gates"', "harbour or gates", "-harbour"):
        assert search.archive_query(q).snippet_hint == ""


@pytest.mark.django_db
def test_a_one_word_snippet_falls_back_to_the_whole_body_when_the_window_misses():
    filler = " ".join(f"word{i}" for i in range(400))
    # 'happi' (the stem) is not how "happy" is written; "smartest" holds 'art' before "art".
    make_article("Stem", f"{filler} Voters were happy with it.")
    make_article("Inside a word", f"{filler} The smartest move. {filler} Modern art wins.")
    [stem] = run_search(Article.objects.visible(), "happy").articles
    assert "were <mark>happy</mark> with" in stem.snippet
    [inside] = run_search(Article.objects.visible(), "art").articles
    assert "Modern <mark>art</mark> wins" in inside.snippet


@pytest.mark.django_db
def test_each_search_marks_its_own_words_in_the_snippets_compiled_once():
    # Result lists compile the snippet SQL once per shape of query and bind each search's
    # words: one search after another must mark its own words, the same as the expression.
    filler = " ".join(f"word{i}" for i in range(400))
    make_article("Harbour", f"{filler} At last the harbour closed, the ferry stayed.")
    make_article("Ferry", f"The ferry left. {filler} The harbour gates & <b>locks</b> shut.")
    queries = ["harbour", "ferry", "gates", '"harbour gates"', "ferry -gates", "locks or left"]
    for q in queries * 2:
        query = search.archive_query(q)
        found = run_search(Article.objects.visible(), q).articles
        expected = dict(
            Article.objects.annotate(s=search.headline_expression(query)).values_list("title", "s")
        )
        assert found and {a.title: a.snippet for a in found} == {
            a.title: mark_hits(expected[a.title]) for a in found
        }
        for article in found:
            marked = re.findall(r"<mark>(.*?)</mark>", article.snippet)
            assert marked and all(word.lower() in q for word in marked), (q, article.snippet)


def test_mark_hits_escapes_first_and_balances_marks():
    assert mark_hits('<b>"\x02hit\x03"</b>') == "&lt;b&gt;&quot;<mark>hit</mark>&quot;&lt;/b&gt;"
    assert mark_hits("cut \x02off") == "cut <mark>off</mark>"
    assert mark_hits("stray\x03 end") == "stray end"
    assert mark_hits("\x02a\x02b\x03\x03c\x02") == "<mark>ab</mark>c"


@given(st.text(alphabet=st.sampled_from('ab <>&"\x02\x03\x04\x06'), max_size=40))
def test_marked_snippets_are_escaped_text_with_balanced_marks(text):
    html = str(mark_hits(text))
    assert html.count("<mark>") == html.count("</mark>")
    # Without the marks, what is left is the text (HTML characters ts_headline hid as
    # \x04-\x06 restored) escaped, sentinels dropped.
    plain = text.translate({2: None, 3: None, 4: "<", 5: ">", 6: "&"})
    assert html.replace("<mark>", "").replace("</mark>", "") == escape(plain)


@pytest.mark.django_db
def test_page_past_the_end_raises():
    make_article("Cats", "cats")
    assert run_search(Article.objects.visible(), "cat", page=1).count == 1
    with pytest.raises(search.PageNotFound):
        run_search(Article.objects.visible(), "cat", page=2)
    with pytest.raises(search.PageNotFound):
        run_search(Article.objects.visible(), "cat", page=search.MAX_PAGES + 1)


@pytest.mark.django_db
def test_the_exact_paths_planner_costs_do_not_outlive_its_statement():
    # The exact path plans its one statement with in-memory page costs (SET LOCAL); a
    # caller's own transaction (here the test's) must not keep them for later queries.
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        before = cursor.fetchone()[0]
    make_article("Harbour news", "The harbour reopened.")
    assert run_search(Article.objects.visible(), "harbour").count == 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == before


@pytest.mark.django_db
def test_a_date_range_search_ranks_a_window_inside_the_range_without_walking(monkeypatch):
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 5)
    monkeypatch.setattr(search, "RANK_ALL_LIMIT", 5)
    monkeypatch.setattr(search, "RANK_WINDOW", 4)
    monkeypatch.setattr(search, "MIN_WINDOW", 1)
    monkeypatch.setattr(search, "FACET_SAMPLE_ROWS", 10)
    for i in range(80):
        make_article(
            f"Report {i}", "election results", published_at=day(2000 + i % 20, 1 + i // 20)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    past = Article.objects.visible().published_between(None, date(2009, 12, 31))
    walked = run_search(past, "election", page_size=3)
    walks = []
    real_select_ids = search.select_ids
    monkeypatch.setattr(
        search, "select_ids", lambda *a, **k: walks.append(a) or real_select_ids(*a, **k)
    )
    dated = run_search(past, "election", page_size=3, dates=(None, date(2009, 12, 31)))
    assert walks == []  # the window since a cutoff inside the range was enough
    assert dated.ranked_window >= 4  # the matches of the range's last months
    assert titles(dated) == titles(walked) == ["Report 69", "Report 49", "Report 29"]


@pytest.mark.django_db
def test_the_rank_skips_ts_rank_cd_only_where_it_would_give_zero():
    from django.contrib.postgres.search import SearchRank
    from django.db.models import F

    filler = " ".join(f"word{i}" for i in range(200))  # pushes later words past the lead
    make_article("Harbour gates", "Closed today.")
    make_article("Port news", "The harbour gates and the storm.")
    make_article("Deep", f"{filler} harbour gates storm initiatives")
    make_article("Starred known", f"A starred and known story. {filler} initiatives")
    make_article("Storm", "harbour storm gates")
    for q in (
        "harbour",
        "harbour gates",
        "harbour or storm",
        '"harbour gates"',
        "harbour -storm",
        "initiatives or starred -known",
    ):
        query = search.archive_query(q)
        matches = Article.objects.filter(search_vector=query)
        ours = dict(matches.annotate(r=search.rank_expression(query)).values_list("title", "r"))
        plain = SearchRank(F("rank_vector"), query, weights=search.RANK_WEIGHTS, cover_density=True)
        assert ours, q
        assert ours == pytest.approx(dict(matches.annotate(r=plain).values_list("title", "r"))), q
