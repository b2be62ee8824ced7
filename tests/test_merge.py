"""articles.merge: bulk edits, merges and renames, each with redirects and a history entry."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import merge
from articles.models import Article, Source, SourceAlias, SourceRedirect, Tag, TagRedirect
from tests.factories import bulk_articles, make_article, make_source, make_staff, make_tag

pytestmark = pytest.mark.django_db


def tag_names(article: Article) -> list[str]:
    return sorted(article.tags.values_list("name", flat=True))


def latest_history(article: Article):
    return Article.history.filter(id=article.pk).order_by("-history_id").first()


def test_add_tags_links_each_article_once_and_records_history_with_the_tags():
    user = make_staff()
    politics, economy = make_tag("Politics"), make_tag("Economy")
    a = make_article("A", tags=[politics])
    b = make_article("B")

    changed = merge.add_tags(
        Article.objects.filter(pk__in=[a.pk, b.pk]), [politics, economy], user=user
    )

    assert changed == 2
    assert tag_names(a) == ["Economy", "Politics"]
    assert tag_names(b) == ["Economy", "Politics"]
    entry = latest_history(b)
    assert entry.history_user == user
    assert entry.history_change_reason == "Added tags: Economy, Politics"
    assert sorted(t.tag.name for t in entry.tags.all()) == ["Economy", "Politics"]


def test_add_tags_leaves_articles_that_already_had_them_alone():
    politics = make_tag("Politics")
    a = make_article("A", tags=[politics])
    before = Article.history.filter(id=a.pk).count()
    assert merge.add_tags([a.pk], [politics]) == 0
    assert Article.history.filter(id=a.pk).count() == before


def test_add_tags_to_thousands_of_articles_takes_a_handful_of_statements():
    tag = make_tag("Bulk")
    rows = bulk_articles(3000)
    with CaptureQueriesContext(connection) as queries:
        changed = merge.add_tags(Article.objects.all(), [tag])
    assert changed == 3000
    assert len(queries) <= 8
    assert Article.tags.through.objects.filter(tag=tag).count() == 3000
    assert Article.history.filter(id=rows[-1].pk, history_change_reason="Added tags: Bulk").exists()


def test_remove_tags_unlinks_only_the_chosen_tags():
    politics, economy = make_tag("Politics"), make_tag("Economy")
    a = make_article("A", tags=[politics, economy])
    b = make_article("B", tags=[economy])
    assert merge.remove_tags([a.pk, b.pk], [politics]) == 1
    assert tag_names(a) == ["Economy"]
    assert tag_names(b) == ["Economy"]
    entry = latest_history(a)
    assert entry.history_change_reason == "Removed tags: Politics"
    assert [t.tag.name for t in entry.tags.all()] == ["Economy"]


def test_set_source_moves_articles_and_records_the_previous_source():
    old, new = make_source("Old Times"), make_source("New Times")
    a = make_article("A", source=old)
    assert merge.set_source([a.pk], new) == 1
    a.refresh_from_db()
    assert a.source == new
    latest, previous = Article.history.filter(id=a.pk).order_by("-history_id")[:2]
    assert latest.source_id == new.pk
    assert previous.source_id == old.pk


def test_set_hidden_hides_and_unhides_and_counts_only_changes():
    a, b = make_article("A"), make_article("B", is_hidden=True)
    assert merge.set_hidden([a.pk, b.pk], True) == 1
    assert set(Article.objects.visible()) == set()
    assert merge.set_hidden([a.pk, b.pk], False) == 2
    assert Article.objects.visible().count() == 2
    assert latest_history(a).history_change_reason == "Unhidden"


def test_merge_tags_moves_articles_without_duplicates_and_redirects_old_slugs():
    target, dup, other = make_tag("Climate"), make_tag("climate change"), make_tag("Global warming")
    both = make_article("Both", tags=[target, dup])
    only_dup = make_article("Dup", tags=[dup, other])
    untouched = make_article("Untouched", tags=[target])
    # A redirect left by an earlier rename of `other` must follow it to the target.
    TagRedirect.objects.create(old_slug="warming", tag=other)

    result = merge.merge_tags(target, [dup, other])

    assert result.merged == ["Global warming", "climate change"]
    assert result.articles_changed == 2
    assert tag_names(both) == ["Climate"]
    assert tag_names(only_dup) == ["Climate"]
    assert tag_names(untouched) == ["Climate"]
    assert list(Tag.objects.values_list("name", flat=True)) == ["Climate"]
    assert dict(TagRedirect.objects.values_list("old_slug", "tag__slug")) == {
        "climate-change": "climate",
        "global-warming": "climate",
        "warming": "climate",
    }
    assert Article.tags.through.objects.filter(article=both).count() == 1
    assert latest_history(only_dup).history_change_reason.startswith("Merged tags")


def test_merging_a_tag_into_itself_does_nothing():
    tag = make_tag("Solo")
    assert merge.merge_tags(tag, [tag]).merged == []
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_merge_sources_moves_articles_aliases_and_redirects():
    bbc = make_source("BBC")
    bbc_news = make_source("BBC News", domain="bbc.co.uk")
    SourceAlias.objects.create(source=bbc_news, name="British Broadcasting Corporation")
    article = make_article("Story", source=bbc_news)

    result = merge.merge_sources(bbc, [bbc_news])

    assert result.articles_changed == 1
    article.refresh_from_db()
    assert article.source == bbc
    assert sorted(bbc.aliases.values_list("name", flat=True)) == [
        "BBC News",
        "British Broadcasting Corporation",
        "bbc.co.uk",
    ]
    assert not Source.objects.filter(name="BBC News").exists()
    assert SourceRedirect.objects.get(old_slug="bbc-news").source == bbc
    assert latest_history(article).source_id == bbc.pk


def test_a_rename_keeps_the_old_slug_redirecting_and_a_reclaimed_slug_stops_redirecting():
    tag = make_tag("Brexit")
    new_slug = merge.slug_for_rename(tag, "Brexit referendum")
    assert new_slug == "brexit-referendum"
    tag.name, tag.slug = "Brexit referendum", new_slug
    tag.save()
    merge.keep_old_slug(tag, "brexit")
    assert TagRedirect.objects.get(old_slug="brexit").tag == tag

    # Renamed back: the live tag owns "brexit" again, and the other slug redirects.
    tag.name, tag.slug = "Brexit", "brexit"
    tag.save()
    merge.keep_old_slug(tag, "brexit-referendum")
    assert dict(TagRedirect.objects.values_list("old_slug", "tag__slug")) == {
        "brexit-referendum": "brexit"
    }


def test_slug_for_rename_keeps_the_slug_when_only_the_case_changes():
    tag = make_tag("nato")
    assert merge.slug_for_rename(tag, "NATO") == "nato"


def test_a_failing_merge_changes_nothing(monkeypatch):
    target, other = make_tag("Keep"), make_tag("Gone")
    article = make_article("A", tags=[other])

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(merge, "record_history", explode)
    with pytest.raises(RuntimeError):
        merge.merge_tags(target, [other])
    assert tag_names(article) == ["Gone"]
    assert not TagRedirect.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_searches_filtered_by_a_merged_tag_or_source_find_the_moved_articles():
    # Every way curators move articles reaches the search index through its change log.
    from articles.search import SearchRequest, indexer, search

    def found(**filters):
        indexer.catch_up(rebuild=True)  # what a web request does after it wrote
        return sorted(a.title for a in search(SearchRequest(q="flood", **filters)).articles)

    climate, dup = make_tag("Climate"), make_tag("climate change")
    times, daily = make_source("Times"), make_source("Daily")
    make_article("Flood one", "flood", tags=[dup], source=daily)
    make_article("Flood two", "flood", tags=[climate], source=times)
    two = make_article("Flood three", "flood")
    assert found(tags=(climate.pk,)) == ["Flood two"]
    merge.merge_tags(climate, [dup])
    merge.merge_sources(times, [daily])
    merge.add_tags([two.pk], [climate])
    merge.set_source([two.pk], times)
    everything = ["Flood one", "Flood three", "Flood two"]
    assert found(tags=(climate.pk,)) == everything
    assert found(sources=(times.pk,)) == everything
    merge.remove_tags([two.pk], [climate])
    assert found(tags=(climate.pk,)) == ["Flood one", "Flood two"]
