"""articles.importer: parsed records to rows, on the real PostgreSQL (no parser involved)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import importer as importer_module
from articles.importer import MAX_RECORDED_ERRORS, Importer, _Row, start_run
from articles.ingest.fingerprint import fingerprint
from articles.ingest.records import ParsedArticle, RecordError
from articles.models import Article, ImportRun, Source, SourceAlias, Tag
from articles.search import SearchRequest, search
from articles.search.indexer import IndexSession
from tests.factories import make_article, make_source, make_tag

pytestmark = pytest.mark.django_db(transaction=True)


def parsed(n: int = 1, **fields: object) -> ParsedArticle:
    values: dict[str, object] = {
        "title": f"Harbour ferry returns after {n} years",
        "body": f"Councillors voted for the ferry.\n\nIt will run every {n} minutes.",
        "published_at": datetime(2016, 4, 19, 16, 5, tzinfo=UTC),
        "source": "Harbour Times",
        "url": f"https://harbourtimes.example/ferry-{n}",
        "language": "en",
        "tags": ("Transport",),
        "origin": "dump.jsonl",
        "line": n,
    }
    values.update(fields)
    return ParsedArticle(**values)  # type: ignore[arg-type]


def run_importer(records, *, workers: int = 0, batch_size: int = 1000, **kwargs) -> Importer:
    importer = Importer(
        start_run(["dump.jsonl"], {}, dry_run=kwargs.get("dry_run", False)),
        workers=workers,
        batch_size=batch_size,
        **kwargs,
    )
    importer.run(records)
    return importer


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_it_stores_every_field_and_records_the_run(workers):
    importer = run_importer(
        [parsed(n) for n in range(1, 8)], workers=workers, batch_size=3, tags=["Kingsport"]
    )

    assert importer.stats.created == 7
    article = Article.objects.get(url="https://harbourtimes.example/ferry-5")
    assert article.title == "Harbour ferry returns after 5 years"
    assert article.slug == "harbour-ferry-returns-after-5-years"
    assert article.body == "Councillors voted for the ferry.\n\nIt will run every 5 minutes."
    assert article.published_at == datetime(2016, 4, 19, 16, 5, tzinfo=UTC)
    assert article.source is not None and article.source.name == "Harbour Times"
    assert article.language == "en"
    assert sorted(article.tags.values_list("name", flat=True)) == ["Kingsport", "Transport"]
    assert article.fingerprint == fingerprint(article.title, article.body)
    assert article.import_run_id == importer.run_row.pk
    # The import left the search index up to date.
    found = search(SearchRequest(q="ferry", tags=(Tag.objects.get(name="Kingsport").pk,)))
    assert found.count == 7 and article.pk in found.ids

    run = ImportRun.objects.get(pk=importer.run_row.pk)
    assert (run.status, run.created, run.duplicates, run.failed) == ("finished", 7, 0, 0)
    assert run.finished_at is not None
    assert Source.objects.count() == 1
    assert Tag.objects.count() == 2


def test_a_second_run_creates_nothing():
    records = [parsed(n) for n in range(1, 6)]
    run_importer(records)
    again = run_importer(records, workers=1)
    assert (again.stats.created, again.stats.duplicates) == (0, 5)
    assert Article.objects.count() == 5


def test_duplicates_by_url_and_by_normalised_content_are_skipped():
    make_article("Existing", "Body one.", url="https://harbourtimes.example/ferry-1")
    make_article("Same words", "Line one.\n\nLine two.")
    records = [
        parsed(1, title="Another title, same URL"),
        parsed(2, title="Same words", body="Line one.\r\n\r\n  Line   two.", url=None),
        parsed(3),
        parsed(3, title="Repeated URL in the same batch"),
        parsed(4, url=None),
        parsed(4, url="https://elsewhere.example/copy"),  # same title and body as the one above
    ]
    importer = run_importer(records)
    assert (importer.stats.created, importer.stats.duplicates) == (2, 4)
    assert Article.objects.count() == 4
    assert not Article.objects.filter(title="Another title, same URL").exists()


def test_sources_match_names_aliases_and_domains_in_any_case():
    bbc = make_source("BBC News", domain="bbc.co.uk")
    SourceAlias.objects.create(source=bbc, name="British Broadcasting Corporation")
    records = [
        parsed(1, source="bbc news"),
        parsed(2, source="BRITISH BROADCASTING CORPORATION"),
        parsed(3, source="bbc.co.uk"),
        parsed(4, source="twilight news"),
        parsed(5, source="Twilight News"),
        parsed(6, source="reuters.com"),
        parsed(7, source=None),
    ]
    run_importer(records)
    by_url = {a.url: a.source for a in Article.objects.select_related("source")}
    assert {by_url[f"https://harbourtimes.example/ferry-{n}"] for n in (1, 2, 3)} == {bbc}
    twilight = Source.objects.get(name__iexact="twilight news")
    # New names are created in sorted order, so the capitalised spelling wins.
    assert twilight.name == "Twilight News"
    assert by_url["https://harbourtimes.example/ferry-5"] == twilight
    reuters = Source.objects.get(name="reuters.com")
    assert (reuters.domain, reuters.slug) == ("reuters.com", "reuters-com")
    assert by_url["https://harbourtimes.example/ferry-7"] is None
    assert Source.objects.count() == 3


def test_new_sources_and_tags_get_free_slugs_when_another_name_has_the_same_slug():
    make_source("Arabiya Channel", slug="al-arabiya")  # another outlet with the slug
    make_tag("Middle East")  # slug middle-east
    run_importer([parsed(1, source="Al-Arabiya", tags=("Middle-East", "middle east"))])
    assert Source.objects.get(name="Al-Arabiya").slug == "al-arabiya-2"
    assert Tag.objects.get(name="Middle-East").slug == "middle-east-2"
    article = Article.objects.get()
    assert sorted(article.tags.values_list("name", flat=True)) == ["Middle East", "Middle-East"]


def test_a_first_batch_creates_its_many_new_tags_and_sources_at_once_with_free_slugs():
    make_tag("Middle East")  # slug middle-east
    records = [
        parsed(n, source=f"Outlet {n % 7}", tags=(f"Topic {n}", f"topic {n % 5}"))
        for n in range(1, 61)
    ]
    # Different names whose slugs clash with an existing tag or with each other.
    records.append(parsed(61, source="news.example.org", tags=("Middle-East", "C++", "C#")))

    with CaptureQueriesContext(connection) as queries:
        run_importer(records)

    assert Article.objects.count() == 61
    # Topic 1..60 and topic 0; topic 1..4 are Topic 1..4 in another case.
    assert Tag.objects.count() == 1 + 61 + 3
    assert Source.objects.count() == 8
    assert Tag.objects.get(name="Middle-East").slug == "middle-east-2"
    assert {Tag.objects.get(name="C++").slug, Tag.objects.get(name="C#").slug} == {"c", "c-2"}
    assert Source.objects.get(name="news.example.org").domain == "news.example.org"
    article = Article.objects.get(url="https://harbourtimes.example/ferry-12")
    assert article.source is not None and article.source.name == "Outlet 5"
    assert sorted(article.tags.values_list("name", flat=True)) == ["Topic 12", "Topic 2"]
    # One INSERT for the 60 new topics, not a few queries per tag (the search index's
    # catch-up at the end takes about ten of these).
    assert len(queries) < 55


def test_forced_source_and_extra_tags_apply_to_every_article():
    make_tag("transport")
    run_importer(
        [parsed(1), parsed(2, source=None)], source="Metro Wire", tags=["TRANSPORT", "Wire"]
    )
    assert set(Article.objects.values_list("source__name", flat=True)) == {"Metro Wire"}
    assert set(Tag.objects.values_list("name", flat=True)) == {"transport", "Wire"}
    assert all(a.tags.count() == 2 for a in Article.objects.all())


def test_a_url_too_long_for_the_column_is_dropped_with_a_warning():
    warnings = []
    importer = run_importer(
        [parsed(1, url="https://x.example/" + "a" * 2100)],
        on_error=lambda error, warning: warnings.append((str(error), warning)),
    )
    article = Article.objects.get()
    assert article.url is None
    assert importer.stats.warnings == 1 and importer.stats.failed == 0
    assert warnings == [("dump.jsonl:1: URL longer than 2,000 characters not stored", True)]
    run = ImportRun.objects.get()
    assert (run.errors, run.warnings, run.failed) == ([], 1, 0)
    assert run.report == {
        "warning": {
            "url-dropped": {
                "count": 1,
                "examples": [
                    {
                        "path": "dump.jsonl",
                        "line": 1,
                        "message": "URL longer than 2,000 characters not stored",
                    }
                ],
            }
        }
    }


def test_nul_bytes_and_lone_surrogates_never_reach_postgresql():
    run_importer([parsed(1, title="Nul\x00 title", body="Broken \ud800 escape")])
    article = Article.objects.get()
    assert (article.title, article.body) == ("Nul title", "Broken ? escape")


def test_record_errors_are_counted_and_the_first_thousand_kept():
    errors = [
        RecordError(f"bad/{i}.json", "not JSON", line=i) for i in range(MAX_RECORDED_ERRORS + 5)
    ]
    importer = run_importer([parsed(1), *errors, parsed(2)])
    run = ImportRun.objects.get(pk=importer.run_row.pk)
    assert (run.created, run.failed) == (2, MAX_RECORDED_ERRORS + 5)
    assert len(run.errors) == MAX_RECORDED_ERRORS
    assert run.errors[3] == {
        "path": "bad/3.json",
        "line": 3,
        "message": "not JSON",
        "kind": "error",
        "code": "",
    }


def test_an_article_without_a_title_fails_alone():
    importer = run_importer([parsed(1), parsed(2, title="   "), parsed(3)])
    assert (importer.stats.created, importer.stats.failed) == (2, 1)
    assert ImportRun.objects.get().errors == [
        {
            "path": "dump.jsonl",
            "line": 2,
            "message": "article has no title",
            "kind": "error",
            "code": "",
        }
    ]


class _UncheckedImporter(Importer):
    """Lets a language too long for varchar(3) through, so PostgreSQL refuses the row."""

    def _prepare(self, article: ParsedArticle) -> _Row | None:
        row = super()._prepare(article)
        if row is not None and article.language == "klingon":
            row.language = "klingon"
        return row


def test_a_row_postgresql_refuses_fails_alone_and_the_rest_of_its_batch_is_stored():
    importer = _UncheckedImporter(start_run(["dump.jsonl"], {}, dry_run=False), batch_size=10)
    importer.run([parsed(1), parsed(2, language="klingon"), parsed(3)])
    assert sorted(Article.objects.values_list("url", flat=True)) == [
        "https://harbourtimes.example/ferry-1",
        "https://harbourtimes.example/ferry-3",
    ]
    run = ImportRun.objects.get()
    assert (run.created, run.failed) == (2, 1)
    assert run.errors[0]["line"] == 2
    assert run.errors[0]["message"].startswith("could not be stored: value too long")


def test_dry_run_counts_what_it_would_do_and_writes_nothing():
    make_article("Existing", "Body.", url="https://harbourtimes.example/ferry-1")
    records = [
        parsed(1),
        parsed(2),
        parsed(2, title="Same URL again"),
        parsed(3, source="New Outlet"),
    ]
    importer = run_importer(records, dry_run=True, batch_size=2)
    assert (importer.stats.created, importer.stats.duplicates) == (2, 2)
    assert Article.objects.count() == 1
    assert not Source.objects.filter(name="New Outlet").exists()
    assert Tag.objects.count() == 0
    run = ImportRun.objects.get(pk=importer.run_row.pk)
    assert (run.dry_run, run.status, run.created, run.duplicates) == (True, "finished", 2, 2)


def test_ctrl_c_keeps_whole_batches_and_marks_the_run_interrupted():
    def records():
        for n in range(1, 8):
            yield parsed(n)
        raise KeyboardInterrupt

    importer = run_importer(records(), batch_size=3, workers=1)
    assert importer.stats.status == "interrupted"
    # Two whole batches of 3; the 7th article was pending and was not written.
    assert Article.objects.count() == 6
    run = ImportRun.objects.get()
    assert (run.status, run.created) == ("interrupted", 6)


def test_a_crash_marks_the_run_crashed_and_keeps_whole_batches():
    def records():
        yield from (parsed(n) for n in range(1, 5))
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        run_importer(records(), batch_size=2)
    assert Article.objects.count() == 4
    assert ImportRun.objects.get().status == "crashed"


def test_a_running_import_shows_its_batches_in_searches_and_counts_as_it_goes(client, monkeypatch):
    # The index applies the committed batches after a batch at most every INDEX_INTERVAL
    # seconds, and once more when the import ends.
    def harbour_times() -> str:
        html = client.get("/sources/").content.decode()
        return html.split('Harbour Times</a> <span class="n">', 1)[1].split("<", 1)[0]

    shown: list[str] = []
    run_importer(
        [parsed(n) for n in range(1, 7)],
        batch_size=2,
        on_progress=lambda stats: shown.append(harbour_times()),
    )
    assert shown[:3] == ["2", "2", "2"]  # three batches committed; indexed after the first
    assert harbour_times() == "6"  # the import is over: all of them
    assert search(SearchRequest(q="ferry")).count == 6

    monkeypatch.setattr(importer_module, "INDEX_INTERVAL", 0.0)
    shown.clear()
    run_importer(
        [parsed(n) for n in range(7, 11)],
        batch_size=2,
        on_progress=lambda stats: shown.append(harbour_times()),
    )
    assert shown[:2] == ["8", "10"]


def test_with_writer_threads_the_index_catches_up_in_its_own_thread(client, monkeypatch):
    # The import goes on while a catch-up runs; when it ends, every article is searchable.
    monkeypatch.setattr(importer_module, "INDEX_INTERVAL", 0.0)
    threads: set[str] = set()
    real = IndexSession.catch_up

    def catch_up(self, **kwargs):
        threads.add(threading.current_thread().name)
        return real(self, **kwargs)

    monkeypatch.setattr(IndexSession, "catch_up", catch_up)
    run_importer([parsed(n) for n in range(1, 9)], workers=2, batch_size=2)
    assert threads == {"index-catch-up"}
    assert search(SearchRequest(q="ferry")).count == 8
    assert ImportRun.objects.get().status == "finished"


def test_a_failing_index_thread_fails_the_import_and_keeps_its_batches(monkeypatch):
    def broken(self, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(IndexSession, "catch_up", broken)
    with pytest.raises(OSError, match="No space left"):
        run_importer([parsed(n) for n in range(1, 5)], workers=2, batch_size=2)
    assert Article.objects.count() == 4  # stored in whole batches; `manage.py index` applies them
    assert ImportRun.objects.get().status == "crashed"


def test_warnings_and_skipped_records_are_counted_by_code_not_failed():
    warning = RecordError("dump.jsonl", "author dropped: not a name: 'Author'", 1, "warning",
                          "author-dropped")  # fmt: skip
    records = [
        parsed(1, warnings=(warning,)),
        RecordError("dump.jsonl", "no body text", 2, "skipped", "no-text"),
        RecordError("dump.jsonl", "no body text", 3, "skipped", "no-text"),
        RecordError("dump.jsonl", "dates in 'date' read month first", 4, "warning", "date-order"),
        RecordError("dump.jsonl", "invalid JSON", 5),
    ]
    importer = run_importer(records)
    stats = importer.stats
    assert (stats.created, stats.failed, stats.warnings, stats.skipped) == (1, 1, 2, 2)
    assert "; 2 warnings (1 author-dropped, 1 date-order); 2 skipped (2 no-text)" in (
        stats.summary()
    )
    run = ImportRun.objects.get()
    assert (run.failed, run.warnings, run.skipped) == (1, 2, 2)
    assert [(e["kind"], e["code"], e["line"]) for e in run.errors] == [("error", "", 5)]
    assert {
        (kind, code, entry["count"], tuple(e["line"] for e in entry["examples"]))
        for kind, codes in run.report.items()
        for code, entry in codes.items()
    } == {
        ("warning", "author-dropped", 1, (1,)),
        ("warning", "date-order", 1, (4,)),
        ("skipped", "no-text", 2, (2, 3)),
    }
