"""The benchmark's corpus generator: deterministic and shaped like a real news archive."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench.corpus import (
    STOP_EN,
    CorpusSpec,
    Generator,
    pick_terms,
    terms_path,
    write_jsonl,
    write_text_files,
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    path = tmp_path_factory.mktemp("corpus") / "c.jsonl"
    write_jsonl(CorpusSpec(articles=2000, seed=7), path)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return path, records


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    write_jsonl(CorpusSpec(articles=150, seed=3), a)
    write_jsonl(CorpusSpec(articles=150, seed=3), b)
    write_jsonl(CorpusSpec(articles=150, seed=4), c)
    assert a.read_bytes() == b.read_bytes()
    assert terms_path(a).read_bytes() == terms_path(b).read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_records_carry_what_ingest_reads(corpus: tuple[Path, list[dict]]) -> None:
    _, records = corpus
    assert len(records) == 2000
    for record in records:
        assert set(record) == {
            "title",
            "body",
            "published_at",
            "source",
            "url",
            "language",
            "tags",
            "authors",
        }
        assert record["title"].strip() and record["body"].strip()
        assert record["published_at"].endswith("Z")
        assert 1 <= len(record["tags"]) <= 4
    assert len({r["url"] for r in records}) == len(records)
    assert len({r["title"] for r in records}) == len(records)


def test_languages_sources_tags_and_dates_look_like_an_archive(
    corpus: tuple[Path, list[dict]],
) -> None:
    _, records = corpus
    languages = Counter(r["language"] for r in records)
    assert 0.05 < languages["fr"] / len(records) < 0.11
    assert 0.04 < languages["ar"] / len(records) < 0.10
    assert languages["en"] / len(records) > 0.8
    # Each source writes in one language; Arabic sources have Arabic names.
    by_source = {}
    for r in records:
        assert by_source.setdefault(r["source"], r["language"]) == r["language"]
    assert any(
        "\u0600" <= ch <= "\u06ff" for r in records if r["language"] == "ar" for ch in r["source"]
    )
    assert len(by_source) > 120
    sizes = Counter(r["source"] for r in records).most_common()
    assert sizes[0][1] > 10 * sizes[-1][1]  # a few big outlets, many small ones
    tags = Counter(t for r in records for t in r["tags"])
    assert len(tags) > 600
    years = Counter(r["published_at"][:4] for r in records)
    assert set(years) == {str(y) for y in range(2005, 2025)}
    assert years["2024"] > 2 * years["2005"]  # the archive grows
    words = [len(r["body"].split()) for r in records]
    assert 550 < sum(words) / len(words) < 680
    assert all("\n\n" in r["body"] for r in records)


def test_generator_has_200_sources_and_2000_tags() -> None:
    generator = Generator(CorpusSpec(articles=1))
    assert sum(len(sources) for sources, _ in generator.sources.values()) == 200
    assert len(generator.tags) == len({t.lower() for t in generator.tags}) == 2000


def test_named_entities_recur_and_rare_terms_exist(corpus: tuple[Path, list[dict]]) -> None:
    path, records = corpus
    table = json.loads(terms_path(path).read_text(encoding="utf-8"))
    df = table["df"]
    assert table["articles"] == 2000
    assert sum(table["languages"].values()) == 2000
    # The most frequent entity is named in a large share of articles, others in one.
    entity = Generator(CorpusSpec(articles=1, seed=7)).entities[0]
    assert sum(entity in r["body"] for r in records) > 100
    assert any(count == 1 for count in df.values())
    assert df["the"] > 1500
    # Two-word phrases from real news recur too.
    assert max(table["phrase_df"].values()) > 50


def test_pick_terms_finds_the_nearest_counts() -> None:
    df = {"alpha": 1, "bravo": 50, "charlie": 120, "delta": 480, "the": 100, "it's": 100}
    assert pick_terms(df, 100, k=2) == ["charlie", "bravo"]
    assert pick_terms(df, 1, k=1) == ["alpha"]
    assert "the" in STOP_EN


def test_text_files_have_a_title_line_then_paragraphs(tmp_path: Path) -> None:
    assert write_text_files(CorpusSpec(articles=5, seed=1), tmp_path) == 5
    files = sorted(tmp_path.glob("*.txt"))
    assert len(files) == 5
    title, blank, *rest = files[0].read_text(encoding="utf-8").split("\n")
    assert title and blank == "" and rest[0]
