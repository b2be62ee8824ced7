"""Hostile dumps end in one clear message each, within bounded memory.

Each input is built here on the fly and parsed in a child process whose address space is
capped (RLIMIT_AS, 2 GB), so a regression fails the test instead of hurting the machine;
the child reports its records and how much its peak resident memory grew.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from articles.ingest import limits
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and /proc are Linux's")

ADDRESS_SPACE = 2 << 30
MAX_GROWTH_MB = 600
MB = 1 << 20

# Peak resident memory from /proc (VmHWM starts afresh at exec; ru_maxrss would carry over
# the forking parent's peak).
CHILD = """
import json, resource, sys
def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from articles.ingest import ParsedArticle, ParseOptions, iter_records
base = peak_kb()
records = []
for record in iter_records(sys.argv[1:], ParseOptions()):
    if isinstance(record, ParsedArticle):
        records.append({{"title": record.title}})
    else:
        records.append({{"origin": record.origin, "kind": record.kind, "code": record.code,
                         "message": record.message}})
peak = peak_kb()
print(json.dumps({{"records": records, "growth_mb": (peak - base) / 1024}}))
"""


def parse_in_child(*paths: Path) -> tuple[list[dict[str, str]], float]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", CHILD.format(limit=ADDRESS_SPACE), *map(str, paths)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    print(f"{paths[0].name[:40]}: peak RSS growth {report['growth_mb']:.0f} MB")
    return report["records"], report["growth_mb"]


def _zeros(out: io.RawIOBase | io.BufferedIOBase | zipfile.ZipExtFile, total: int) -> None:
    block = bytes(MB)
    for _ in range(total // MB):
        out.write(block)


def _noise(size: int) -> bytes:
    """Text that compresses poorly (base64 of random bytes), so no bomb check fires first."""
    return base64.b64encode(os.urandom(size * 3 // 4))


def _gzip_stream(path: Path, chunks, level: int = 1) -> None:
    with path.open("wb") as raw:
        compressor = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        for chunk in chunks:
            raw.write(compressor.compress(chunk))
        raw.write(compressor.flush())


def _only_problem(records, path: Path) -> dict[str, str]:
    problems = [r for r in records if "code" in r]
    assert len(problems) == 1, problems
    assert problems[0]["origin"].startswith(str(path))
    return problems[0]


def test_a_zip_bomb(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("note.txt", "A headline\n\nA short body.\n")
        with archive.open("zeros.jsonl", "w", force_zip64=True) as member:
            _zeros(member, 512 * MB)
    assert path.stat().st_size < 2 * MB
    records, growth = parse_in_child(path)
    problem = _only_problem(records, path)
    assert (problem["code"], problem["kind"]) == ("member-skipped", "skipped")
    assert "decompression bomb" in problem["message"]
    assert {"title": "A headline"} in records
    assert growth < MAX_GROWTH_MB


def test_a_compressed_zip_holding_a_huge_stored_member(tmp_path):
    inner = io.BytesIO()
    with (
        zipfile.ZipFile(inner, "w", zipfile.ZIP_STORED) as archive,
        archive.open("big.txt", "w", force_zip64=True) as member,
    ):
        _zeros(member, 600 * MB)
    path = tmp_path / "stored.zip.gz"
    path.write_bytes(gzip.compress(inner.getvalue(), compresslevel=1))
    del inner
    records, growth = parse_in_child(path)
    problem = _only_problem(records, path)
    assert problem["code"] == "too-large"
    assert growth < MAX_GROWTH_MB


def test_an_unclosed_quote_in_a_compressed_csv(tmp_path):
    path = tmp_path / "quote.csv.gz"
    head = b'title,body\nFirst,"A good row."\nSecond,"This quote never closes\n'
    _gzip_stream(path, [head, *(_noise(MB) + b"\n" for _ in range(24))])
    records, growth = parse_in_child(path)
    assert records[0] == {"title": "First"}
    problem = _only_problem(records, path)
    assert problem["code"] == "too-large" and "unclosed quote" in problem["message"]
    assert growth < MAX_GROWTH_MB


def test_a_huge_json_line_is_passed_over(tmp_path):
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as out:
        out.write(b'{"title": "Before", "body": "Fine."}\n{"title": "Huge", "body": "')
        for _ in range(limits.MAX_JSON_RECORD // MB + 8):
            out.write(_noise(MB))
        out.write(b'"}\n{"title": "After", "body": "Fine too."}\n')
    records, growth = parse_in_child(path)
    assert [r["title"] for r in records if "title" in r] == ["Before", "After"]
    problem = _only_problem(records, path)
    assert problem["code"] == "too-large" and "line over the limit" in problem["message"]
    assert growth < MAX_GROWTH_MB


def test_a_body_over_the_limit(tmp_path):
    path = tmp_path / "long.jsonl"
    body = "word " * (limits.MAX_BODY // 5 + 1000)
    path.write_text(json.dumps({"title": "Long", "body": body}) + "\n")
    records, growth = parse_in_child(path)
    problem = _only_problem(records, path)
    assert problem["code"] == "too-large" and problem["message"].startswith("body of")
    assert growth < MAX_GROWTH_MB


def test_a_huge_compressed_text_file(tmp_path):
    path = tmp_path / "huge.txt.gz"
    _gzip_stream(path, [b"A headline\n\n", *(b"word " * (MB // 5) for _ in range(40))])
    records, growth = parse_in_child(path)
    problem = _only_problem(records, path)
    assert problem["code"] == "too-large"
    assert "too large for one plain-text article" in problem["message"]
    assert growth < MAX_GROWTH_MB


def test_a_deep_archive_nesting(tmp_path):
    data = b"A headline\n\nA short body.\n"
    for _ in range(30):
        data = gzip.compress(data)
    path = tmp_path / ("deep.txt" + ".gz" * 30)
    path.write_bytes(data)
    records, growth = parse_in_child(path)
    problem = _only_problem(records, path)
    assert problem["code"] == "too-deep"
    assert growth < MAX_GROWTH_MB


def test_a_gzip_bomb_of_json_lines(tmp_path):
    path = tmp_path / "bomb.jsonl.gz"
    blank_lines = (b" " * 1023 + b"\n") * 1024
    first = b'{"title": "First", "body": "Fine."}\n'
    _gzip_stream(path, [first, *(blank_lines for _ in range(300))], level=9)
    records, growth = parse_in_child(path)
    problem = _only_problem(records, path)
    assert problem["code"] == "too-large" and "decompression bomb" in problem["message"]
    assert records[0] == {"title": "First"}
    assert growth < MAX_GROWTH_MB


def test_a_gzip_bomb_in_a_crawl(tmp_path):
    from tests.factories import news_page, warc_bytes

    path = tmp_path / "bomb.warc.gz"
    first = warc_bytes(
        [("https://a.example/first", "200 OK", "text/html", news_page("First page").encode())],
        gzip=True,
    )
    payload = 300 * MB
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    header = (
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://a.example/bomb\r\n"
        "WARC-Date: 2023-05-06T07:08:09Z\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-"
        "000000000001>\r\nContent-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(http) + payload}\r\n\r\n"
    ).encode()
    with path.open("wb") as raw:
        raw.write(first)  # crawlers compress record by record: one gzip member each
        compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        raw.write(compressor.compress(header + http))
        block = bytes(MB)
        for _ in range(payload // MB):
            raw.write(compressor.compress(block))
        raw.write(compressor.compress(b"\r\n\r\n"))
        raw.write(compressor.flush())
    records, growth = parse_in_child(path)
    # The page is refused at its size cap; reading past it, the stream is found to be a bomb.
    assert [(r.get("title"), r.get("code"), r.get("origin")) for r in records] == [
        ("First page", None, None),
        (None, "too-large", f"{path}!https://a.example/bomb"),
        (None, "too-large", str(path)),
    ]
    assert "page over the limit of 20 MB" in records[1]["message"]
    assert "decompression bomb" in records[2]["message"]
    assert growth < MAX_GROWTH_MB
