"""Dates as dumps write them, to UTC: absolute, relative, date-only, and never invented."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from articles.ingest.dates import (
    DateContext,
    OutOfRange,
    from_value,
    get_zone,
    parse_date,
    parse_date_line,
)

REFERENCE = datetime(2017, 6, 14, 12, 0, tzinfo=UTC)
UTC_CTX = DateContext(REFERENCE, get_zone("UTC"))


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wednesday, June 14, 2017 9:30 AM EDT", at(2017, 6, 14, 13, 30)),
        ("June 14, 2017", at(2017, 6, 14)),
        ("Jun. 14, 2017 at 17:52", at(2017, 6, 14, 17, 52)),
        ("14 June 2017", at(2017, 6, 14)),
        ("14th of June, 2017 10:00 GMT", at(2017, 6, 14, 10)),
        ("14/06/2017", at(2017, 6, 14)),
        ("06/14/2017", at(2017, 6, 14)),  # cannot be day-first
        ("14.06.17", at(2017, 6, 14)),
        ("2017/06/14 08:00", at(2017, 6, 14, 8)),
        ("2017-06-14", at(2017, 6, 14)),
        ("2017-06-14T10:00:00Z", at(2017, 6, 14, 10)),
        ("2017-06-14T13:00:00+03:00", at(2017, 6, 14, 10)),
        ("2016-11-12 00:00:00", at(2016, 11, 12)),
        ("2017-06-14 10:00:00 UTC", at(2017, 6, 14, 10)),
        ("Wed, 14 Jun 2017 09:30:00 -0400", at(2017, 6, 14, 13, 30)),
        ("2 hours ago", at(2017, 6, 14, 10)),
        ("an hour ago", at(2017, 6, 14, 11)),
        ("Updated 3 days ago", at(2017, 6, 11, 12)),
        ("5 mins ago", at(2017, 6, 14, 11, 55)),
        ("2 months ago", at(2017, 4, 14, 12)),
        ("yesterday", at(2017, 6, 13)),
        ("Yesterday at 9:30 pm", at(2017, 6, 13, 21, 30)),
        ("today", at(2017, 6, 14)),
        ("Posted on June 14, 2017", at(2017, 6, 14)),
        ("Updated 9:30 AM EDT, Wed June 14, 2017", at(2017, 6, 14, 13, 30)),
        ("14 juin 2017", at(2017, 6, 14)),  # other languages through dateparser
    ],
)
def test_date_forms(text, expected):
    assert parse_date(text, UTC_CTX) == expected


@pytest.mark.parametrize(
    "text", ["", "June 2017", "2017", "soon", "31/02/2017", "25:00", "0000-00-00", "n/a"]
)
def test_incomplete_or_impossible_dates_are_none(text):
    assert parse_date(text, UTC_CTX) is None


def test_zone_less_dates_are_in_the_given_timezone():
    ctx = DateContext(REFERENCE, get_zone("Asia/Riyadh"))
    assert parse_date("2017-06-14", ctx) == at(2017, 6, 13, 21)
    assert parse_date("2017-06-14 10:00", ctx) == at(2017, 6, 14, 7)
    assert parse_date("2017-06-14T10:00:00Z", ctx) == at(2017, 6, 14, 10)
    # 'yesterday' is the calendar day before the reference, in that zone.
    assert parse_date("yesterday", ctx) == at(2017, 6, 12, 21)


def test_a_naive_reference_time_is_read_in_the_given_timezone():
    ctx = DateContext(datetime(2017, 6, 14, 12, 0), get_zone("Europe/Paris"))
    assert parse_date("2 hours ago", ctx) == at(2017, 6, 14, 8)


def test_metadata_values():
    assert from_value(1497434400, UTC_CTX) == at(2017, 6, 14, 10)
    assert from_value(1497434400000, UTC_CTX) == at(2017, 6, 14, 10)  # milliseconds
    assert from_value("1497434400", UTC_CTX) == at(2017, 6, 14, 10)
    assert from_value(date(2017, 6, 14), UTC_CTX) == at(2017, 6, 14)
    assert from_value(datetime(2017, 6, 14, 10), UTC_CTX) == at(2017, 6, 14, 10)
    for nothing in (None, True, [], {}, ""):
        assert from_value(nothing, UTC_CTX) is None
    with pytest.raises(OutOfRange):
        from_value(1e300, UTC_CTX)  # a number, but no date


def test_only_lines_that_are_nothing_but_a_date_are_date_lines():
    assert parse_date_line("Wednesday, June 14, 2017", UTC_CTX) == at(2017, 6, 14)
    assert parse_date_line("The 25-year-old tested positive in 2004", UTC_CTX) is None
    assert parse_date_line("May the best team win on 14 June 2017", UTC_CTX) is None
    assert parse_date_line("Saturday 20 November", UTC_CTX) is None  # no year: no date


def test_unknown_zone_names_are_refused():
    with pytest.raises(ValueError, match="unknown time zone"):
        get_zone("Not/AZone")
    assert get_zone("utc") is UTC
