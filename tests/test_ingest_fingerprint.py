"""The de-duplication key must never change: stored fingerprints decide what is a duplicate."""

from __future__ import annotations

import re
import sys
import unicodedata

from articles.ingest.fingerprint import fingerprint, normalise_for_fingerprint


def test_a_known_article_keeps_the_fingerprint_earlier_versions_stored():
    title = "In a rare public visit ..\u00a0Syrian delegation"
    body = " Twilight News Iraqi\r\n\r\nDefense\u2003Ministry\u3000said \t"
    assert fingerprint(title, body) == (
        "072b2f9338688f6f00809df0f958b2f84c3c1120690ea5aae454b1cef11da11f"
    )


def test_whitespace_folding_matches_the_regex_rule_for_every_code_point():
    # The first versions folded r"\s+" with re.sub; str.split() must agree on every character.
    whitespace = re.compile(r"\s+")
    for code in range(sys.maxunicode + 1):
        text = f" a{chr(code)}{chr(code)}b "
        expected = whitespace.sub(" ", unicodedata.normalize("NFKC", text)).strip()
        assert normalise_for_fingerprint(text) == expected, hex(code)


def test_the_same_article_dumped_differently_has_one_fingerprint():
    assert fingerprint("Bridge  reopens", "The bridge.\r\n\r\nTraffic\tflows. ") == fingerprint(
        "Bridge reopens", "The bridge.\n\nTraffic flows."
    )
    assert fingerprint("Bridge reopens", "Traffic flows.") != fingerprint(
        "Bridge reopens", "Traffic stops."
    )
