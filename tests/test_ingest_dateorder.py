"""Numeric dates in the order the dump's own values prove; mail and Usenet dates; dates no
article can have are warnings; crawl dates are capture dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from articles.ingest import dateorder
from tests.factories import parse_dump, parse_errors, parse_paths, parsed_articles, write_dump


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _jsonl(dates: list[str]) -> str:
    return "".join(
        json.dumps({"title": f"T{n}", "body": f"Body {n}.", "date": d}) + "\n"
        for n, d in enumerate(dates)
    )


def _notes(records: list[object]) -> list[object]:
    return [r for r in parse_errors(records) if r.code == "date-order"]


def test_a_month_first_dump_is_read_month_first(tmp_path):
    # The first four could be either; 12-25-2018 can only be month first.
    records = parse_dump(
        tmp_path, "d.jsonl", _jsonl(["04-06-2019", "01-02-2019", "03-04-2019", "12-25-2018"])
    )
    found = parsed_articles(records)
    assert [a.title for a in found] == ["T0", "T1", "T2", "T3"]  # order kept
    assert [a.published_at for a in found] == [
        at(2019, 4, 6),
        at(2019, 1, 2),
        at(2019, 3, 4),
        at(2018, 12, 25),
    ]
    [note] = _notes(records)
    assert (note.kind, note.code, note.line) == ("warning", "date-order", 1)
    assert note.message == "dates in 'date' read month first ('12-25-2018' proves it)"


def test_a_day_first_proof_decides_the_other_way(tmp_path):
    records = parse_dump(tmp_path, "d.jsonl", _jsonl(["04-06-2019", "25-12-2018"]))
    assert [a.published_at for a in parsed_articles(records)] == [at(2019, 6, 4), at(2018, 12, 25)]
    assert "read day first ('25-12-2018' proves it)" in _notes(records)[0].message


def test_ambiguous_dumps_take_the_option_and_say_so(tmp_path):
    path = write_dump(tmp_path, "d.jsonl", _jsonl(["04-06-2019", "01-02-2019"]))
    day_first = parse_paths(path)
    assert [a.published_at for a in parsed_articles(day_first)] == [at(2019, 6, 4), at(2019, 2, 1)]
    assert "read day first (--date-order dmy)" in _notes(day_first)[0].message
    month_first = parse_paths(path, date_order="mdy")
    assert [a.published_at for a in parsed_articles(month_first)] == [
        at(2019, 4, 6),
        at(2019, 1, 2),
    ]
    assert "read month first (--date-order mdy)" in _notes(month_first)[0].message


def test_a_dump_without_ambiguous_dates_says_nothing(tmp_path):
    records = parse_dump(tmp_path, "d.jsonl", _jsonl(["2019-04-06", "25-12-2018"]))
    assert len(parsed_articles(records)) == 2 and _notes(records) == []


def test_the_order_is_settled_across_the_files_of_one_dump(tmp_path):
    write_dump(tmp_path, "a.txt", "Date: 04/06/2019\nTitle: First\n\nBody one.\n")
    write_dump(tmp_path, "b.txt", "Date: 12/25/2018\nTitle: Second\n\nBody two.\n")
    records = parse_paths(tmp_path)
    assert [a.published_at for a in parsed_articles(records)] == [at(2019, 4, 6), at(2018, 12, 25)]


def test_the_look_ahead_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(dateorder, "WINDOW", 3)
    dates = ["04-06-2019"] * 5 + ["12-25-2018"]
    records = parse_dump(tmp_path, "d.jsonl", _jsonl(dates))
    found = parsed_articles(records)
    # The first three ambiguous values decided day first; the late proof is reported.
    assert found[0].published_at == at(2019, 6, 4)
    messages = [n.message for n in _notes(records)]
    assert "none of its first 3 numeric dates settles it" in messages[0]
    assert "'12-25-2018' can only be month first" in messages[1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2 Apr 93 21:07:57 GMT", at(1993, 4, 2, 21, 7, 57)),
        ("Fri, 2 Apr 93 21:07:57 GMT", at(1993, 4, 2, 21, 7, 57)),
        ("Sat, 3 Apr 1993 10:00:00 -0500 (EST)", at(1993, 4, 3, 15)),
        ("Fri Apr  2 21:07:57 1993", at(1993, 4, 2, 21, 7, 57)),
    ],
)
def test_usenet_posts_with_mail_dates(tmp_path, value, expected):
    post = (
        "Path: cantaloupe.srv.cs.cmu.edu!crabapple.srv.cs.cmu.edu\n"
        "From: jdoe@cs.example.edu (John Doe)\n"
        "Newsgroups: sci.space\n"
        "Subject: Shuttle launch moved\n"
        f"Date: {value}\n"
        "Message-ID: <1993Apr2.210757@cs.example.edu>\n"
        "Organization: Example University\n"
        "Lines: 2\n"
        "\n"
        "The launch has been moved to Tuesday.\n"
    )
    [article] = parse_dump(tmp_path, "12345", post)
    assert article.title == "Shuttle launch moved"
    assert article.published_at == expected
    assert article.authors == ("John Doe",)
    assert article.body == "The launch has been moved to Tuesday."


@pytest.mark.parametrize(
    "value", ["1750-01-01", "9999-12-31T23:59:59Z", "June 14, 2150", 253402300800, 1e300]
)
def test_dates_no_article_can_have_are_warnings(tmp_path, value):
    record = {"title": "T", "body": "B", "date_publish": value}
    [article] = parse_dump(tmp_path, "a.json", json.dumps(record))
    assert article.published_at is None
    [warning] = article.warnings
    assert (warning.kind, warning.code) == ("warning", "date-out-of-range")


def test_an_unreadable_date_has_its_own_code(tmp_path):
    record = {"title": "T", "body": "B", "date": "the day after"}
    [article] = parse_dump(tmp_path, "a.json", json.dumps(record))
    assert [w.code for w in article.warnings] == ["date-unreadable"]


def test_millisecond_epochs_still_read(tmp_path):
    record = {"title": "T", "body": "B", "timestamp": 1497434400000}
    [article] = parse_dump(tmp_path, "a.json", json.dumps(record))
    assert article.published_at == at(2017, 6, 14, 10)


def test_a_crawl_date_is_a_capture_date_not_a_publication_date(tmp_path):
    record = {"title": "T", "content": "C", "date_extracted": "2015-07-21 02:51:32"}
    [article] = parse_dump(tmp_path, "a.json", json.dumps(record))
    assert article.published_at is None
    assert article.captured_at == at(2015, 7, 21, 2, 51, 32)
    both = {"title": "T", "maintext": "C", "date_publish": "2017-12-30 00:00:00",
            "date_download": "2018-01-02 10:00:00"}  # fmt: skip
    [article] = parse_dump(tmp_path, "b.json", json.dumps(both))
    assert (article.published_at, article.captured_at) == (at(2017, 12, 30), at(2018, 1, 2, 10))
