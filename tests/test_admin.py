"""The curators' admin: lists, search, edits, bulk actions, merges and import runs."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import admin as articles_admin
from articles.admin import FEW_ROWS
from articles.models import Article, ImportRun, Source, SourceRedirect, Tag, TagRedirect
from tests.factories import (
    bulk_articles,
    make_article,
    make_source,
    make_staff,
    make_superuser,
    make_tag,
)

pytestmark = pytest.mark.django_db

ARTICLES = reverse("admin:articles_article_changelist")
TAGS = reverse("admin:articles_tag_changelist")
SOURCES = reverse("admin:articles_source_changelist")


@pytest.fixture(autouse=True)
def _fresh_language_cache():
    yield


@pytest.fixture
def editor_client(client):
    client.force_login(make_staff("editor"))
    return client


def change_url(obj) -> str:
    return reverse(f"admin:articles_{obj._meta.model_name}_change", args=[obj.pk])


def action(client, url, name, objs, **extra):
    data = {"action": name, "index": 0, ACTION_CHECKBOX_NAME: [o.pk for o in objs], **extra}
    return client.post(url, data)


def result_titles(response) -> list[str]:
    return sorted(str(a) for a in response.context["cl"].result_list)


# --- The article list ---------------------------------------------------------------------


def test_changelist_shows_title_source_date_language_tags_and_hidden(editor_client):
    bbc = make_source("BBC")
    make_article(
        "Storm hits coast",
        source=bbc,
        tags=["Weather", "Coast"],
        published_at=datetime(2024, 3, 1, tzinfo=UTC),
        is_hidden=True,
    )
    response = editor_client.get(ARTICLES)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Storm hits coast", "BBC", "Coast, Weather", "March 1, 2024", "en"):
        assert text in html
    # The hidden flag is said only where it is set.
    assert html.count('<span class="hidden-flag">hidden</span>') == 1
    make_article("Shown article")
    html = editor_client.get(ARTICLES).content.decode()
    assert html.count('<span class="hidden-flag">hidden</span>') == 1
    assert "icon-no" not in html


def test_admin_search_uses_full_text_search_with_stemming(editor_client):
    make_article("Volcano erupts", "Lava everywhere.")
    make_article("Football final", "Goals galore.")
    make_article("Quiet day", "The volcanoes slept.")  # a body hit, stemmed
    response = editor_client.get(ARTICLES, {"q": "volcano"})
    assert result_titles(response) == ["Quiet day", "Volcano erupts"]
    response = editor_client.get(ARTICLES, {"q": '"volcano erupts" or goals'})
    assert result_titles(response) == ["Football final", "Volcano erupts"]


def test_admin_search_sees_hidden_articles(editor_client):
    make_article("Hidden volcano", is_hidden=True)
    assert result_titles(editor_client.get(ARTICLES, {"q": "volcano"})) == ["Hidden volcano"]


def test_filters_by_source_tag_language_hidden_and_import_run(editor_client):
    run = ImportRun.objects.create(paths=["dump.txt"])
    bbc = make_source("BBC")
    a = make_article("English BBC", source=bbc, tags=["Politics"], language="en")
    a.import_run = run
    a.save()
    make_article("Arabic", language="ar", is_hidden=True)
    make_article("Unknown language", language="")
    tag = Tag.objects.get(name="Politics")

    def titles(**params):
        return result_titles(editor_client.get(ARTICLES, params))

    assert titles(source__id__exact=bbc.pk) == ["English BBC"]
    assert titles(tags__id__exact=tag.pk) == ["English BBC"]
    assert titles(language="ar") == ["Arabic"]
    assert titles(language="-") == ["Unknown language"]
    assert titles(is_hidden__exact=1) == ["Arabic"]
    assert titles(import_run__id__exact=run.pk) == ["English BBC"]
    html = editor_client.get(ARTICLES).content.decode()
    assert "Arabic" in html and "?language=ar" in html


def test_the_tag_and_source_filters_offer_the_largest_few_and_the_chosen_one(editor_client):
    from django.core.cache import cache

    from articles.admin import LargestTagsFilter

    cache.clear()  # the site-wide tag counts are cached
    for n in range(LargestTagsFilter.shown + 5):
        make_article(f"Story {n}", tags=[f"tag {n:02d}"] + ["big"] * (n < 3))
    small = Tag.objects.get(name="tag 29")
    html = editor_client.get(ARTICLES).content.decode()
    offered = re.findall(r'\?tags__id__exact=(\d+)"', html)
    assert len(offered) == LargestTagsFilter.shown
    assert str(Tag.objects.get(name="big").pk) == offered[0]
    assert str(small.pk) not in offered
    chosen = editor_client.get(ARTICLES, {"tags__id__exact": small.pk}).content.decode()
    assert result_titles(editor_client.get(ARTICLES, {"tags__id__exact": small.pk})) == ["Story 29"]
    assert "tag 29" in chosen
    assert "Show counts" not in html  # no exact count per choice over the whole archive


def test_date_hierarchy_lists_the_years_with_articles(editor_client):
    for year in (1999, 2003, 2024):
        make_article(f"From {year}", published_at=datetime(year, 6, 1, tzinfo=UTC))
    make_article("Undated")
    response = editor_client.get(ARTICLES)
    html = response.content.decode()
    for year in (1999, 2003, 2024):
        assert f"published_at__year={year}" in html
    assert "published_at__year=2000" not in html
    response = editor_client.get(ARTICLES, {"published_at__year": 2003})
    assert result_titles(response) == ["From 2003"]
    assert "published_at__month=6" in response.content.decode()


def test_changelist_with_a_search_stays_within_a_query_budget(
    editor_client, django_assert_max_num_queries
):
    source = make_source("Wire")
    tags = [make_tag(f"t{i}") for i in range(3)]
    rows = bulk_articles(300, title="Volcano report {i}", source=source)
    Article.tags.through.objects.bulk_create(
        Article.tags.through(article_id=r.pk, tag_id=t.pk) for r in rows for t in tags
    )
    # Session, user, 2 permissions, the filters' source and tag names, the runs filter,
    # the count, the page, the tags prefetch, and the matches' dates (read once for the
    # range and the years): the same whatever the number of rows. The search itself is
    # the index's.
    editor_client.get(ARTICLES)
    with django_assert_max_num_queries(13):
        response = editor_client.get(ARTICLES, {"q": "volcano"})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 50
    assert response.context["cl"].result_count == 300
    assert "t0, t1, t2" in response.content.decode()


def test_the_admin_search_reads_the_index_matches_by_id(editor_client):
    bulk_articles(3000, title="Filler {i}", body="Ordinary words about weather.")
    volcano = make_article("Volcano erupts", "Lava everywhere.")
    response = editor_client.get(ARTICLES, {"q": "volcano"})
    assert result_titles(response) == ["Volcano erupts"]
    sql = str(response.context["cl"].queryset.query)
    assert f'"articles_article"."id" IN ({volcano.pk})' in sql


def test_a_large_list_is_counted_exactly(editor_client):
    bulk_articles(FEW_ROWS + 500)
    response = editor_client.get(ARTICLES)
    assert response.context["cl"].result_count == FEW_ROWS + 500
    assert f"{FEW_ROWS + 500} articles" in response.content.decode()
    assert "about" not in response.content.decode().split('class="paginator"')[1][:200]


def test_a_small_list_is_counted_exactly(editor_client):
    bulk_articles(7)
    response = editor_client.get(ARTICLES)
    assert response.context["cl"].result_count == 7
    assert "about" not in response.content.decode().split('class="paginator"')[1][:200]


def test_a_large_lists_date_hierarchy_probes_the_index_year_by_year(editor_client):
    bulk_articles(FEW_ROWS + 500, published_at=datetime(2010, 5, 1, tzinfo=UTC))
    make_article("Old", published_at=datetime(2001, 1, 1, tzinfo=UTC))
    make_article("Newer", published_at=datetime(2003, 1, 1, tzinfo=UTC))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(ARTICLES)
    sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
    assert "DATE_TRUNC" not in sql
    assert sql.count('AS "PROBE"') == 10  # 2001..2010, one LIMIT 1 probe each, one query
    html = response.content.decode()
    for year in (2001, 2003, 2010):
        assert f"published_at__year={year}" in html
    assert "published_at__year=2002" not in html
    response = editor_client.get(ARTICLES, {"published_at__year": 2010})
    assert "published_at__month=5" in response.content.decode()


def test_a_short_lists_date_hierarchy_reads_its_dates_once_without_date_trunc(editor_client):
    make_article("Volcano old", published_at=datetime(2001, 1, 1, tzinfo=UTC))
    make_article("Volcano new", published_at=datetime(2003, 3, 1, tzinfo=UTC))
    make_article("Football", published_at=datetime(2007, 1, 1, tzinfo=UTC))
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(ARTICLES, {"q": "volcano"})
    sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
    assert "DATE_TRUNC" not in sql and "MIN(" not in sql
    html = response.content.decode()
    assert "published_at__year=2001" in html and "published_at__year=2003" in html
    assert "published_at__year=2007" not in html


# --- Editing one article -----------------------------------------------------------------


def article_form_data(article: Article, **changes) -> dict:
    data = {
        "title": article.title,
        "body": article.body,
        "source": article.source_id or "",
        "published_at_0": "2024-05-01",
        "published_at_1": "12:00:00",
        "url": article.url or "",
        "language": article.language,
        "tags": [t.pk for t in article.tags.all()],
    }
    if article.is_hidden:
        data["is_hidden"] = "on"
    data.update(changes)
    return data


def test_an_edit_is_saved_with_its_date(editor_client):
    article = make_article("Old headline", "Nothing here.")
    response = editor_client.post(
        change_url(article), article_form_data(article, title="Earthquake in the north")
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "Earthquake in the north"
    assert article.published_at == datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_an_edit_duplicating_another_article_is_a_form_error_not_a_500(editor_client):
    original = make_article("Same story", "Same body.")
    other = make_article("Other story", "Same body.")
    response = editor_client.post(change_url(other), article_form_data(other, title="Same story"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "would be identical to article" in html
    assert f"#{original.pk}" in html
    other.refresh_from_db()
    assert other.title == "Other story"


def test_an_edit_with_a_url_already_used_is_a_form_error(editor_client):
    make_article("A", url="https://example.org/a")
    other = make_article("B")
    response = editor_client.post(
        change_url(other), article_form_data(other, url="https://example.org/a")
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_an_edit_with_another_form_of_a_used_url_is_a_form_error(editor_client):
    first = make_article("A", url="https://example.org/a")
    other = make_article("B")
    response = editor_client.post(
        change_url(other), article_form_data(other, url="https://example.org/a/?utm_source=x#top")
    )
    assert response.status_code == 200
    assert f"#{first.pk}" in response.content.decode()
    assert "has this address already" in response.content.decode()
    other.refresh_from_db()
    assert other.url is None


def test_a_bad_language_code_is_a_form_error(editor_client):
    article = make_article("A")
    response = editor_client.post(change_url(article), article_form_data(article, language="e1"))
    assert response.status_code == 200
    assert "ISO 639 code" in response.content.decode()


def test_the_change_form_uses_autocomplete_for_source_and_tags(editor_client):
    article = make_article("A")
    html = editor_client.get(change_url(article)).content.decode()
    assert 'data-ajax--url="/admin/autocomplete/"' in html
    assert 'name="source"' in html and 'name="tags"' in html
    response = editor_client.get(
        "/admin/autocomplete/",
        {"term": "poli", "app_label": "articles", "model_name": "article", "field_name": "tags"},
    )
    assert response.status_code == 200
    make_tag("Politics")
    response = editor_client.get(
        "/admin/autocomplete/",
        {"term": "poli", "app_label": "articles", "model_name": "article", "field_name": "tags"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Politics"]


# --- Bulk actions -------------------------------------------------------------------------


def test_add_tags_action_asks_for_tags_then_tags_the_selection(editor_client):
    a, b, c = make_article("A"), make_article("B"), make_article("C")
    politics = make_tag("Politics")
    page = action(editor_client, ARTICLES, "add_tags", [a, b])
    assert page.status_code == 200
    assert "Add tags" in page.content.decode() and "2 selected articles" in page.content.decode()
    response = action(editor_client, ARTICLES, "add_tags", [a, b], apply="yes", tags=[politics.pk])
    assert response.status_code == 302
    assert set(politics.articles.all()) == {a, b}
    assert not c.tags.exists()
    entry = Article.history.filter(id=a.pk).order_by("-history_id").first()
    assert entry.history_user.username == "editor"


def test_add_tags_action_without_tags_shows_the_form_again(editor_client):
    a = make_article("A")
    response = action(editor_client, ARTICLES, "add_tags", [a], apply="yes")
    assert response.status_code == 200
    assert "Choose a tag or name a new one." in response.content.decode()


def test_add_tags_action_creates_new_tags_by_name(editor_client):
    a, b = make_article("A"), make_article("B")
    existing = make_tag("Politics")
    response = action(
        editor_client,
        ARTICLES,
        "add_tags",
        [a, b],
        apply="yes",
        tags=[existing.pk],
        new_tags="Elections 2024,  politics , elections 2024",
    )
    assert response.status_code == 302
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Elections 2024", "Politics"]
    assert sorted(a.tags.values_list("name", flat=True)) == ["Elections 2024", "Politics"]
    assert sorted(b.tags.values_list("name", flat=True)) == ["Elections 2024", "Politics"]
    # A new name alone is enough.
    response = action(editor_client, ARTICLES, "add_tags", [a], apply="yes", new_tags="Fresh")
    assert response.status_code == 302
    assert a.tags.filter(name="Fresh").exists()


def test_the_remove_tags_action_offers_no_new_tags(editor_client):
    a = make_article("A")
    response = action(editor_client, ARTICLES, "remove_tags", [a])
    assert "new_tags" not in response.content.decode()


def test_remove_tags_action(editor_client):
    politics, economy = make_tag("Politics"), make_tag("Economy")
    a = make_article("A", tags=[politics, economy])
    response = action(editor_client, ARTICLES, "remove_tags", [a], apply="yes", tags=[politics.pk])
    assert response.status_code == 302
    assert list(a.tags.values_list("name", flat=True)) == ["Economy"]


def test_set_source_action(editor_client):
    old, new = make_source("Old"), make_source("New")
    a, b = make_article("A", source=old), make_article("B")
    response = action(editor_client, ARTICLES, "set_source", [a, b], apply="yes", source=new.pk)
    assert response.status_code == 302
    assert set(new.articles.all()) == {a, b}


def test_hide_and_unhide_actions(editor_client):
    a, b = make_article("Volcano A"), make_article("Volcano B")
    assert action(editor_client, ARTICLES, "hide", [a]).status_code == 302
    assert list(Article.objects.visible()) == [b]
    # Hidden articles stay in the admin.
    assert result_titles(editor_client.get(ARTICLES)) == ["Volcano A", "Volcano B"]
    assert action(editor_client, ARTICLES, "unhide", [a]).status_code == 302
    assert Article.objects.visible().count() == 2


def test_a_broad_search_is_counted_exactly_and_lists_its_most_relevant_matches(
    editor_client, monkeypatch
):
    monkeypatch.setattr(articles_admin, "SEARCH_LIMIT", 50)
    bulk_articles(200, title="Election {i}", body="The harbour was quiet; the gates closed.")
    for i in range(3):
        make_article(f"Together {i}", "the harbour gates closed")
    response = editor_client.get(ARTICLES, {"q": "harbour"})
    # More matches than the list holds: it says how many, and keeps the 50 most relevant.
    assert response.context["cl"].result_count == 50
    assert "The search matches 203 articles; the list holds the 50 most relevant" in (
        response.content.decode()
    )
    # Both words in all 203 articles, side by side in 3: counted exactly.
    response = editor_client.get(ARTICLES, {"q": '"harbour gates"'})
    assert response.context["cl"].result_count == 3
    assert sorted(result_titles(response)) == ["Together 0", "Together 1", "Together 2"]


def test_an_action_on_all_matching_rows_applies_to_the_whole_search(editor_client):
    bulk_articles(120, title="Volcano {i}")
    make_article("Football")
    tag = make_tag("Volcanoes")
    first_page = list(Article.objects.filter(title__startswith="Volcano")[:2])
    response = editor_client.post(
        ARTICLES + "?q=volcano",
        {
            "action": "add_tags",
            "index": 0,
            "select_across": 1,
            ACTION_CHECKBOX_NAME: [a.pk for a in first_page],
            "apply": "yes",
            "tags": [tag.pk],
        },
    )
    assert response.status_code == 302
    assert tag.articles.count() == 120


# --- Tags and sources -------------------------------------------------------------------


def test_tag_list_shows_article_counts(editor_client):
    busy = make_tag("Busy")
    make_tag("Idle")
    for i in range(3):
        make_article(f"A{i}", tags=[busy])
    response = editor_client.get(TAGS)
    counts = {t.name: t.article_count for t in response.context["cl"].result_list}
    assert counts == {"Busy": 3, "Idle": 0}
    # Each count links to the article list filtered by that tag.
    assert (
        f'href="{ARTICLES}?tags__id__exact={busy.pk}">3 articles</a>' in response.content.decode()
    )
    assert editor_client.get(TAGS, {"q": "bus"}).context["cl"].result_count == 1
    assert editor_client.get(TAGS, {"o": "-3"}).status_code == 200  # sortable by count


def test_merge_tags_action_merges_into_the_chosen_tag(editor_client):
    keep, gone = make_tag("Climate"), make_tag("Climate change")
    a = make_article("A", tags=[gone])
    page = action(editor_client, TAGS, "merge_tags", [keep, gone])
    assert page.status_code == 200
    assert "Keep this tag" in page.content.decode()
    response = action(editor_client, TAGS, "merge_tags", [keep, gone], apply="yes", target=keep.pk)
    assert response.status_code == 302
    assert list(Tag.objects.values_list("name", flat=True)) == ["Climate"]
    assert list(a.tags.all()) == [keep]
    assert TagRedirect.objects.get(old_slug="climate-change").tag == keep


def test_merge_needs_two_tags(editor_client):
    tag = make_tag("Alone")
    response = action(editor_client, TAGS, "merge_tags", [tag])
    assert response.status_code == 302
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_renaming_a_tag_moves_its_slug_and_keeps_the_old_one_redirecting(editor_client):
    tag = make_tag("Brexit")
    response = editor_client.post(
        change_url(tag),
        {
            "name": "Brexit referendum",
            "slug": "brexit",
            "redirects-TOTAL_FORMS": 0,
            "redirects-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    tag.refresh_from_db()
    assert tag.slug == "brexit-referendum"
    assert TagRedirect.objects.get(old_slug="brexit").tag == tag


def test_source_list_counts_and_merge_action_with_aliases(editor_client):
    bbc, bbc_news = make_source("BBC"), make_source("BBC News")
    make_article("A", source=bbc_news)
    response = editor_client.get(SOURCES)
    counts = {s.name: s.article_count for s in response.context["cl"].result_list}
    assert counts == {"BBC": 0, "BBC News": 1}
    response = action(
        editor_client, SOURCES, "merge_sources", [bbc, bbc_news], apply="yes", target=bbc.pk
    )
    assert response.status_code == 302
    assert list(Source.objects.values_list("name", flat=True)) == ["BBC"]
    assert list(bbc.aliases.values_list("name", flat=True)) == ["BBC News"]
    assert SourceRedirect.objects.get(old_slug="bbc-news").source == bbc
    assert bbc.articles.count() == 1


def test_source_aliases_are_edited_inline(editor_client):
    source = make_source("Reuters")
    response = editor_client.post(
        change_url(source),
        {
            "name": "Reuters",
            "slug": source.slug,
            "homepage": "",
            "domain": "reuters.com",
            "aliases-TOTAL_FORMS": 1,
            "aliases-INITIAL_FORMS": 0,
            "aliases-0-name": "Thomson Reuters",
            "redirects-TOTAL_FORMS": 0,
            "redirects-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(source.aliases.values_list("name", flat=True)) == ["Thomson Reuters"]
    assert not SourceRedirect.objects.exists()


# --- Import runs --------------------------------------------------------------------------


def test_import_runs_are_listed_and_shown_with_each_error_read_only(client):
    client.force_login(make_superuser())
    run = ImportRun.objects.create(
        status=ImportRun.Status.FINISHED,
        paths=["dumps/march.txt"],
        options={"language": "en", "dry_run": False},
        created=10,
        duplicates=2,
        failed=1,
        errors=[{"path": "dumps/march.txt", "line": 42, "message": "no title <b>here</b>"}],
    )
    listing = client.get(reverse("admin:articles_importrun_changelist")).content.decode()
    assert "dumps/march.txt" in listing and "finished" in listing
    detail = client.get(change_url(run)).content.decode()
    assert "<td>dumps/march.txt</td><td>42</td><td>no title &lt;b&gt;here&lt;/b&gt;</td>" in detail
    assert "language" in detail
    assert 'name="_save"' not in detail
    assert client.get(reverse("admin:articles_importrun_add")).status_code == 403
    assert client.post(reverse("admin:articles_importrun_delete", args=[run.pk])).status_code == 403


def test_the_list_sorts_by_date_both_ways_with_undated_articles_last_when_newest_first(
    editor_client,
):
    make_article("Old", published_at=datetime(2001, 1, 1, tzinfo=UTC))
    make_article("New", published_at=datetime(2020, 1, 1, tzinfo=UTC))
    make_article("Undated")

    def order(**params):
        return [str(a) for a in editor_client.get(ARTICLES, params).context["cl"].result_list]

    assert order() == ["New", "Old", "Undated"]
    assert order(o="-3") == ["New", "Old", "Undated"]
    assert order(o="3") == ["Undated", "Old", "New"]
    # Title is not sortable: a million-row sort without an index.
    assert "?o=1" not in editor_client.get(ARTICLES).content.decode()


# --- Import runs: taking a run's articles out ----------------------------------------------

RUNS = reverse("admin:articles_importrun_changelist")


def test_a_superuser_deletes_the_articles_of_an_import_run(client):
    run = ImportRun.objects.create(paths=["samples"], options={"samples": True})
    other = ImportRun.objects.create(paths=["dump"])
    sample_source = make_source("Sample Gazette")
    shared = make_tag("shared")
    for i in range(3):
        a = make_article(f"Sample {i}", source=sample_source, tags=[shared, "only-samples"])
        Article.objects.filter(pk=a.pk).update(import_run=run)
    kept = make_article("Kept", tags=[shared])
    Article.objects.filter(pk=kept.pk).update(import_run=other)
    client.force_login(make_superuser())
    asked = action(client, RUNS, "delete_articles", [run])
    assert asked.status_code == 200
    assert f"Delete 3 articles imported by {run}?" in asked.content.decode()
    assert Article.objects.count() == 4
    response = action(client, RUNS, "delete_articles", [run], apply="yes")
    assert response.status_code == 302
    assert list(Article.objects.all()) == [kept]
    assert not Source.objects.filter(name="Sample Gazette").exists()
    assert list(Tag.objects.values_list("name", flat=True)) == ["shared"]
    page = client.get(RUNS).content.decode()
    assert "Deleted 3 articles of Import #" in page


def test_an_editor_is_not_offered_the_deletion_of_a_runs_articles(editor_client):
    run = ImportRun.objects.create(paths=["dump"])
    make_article("Stays")
    Article.objects.update(import_run=run)
    page = editor_client.get(RUNS).content.decode()
    assert "delete_articles" not in page
    action(editor_client, RUNS, "delete_articles", [run], apply="yes")
    assert Article.objects.count() == 1


def test_the_import_run_list_states_failures_warnings_and_skips_plainly(client):
    run = ImportRun.objects.create(
        paths=["/data/" + "very-long-folder-name/" * 5 + "dump.jsonl"],
        created=2125,
        duplicates=100,
        failed=1,
        warnings=2,
        skipped=1,
        errors=[{"path": "a", "line": 1, "message": "bad", "kind": "error", "code": "json"}],
    )
    clean = ImportRun.objects.create(paths=["ok.jsonl"], created=3)
    client.force_login(make_superuser())
    html = client.get(RUNS).content.decode()
    assert (
        'created 2,125 · 100 duplicates · <span class="failed">1 failed</span> · 2 warnings · '
        "1 skipped"
    ) in html
    assert 'created 3 · <span class="none">none failed</span></span>' in html
    full = run.paths[0]
    assert f'<span title="{full}">{full[:59]}…</span>' in html
    assert html.count('<th scope="col"') <= 6  # the five columns and the checkbox
    assert clean.pk and run.pk


def test_the_body_editor_is_wide_and_the_date_boxes_are_named(editor_client):
    article = make_article("Wide", "Body")
    html = editor_client.get(change_url(article)).content.decode()
    assert 'aria-label="Date"' in html and 'aria-label="Time"' in html
    assert "admin/newsarchive/admin.css" in html
    assert 'data-allow-clear="false"' in html
