"""Article.tag_ids: the copy of an article's tags that tag filters read, kept by triggers."""

from __future__ import annotations

import pytest
from django.db import connection

from articles.importer import Importer, start_run
from articles.ingest.records import ParsedArticle
from articles.merge import add_tags, merge_tags, remove_tags
from articles.models import Article
from articles.tag_ids import TAG_IDS_SQL
from tests.conftest import ROOT
from tests.factories import make_article, make_tag

pytestmark = pytest.mark.django_db


def stored_tag_ids(article: Article) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tag_ids FROM articles_article WHERE id = %s", [article.pk])
        return cursor.fetchone()[0]


def test_the_migration_installs_the_triggers_tag_ids_py_defines():
    migration = next((ROOT / "articles" / "migrations").glob("0004_*.py")).read_text()
    assert TAG_IDS_SQL.strip() in migration


def test_tag_ids_follow_every_way_links_change(article_updates):
    harbour, ferry, storm = make_tag("Harbour"), make_tag("Ferry"), make_tag("Storm")
    article = make_article("Ferry returns", tags=[ferry, harbour])
    assert stored_tag_ids(article) == sorted([ferry.pk, harbour.pk])

    article.tags.remove(ferry)  # Django's many-to-many API
    assert stored_tag_ids(article) == [harbour.pk]
    add_tags([article.pk], [storm])  # the admin's bulk action
    assert stored_tag_ids(article) == sorted([harbour.pk, storm.pk])
    remove_tags([article.pk], [harbour])
    assert stored_tag_ids(article) == [storm.pk]
    merge_tags(ferry, [storm])  # the merged tag's links move to the target
    assert stored_tag_ids(article) == [ferry.pk]
    ferry.delete()
    assert stored_tag_ids(article) == []
    assert article_updates() > 0  # the fixture does see the trigger's updates


def test_a_stale_instance_saved_later_cannot_overwrite_the_tags():
    harbour = make_tag("Harbour")
    article = make_article("Ferry returns")
    stale = Article.objects.get(pk=article.pk)
    article.tags.add(harbour)
    stale.title = "Ferry returns at last"
    stale.save()  # writes its in-memory tag_ids = []
    assert stored_tag_ids(article) == [harbour.pk]


def test_tag_filters_find_articles_carrying_every_tag_given():
    harbour, ferry = make_tag("Harbour"), make_tag("Ferry")
    both = make_article("Both", tags=[harbour, ferry])
    make_article("Harbour only", tags=[harbour])
    make_article("Neither")
    assert {a.title for a in Article.objects.tagged(harbour)} == {"Both", "Harbour only"}
    assert list(Article.objects.tagged(harbour, ferry)) == [both]
    sql = str(Article.objects.tagged(harbour, ferry).query)
    assert "tag_ids" in sql and "@>" in sql


@pytest.fixture
def article_updates():
    """Counts UPDATEs of article rows, by a trigger installed for the test."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TABLE test_article_updates (id bigint);
            CREATE FUNCTION test_log_article_update() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO test_article_updates VALUES (NEW.id); RETURN NULL; END $$;
            CREATE TRIGGER test_log_article_update AFTER UPDATE ON articles_article
            FOR EACH ROW EXECUTE FUNCTION test_log_article_update();
            """
        )

    def count() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM test_article_updates")
            return cursor.fetchone()[0]

    try:
        yield count
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER test_log_article_update ON articles_article;"
                "DROP FUNCTION test_log_article_update(); DROP TABLE test_article_updates;"
            )


@pytest.mark.django_db(transaction=True)
def test_imported_articles_carry_their_tag_ids_without_a_second_write(article_updates):
    run = start_run(["dump.jsonl"], {}, dry_run=False)
    Importer(run, workers=0).run(
        [
            ParsedArticle(
                title=f"Ferry {n}",
                body="The ferry ran.",
                tags=("Harbour", "Ferry"),
                origin="dump.jsonl",
                line=n,
                language="en",
            )
            for n in range(3)
        ]
    )
    # The link trigger found nothing to update: each row was written once, with its tags.
    assert Article.objects.count() == 3
    assert article_updates() == 0
    for article in Article.objects.all():
        assert stored_tag_ids(article) == sorted(article.tags.values_list("pk", flat=True))
        assert len(stored_tag_ids(article)) == 2
