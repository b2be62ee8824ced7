"""Property-based: no input makes the parser raise; it yields articles or errors only,
and what it yields is always safe to store (no NUL, no lone surrogate, no control)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.ingest import ParsedArticle, RecordError, iter_records
from tests.factories import parse_options

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
NAMES = ["a.txt", "a.json", "a.jsonl", "a.csv", "a.md", "noext", "a.gz", "a.zip", "a.tgz"]
FIELDS = ["title", "headline", "text", "maintext", "body", "content", "date", "date_publish",
          "published_at", "timestamp", "url", "link", "source", "source_domain", "tags",
          "keywords", "authors", "author", "language", "lang", "other"]  # fmt: skip

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check(records: list[object]) -> None:
    assert records, "every input yields at least one article or error"
    for record in records:
        assert isinstance(record, ParsedArticle | RecordError), record
        if isinstance(record, RecordError):
            assert record.message and "\n" not in record.message
            assert not record.message.startswith("internal parser error"), record
            continue
        assert record.title.strip() and record.body.strip()
        texts = [record.title, record.body, record.url or "", record.source or ""]
        texts += list(record.tags) + list(record.authors)
        for text in texts:
            assert not UNSAFE.search(text), (text, record)
        assert record.published_at is None or record.published_at.utcoffset() is not None
        # ISO 639-1, or ISO 639-3 for a language 639-1 lacks ('AAA' is Ghotuo, 'aaa').
        assert record.language == "" or re.fullmatch("[a-z]{2,3}", record.language), record


def run(path: Path) -> list[object]:
    return list(iter_records([str(path)], parse_options()))


@SETTINGS
@given(data=st.binary(max_size=3000), name=st.sampled_from(NAMES))
def test_any_bytes_in_any_file(tmp_path_factory, data, name):
    path = tmp_path_factory.mktemp("bytes") / name
    path.write_bytes(data)
    check(run(path))


@SETTINGS
@given(text=st.text(max_size=2000), name=st.sampled_from(NAMES[:6]))
def test_any_text_in_any_file(tmp_path_factory, text, name):
    path = tmp_path_factory.mktemp("text") / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    check(run(path))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=200),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
records = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8)


@SETTINGS
@given(items=st.lists(records | json_values, max_size=6))
def test_any_json_records(tmp_path_factory, items):
    folder = tmp_path_factory.mktemp("json")
    lines = folder / "dump.jsonl"
    lines.write_text("\n".join(json.dumps(item) for item in items) + "\n", encoding="utf-8")
    array = folder / "dump.json"
    array.write_text(json.dumps(items), encoding="utf-8")
    check(run(lines))
    check(run(array))


@SETTINGS
@given(
    header=st.lists(st.sampled_from(FIELDS), min_size=1, max_size=5),
    rows=st.lists(st.lists(st.text(max_size=60), max_size=6), max_size=5),
)
def test_any_csv(tmp_path_factory, header, rows):
    import csv

    path = tmp_path_factory.mktemp("csv") / "dump.csv"
    with path.open("w", encoding="utf-8", errors="surrogatepass", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    check(run(path))


@SETTINGS
@given(
    cuts=st.lists(st.tuples(st.integers(0, 3000), st.binary(max_size=8)), min_size=1, max_size=6),
    name=st.sampled_from(["seed.txt", "seed.json", "seed.gz"]),
)
def test_damaged_copies_of_the_seed(tmp_path_factory, cuts, name):
    from tests.conftest import SEED

    data = bytearray(SEED.read_bytes())
    for position, junk in cuts:
        at = position % (len(data) + 1)
        data[at : at + len(junk)] = junk
    path = tmp_path_factory.mktemp("seed") / name
    path.write_bytes(bytes(data))
    check(run(path))


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_any_bytes_on_stdin(data):
    records = list(iter_records(["-"], parse_options(), stdin=io.BytesIO(data)))
    check(records)
    assert all(r.origin.startswith("<stdin>") for r in records)
