"""JSON, JSON Lines and CSV dumps: the field names real tools write, and their errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.factories import only_article, parse_dump, parse_errors, parsed_articles

NEWS_PLEASE_OLD = {
    "authors": ["Steve Holland", "Min Read", "Author", "Www.Dw.Com"],
    "date_download": "2018-01-01T22:40:48",
    "date_modify": None,
    "date_publish": "2017-11-06T22:18:21",
    "description": "A summary that is not the body.",
    "language": "en",
    "source_domain": "www.reuters.com",
    "text": "TOKYO (Reuters) - Trump said on Monday.\nNorth Korea is pursuing weapons.",
    "title": "Trump says Japan would shoot missiles",
    "title_page": None,
    "title_rss": None,
    "url": "https://www.reuters.com/article/us-trump-asia-japan",
    "category": "world",
}


def test_news_please_output_with_text(tmp_path):
    article = only_article(parse_dump(tmp_path, "np.json", json.dumps(NEWS_PLEASE_OLD, indent=2)))
    assert article.title == "Trump says Japan would shoot missiles"
    assert article.body == (
        "TOKYO (Reuters) - Trump said on Monday.\n\nNorth Korea is pursuing weapons."
    )
    assert article.published_at == datetime(2017, 11, 6, 22, 18, 21, tzinfo=UTC)
    assert article.source == "reuters.com"  # metadata beats the dateline
    assert article.url == "https://www.reuters.com/article/us-trump-asia-japan"
    assert article.language == "en"
    assert article.authors == ("Steve Holland",)  # page furniture dropped
    assert article.tags == ("world",)
    assert article.line == 1


def test_news_please_output_with_maintext_and_null_title(tmp_path):
    record = {
        "maintext": "The body from a newer news-please.",
        "title": None,
        "title_page": "The page title",
        "date_publish": "2016-11-12 00:00:00",
        "source_domain": "www.example.org",
        "language": None,
    }
    article = only_article(parse_dump(tmp_path, "np.json", json.dumps(record)))
    assert article.title == "The page title"
    assert article.body == "The body from a newer news-please."
    assert article.published_at == datetime(2016, 11, 12, tzinfo=UTC)
    assert article.source == "example.org"
    assert article.language == "en"  # detected: the dump does not say


def test_a_record_without_title_takes_its_first_line_c4_style(tmp_path):
    record = {
        "text": "Beginners BBQ Class Taking Place in Missoula!\nDo you want to get better?",
        "timestamp": "2019-04-25T12:57:54Z",
        "url": "https://www.klx.example.com/classes/bbq",
    }
    article = only_article(parse_dump(tmp_path, "c4.json", json.dumps(record)))
    assert article.title == "Beginners BBQ Class Taking Place in Missoula!"
    assert article.body == "Do you want to get better?"
    assert article.published_at == datetime(2019, 4, 25, 12, 57, 54, tzinfo=UTC)
    assert article.source == "klx.example.com"  # the domain, without www.


def test_a_one_line_record_without_title_keeps_its_text_as_body(tmp_path):
    article = only_article(parse_dump(tmp_path, "c4.json", json.dumps({"text": "Only line."})))
    assert (article.title, article.body) == ("Only line.", "Only line.")
    assert article.language == ""  # too short to tell, and the dump does not say


def test_our_own_export_format(tmp_path):
    record = {
        "id": 7,
        "title": "Exported",
        "source": "Twilight News",
        "published_at": "2017-06-14T10:00:00+00:00",
        "language": "en",
        "tags": ["iraq", "syria"],
        "url": "https://example.com/a",
        "body": "First paragraph.\n\nSecond paragraph.",
    }
    article = only_article(parse_dump(tmp_path, "export.jsonl", json.dumps(record) + "\n"))
    assert article.title == "Exported"
    assert article.source == "Twilight News"
    assert article.published_at == datetime(2017, 6, 14, 10, tzinfo=UTC)
    assert article.tags == ("iraq", "syria")
    assert article.body == "First paragraph.\n\nSecond paragraph."
    assert article.language == "en"


@pytest.mark.parametrize(
    ("fields", "attribute", "expected"),
    [
        ({"headline": "H"}, "title", "H"),
        ({"content": "C"}, "body", "C"),
        ({"article": ["P1", "P2"]}, "body", "P1\n\nP2"),
        ({"published": "2017-06-14"}, "published_at", datetime(2017, 6, 14, tzinfo=UTC)),
        ({"publish_date": "2017-06-14"}, "published_at", datetime(2017, 6, 14, tzinfo=UTC)),
        ({"date": "14/06/2017"}, "published_at", datetime(2017, 6, 14, tzinfo=UTC)),
        ({"timestamp": 1497434400}, "published_at", datetime(2017, 6, 14, 10, tzinfo=UTC)),
        ({"link": "https://x.example/1"}, "url", "https://x.example/1"),
        ({"publisher": "P"}, "source", "P"),
        ({"domain": "www.d.example"}, "source", "d.example"),
        ({"source": {"id": "bbc", "name": "BBC News"}}, "source", "BBC News"),
        ({"keywords": "a, b"}, "tags", ("a", "b")),
        ({"categories": ["x", "X", " y "]}, "tags", ("x", "y")),
        ({"author": "Jane Doe"}, "authors", ("Jane Doe",)),
        ({"lang": "en-US"}, "language", "en"),
        ({"language": "eng"}, "language", "en"),
        ({"Language": "Arabic"}, "language", "ar"),
        ({"Date Published": "2017-06-14"}, "published_at", datetime(2017, 6, 14, tzinfo=UTC)),
        ({"datePublished": "2017-06-14"}, "published_at", datetime(2017, 6, 14, tzinfo=UTC)),
    ],
)
def test_field_aliases(tmp_path, fields, attribute, expected):
    record = {"title": "T", "body": "B", **fields}
    if "article" in fields or "content" in fields:
        del record["body"]
    if "headline" in fields:
        del record["title"]
    article = only_article(parse_dump(tmp_path, "r.json", json.dumps(record)))
    assert getattr(article, attribute) == expected


def test_an_unreadable_date_is_a_warning_not_an_error(tmp_path):
    record = {"title": "T", "body": "B", "date": "sometime soon"}
    article = only_article(parse_dump(tmp_path, "r.json", json.dumps(record)))
    assert article.published_at is None
    [warning] = article.warnings
    assert (warning.kind, warning.code) == ("warning", "date-unreadable")
    assert warning.message == "unrecognised date 'sometime soon' ignored"


def test_a_json_array_streams_items_with_their_line_numbers(tmp_path):
    items = [{"title": f"T{n}", "content": f"Body {n}."} for n in range(3)]
    text = json.dumps(items, indent=2)
    records = parse_dump(tmp_path, "day.json", text)
    assert [a.title for a in parsed_articles(records)] == ["T0", "T1", "T2"]
    starts = [n for n, line in enumerate(text.split("\n"), 1) if line == "  {"]
    assert [a.line for a in parsed_articles(records)] == starts


def test_a_big_json_array_is_read_in_chunks(tmp_path, monkeypatch):
    from articles.ingest import jsonfmt

    monkeypatch.setattr(jsonfmt, "CHUNK", 64)  # many items straddle chunk boundaries
    items = [{"title": f"Title {n}", "content": "word " * (n * 7 % 50 + 1)} for n in range(200)]
    records = parse_dump(tmp_path, "big.json", json.dumps(items))
    assert [a.title for a in parsed_articles(records)] == [f"Title {n}" for n in range(200)]
    assert parse_errors(records) == []


def test_a_broken_json_array_keeps_the_items_before_the_damage(tmp_path):
    text = '[\n{"title": "A", "text": "a"},\n{"title": "B", "text": "b"},\n{"title": "C", "te'
    records = parse_dump(tmp_path, "cut.json", text)
    assert [a.title for a in parsed_articles(records)] == ["A", "B"]
    [error] = parse_errors(records)
    assert error.line == 4
    assert "invalid JSON" in error.message


def test_a_wrapper_object_around_a_list_of_articles(tmp_path):
    payload = {"status": "ok", "articles": [{"title": "A", "content": "a"}, 5]}
    records = parse_dump(tmp_path, "api.json", json.dumps(payload))
    assert [a.title for a in parsed_articles(records)] == ["A"]
    assert "not an article object" in parse_errors(records)[0].message


def test_an_object_that_is_not_an_article(tmp_path):
    [error] = parse_dump(tmp_path, "sampling.json", json.dumps({"training": [], "test": []}))
    assert error.message == "not an article: no title or text field (fields: test, training)"


def test_json_lines_report_each_bad_line_and_keep_the_rest(tmp_path):
    lines = [
        json.dumps({"title": "One", "text": "1"}),
        "{bad json",
        "",
        json.dumps(["not", "an", "object"]),
        json.dumps({"title": "No body"}),
        json.dumps({"title": "Two", "text": "2"}),
    ]
    records = parse_dump(tmp_path, "dump.jsonl", "\n".join(lines) + "\n")
    assert [(a.title, a.line) for a in parsed_articles(records)] == [("One", 1), ("Two", 6)]
    assert [(e.line, e.message) for e in parse_errors(records)] == [
        (2, "invalid JSON: Expecting property name enclosed in double quotes (column 2)"),
        (4, "expected a JSON object, found an array"),
        (5, "no body text"),
    ]
    assert (
        str(parse_errors(records)[0])
        == f"{tmp_path / 'dump.jsonl'}:2: " + parse_errors(records)[0].message
    )


def test_json_lines_under_a_json_name_and_without_extension(tmp_path):
    text = json.dumps({"title": "A", "text": "a"}) + "\n" + json.dumps({"title": "B", "text": "b"})
    assert [a.title for a in parsed_articles(parse_dump(tmp_path, "x.json", text))] == ["A", "B"]
    assert [a.title for a in parsed_articles(parse_dump(tmp_path, "noext", text))] == ["A", "B"]


def test_crlf_json_lines_and_control_characters_inside_strings(tmp_path):
    text = (
        '{"title": "A\\u0000B", "text": "one\\r\\ntwo\\u0007"}\r\n{"title": "C", "text": "c"}\r\n'
    )
    records = parse_dump(tmp_path, "crlf.jsonl", text)
    assert [(a.title, a.body) for a in parsed_articles(records)] == [
        ("AB", "one\n\ntwo"),
        ("C", "c"),
    ]


def test_lone_surrogates_from_json_escapes_never_reach_the_database(tmp_path):
    record = '{"title": "T\\ud800", "text": "x\\udfffy", "tags": ["\\ud83d"]}'
    article = only_article(parse_dump(tmp_path, "s.jsonl", record))
    assert (article.title, article.body, article.tags) == ("T", "xy", ())
    article.body.encode("utf-8")  # strict: would raise on a surrogate


def test_csv_with_header_aliases_quoted_newlines_and_bad_rows(tmp_path):
    text = (
        "headline,text,date,link,keywords\n"
        'A,"Body one, with comma",2017-06-14,https://www.a.example/1,"x, y"\n'
        'B,"Two\nlines",,,\n'
        ",,,,\n"
        "C,c,d,e,f,extra\n"
        "D,d,,,\n"
    )
    records = parse_dump(tmp_path, "dump.csv", text)
    assert [(a.title, a.line) for a in parsed_articles(records)] == [("A", 2), ("B", 3), ("D", 7)]
    first = parsed_articles(records)[0]
    assert first.body == "Body one, with comma"
    assert first.published_at == datetime(2017, 6, 14, tzinfo=UTC)
    assert first.source == "a.example"
    assert first.tags == ("x", "y")
    assert [(e.line, e.message) for e in parse_errors(records)] == [
        (6, "row has 6 fields but the header has 5")
    ]


def test_csv_delimiters_and_tsv(tmp_path):
    semicolon = "title;body\nA;a text\n"
    assert only_article(parse_dump(tmp_path, "s.csv", semicolon)).body == "a text"
    tab = "title\tbody\nA\ta, text\n"
    assert only_article(parse_dump(tmp_path, "t.tsv", tab)).body == "a, text"


def test_csv_without_article_columns_is_one_clear_error(tmp_path):
    [error] = parse_dump(tmp_path, "x.csv", "name,age\nBob,3\n")
    assert error.message == "CSV header has no title or body column (columns: name, age)"
    assert error.line == 1


def test_csv_with_nul_bytes(tmp_path):
    article = only_article(parse_dump(tmp_path, "n.csv", b"title,body\nA\x00,b\x00ody\n"))
    assert (article.title, article.body) == ("A", "body")


def test_forced_format(tmp_path):
    text = json.dumps({"title": "A", "text": "a"})
    article = only_article(parse_dump(tmp_path, "x.txt", text, format="json"))
    assert article.title == "A"
    forced_text = only_article(parse_dump(tmp_path, "y.json", "Title\n\nBody.\n", format="text"))
    assert forced_text.title == "Title"


def test_empty_json_documents(tmp_path):
    assert [str(e.message) for e in parse_dump(tmp_path, "e.json", "[]")] == ["no articles found"]
    assert [e.message for e in parse_dump(tmp_path, "w.json", "  \n ")] == [
        "file contains only whitespace"
    ]
