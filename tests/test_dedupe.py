"""One article once: a URL with tracking parameters, a fragment, an AMP marker or a trailing
slash is the same article, counted as a duplicate in the import's summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from articles.models import Article, ImportRun
from tests.factories import ingest, make_article

pytestmark = pytest.mark.django_db(transaction=True)

STORY = "https://www.harbourtimes.example/news/ferry-returns"


def dump(path: Path, urls: list[str]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for n, url in enumerate(urls):
            record = {
                "title": f"Harbour ferry returns {n}",
                "text": f"Version {n} of the story: councillors voted for the ferry.",
                "source": "Harbour Times",
                "url": url,
                "date_publish": "2019-03-04T08:00:00Z",
            }
            f.write(json.dumps(record) + "\n")
    return path


def test_a_url_with_tracking_parameters_or_a_fragment_is_a_duplicate(tmp_path):
    first = dump(tmp_path / "first.jsonl", [STORY])
    assert "created 1, duplicates 0" in ingest(str(first))

    again = dump(
        tmp_path / "again.jsonl",
        [
            f"{STORY}?utm_source=rss&utm_medium=feed",
            f"{STORY}#comments",
            f"{STORY}/",
            f"{STORY}?fbclid=abc123",
            "https://www.harbourtimes.example/news/ferry-returns/amp",
            "https://www.harbourtimes.example/news/other-story?utm_campaign=x",
        ],
    )
    out = ingest(str(again))

    assert "created 1, duplicates 5" in out
    run = ImportRun.objects.order_by("-pk").first()
    assert run is not None and (run.created, run.duplicates) == (1, 5)
    # The URL is kept as given, for display; the canonical form is the key.
    kept = Article.objects.get(canonical_url=STORY)
    assert kept.url == STORY
    other = Article.objects.get(canonical_url="https://www.harbourtimes.example/news/other-story")
    assert other.url == "https://www.harbourtimes.example/news/other-story?utm_campaign=x"


def test_repeats_inside_one_dump_are_counted_once_and_a_dry_run_agrees(tmp_path):
    path = dump(tmp_path / "d.jsonl", [f"{STORY}?utm_source=a", f"{STORY}?utm_source=b#x"])
    assert "would create 1, duplicates 1" in ingest(str(path), "--dry-run")
    assert "created 1, duplicates 1" in ingest(str(path))


def test_an_article_saved_by_hand_gets_its_canonical_url():
    article = make_article("Ferry", url=f"{STORY}/?utm_source=newsletter#top")
    article.refresh_from_db()
    assert article.canonical_url == STORY


def test_the_migration_backfills_canonical_urls_and_leaves_a_collision_null():
    executor = MigrationExecutor(connection)
    before = [("articles", "0012_cache_table")]
    executor.migrate(before)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO articles_article (title, slug, body, url, language, fingerprint,
                    is_hidden, created_at, updated_at)
                VALUES ('a', 'a', '', %s, 'en', 'f1', false, now(), now()),
                       ('b', 'b', '', %s, 'en', 'f2', false, now(), now()),
                       ('c', 'c', '', 'javascript:alert(1)', 'en', 'f3', false, now(), now())
                """,
                [f"{STORY}?utm_source=rss", f"{STORY}#later"],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    rows = dict(Article.objects.values_list("title", "canonical_url"))
    assert rows == {"a": STORY, "b": None, "c": None}
