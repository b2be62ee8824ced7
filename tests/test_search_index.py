"""The index as a projection of PostgreSQL: the change log, catch-ups, rebuilds, and an index
equal to the database after kills, lost folders and concurrent imports."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from tantivy import Query

from articles import merge
from articles.models import Article
from articles.search import SearchRequest, indexer, search
from articles.search import index as search_index
from articles.search.schema import schema
from tests.conftest import ROOT
from tests.factories import make_article, make_source, make_superuser, make_tag
from tests.test_ingest_command import _signal_mid_import

pytestmark = pytest.mark.django_db(transaction=True)


def indexed_ids() -> list[int]:
    """Every article document in the index (hidden ones included), as the index holds them."""
    search_index.refresh()
    s = search_index.searcher()
    query = Query.term_set_query(schema(), "state", [0, 1])
    hits = s.search(query, max(1, s.num_docs), count=True).hits
    return sorted(int(pk) for pk in s.fast_field_values("id", [a for _, a in hits]))


def assert_index_equals_database() -> None:
    assert indexed_ids() == sorted(Article.objects.values_list("pk", flat=True))
    visible = Article.objects.visible().count()
    assert search(SearchRequest(facets=False)).count == visible


def child_env() -> dict[str, str]:
    """A child process pointed at this test's database and index."""
    name = connection.settings_dict["NAME"]
    url = os.environ.get("DATABASE_URL")
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "SEARCH_INDEX_DIR": str(settings.SEARCH_INDEX_DIR),
    }
    if url:
        env["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    else:
        env["EMBEDDED_DATABASE_NAME"] = name
    return env


def manage(*args: str, **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def write_dump(path: Path, numbers: range) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for n in numbers:
            record = {
                "title": f"Harbour report {n}",
                "body": f"The ferry number {n} sailed. " * 20,
                "url": f"https://example.org/{n}",
                "published_at": f"20{n % 20:02d}-0{1 + n % 9}-1{n % 9}T10:00:00Z",
                "tags": [f"tag{n % 7}"],
            }
            out.write(json.dumps(record) + "\n")
    return path


# --- Every write path reaches the index -----------------------------------------------------


def test_inserts_edits_hides_tags_and_deletes_reach_the_index_through_the_log():
    a = make_article("Flood in the north", "rain")
    b = make_article("Drought in the south", "sun")
    indexer.catch_up(rebuild=True)
    assert search(SearchRequest(q="flood")).ids == [a.pk]

    a.title = "Storm in the north"
    a.save()
    Article.objects.filter(pk=b.pk).update(is_hidden=True)
    storms = make_tag("Storms")
    a.tags.add(storms)
    c = make_article("Flood again", "water")
    result = indexer.catch_up()
    assert result.applied == 3  # a, b, c: each once, however many changes
    assert search(SearchRequest(q="flood")).ids == [c.pk]
    assert search(SearchRequest(q="storm")).ids == [a.pk]
    assert search(SearchRequest(tags=(storms.pk,))).ids == [a.pk]
    assert search(SearchRequest(q="drought")).ids == []
    assert search(SearchRequest(q="drought", include_hidden=True)).ids == [b.pk]
    # Replaced, never duplicated.
    assert indexed_ids() == sorted([a.pk, b.pk, c.pk])

    c.delete()
    storms.delete()  # its links go by cascade, and the log sees them go
    indexer.catch_up()
    assert search(SearchRequest(q="flood")).ids == []
    assert search(SearchRequest(q="storm", facets=True)).facets["tag"] == []
    assert_index_equals_database()


def test_a_curators_edit_hide_and_unhide_reach_searches_at_once(client):
    # The admin's requests commit, then apply the change log before they answer
    # (newsarchive/middleware.py): no wait for another catch-up.
    client.force_login(make_superuser())
    article = make_article("Old headline", "Nothing here.")
    other = make_article("Volcano B", "lava")
    indexer.catch_up(rebuild=True)
    assert search(SearchRequest(q="headline")).ids == [article.pk]
    data = {
        "title": "Earthquake in the north",
        "body": article.body,
        "source": "",
        "published_at_0": "2024-05-01",
        "published_at_1": "12:00:00",
        "url": "",
        "language": "en",
    }
    response = client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    assert response.status_code == 302
    assert search(SearchRequest(q="earthquake")).ids == [article.pk]
    assert search(SearchRequest(q="headline")).ids == []

    changelist = reverse("admin:articles_article_changelist")
    for name, expected in (("hide", []), ("unhide", [other.pk])):
        response = client.post(
            changelist, {"action": name, ACTION_CHECKBOX_NAME: [other.pk], "apply": "yes"}
        )
        assert response.status_code == 302
        assert search(SearchRequest(q="lava")).ids == expected


def test_merges_renames_and_source_changes_reach_the_index():
    times, daily = make_source("Times"), make_source("Daily")
    climate, dup = make_tag("Climate"), make_tag("climate change")
    one = make_article("Flood one", "flood", tags=[dup], source=daily)
    indexer.catch_up(rebuild=True)
    merge.merge_tags(climate, [dup])
    merge.merge_sources(times, [daily])
    indexer.catch_up()
    assert search(SearchRequest(q="flood", tags=(climate.pk,))).ids == [one.pk]
    assert search(SearchRequest(q="flood", sources=(times.pk,))).ids == [one.pk]
    # A rename changes no article: the index holds ids, the names come from PostgreSQL.
    times.name = "The Times"
    times.save()
    assert indexer.catch_up().applied == 0
    facet = search(SearchRequest(q="flood")).facets["source"]
    assert [f.label for f in facet] == ["The Times"]


def test_updates_that_change_nothing_indexed_are_not_logged():
    a = make_article("Flood", "rain")
    indexer.catch_up(rebuild=True)
    Article.objects.filter(pk=a.pk).update(updated_at=a.updated_at)
    assert indexer.pending_changes() == 0


def test_the_log_is_pruned_below_every_followers_horizon(settings):
    make_article("Flood", "rain")
    indexer.catch_up(rebuild=True)
    make_article("Flood two", "rain")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM articles_search_change")
        assert cursor.fetchone()[0] >= 1
    indexer.catch_up()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM articles_search_change")
        assert cursor.fetchone()[0] == 0
    # A second index following the same log holds it back until it catches up or is forgotten.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO articles_search_follower (name, horizon) VALUES ('other', '1'::xid8)"
        )
    make_article("Flood three", "rain")
    indexer.catch_up()
    assert indexer.pending_changes() == 0  # this index has it
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM articles_search_change")
        assert cursor.fetchone()[0] == 1  # kept for "other"
    assert indexer.forget("other")
    indexer.catch_up()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM articles_search_change")
        assert cursor.fetchone()[0] == 0


# --- Lost, old and killed indexes -----------------------------------------------------------


def test_a_deleted_index_folder_is_rebuilt_by_the_next_catch_up():
    for i in range(5):
        make_article(f"Flood {i}", "rain")
    indexer.catch_up(rebuild=True)
    shutil.rmtree(settings.SEARCH_INDEX_DIR)
    search_index._opened.clear()
    make_article("Flood 5", "rain")
    call_command("index", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert_index_equals_database()


def test_an_index_older_than_what_the_database_says_it_applied_is_rebuilt():
    make_article("Flood 0", "rain")
    indexer.catch_up(rebuild=True)
    backup = settings.SEARCH_INDEX_DIR.parent / "backup"
    shutil.copytree(settings.SEARCH_INDEX_DIR, backup)
    make_article("Flood 1", "rain")
    indexer.catch_up()
    # A restored copy of the index from before the last catch-up (the log may be pruned).
    search_index.discard_index()
    shutil.copytree(backup, settings.SEARCH_INDEX_DIR)
    result = indexer.catch_up(rebuild=True)
    assert result.rebuilt
    assert_index_equals_database()


def test_an_index_of_another_schema_version_is_refused_then_rebuilt():
    make_article("Flood", "rain")
    indexer.catch_up(rebuild=True)
    version = settings.SEARCH_INDEX_DIR / "newsarchive.json"
    version.write_text(json.dumps({"schema_version": 0}))
    search_index._opened.clear()
    with pytest.raises(search_index.SearchUnavailable, match="reindex"):
        search(SearchRequest(q="flood"))
    call_command("reindex", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert search(SearchRequest(q="flood")).count == 1


def test_a_killed_import_and_indexer_leave_an_index_that_the_next_catch_up_makes_equal(tmp_path):
    dump = write_dump(tmp_path / "big.jsonl", range(12000))
    process = manage("ingest", str(dump), "--batch-size", "200")
    deadline = time.monotonic() + 120
    while Article.objects.count() < 1000:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    _signal_mid_import(process, signal.SIGKILL)
    process.communicate(timeout=60)
    time.sleep(1)  # its last commit may still be finishing in the server
    assert 0 < Article.objects.count() < 12000
    search_index._opened.clear()
    indexer.catch_up(rebuild=True)
    assert_index_equals_database()


def test_two_imports_at_once_end_with_an_index_equal_to_the_database(tmp_path):
    first = write_dump(tmp_path / "a.jsonl", range(0, 3000))
    second = write_dump(tmp_path / "b.jsonl", range(2000, 5000))  # a thousand shared
    runs = [manage("ingest", str(dump), "--batch-size", "250") for dump in (first, second)]
    for run in runs:
        _out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    assert Article.objects.count() == 5000
    search_index._opened.clear()
    assert_index_equals_database()
    assert search(SearchRequest(q="ferry")).count == 5000


def other_connection():
    """A second connection to the test's database (another process's, for the server)."""
    return connection.get_new_connection(connection.get_connection_params())


def wait_for_lock_wait(table: str) -> None:
    """Until some backend waits for a lock on `table`."""
    deadline = time.monotonic() + 30
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted "
                "AND relation = %s::regclass)",
                [table],
            )
            if cursor.fetchone()[0]:
                return
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_change_left_to_a_holder_that_is_looking_again_is_applied():
    """A holder lets go and looks at the log again; a process that commits meanwhile finds
    the lock held by that second look, which read the log before its commit: the holder
    looks once more."""
    first = make_article("Flood 0", "rain")
    indexer.catch_up(rebuild=True)
    holding, go_on = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def holder() -> None:
        try:
            session = indexer.IndexSession(heap_mb=50)
            assert not session.catch_up().locked_out
            holding.set()
            go_on.wait(30)
            session.close()  # looks again: applies "Flood 1", stopped on the tag links
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    assert holding.wait(30)
    make_article("Flood 1", "rain")
    blocker = other_connection()
    try:
        # The holder's second look reads the articles' tag links after taking its snapshot.
        blocker.execute("LOCK TABLE articles_article_tags IN ACCESS EXCLUSIVE MODE")
        go_on.set()
        wait_for_lock_wait("articles_article_tags")
        # Committed after that snapshot (an update: saving a model reads the tag links).
        Article.objects.filter(pk=first.pk).update(title="Deluge")
        assert indexer.catch_up().locked_out  # left to the holder
    finally:
        blocker.rollback()
        blocker.close()
    thread.join(60)
    assert not thread.is_alive() and not failures, failures
    assert_index_equals_database()
    assert search(SearchRequest(q="deluge")).count == 1


def test_a_change_held_back_by_an_older_transaction_is_applied_when_it_ends():
    """An older transaction that changes nothing indexed (an import's heartbeat) keeps the
    horizon below a change committed after it; its process never catches up, so the
    change's own catch-up waits for it to end."""
    make_article("Flood 0", "rain")
    indexer.catch_up(rebuild=True)
    older = other_connection()
    older.execute("SELECT pg_current_xact_id()")  # a transaction with an id, still running
    ends = threading.Timer(0.5, older.commit)
    try:
        make_article("Flood 1", "rain")
        ends.start()
        indexer.catch_up()
    finally:
        ends.join()
        older.close()
    assert_index_equals_database()
    assert search(SearchRequest(q="flood")).count == 2


def test_other_processes_see_a_commit_within_a_second():
    make_article("Flood", "rain")
    indexer.catch_up(rebuild=True)
    watcher = subprocess.Popen(
        [sys.executable, "-c", WATCHER],
        cwd=ROOT,
        env={**child_env(), "DJANGO_SETTINGS_MODULE": "newsarchive.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert watcher.stdout is not None
    assert watcher.stdout.readline().strip() == "1"  # it has the index open
    make_article("Flood two", "rain")
    indexer.catch_up()
    committed = time.monotonic()
    out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    seen_after = float(out.split()[-1])
    assert seen_after - committed < 1.0


# Opens the index, prints the count, then waits for it to change and prints when (monotonic).
WATCHER = """
import time, django
django.setup()
from articles.search import SearchRequest, search
print(search(SearchRequest(q="flood")).count, flush=True)
deadline = time.monotonic() + 20
while search(SearchRequest(q="flood")).count < 2 and time.monotonic() < deadline:
    time.sleep(0.01)
print(time.monotonic())
"""
