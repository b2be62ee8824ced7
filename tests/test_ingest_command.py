"""`manage.py ingest`: real files in, rows out, with the exit codes and messages users see."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import reverse

from articles.models import Article, ImportRun, Source, Tag
from tests.conftest import ROOT, SAMPLES, SEED
from tests.factories import make_source, make_superuser

pytestmark = pytest.mark.django_db(transaction=True)

# Every article in articles/samples (the seed and 36 written for the project).
SAMPLE_ARTICLES = 37


# -- helpers ---------------------------------------------------------------------------


def ingest(*args: str) -> tuple[int, str, str]:
    """Run the command in-process; returns (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ingest", *args, stdout=out, stderr=err)
    except CommandError as exc:
        err.write(f"CommandError: {exc}\n")
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def db_env() -> dict[str, str]:
    """Environment that points a child process at this test's database and search index."""
    from django.conf import settings

    name = connection.settings_dict["NAME"]
    url = os.environ.get("DATABASE_URL")
    index = {"SEARCH_INDEX_DIR": str(settings.SEARCH_INDEX_DIR)}
    if url:
        return {"DATABASE_URL": urlunsplit(urlsplit(url)._replace(path=f"/{name}")), **index}
    return {"EMBEDDED_DATABASE_NAME": name, **index}


def manage_cmd(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def manage(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        manage_cmd(*args),
        cwd=ROOT,
        env={**os.environ, **db_env(), "PYTHONUNBUFFERED": "1"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )


WORDS = [
    "harbour",
    "council",
    "ferry",
    "minister",
    "budget",
    "river",
    "flood",
    "tram",
    "school",
    "hospital",
    "court",
    "election",
    "farmers",
    "reef",
    "solar",
    "library",
    "union",
    "strike",
    "museum",
    "wildfire",
    "storm",
    "police",
    "bridge",
    "market",
    "rail",
    "vote",
    "report",
    "inquiry",
    "contract",
    "growers",
    "village",
    "city",
    "county",
    "coast",
    "island",
    "port",
    "station",
]


def write_dump(path: Path, numbers: range | list[int], words: int = 80) -> Path:
    """A JSON Lines dump of distinct short articles, numbered so that dumps can overlap."""
    with open(path, "w", encoding="utf-8") as f:
        for n in numbers:
            body = " ".join(WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(words))
            record = {
                "title": f"Story number {n} about the {WORDS[n % len(WORDS)]}",
                "text": f"Report {n}. {body}.",
                "date_publish": f"2019-{1 + n % 12:02d}-{1 + n % 28:02d}T08:00:00Z",
                "source": ["Daily Courier", "Harbour Times", "Metro Wire"][n % 3],
                "url": f"https://news.example.org/story/{n}",
                "tags": [WORDS[n % 5], WORDS[n % 7]],
                "language": "en",
            }
            f.write(json.dumps(record) + "\n")
    return path


# -- the seed and the samples ----------------------------------------------------------------


def test_the_seed_becomes_exactly_the_article_the_issue_names():
    code, out, err = ingest(str(SEED), "--reference-time", "2017-06-14T12:00:00Z")
    assert code == 0, err
    article = Article.objects.get()
    assert article.title == (
        "In a rare public visit .. Syrian delegation in Baghdad to discuss border security"
    )
    assert article.published_at == datetime(2017, 6, 14, 10, 0, tzinfo=UTC)
    assert article.source is not None and article.source.name == "Twilight News"
    assert article.language == "en"
    assert article.body.startswith("Twilight News Iraqi Defense Ministry")
    assert article.body.endswith("to fight al-Daesh.")
    for gone in ("2 hours ago", "Leave a Reply", "Connecting to %s", "in a rare public visit"):
        assert gone not in article.body
    assert "Import #" in out and "created 1, duplicates 0, failed 0" in out


def test_the_samples_import_once_and_a_second_run_creates_nothing():
    code, out, err = ingest(str(SAMPLES))
    assert code == 0, err
    assert f"created {SAMPLE_ARTICLES}, duplicates 0, failed 0" in out
    assert Article.objects.count() == SAMPLE_ARTICLES

    code, out, err = ingest(str(SAMPLES))
    assert code == 0, err
    assert f"created 0, duplicates {SAMPLE_ARTICLES}, failed 0" in out
    assert Article.objects.count() == SAMPLE_ARTICLES


def test_the_samples_look_like_a_real_archive():
    ingest(str(SAMPLES))
    languages = set(Article.objects.values_list("language", flat=True))
    assert languages == {"en", "fr", "ar"}
    years = {a.published_at.year for a in Article.objects.exclude(published_at=None)}
    assert years >= {2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024}
    assert Source.objects.count() >= 10
    assert Tag.objects.count() >= 20
    # Windows-1256 Arabic, Windows-1252 with CRLF, Latin-1 French: all decoded.
    assert Article.objects.filter(title__startswith="افتتاح محطة لتحلية").exists()
    cafe = Article.objects.get(title__startswith="Café owners")
    assert "“We put tables out" in cafe.body and "\r" not in cafe.body
    assert Article.objects.get(title__startswith="La médiathèque").language == "fr"
    # Inside the gzip and the zip.
    assert (
        Article.objects.filter(source__name="Harbour Times", published_at__year=2016).count() == 3
    )
    assert (
        Article.objects.filter(source__name="The Northern Ledger", published_at__year=2017).count()
        == 2
    )
    # Crawl records without a title take their first line; their source is the URL's domain.
    pool = Article.objects.get(title="Swimming pool reopens after £3m refurbishment")
    assert pool.source is not None and pool.source.name == "riversidegazette.com"
    # The boilerplate around the marine-reserve story is gone, its text kept.
    reserve = Article.objects.get(title__startswith="Island votes")
    assert reserve.body.startswith("Voters approved")
    assert reserve.body.endswith("larger boats.")
    assert "cookies" not in reserve.body and "Share this" not in reserve.body


# -- options ------------------------------------------------------------------------------


def test_source_and_repeated_tags_apply_to_every_article():
    make_source("Courier Archive")
    dump = SAMPLES / "jsonl" / "daily-courier-2023-2024.jsonl"
    code, _, err = ingest(
        str(dump), "--source", "courier archive", "--tag", "Archive", "--tag", "2020s"
    )
    assert code == 0, err
    assert Article.objects.count() == 6
    assert set(Article.objects.values_list("source__name", flat=True)) == {"Courier Archive"}
    for article in Article.objects.all():
        names = set(article.tags.values_list("name", flat=True))
        assert {"Archive", "2020s"} <= names and len(names) >= 3
    assert Source.objects.count() == 1


def test_timezone_places_date_only_values_at_local_midnight():
    dump = SAMPLES / "csv" / "pacific-dispatch-briefs-2018.csv"
    code, _, err = ingest(str(dump), "--timezone", "Europe/Paris")
    assert code == 0, err
    article = Article.objects.get(title__startswith="Ambulance response times")
    assert article.published_at == datetime(2018, 2, 14, 23, 0, tzinfo=UTC)


def test_reference_time_without_offset_is_read_in_the_timezone():
    code, _, err = ingest(
        str(SEED), "--reference-time", "2017-06-14T14:00:00", "--timezone", "Europe/Paris"
    )
    assert code == 0, err
    assert Article.objects.get().published_at == datetime(2017, 6, 14, 10, 0, tzinfo=UTC)


def test_format_overrides_detection_by_extension(tmp_path):
    dump = write_dump(tmp_path / "export.txt", range(3))
    code, _out, err = ingest(str(dump), "--format", "jsonl")
    assert code == 0, err
    assert Article.objects.count() == 3
    assert Article.objects.filter(title="Story number 1 about the council").exists()


def test_dry_run_reports_everything_and_writes_no_articles(tmp_path):
    code, out, err = ingest(str(SAMPLES), "--dry-run")
    assert code == 0, err
    assert f"dry run: nothing written): would create {SAMPLE_ARTICLES}" in out
    assert Article.objects.count() == 0
    assert Source.objects.count() == 0 and Tag.objects.count() == 0
    run = ImportRun.objects.get()
    assert (run.dry_run, run.created, run.status) == (True, SAMPLE_ARTICLES, "finished")


def test_batch_size_and_the_run_record(tmp_path):
    dump = write_dump(tmp_path / "dump.jsonl", range(7))
    code, _, err = ingest(str(dump), "--batch-size", "2", "--tag", "x")
    assert code == 0, err
    run = ImportRun.objects.get()
    assert run.paths == [str(dump)]
    assert run.options["batch_size"] == 2 and run.options["tags"] == ["x"]
    assert (run.created, run.duplicates, run.failed, run.status) == (7, 0, 0, "finished")
    assert set(Article.objects.values_list("import_run", flat=True)) == {run.pk}


def test_plain_progress_lines_when_stderr_is_not_a_terminal(tmp_path, monkeypatch):
    from articles.management.commands import ingest as command

    monkeypatch.setattr(command, "PROGRESS_EVERY", 0.0)
    dump = write_dump(tmp_path / "dump.jsonl", range(6))
    code, _, err = ingest(str(dump), "--batch-size", "2")
    assert code == 0
    lines = err.splitlines()
    assert lines[0].startswith("... 2 records read (")
    assert lines[-1].startswith("... 6 records read (100% of ")
    assert all(": created " in line for line in lines)
    assert "\r" not in err


def test_standard_input_is_read_with_a_dash(tmp_path):
    dump = write_dump(tmp_path / "dump.jsonl", range(4))
    result = manage("ingest", "-", "--format", "jsonl", stdin=dump.read_text())
    assert result.returncode == 0, result.stderr
    assert "created 4, duplicates 0, failed 0" in result.stdout
    assert Article.objects.count() == 4


# -- usage errors: exit 2, one clear line, no traceback -----------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timezone", "Mars/Olympus"], "--timezone: unknown time zone 'Mars/Olympus'"),
        (["--reference-time", "yesterday-ish"], "--reference-time: 'yesterday-ish' is not an ISO"),
        (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
        (["--batch-size", "0"], "--batch-size must be 1 or more"),
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(args, message):
    result = manage("ingest", str(SEED), *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert Article.objects.count() == 0
    assert ImportRun.objects.count() == 0


# -- bad input --------------------------------------------------------------------------------


def test_bad_files_are_reported_by_path_and_line_and_the_good_ones_kept(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "news.jsonl").write_text(
        '{"title": "Good one", "body": "First good body.", "url": "https://e.example/1"}\n'
        '{"title": broken\n'
        '{"title": "Good two", "body": "Second good body.", "url": "https://e.example/2"}\n'
    )
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_text("  \n\n \t\n")
    (folder / "photo.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "good.txt").write_text("A fine headline\n\nA fine body paragraph about a harbour.\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(100))
    with gzip.open(folder / "broken.jsonl.gz", "wb") as g:
        g.write(b'{"title": "Zipped", "body": "Zipped body."}\n')
    (folder / "cut.jsonl.gz").write_bytes((folder / "broken.jsonl.gz").read_bytes()[:20])
    missing = tmp_path / "nowhere.json"

    result = manage("ingest", str(folder), str(missing))

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert f"{folder}/news.jsonl:2: invalid JSON: Expecting value (column 11)" in lines
    assert f"{folder}/empty.txt: skipped: empty file" in lines
    assert any(line.startswith(f"{folder}/blank.txt: ") for line in lines)
    assert any(line.startswith(f"{folder}/photo.txt: binary") for line in lines)
    assert any(line.startswith(f"{folder}/cut.jsonl.gz") for line in lines)
    assert any(line.startswith(f"{missing}: ") for line in lines)
    assert not any(".DS_Store" in line for line in lines)
    assert sorted(Article.objects.values_list("title", flat=True)) == [
        "A fine headline",
        "Good one",
        "Good two",
        "Zipped",
    ]
    run = ImportRun.objects.get()
    # The empty and the blank file are skipped (no text), not failed.
    assert (run.status, run.created, run.failed) == ("finished", 4, 4)
    assert {
        "path": f"{folder}/news.jsonl",
        "line": 2,
        "message": "invalid JSON: Expecting value (column 11)",
        "kind": "error",
        "code": "",
    } in run.errors
    assert "created 4, duplicates 0, failed 4" in result.stdout
    assert "2 skipped (2 no-text)" in result.stdout
    assert "4 records failed" in result.stderr


def test_duplicates_by_url_and_content_across_files_are_counted_and_skipped(tmp_path):
    first = {
        "title": "Bridge reopens",
        "body": "The bridge reopened.\n\nTraffic flows.",
        "url": "https://e.example/bridge",
    }
    same_url = {**first, "title": "Bridge reopens (updated)"}
    same_text = {"title": "Bridge  reopens", "body": "The bridge reopened.\r\n\r\nTraffic   flows."}
    (tmp_path / "a.json").write_text(json.dumps(first))
    (tmp_path / "b.json").write_text(json.dumps(same_url))
    (tmp_path / "c.json").write_text(json.dumps(same_text))
    code, out, err = ingest(str(tmp_path))
    assert code == 0, err
    assert "created 1, duplicates 2, failed 0" in out
    assert Article.objects.get().title == "Bridge reopens"


# -- interruptions, crashes and concurrent runs ------------------------------------------------


# The application_name (libpq reads PGAPPNAME) of the imports these tests start and stop.
INGEST_APP_NAME = "newsarchive-test-ingest"


def _start(*args: str) -> subprocess.Popen[str]:
    # The import starts with Ctrl-C's default action, as from a terminal, even when this run
    # was itself started in the background: a shell starts background jobs with SIGINT
    # ignored, every process below inherits that, and Python then never turns it into
    # KeyboardInterrupt. (A handler of this process's own is reset to the default at exec.)
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(
            manage_cmd("ingest", *args),
            cwd=ROOT,
            env={**os.environ, **db_env(), "PYTHONUNBUFFERED": "1", "PGAPPNAME": INGEST_APP_NAME},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def _wait_for_articles(process: subprocess.Popen[str], at_least: int) -> None:
    deadline = time.monotonic() + 120
    while Article.objects.count() < at_least:
        assert process.poll() is None, "the import ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _signal_mid_import(process: subprocess.Popen[str], sig: int) -> None:
    """Send `sig` while no batch can be stored (inserts wait for this lock), so the import
    is cut mid-way however fast it runs and however late this process sends it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE articles_article IN SHARE MODE")
        process.send_signal(sig)
        time.sleep(0.5)


def _wait_for_import_sessions_to_end() -> None:
    """A killed client's last COMMIT may still be finishing after the process is gone."""
    deadline = time.monotonic() + 60
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = %s",
                [INGEST_APP_NAME],
            )
            if cursor.fetchone()[0] == 0:
                return
            assert time.monotonic() < deadline, "the killed import's sessions never ended"
            time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_or_killed_import_leaves_whole_batches_and_a_rerun_completes(
    tmp_path, sig, settings, client
):
    total, batch = 12000, 200
    dump = write_dump(tmp_path / "big.jsonl", range(total))
    first, rest = dump.read_text().split("\n", 1)
    dump.write_text(f"{first}\n{{not json\n{rest}")  # one bad line, near the start
    process = _start(str(dump), "--batch-size", str(batch))
    _wait_for_articles(process, batch)
    _signal_mid_import(process, sig)
    out, err = process.communicate(timeout=120)
    _wait_for_import_sessions_to_end()

    kept = Article.objects.count()
    assert 0 < kept < total
    assert kept % batch == 0, "a batch was half written"
    assert "Traceback" not in err
    run = ImportRun.objects.get()
    # The error was recorded while the run went on, not only at its end.
    assert run.failed == 1 and run.errors[0]["line"] == 2
    if sig == signal.SIGINT:
        assert process.returncode == 130
        assert "(interrupted): created" in out
        assert (run.status, run.created) == ("interrupted", kept)
    else:
        assert process.returncode == -signal.SIGKILL
        assert run.status == "running"  # nobody was left to say otherwise, yet
        # Once its heartbeat is older than IMPORT_STALE_AFTER, the admin's list of runs
        # says it was interrupted, and what it stored.
        settings.IMPORT_STALE_AFTER = 1
        time.sleep(1.5)
        client.force_login(make_superuser())
        html = client.get(reverse("admin:articles_importrun_changelist")).content.decode()
        run.refresh_from_db()
        assert (run.status, run.created) == ("interrupted", kept)
        assert '<td class="field-status">Interrupted</td>' in html
        assert f"created {kept:,}" in html

    result = manage("ingest", str(dump), "--batch-size", str(batch))
    assert result.returncode == 1, result.stderr
    assert f"created {total - kept:,}, duplicates {kept:,}, failed 1" in result.stdout
    assert Article.objects.count() == total


def test_two_overlapping_imports_at_once_store_each_article_once(tmp_path):
    first = write_dump(tmp_path / "first.jsonl", range(0, 3000))
    second = write_dump(tmp_path / "second.jsonl", list(reversed(range(1500, 4500))))
    runs = [_start(str(first), "--batch-size", "250"), _start(str(second), "--batch-size", "250")]
    results = [run.communicate(timeout=600) for run in runs]
    for run, (_, err) in zip(runs, results, strict=True):
        assert run.returncode == 0, err

    assert Article.objects.count() == 4500
    assert Article.objects.values("url").distinct().count() == 4500
    assert Source.objects.count() == 3
    assert Tag.objects.count() == len(
        {WORDS[n % 5] for n in range(5)} | {WORDS[n % 7] for n in range(7)}
    )
    counts = list(ImportRun.objects.values_list("created", "duplicates"))
    assert sum(c for c, _ in counts) == 4500
    assert sum(d for _, d in counts) == 1500


def test_tag_from_folder_tags_by_folder_also_inside_archives(tmp_path):
    dump = tmp_path / "dump"
    (dump / "sport").mkdir(parents=True)
    (dump / "sport" / "001.txt").write_text("Cup final tonight\n\nThe final is tonight.\n")
    with zipfile.ZipFile(dump / "more.zip", "w") as archive:
        archive.writestr("tech/002.txt", "New phone out\n\nA new phone is out.\n")
        archive.writestr("003.txt", "Loose story\n\nA story at the archive's root.\n")
    code, _out, err = ingest(str(dump), "--tag-from-folder")
    assert code == 0, err
    tags = {a.title: sorted(a.tags.values_list("name", flat=True)) for a in Article.objects.all()}
    assert tags == {
        "Cup final tonight": ["sport"],
        "New phone out": ["tech"],
        "Loose story": ["dump"],  # the folder holding the archive
    }
    assert ImportRun.objects.get().options["tag_from_folder"] is True


def test_date_order_option_and_the_report_of_kinds(tmp_path):
    dump = tmp_path / "d.jsonl"
    rows = [
        {"title": "One", "body": "First body.", "date": "04-06-2019"},
        {"title": "Two", "body": "Second body.", "date": "01-02-2019", "url": "javascript:x()"},
        {"title": "Three", "body": "", "date": "03-04-2019"},
        {"title": "Four", "body": "Fourth body.", "date": "1750-01-01"},
    ]
    dump.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, out, err = ingest(str(dump), "--date-order", "mdy")
    assert code == 0, err
    dates = dict(Article.objects.values_list("title", "published_at"))
    assert dates["One"] == datetime(2019, 4, 6, tzinfo=UTC)
    assert dates["Two"] == datetime(2019, 1, 2, tzinfo=UTC)
    assert dates["Four"] is None
    assert "failed 0" in out
    assert "3 warnings (1 date-order, 1 date-out-of-range, 1 url-dropped)" in out
    assert "1 skipped (1 no-text)" in out
    assert f"{dump}:1: warning: dates in 'date' read month first (--date-order mdy)" in err
    run = ImportRun.objects.get()
    assert run.options["date_order"] == "mdy"
    assert run.errors == []
    assert {(kind, code) for kind, codes in run.report.items() for code in codes} == {
        ("warning", "date-order"),
        ("warning", "url-dropped"),
        ("warning", "date-out-of-range"),
        ("skipped", "no-text"),
    }
    example = run.report["warning"]["date-order"]["examples"][0]
    assert (example["path"], example["line"]) == (str(dump), 1)


def test_an_unknown_date_order_is_a_usage_error(tmp_path):
    result = manage("ingest", str(tmp_path), "--date-order", "ymd")
    assert result.returncode == 2
    assert "invalid choice: 'ymd'" in result.stderr


# -- the real corpora (present on developer machines only) -------------------------------------


@pytest.mark.corpora
def test_bbc_imports_every_distinct_article(corpora):
    folders = [
        str(corpora / "bbc" / c) for c in ("business", "entertainment", "politics", "sport", "tech")
    ]
    code, out, err = ingest(*folders)
    assert code == 0, err
    # 98 byte-identical pairs, plus sport/181-182 and sport/432-438, which differ only in
    # whitespace (a paragraph break): the same article by the fingerprint rule.
    assert "created 2,125, duplicates 100, failed 0" in out
    # sport/199.txt is Latin-1; it is decoded, not mangled.
    assert not Article.objects.filter(body__contains="\ufffd").exists()
    assert not Article.objects.filter(body__contains="Ã").exists()
    assert Article.objects.filter(published_at=None).count() == 2125  # no dates: none invented


@pytest.mark.corpora
def test_newsplease_output_with_empty_and_damaged_files(corpora):
    code, _out, err = ingest(str(corpora / "newsplease"))
    assert code == 1
    lines = err.splitlines()
    empty = [line for line in lines if line.endswith(": skipped: empty file")]
    assert len(empty) == 2 and all("news_cluster/data_raw/" in line for line in empty)
    run = ImportRun.objects.get()
    failed = [line for line in lines if not re.search(r": (warning|skipped): ", line)]
    assert run.failed == len([line for line in failed if line.startswith(str(corpora))]) == 1
    assert "sampling.json:1: not an article" in failed[0]
    # Crawl records without text are skipped, junk authors dropped, each counted by code.
    assert "skipped (" in _out and "no-text" in _out and "author-dropped" in _out
    # About 570 distinct articles across 1,100 files: the same article in several folders.
    assert 450 <= run.created <= 650
    assert run.duplicates >= 400
    assert Article.objects.count() == run.created
    assert (
        Article.objects.exclude(url=None).values("url").distinct().count()
        == Article.objects.exclude(url=None).count()
    )


@pytest.mark.corpora
def test_saudinewsnet_zips_of_arabic_json_arrays(corpora):
    days = [str(corpora / "saudinewsnet" / f"2015-07-2{d}.zip") for d in (1, 2)]
    code, _out, _err = ingest(*days)
    run = ImportRun.objects.get()
    assert run.created > 4000
    assert Article.objects.filter(language="ar").count() >= 0.95 * run.created
    # Records with no text are skipped, not failed: counted on the run, with the member and
    # the record's line of the first of them, and the exit status stays 0.
    assert (code, run.failed) == (0, 0)
    no_text = run.report["skipped"]["no-text"]
    assert no_text["count"] == run.skipped > 0
    assert all(".zip!" in e["path"] and e["line"] for e in no_text["examples"])
