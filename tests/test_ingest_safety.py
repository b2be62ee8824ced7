"""The importer stays inside what it was given: symlinks, archive members, damaged
compressed data, and header blocks that a stray line separator must not break."""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import tarfile
import zipfile

import pytest

from tests.factories import only_article, parse_dump, parse_errors, parse_paths, parsed_articles


def _article_text(title: str) -> str:
    return f"{title}\n\nThe body of {title}.\n"


def _notes(records, code):
    return [r for r in parse_errors(records) if r.code == code]


# -- symlinks --------------------------------------------------------------------------------


def test_a_symlink_out_of_the_dump_is_not_followed(tmp_path):
    private = tmp_path / "home" / "secret.txt"
    private.parent.mkdir()
    private.write_text(_article_text("Private diary"))
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "a.txt").write_text(_article_text("Public story"))
    (dump / "b.txt").symlink_to(private)
    (dump / "etc").symlink_to(tmp_path / "home", target_is_directory=True)
    records = parse_paths(dump)
    assert [a.title for a in parsed_articles(records)] == ["Public story"]
    skipped = _notes(records, "symlink-outside")
    assert sorted(r.origin for r in skipped) == [str(dump / "b.txt"), str(dump / "etc")]
    assert all(r.kind == "skipped" and "not followed" in r.message for r in skipped)


def test_a_loop_to_the_parent_is_detected(tmp_path):
    dump = tmp_path / "dump"
    (dump / "sub").mkdir(parents=True)
    (dump / "sub" / "a.txt").write_text(_article_text("Inside"))
    (tmp_path / "sibling").mkdir()
    (tmp_path / "sibling" / "x.txt").write_text(_article_text("Sibling"))
    (dump / "sub" / "loop").symlink_to("..")  # back to dump: a loop
    (dump / "up").symlink_to("..")  # to tmp_path: outside
    records = parse_paths(dump)
    assert [a.title for a in parsed_articles(records)] == ["Inside"]
    assert [r.origin for r in _notes(records, "symlink-loop")] == [str(dump / "sub" / "loop")]
    assert [r.origin for r in _notes(records, "symlink-outside")] == [str(dump / "up")]


def test_a_link_inside_the_dump_to_a_file_inside_it_is_read_once(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "z.txt").write_text(_article_text("Only once"))
    (dump / "a-link.txt").symlink_to(dump / "z.txt")
    records = parse_paths(dump)
    assert [a.title for a in parsed_articles(records)] == ["Only once"]
    assert [r.kind for r in parse_errors(records)] == ["skipped"]


# -- archive members -------------------------------------------------------------------------


def _tar_with(tmp_path, *members: tarfile.TarInfo) -> os.PathLike:
    path = tmp_path / "dump.tar"
    with tarfile.open(path, "w") as archive:
        good = _article_text("Good member").encode()
        info = tarfile.TarInfo("news/good.txt")
        info.size = len(good)
        archive.addfile(info, io.BytesIO(good))
        for member in members:
            data = _article_text("Evil").encode() if member.isfile() else b""
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data) if data else None)
    return path


def test_dangerous_tar_members_are_skipped_with_a_reason(tmp_path):
    members = []
    for name, kind, why in (
        ("../escape.txt", tarfile.REGTYPE, "a '..' in its path"),
        ("/etc/passwd.txt", tarfile.REGTYPE, "an absolute path"),
        ("link.txt", tarfile.SYMTYPE, "a symlink"),
        ("hard.txt", tarfile.LNKTYPE, "a hard link"),
        ("dev.txt", tarfile.CHRTYPE, "a device"),
        ("fifo.txt", tarfile.FIFOTYPE, "a FIFO"),
    ):
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = "/etc/passwd" if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else ""
        members.append((info, why))
    path = _tar_with(tmp_path, *(info for info, _ in members))
    records = parse_paths(path)
    assert [a.title for a in parsed_articles(records)] == ["Good member"]
    skipped = _notes(records, "member-skipped")
    assert [(r.origin, r.message, r.kind) for r in skipped] == [
        (f"{path}!{info.name}", f"archive member skipped: {why}", "skipped")
        for info, why in members
    ]


