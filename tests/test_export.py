"""`manage.py export`: JSON Lines out, and back in through `ingest` without loss."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection

from articles.models import Article, ImportRun, Source, Tag
from tests.conftest import SAMPLES
from tests.factories import make_article, make_source

pytestmark = pytest.mark.django_db(transaction=True)


def export() -> list[dict]:
    out = io.StringIO()
    call_command("export", stdout=out, stderr=io.StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


def snapshot() -> set[tuple]:
    """Everything an export carries except ids: what a round trip must reproduce."""
    return {
        (
            a.title,
            a.body,
            a.source.name if a.source else None,
            a.published_at,
            a.language,
            tuple(sorted(a.tags.values_list("name", flat=True))),
            tuple(author.name for author in a.byline()),
            a.captured_at,
            a.url,
        )
        for a in Article.objects.select_related("source")
    }


def empty_the_archive() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE articles_article, articles_article_tags, articles_source, articles_tag, "
            "articles_author, articles_importrun, articles_historicalarticle, "
            "articles_historicalarticle_tags RESTART IDENTITY CASCADE"
        )


def test_each_article_is_one_json_object_with_the_documented_keys():
    courier = make_source("Daily Courier")
    dated = make_article(
        "Tram extension approved",
        "The line will have four stops.\n\nWork starts next year.",
        source=courier,
        tags=["Transport", "infrastructure"],
        published_at=datetime(2024, 2, 21, 12, 0, tzinfo=UTC),
        url="https://dailycourier.example/tram",
    )
    undated = make_article("مقال بلا تاريخ", "نص المقال.", language="ar")

    records = export()

    assert records == [
        {
            "id": dated.pk,
            "title": "Tram extension approved",
            "source": "Daily Courier",
            "published_at": "2024-02-21T12:00:00Z",
            "captured_at": None,
            "language": "en",
            "tags": ["infrastructure", "Transport"],
            "authors": [],
            "url": "https://dailycourier.example/tram",
            "body": "The line will have four stops.\n\nWork starts next year.",
        },
        {
            "id": undated.pk,
            "title": "مقال بلا تاريخ",
            "source": None,
            "published_at": None,
            "captured_at": None,
            "language": "ar",
            "tags": [],
            "authors": [],
            "url": None,
            "body": "نص المقال.",
        },
    ]


def test_output_file_option_writes_utf8_json_lines(tmp_path):
    make_article("Café tables", "“Quoted” text.")
    target = tmp_path / "archive.jsonl"
    err = io.StringIO()
    call_command("export", "--output", str(target), stderr=err)
    text = target.read_text(encoding="utf-8")
    assert text.count("\n") == 1 and "“Quoted” text." in text  # not \u-escaped
    assert f"Exported 1 articles to {target}" in err.getvalue()


def test_an_unwritable_output_is_a_clear_usage_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No such file or directory") as raised:
        call_command("export", "--output", str(tmp_path / "missing" / "x.jsonl"))
    assert raised.value.returncode == 2


def test_export_then_ingest_into_an_empty_archive_reproduces_it(tmp_path):
    call_command("ingest", str(SAMPLES), stdout=io.StringIO(), stderr=io.StringIO())
    before = snapshot()
    sources_before = set(Source.objects.values_list("name", flat=True))
    tags_before = set(Tag.objects.values_list("name", flat=True))
    assert len(before) > 30
    dump = tmp_path / "export.jsonl"
    call_command("export", "--output", str(dump), stderr=io.StringIO())

    # Into the same archive: nothing new.
    out = io.StringIO()
    call_command("ingest", str(dump), stdout=out, stderr=io.StringIO())
    assert f"created 0, duplicates {len(before)}, failed 0" in out.getvalue()

    # Into an empty one: the same articles, sources and tags.
    empty_the_archive()
    out = io.StringIO()
    call_command("ingest", str(dump), stdout=out, stderr=io.StringIO())
    assert f"created {len(before)}, duplicates 0, failed 0" in out.getvalue()
    assert snapshot() == before
    assert set(Source.objects.values_list("name", flat=True)) == sources_before
    assert set(Tag.objects.values_list("name", flat=True)) == tags_before
    assert ImportRun.objects.get().created == len(before)
