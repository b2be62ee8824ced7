"""Import runs: re-imports that keep curators' edits, runs that say when their process died,
the report of warnings and skipped records, and undoing an import from the admin."""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from articles.ingest import ReadProgress, input_size, iter_records
from articles.ingest.records import ParseOptions
from articles.models import Article, ImportRun, Source, Tag
from articles.search import SearchRequest, search
from articles.search.indexer import catch_up
from tests.factories import make_staff, make_superuser
from tests.test_history import form_data
from tests.test_ingest_command import (
    _signal_mid_import,
    _start,
    _wait_for_articles,
    _wait_for_import_sessions_to_end,
    ingest,
    write_dump,
)

pytestmark = pytest.mark.django_db(transaction=True)

RUNS = reverse("admin:articles_importrun_changelist")


def bbc_folder(root: Path) -> Path:
    """Articles as the BBC set holds them: a title line, a blank line, paragraphs; no URL."""
    folder = root / "business"
    folder.mkdir()
    (folder / "001.txt").write_text(
        "Ad sales boost Time Warner profit\n\nQuarterly profits at US media giant rose.\n"
    )
    (folder / "002.txt").write_text(
        "Dollar gains on Greenspan speech\n\nThe dollar has hit its highest level.\n"
    )
    return root


def curator():
    """A staff user with the Editors group's rights over articles and import runs (a test
    that commits loses the group its migration made)."""
    from django.contrib.auth.models import Permission

    user = make_staff("curator", editor=False)
    codenames = ["view_article", "change_article", "view_importrun", "view_tag", "view_source"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def run_action(client, name: str, runs: list[ImportRun], **extra: object):
    data = {"action": name, "index": 0, ACTION_CHECKBOX_NAME: [r.pk for r in runs], **extra}
    return client.post(RUNS, data)


# -- re-importing what a curator edited --------------------------------------------------------


def test_a_reimport_keeps_a_curators_edit_and_brings_no_second_copy_back(tmp_path, client):
    folder = bbc_folder(tmp_path)
    code, out, err = ingest(str(folder))
    assert code == 0, err
    assert "created 2, duplicates 0" in out
    article = Article.objects.get(title="Ad sales boost Time Warner profit")
    assert article.url is None

    client.force_login(curator())
    change = reverse("admin:articles_article_change", args=[article.pk])
    response = client.post(change, form_data(article, title="Time Warner profit up 76%"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "Time Warner profit up 76%"

    code, out, err = ingest(str(folder))
    assert code == 0, err
    assert "created 0, duplicates 2" in out
    assert Article.objects.count() == 2
    assert not Article.objects.filter(title="Ad sales boost Time Warner profit").exists()
    article.refresh_from_db()
    assert article.title == "Time Warner profit up 76%"


def test_a_reimport_of_a_folder_after_an_edit_of_the_body_creates_nothing(tmp_path, client):
    folder = bbc_folder(tmp_path)
    ingest(str(folder))
    article = Article.objects.get(title="Dollar gains on Greenspan speech")
    client.force_login(curator())
    change = reverse("admin:articles_article_change", args=[article.pk])
    response = client.post(change, form_data(article, body="The dollar rose on Friday."))
    assert response.status_code == 302

    # A dry run counts the same way.
    code, out, _ = ingest(str(folder), "--dry-run")
    assert (code, "would create 0, duplicates 2" in out) == (0, True)
    code, out, _ = ingest(str(folder))
    assert "created 0, duplicates 2" in out
    article.refresh_from_db()
    assert article.body == "The dollar rose on Friday."


# -- a run whose process was killed ----------------------------------------------------------


def test_a_killed_import_is_marked_interrupted_by_the_next_import(tmp_path, settings):
    total, batch = 12000, 200
    dump = write_dump(tmp_path / "big.jsonl", range(total))
    process = _start(str(dump), "--batch-size", str(batch))
    _wait_for_articles(process, batch)
    _signal_mid_import(process, signal.SIGKILL)
    process.communicate(timeout=120)
    _wait_for_import_sessions_to_end()
    kept = Article.objects.count()
    killed = ImportRun.objects.get()
    assert killed.status == "running" and killed.heartbeat_at is not None

    settings.IMPORT_STALE_AFTER = 1
    time.sleep(1.5)
    code, _, err = ingest(str(write_dump(tmp_path / "small.jsonl", range(total, total + 3))))
    assert code == 0, err

    killed.refresh_from_db()
    assert (killed.status, killed.created) == ("interrupted", kept)
    assert killed.finished_at == killed.heartbeat_at
    assert ImportRun.objects.exclude(pk=killed.pk).get().status == "finished"


def test_a_running_import_with_a_recent_heartbeat_stays_running(settings, client):
    settings.IMPORT_STALE_AFTER = 120
    run = ImportRun.objects.create(paths=["big.jsonl"])
    ImportRun.objects.filter(pk=run.pk).update(created=400)
    client.force_login(make_superuser())
    assert "running" in client.get(RUNS).content.decode()
    run.refresh_from_db()
    assert run.status == "running"


# -- the report of warnings and skipped records ---------------------------------------------


def test_warnings_and_skipped_records_are_stored_by_code_with_their_first_examples(
    tmp_path, client
):
    dump = tmp_path / "dump.jsonl"
    rows = [{"title": f"Empty {n}", "text": ""} for n in range(25)]
    rows.append({"title": "Long link", "text": "Body.", "url": "https://x.example/" + "a" * 2100})
    dump.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, out, err = ingest(str(dump))
    assert code == 0, err  # nothing failed: records with no text are skipped
    assert "1 warning (1 url-dropped); 25 skipped (25 no-text)" in out

    run = ImportRun.objects.get()
    assert (run.failed, run.warnings, run.skipped, run.errors) == (0, 1, 25, [])
    no_text = run.report["skipped"]["no-text"]
    assert no_text["count"] == 25
    assert [e["line"] for e in no_text["examples"]] == list(range(1, 21))
    assert {e["path"] for e in no_text["examples"]} == {str(dump)}

    client.force_login(make_superuser())
    page = client.get(reverse("admin:articles_importrun_change", args=[run.pk])).content.decode()
    assert "<td>skipped</td><td>no-text</td><td>25</td>" in page
    assert f"<code>{dump}:20</code>" in page and f"<code>{dump}:21</code>" not in page
    assert "(the first 20 of them)" in page
    assert "<td>warning</td><td>url-dropped</td><td>1</td>" in page
    assert f"<code>{dump}:26</code>: URL dropped: longer than 2,000 characters" in page


def test_the_bytes_read_reach_the_inputs_size(tmp_path):
    write_dump(tmp_path / "a.jsonl", range(300))
    write_dump(tmp_path / "b.jsonl", range(300, 400))
    total = input_size([str(tmp_path)])
    assert total == sum(p.stat().st_size for p in tmp_path.iterdir())
    progress = ReadProgress(total)
    seen = []
    for _ in iter_records([str(tmp_path)], ParseOptions(), progress=progress):
        seen.append(progress.done)
    assert seen == sorted(seen) and 0 < seen[0] < total
    assert progress.done == total
    assert input_size(["-"]) is None


def test_plain_progress_lines_say_the_share_read_and_the_time_left(tmp_path, monkeypatch):
    from articles.management.commands import ingest as command

    monkeypatch.setattr(command, "PROGRESS_EVERY", 0.0)
    dump = write_dump(tmp_path / "dump.jsonl", range(3000))
    code, _, err = ingest(str(dump), "--batch-size", "100")
    assert code == 0
    lines = err.splitlines()
    megabytes = dump.stat().st_size / 1024 / 1024
    assert 1 < megabytes < 9.9
    assert any(re.search(r"\(\d+% of \d\.\d\dMB, about 00:\d\d left\)", line) for line in lines)
    assert lines[-1].startswith(f"... 3,000 records read (100% of {megabytes:.2f}MB): created")


# -- undoing an import -----------------------------------------------------------------------


def imported_run(tmp_path: Path) -> ImportRun:
    dump = write_dump(tmp_path / "dump.jsonl", range(3))
    code, _, err = ingest(str(dump), "--tag", "Undo me")
    assert code == 0, err
    return ImportRun.objects.get()


def found(q: str) -> set[int]:
    """What a reader's search finds once the index has caught up."""
    catch_up()
    return set(search(SearchRequest(q=q)).ids)


def test_hiding_a_runs_articles_asks_then_hides_them_with_history_and_search(tmp_path, client):
    run = imported_run(tmp_path)
    other = Article.objects.create(title="Story number 99 kept", body="Kept visible.")
    ids = set(Article.objects.filter(import_run=run).values_list("pk", flat=True))
    assert len(ids) == 3 and found('"story number"') == ids | {other.pk}
    user = curator()
    client.force_login(user)

    asked = run_action(client, "hide_articles", [run])
    assert asked.status_code == 200
    assert f"Hide 3 articles imported by {run}?" in asked.content.decode()
    assert not Article.objects.filter(is_hidden=True).exists()

    done = run_action(client, "hide_articles", [run], apply="yes")
    assert done.status_code == 302
    assert f"Hid 3 articles of {run}." in client.get(RUNS).content.decode()
    assert set(Article.objects.filter(is_hidden=True).values_list("pk", flat=True)) == ids
    for article in Article.objects.filter(pk__in=ids):
        latest = article.history.first()
        assert latest is not None and latest.is_hidden
        assert (latest.history_change_reason, latest.history_user) == ("Hidden", user)
    assert found('"story number"') == {other.pk}


def test_deleting_a_runs_articles_asks_then_deletes_them_with_history_and_search(tmp_path, client):
    run = imported_run(tmp_path)
    ids = set(Article.objects.values_list("pk", flat=True))
    assert found('"story number"') == ids
    user = make_superuser()
    client.force_login(user)

    asked = run_action(client, "delete_articles", [run])
    assert f"Delete 3 articles imported by {run}?" in asked.content.decode()
    assert Article.objects.count() == 3

    done = run_action(client, "delete_articles", [run], apply="yes")
    assert done.status_code == 302
    assert Article.objects.count() == 0
    deletions = Article.history.filter(history_type="-")
    assert {h.id for h in deletions} == ids
    assert {(h.history_user, h.history_change_reason) for h in deletions} == {
        (user, "Deleted with its import run")
    }
    # Each entry keeps what the article was, tags included: it can be read and restored.
    assert [len(h.tags.all()) for h in deletions] == [2, 2, 2]  # a word and "Undo me"
    assert {h.title for h in deletions} >= {"Story number 0 about the harbour"}
    assert not Tag.objects.filter(name="Undo me").exists() and not Source.objects.exists()
    assert found('"story number"') == set()
    # The run stays, as the record of what was imported.
    assert ImportRun.objects.filter(pk=run.pk).exists()
