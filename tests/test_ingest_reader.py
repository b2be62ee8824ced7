"""Reading dumps: encodings, line endings, archives, directories, stdin and every bad file."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from articles.ingest import count_inputs
from tests.conftest import SEED
from tests.factories import (
    only_article,
    parse_dump,
    parse_errors,
    parse_paths,
    parsed_articles,
    write_dump,
)

ARTICLE = "Café society\n\nLe café est très bon, à Paris l'été. Ça coûte 5 €.\n"
ARABIC = (
    "عنوان الخبر\n\n"
    "قال رئيس الوزراء البريطاني إن المجتمع البريطاني مجتمع ديمقراطي متعدد الأعراق والأديان.\n"
)

# -- encodings and line endings ------------------------------------------------------------


@pytest.mark.parametrize(
    "encoded",
    [
        ARTICLE.encode("utf-8"),
        b"\xef\xbb\xbf" + ARTICLE.encode("utf-8"),
        ARTICLE.encode("utf-16"),  # with BOM
        ARTICLE.encode("utf-16-be"),  # without BOM
        ARTICLE.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom", "utf-16-be-no-bom", "cp1252"],
)
def test_encodings_are_detected(tmp_path, encoded):
    article = only_article(parse_dump(tmp_path, "a.txt", encoded))
    assert article.title == "Café society"
    assert article.body == "Le café est très bon, à Paris l'été. Ça coûte 5 €."


def test_latin1_like_the_bbc_sport_file(tmp_path):
    text = "Chelsea sack Mutu\n\nMutu, a £15.8m signing from Parma, may face a ban.\n"
    article = only_article(parse_dump(tmp_path, "199.txt", text.encode("latin-1")))
    assert article.body == "Mutu, a £15.8m signing from Parma, may face a ban."


def test_windows_1256_arabic(tmp_path):
    article = only_article(parse_dump(tmp_path, "ar.txt", ARABIC.encode("cp1256")))
    assert article.title == "عنوان الخبر"
    assert article.body.startswith("قال رئيس الوزراء")
    assert article.language == "ar"


def test_utf8_with_a_stray_windows_1252_byte(tmp_path):
    data = "Titre\n\nLe café coûte 5 ".encode() + b"\x80" + b" ici.\n"
    assert only_article(parse_dump(tmp_path, "a.txt", data)).body == "Le café coûte 5 € ici."


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_line_endings(tmp_path, newline):
    text = newline.join(["Title", "", "First.", "", "Second.", ""])
    article = only_article(parse_dump(tmp_path, "a.txt", text.encode()))
    assert (article.title, article.body) == ("Title", "First.\n\nSecond.")


def test_nul_bytes_and_control_characters_are_removed(tmp_path):
    data = b"Ti\x00tle\x07\n\nBo\x00dy\x1b text\x7f.\x0c\nMore.\n"
    article = only_article(parse_dump(tmp_path, "a.txt", data))
    assert article.title == "Title"
    assert article.body == "Body text.\n\nMore."


def test_no_break_and_zero_width_spaces(tmp_path):
    text = "A\u00a0title\u200b\n\nBody\u2003with\u3000spaces\ufeff.\n"
    article = only_article(parse_dump(tmp_path, "a.txt", text))
    assert (article.title, article.body) == ("A title", "Body with spaces.")


# -- bad files --------------------------------------------------------------------------------


def test_every_bad_file_gets_one_clear_line(tmp_path):
    write_dump(tmp_path, "empty.txt", b"")
    write_dump(tmp_path, "blank.txt", b"  \n\t\n \r\n")
    write_dump(tmp_path, "image.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    write_dump(tmp_path, "noise.bin", os.urandom(4096).replace(b"\x1f\x8b", b"xx"))
    write_dump(tmp_path, "page.html", "<html></html>")
    write_dump(tmp_path, "slides.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 4)
    write_dump(tmp_path, "fake.zip", b"not a zip at all")
    write_dump(tmp_path, "good.txt", "Good title\n\nGood body.\n")
    records = parse_paths(tmp_path, tmp_path / "missing.txt")
    assert [a.title for a in parsed_articles(records)] == ["Good title"]
    messages = {Path(e.origin).name: e.message for e in parse_errors(records)}
    assert messages == {
        "blank.txt": "file contains only whitespace",
        "empty.txt": "empty file",
        "fake.zip": "not a valid .zip archive",
        "image.png": "unsupported file type .png (not an article dump)",
        "noise.bin": "binary file, not text",
        "page.html": "the page has no text",
        "slides.pdf": "unsupported file type .pdf (not an article dump)",
        "missing.txt": "no such file or directory",
    }
    assert all("\n" not in str(e) for e in parse_errors(records))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_an_unreadable_file(tmp_path):
    path = write_dump(tmp_path, "secret.txt", "T\n\nB.\n")
    path.chmod(0)
    [error] = parse_paths(path)
    assert error.message == "cannot read: permission denied"


def test_a_binary_file_without_magic_number(tmp_path):
    data = b"\x00\x00\x00\x01Bud1" + bytes(1000)
    [error] = parse_dump(tmp_path, "thing", data)
    assert error.message == "binary file, not text"


# -- directories --------------------------------------------------------------------------------


def test_directories_are_walked_in_order_skipping_hidden_and_readme_files(tmp_path):
    write_dump(tmp_path, "b/2.txt", "Two\n\nBody two.\n")
    write_dump(tmp_path, "b/1.txt", "One\n\nBody one.\n")
    write_dump(tmp_path, "a.txt", "Zero\n\nBody zero.\n")
    write_dump(tmp_path, ".DS_Store", b"\x00\x00\x00\x01Bud1" + bytes(100))
    write_dump(tmp_path, ".git/config", "[core]\n")
    write_dump(tmp_path, "README.TXT", "Consists of 2225 documents.\n")
    write_dump(tmp_path, "b/LICENSE", "MIT\n")
    records = parse_paths(tmp_path)
    assert [a.title for a in parsed_articles(records)] == ["Zero", "One", "Two"]
    assert parse_errors(records) == []
    assert count_inputs([str(tmp_path)]) == 3
    assert count_inputs([str(tmp_path), "-"]) is None


def test_an_explicit_readme_path_is_parsed(tmp_path):
    path = write_dump(tmp_path, "README.txt", "Read me\n\nThis is a note.\n")
    assert only_article(parse_paths(path)).title == "Read me"


# -- archives ----------------------------------------------------------------------------------


def _jsonl(*titles: str) -> bytes:
    return "".join(
        json.dumps({"title": t, "text": f"Body of {t}."}) + "\n" for t in titles
    ).encode()


def test_gzip(tmp_path):
    path = write_dump(tmp_path, "dump.jsonl.gz", gzip.compress(_jsonl("A", "B")))
    records = parse_paths(path)
    assert [(a.title, a.origin, a.line) for a in parsed_articles(records)] == [
        ("A", str(path), 1),
        ("B", str(path), 2),
    ]


def test_zip_members_are_streamed_with_their_origin(tmp_path):
    path = tmp_path / "day.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2015-07-21.json", json.dumps([{"title": "Z", "content": "z text"}]))
        archive.writestr("notes/seed.txt", SEED.read_bytes())
        archive.writestr("__MACOSX/._seed.txt", b"\x00\x05\x16\x07")
        archive.writestr("empty.txt", b"")
    records = parse_paths(path)
    assert [(a.title[:12], a.origin) for a in parsed_articles(records)] == [
        ("Z", f"{path}!2015-07-21.json"),
        ("In a rare pu", f"{path}!notes/seed.txt"),
    ]
    assert [str(e) for e in parse_errors(records)] == [f"{path}!empty.txt: empty file"]


def test_tar_and_tgz(tmp_path):
    member = _jsonl("T")
    for name, mode in (("dump.tar", "w"), ("dump.tgz", "w:gz"), ("dump.tar.gz", "w:gz")):
        path = tmp_path / name
        with tarfile.open(path, mode) as archive:
            info = tarfile.TarInfo("inner/t.jsonl")
            info.size = len(member)
            archive.addfile(info, io.BytesIO(member))
        [article] = parse_paths(path)
        assert (article.title, article.origin) == ("T", f"{path}!inner/t.jsonl")


def test_an_archive_inside_an_archive(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("x.jsonl", _jsonl("Nested"))
    path = tmp_path / "outer.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inner.zip", inner.getvalue())
    [article] = parse_paths(path)
    assert (article.title, article.origin) == ("Nested", f"{path}!inner.zip!x.jsonl")


def test_a_truncated_gzip_keeps_what_it_could_read(tmp_path):
    data = gzip.compress(_jsonl(*[f"T{n}" for n in range(20000)]))
    path = write_dump(tmp_path, "cut.jsonl.gz", data[: len(data) * 2 // 3])
    records = parse_paths(path)
    assert len(parsed_articles(records)) > 100
    [error] = parse_errors(records)
    assert error.origin == str(path)
    assert "truncated" in error.message or "damaged" in error.message


def test_a_damaged_zip_member(tmp_path):
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.jsonl", _jsonl("A"))
        archive.writestr("b.jsonl", _jsonl("B"))
    data = bytearray(path.read_bytes())
    data[data.index(b"Body of A") + 2] ^= 0xFF  # breaks a.jsonl's CRC
    path.write_bytes(bytes(data))
    records = parse_paths(path)
    assert [a.title for a in parsed_articles(records)] == ["B"]
    [error] = parse_errors(records)
    assert error.origin == f"{path}!a.jsonl"
    assert "damaged" in error.message


# -- standard input ----------------------------------------------------------------------------


def test_stdin_text_json_and_gzip():
    [article] = parse_paths("-", stdin=SEED.read_bytes())
    assert article.origin == "<stdin>"
    assert article.source == "Twilight News"
    records = parse_paths("-", stdin=_jsonl("A", "B"))
    assert [a.title for a in records] == ["A", "B"]
    records = parse_paths("-", stdin=gzip.compress(_jsonl("C")))
    assert [a.title for a in records] == ["C"]


def test_stdin_zip_and_empty():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.jsonl", _jsonl("Zipped"))
    [article] = parse_paths("-", stdin=buffer.getvalue())
    assert (article.title, article.origin) == ("Zipped", "<stdin>!a.jsonl")
    [error] = parse_paths("-", stdin=b"")
    assert str(error) == "<stdin>: empty file"


def test_stdin_defaults_to_the_process_standard_input(monkeypatch):
    class FakeStdin:
        buffer = io.BytesIO(b"From stdin\n\nThe body.\n")

    monkeypatch.setattr("sys.stdin", FakeStdin)
    from articles.ingest import ParseOptions, iter_records

    [article] = list(iter_records(["-"], ParseOptions()))
    assert article.title == "From stdin"
