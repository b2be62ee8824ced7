"""Mail: every message of an mbox, or an .eml, is an article."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import only_article, parse_dump, parse_errors, parsed_articles

MBOX = """From maria@example.org Thu Mar  4 09:30:00 2021
From: Maria Lindqvist <maria@example.org>
To: coastal-news@lists.example.org
Subject: Harbour bridge reopens
Date: Thu, 04 Mar 2021 09:30:00 +0100
Newsgroups: local.news, local.transport
List-Id: Coastal news <coastal-news.lists.example.org>
Content-Type: text/plain; charset=utf-8

The harbour bridge reopened to traffic on Thursday morning, two years after
engineers closed it when inspectors found corrosion in the steel cables that
hold up its main span.

>From next month buses will use it again.

--\x20
Maria Lindqvist, The Coastal Gazette

From someone@example.org Fri Mar  5 10:00:00 2021
From: someone@example.org
Date: Fri, 05 Mar 2021 10:00:00 +0000

A message that has no subject line.

Its first line stands in for the title.
"""

HTML_MAIL = """From: =?utf-8?q?Marie_Dupont?= <marie@example.fr>
Subject: =?utf-8?q?Le_pont_rouvre_apr=C3=A8s_deux_ans?=
Date: Thu, 04 Mar 2021 09:30:00 +0100
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<html><body><p>Le pont du port a rouvert jeudi matin.</p><p>Les travaux ont co=C3=BBt=C3=A9 48=
 millions d'euros.</p></body></html>
--b1
Content-Type: application/pdf; name="plan.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b1--
"""


def test_each_message_of_an_mbox_is_an_article(tmp_path):
    records = parse_dump(tmp_path, "news.mbox", MBOX)
    first, _ = parsed_articles(records)
    assert first.title == "Harbour bridge reopens"
    assert first.body == (
        "The harbour bridge reopened to traffic on Thursday morning, two years after engineers "
        "closed it when inspectors found corrosion in the steel cables that hold up its main "
        "span.\n\nFrom next month buses will use it again."
    )
    assert first.authors == ("Maria Lindqvist",)
    assert first.published_at == datetime(2021, 3, 4, 8, 30, tzinfo=UTC)
    assert first.tags == ("local.news", "local.transport", "coastal-news")
    assert (first.origin, first.line) == (str(tmp_path / "news.mbox"), 1)
    assert parse_errors(records) == []


def test_a_message_without_subject_takes_its_first_line_and_no_address_as_author(tmp_path):
    second = parsed_articles(parse_dump(tmp_path, "news.mbox", MBOX))[1]
    assert second.title == "A message that has no subject line."
    assert second.body == "Its first line stands in for the title."
    assert second.authors == ()  # the sender gave no name, and addresses are not authors
    assert second.published_at == datetime(2021, 3, 5, 10, 0, tzinfo=UTC)
    assert second.line == 19


def test_an_mbox_is_recognised_by_its_first_line(tmp_path):
    records = parse_dump(tmp_path, "inbox", MBOX)
    assert parsed_articles(records)[0].title == "Harbour bridge reopens"


def test_an_eml_takes_the_text_of_its_html_part(tmp_path):
    article = only_article(parse_dump(tmp_path, "pont.eml", HTML_MAIL))
    assert article.title == "Le pont rouvre après deux ans"
    assert article.body == (
        "Le pont du port a rouvert jeudi matin.\n\nLes travaux ont coûté 48 millions d'euros."
    )
    assert article.authors == ("Marie Dupont",)
    assert article.published_at == datetime(2021, 3, 4, 8, 30, tzinfo=UTC)


def test_a_file_named_mbox_that_is_not_one_is_one_line(tmp_path):
    records = parse_dump(tmp_path, "notes.mbox", "Dear diary,\n\nToday nothing happened.\n")
    assert [str(e) for e in records] == [
        f"{tmp_path / 'notes.mbox'}:1: not an mbox mailbox (no 'From ' line first)"
    ]


def test_numeric_dates_of_a_mailbox_wait_for_the_order_the_mailbox_proves(tmp_path):
    mbox = "".join(
        f"From a@example.org Mon Jan  5 10:00:00 2004\nFrom: Jane Doe <a@example.org>\n"
        f"Subject: Message {n}\nDate: {date}\n\nThe text of message {n}, long enough.\n\n"
        for n, date in enumerate(["04/06/2019 10:00", "12/25/2019 09:00"])
    )
    records = parse_dump(tmp_path, "list.mbox", mbox)
    assert [(a.title, a.published_at) for a in parsed_articles(records)] == [
        ("Message 0", datetime(2019, 4, 6, 10, 0, tzinfo=UTC)),
        ("Message 1", datetime(2019, 12, 25, 9, 0, tzinfo=UTC)),
    ]
    [note] = parse_errors(records)
    assert (note.kind, note.code, note.line) == ("warning", "date-order", 1)
    assert note.message == "dates in 'date' read month first ('12/25/2019 09:00' proves it)"


def test_a_message_keeps_what_the_checks_let_through(tmp_path):
    message = (
        "From: Staff <news@example.org>\nSubject: Caf&amp;eacute; reopens\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Date: Thu, 04 Mar 2021 09:30:00 +0100\nArchived-At: <https://lists.example.org/m/1>\n\n"
        "The caf\u00c3\u00a9 on the harbour reopened on Thursday.\n"
    )
    article = only_article(parse_dump(tmp_path, "cafe.eml", message))
    assert article.title == "Café reopens"
    assert article.body == "The café on the harbour reopened on Thursday."
    assert article.authors == ()
    assert [w.code for w in article.warnings] == ["author-dropped"]
    assert article.url == "https://lists.example.org/m/1"
