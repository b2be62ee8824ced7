"""The query language: every piece of syntax, and malformed input read as plain words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from articles.search.query import (
    MAX_QUERY_ATOMS,
    MAX_SLOP,
    And,
    Filter,
    Not,
    Or,
    Phrase,
    Word,
    parse,
)


def test_words_are_all_required():
    assert parse("storm surge") == And((Word("storm"), Word("surge")))
    assert parse("storm") == Word("storm")


def test_phrases_and_proximity():
    assert parse('"storm surge"') == Phrase("storm surge")
    assert parse('"storm  surge"~5') == Phrase("storm surge", slop=5)
    assert parse('"a b"~999999') == Phrase("a b", slop=MAX_SLOP)
    assert parse("storm <-> surge") == Phrase("storm surge")
    assert parse("a <-> b <-> c") == Phrase("a b c")


def test_or_binds_looser_than_and_in_either_case():
    expected = Or((And((Word("a"), Word("b"))), Word("c")))
    assert parse("a b OR c") == expected
    assert parse("a b or c") == expected
    assert parse("a | c") == Or((Word("a"), Word("c")))


def test_exclusions():
    assert parse("flood -warning") == And((Word("flood"), Not(Word("warning"))))
    assert parse('flood -"flood warning"') == And((Word("flood"), Not(Phrase("flood warning"))))
    assert parse("flood NOT warning") == And((Word("flood"), Not(Word("warning"))))
    assert parse("-title:cranes") == Not(Word("cranes", field="title"))
    # A hyphen inside a word is part of it.
    assert parse("well-known") == Word("well-known")


def test_prefixes():
    assert parse("econom*") == Word("econom", prefix=True)
    assert parse("title:dock*") == Word("dock", field="title", prefix=True)


def test_fields_take_a_word_a_phrase_or_a_prefix():
    assert parse("title:dock strike") == And((Word("dock", field="title"), Word("strike")))
    assert parse('body:"dock strike"~3') == Phrase("dock strike", field="body", slop=3)
    assert parse("TITLE:dock") == Word("dock", field="title")
    assert parse('source:"BBC News"') == Filter("source", "BBC News")
    assert parse("source:bb*") == Filter("source", "bb", prefix=True)
    assert parse("tag:politics language:fr") == And(
        (Filter("tag", "politics"), Filter("language", "fr"))
    )
    assert parse("author:smith") == Filter("author", "smith")
    # Not a field: the whole thing is one word (its parts are searched side by side).
    assert parse("http://example.org") == Word("http://example.org")


def test_brackets_group():
    assert parse("(flood OR drought) -africa") == And(
        (Or((Word("flood"), Word("drought"))), Not(Word("africa")))
    )
    assert parse("a (b (c OR d))") == And((Word("a"), And((Word("b"), Or((Word("c"), Word("d")))))))


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ("title:", Word("title")),
        ('"unclosed', Word("unclosed")),
        ('"unclosed phrase', And((Word("unclosed"), Word("phrase")))),
        ("((a", Word("a")),
        ("a))", Word("a")),
        (")a(", Word("a")),
        ("*", None),
        ("***", None),
        ("a OR", Word("a")),
        ("OR a", Word("a")),
        ("a OR OR b", Or((Word("a"), Word("b")))),
        ("-", None),
        ("- a", Word("a")),
        ("a -", Word("a")),
        ("NOT", None),
        ("<->", None),
        ("a <->", Word("a")),
        ('""', None),
        ('"" a', Word("a")),
        ("()", None),
        ("", None),
        ("   ", None),
    ],
)
def test_malformed_input_is_read_as_plain_words(typed, read_as):
    assert parse(typed) == read_as


def test_long_queries_are_cut_not_refused():
    tree = parse(" ".join(f"w{i}" for i in range(200)))
    assert isinstance(tree, And)
    assert len(tree.children) == MAX_QUERY_ATOMS


@given(st.text(max_size=200))
def test_any_text_parses_without_error(text):
    parse(text)