def test_dangerous_zip_members_are_skipped_with_a_reason(tmp_path):
    path = tmp_path / "dump.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("good.txt", _article_text("Good member"))
        archive.writestr("../../escape.txt", _article_text("Evil"))
        archive.writestr("/abs.txt", _article_text("Evil"))
        link = zipfile.ZipInfo("link.txt")
        link.external_attr = 0o120777 << 16  # a Unix symlink
        archive.writestr(link, "/etc/passwd")
    records = parse_paths(path)
    assert [a.title for a in parsed_articles(records)] == ["Good member"]
    assert [r.message for r in _notes(records, "member-skipped")] == [
        "archive member skipped: a '..' in its path",
        "archive member skipped: an absolute path",
        "archive member skipped: a symlink",
    ]


# -- damaged compressed data -----------------------------------------------------------------


def _records_jsonl(count: int) -> bytes:
    rng = random.Random(7)
    lines = []
    for n in range(count):
        words = " ".join(rng.choice(["harbour", "council", "bridge", "ferry", "vote"]) + str(
            rng.randrange(10**6)) for _ in range(60))  # fmt: skip
        lines.append(json.dumps({"title": f"Record {n}", "body": words}) + "\n")
    return "".join(lines).encode()


def test_a_gzip_damaged_in_its_first_64_kb_keeps_the_records_before_the_damage(tmp_path):
    data = _records_jsonl(200)
    compressed = bytearray(gzip.compress(data, compresslevel=1))
    damage_at = 40_000  # inside the first 64 KB of compressed data
    assert len(compressed) > 60_000
    compressed[damage_at : damage_at + 2000] = b"\xff" * 2000
    path = tmp_path / "dump.jsonl.gz"
    path.write_bytes(bytes(compressed))
    records = parse_paths(path)
    found = parsed_articles(records)
    # Every record wholly before the damage is kept, in order.
    assert len(found) >= 85
    assert [a.title for a in found] == [f"Record {n}" for n in range(len(found))]
    [error] = parse_errors(records)
    assert error.origin == str(path) and error.code == "damaged" and error.kind == "error"
    assert "damaged gzip data at about byte" in error.message


def test_a_truncated_gzip_keeps_what_it_holds(tmp_path):
    compressed = gzip.compress(_records_jsonl(200), compresslevel=1)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    records = parse_paths(path)
    assert len(parsed_articles(records)) > 50
    [error] = parse_errors(records)
    assert "truncated gzip data: the file ends at byte" in error.message


def test_concatenated_gzip_streams_are_all_read(tmp_path):
    one = gzip.compress(json.dumps({"title": "One", "body": "First."}).encode() + b"\n")
    two = gzip.compress(json.dumps({"title": "Two", "body": "Second."}).encode() + b"\n")
    records = parse_dump(tmp_path, "a.jsonl.gz", one + two)
    assert [a.title for a in parsed_articles(records)] == ["One", "Two"]


# -- header lines end only at real line ends ---------------------------------------------------


@pytest.mark.parametrize("separator", ["\x0b", "\x0c", "\x85", "\u2028", "\u2029"])
def test_a_line_separator_in_a_header_value_does_not_break_the_header(tmp_path, separator):
    text = (
        f"Title: Council votes{separator}to close the bridge\n"
        "Date: 2017-06-14\n"
        "Source: Harbour Times\n"
        "\n"
        f"The council voted on Monday.{separator}Ferries will run instead.\n"
    )
    article = only_article(parse_dump(tmp_path, "a.txt", text.encode("utf-8")))
    assert article.title == "Council votes to close the bridge"
    assert article.source == "Harbour Times"
    assert article.published_at is not None
    assert "Date:" not in article.body and "Source:" not in article.body
    assert article.body == "The council voted on Monday.\n\nFerries will run instead."


def test_control_characters_are_removed_from_every_field_but_tabs_stay_in_bodies(tmp_path):
    record = {
        "title": "Ti\x07tle\x1b",
        "body": "Col A\tCol B\x01\nNext\x7f line",
        "source": "Out\x02let",
        "tags": ["ta\x03g"],
        "authors": ["Jane\x04 Doe"],
    }
    article = only_article(parse_dump(tmp_path, "a.json", json.dumps(record)))
    assert (article.title, article.source, article.tags, article.authors) == (
        "Title",
        "Outlet",
        ("tag",),
        ("Jane Doe",),
    )
    assert article.body == "Col A Col B\n\nNext line"
