"""The evaluation's documents: real articles among synthetic distractors (pure Python, no Django).

Archive A is the BBC News set (English; no dates, so each article gets a seeded date
spread over 20 years) among distractors from the bench corpus generator, a few of them
French and Arabic; archive B is SaudiNewsNet (Arabic). Both go into one JSON Lines export
that every engine reads: the peers index it, `ingest` imports it. Each document has a
unique URL under `URL_PREFIX`, so an engine's answer maps back to the corpus by URL.

The export holds exactly what `ingest` stores: it is run through the product's own parser
and de-duplicated by the product's fingerprint, so ours and the peers see the same
documents. A real article whose text occurs more than once is never a target (a search
could rightly return its twin).
"""

from __future__ import annotations

import json
import random
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from articles.ingest import iter_records
from articles.ingest.fingerprint import fingerprint, normalise_for_fingerprint
from articles.ingest.records import ParsedArticle, ParseOptions
from bench.corpus import CorpusSpec, Generator

URL_PREFIX = "https://eval.example/"
BBC_CATEGORIES = ("business", "entertainment", "politics", "sport", "tech")
# Distractors: about 3% in other languages, French and Arabic.
DISTRACTOR_SHARE_FR = 0.02
DISTRACTOR_SHARE_AR = 0.01
FIRST_YEAR = 2005
YEARS = 20


class CorpusError(Exception):
    """A corpus that cannot be read as expected; the message names the file."""


@dataclass(frozen=True)
class Source:
    """A document before export: `key` names it in the corpus (and in its URL)."""

    key: str
    title: str
    body: str
    published_at: str  # ISO 8601, UTC
    language: str
    source: str
    tags: tuple[str, ...] = ()

    def record(self) -> dict[str, Any]:
        """The JSON Lines record `ingest` reads."""
        out: dict[str, Any] = {
            "title": self.title,
            "body": self.body,
            "published_at": self.published_at,
            "url": URL_PREFIX + self.key,
            "language": self.language,
            "source": self.source,
        }
        if self.tags:
            out["tags"] = list(self.tags)
        return out


@dataclass
class Manifest:
    """What an export holds: counts for the report and the keys that may be targets."""

    distractors: int
    seed: int
    documents: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    targets: dict[str, list[str]] = field(default_factory=dict)  # archive -> eligible keys

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(**data)


def key_of(url: str) -> str:
    return url.removeprefix(URL_PREFIX)


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # One file of the BBC set is Latin-1 (corpora README).
        return data.decode("latin-1")


def read_bbc(folder: Path, seed: int) -> list[Source]:
    """The BBC texts (title on line 1, then the body), each with a seeded date in 20 years."""
    paths = sorted(p for c in BBC_CATEGORIES for p in (folder / c).glob("*.txt"))
    if not paths:
        raise CorpusError(f"{folder}: no BBC texts (<category>/NNN.txt) found")
    rng = random.Random(f"bbc-dates-{seed}")
    start = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
    span = int((datetime(FIRST_YEAR + YEARS, 1, 1, tzinfo=UTC) - start).total_seconds())
    out = []
    for path in paths:
        title, _, body = _decode(path).strip().partition("\n")
        if not title.strip() or not body.strip():
            raise CorpusError(f"{path}: expected a title line and a body")
        published = start + timedelta(seconds=rng.randrange(span))
        out.append(
            Source(
                key=f"bbc/{path.parent.name}/{path.stem}",
                title=title.strip(),
                body=body.strip(),
                published_at=published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                language="en",
                source="BBC News",
            )
        )
    return out


def read_saudinewsnet(folder: Path) -> tuple[list[Source], int]:
    """SaudiNewsNet's articles (a ZIP per day of JSON arrays), and how many lacked a
    title or a body (skipped: `ingest` would invent a title or refuse them)."""
    zips = sorted(folder.glob("*.zip"))
    if not zips:
        raise CorpusError(f"{folder}: no SaudiNewsNet ZIP files found")
    out = []
    skipped = 0
    for path in zips:
        try:
            with zipfile.ZipFile(path) as archive:
                for name in sorted(archive.namelist()):
                    items = json.loads(archive.read(name))
                    for index, item in enumerate(items):
                        title = (item.get("title") or "").strip()
                        body = (item.get("content") or "").strip()
                        if not title or not body:
                            skipped += 1
                            continue
                        extracted = (item.get("date_extracted") or "").strip()
                        published = extracted.replace(" ", "T") + "Z" if extracted else ""
                        out.append(
                            Source(
                                key=f"saudinewsnet/{Path(name).stem}/{index}",
                                title=title,
                                body=body,
                                published_at=published,
                                language="ar",
                                source=(item.get("source") or "").strip(),
                            )
                        )
        except (zipfile.BadZipFile, json.JSONDecodeError, AttributeError) as exc:
            raise CorpusError(f"{path}: not a ZIP of JSON arrays of articles ({exc})") from exc
    return out, skipped


def distractors(count: int, seed: int) -> Iterator[Source]:
    """Synthetic articles from the bench corpus generator, about 3% French and Arabic."""
    spec = CorpusSpec(
        articles=count,
        seed=seed,
        share_fr=DISTRACTOR_SHARE_FR,
        share_ar=DISTRACTOR_SHARE_AR,
        first_year=FIRST_YEAR,
        years=YEARS,
    )
    for i, (record, _, _) in enumerate(Generator(spec).articles()):
        yield Source(
            key=f"distractor/{i}",
            title=record["title"],
            body=record["body"],
            published_at=record["published_at"],
            language=record["language"],
            source=record["source"],
            tags=tuple(record["tags"]),
        )


def build_export(corpora: Path, n_distractors: int, seed: int, path: Path) -> Manifest:
    """Write the export (JSON Lines, oldest first) and its manifest beside it."""
    bbc = read_bbc(corpora / "bbc", seed)
    saudi, saudi_incomplete = read_saudinewsnet(corpora / "saudinewsnet")
    # A real article whose body occurs twice (a byte-identical BBC pair, a SaudiNewsNet
    # story filed twice) is never a target, whichever copy the export keeps.
    copies: dict[str, int] = {}
    for doc in (*bbc, *saudi):
        text = normalise_for_fingerprint(doc.body)
        copies[text] = copies.get(text, 0) + 1
    eligible = {d.key for d in (*bbc, *saudi) if copies[normalise_for_fingerprint(d.body)] == 1}
    documents = [*bbc, *saudi, *distractors(n_distractors, seed)]
    documents.sort(key=lambda d: (d.published_at, d.key))

    path.parent.mkdir(parents=True, exist_ok=True)
    candidates = path.with_name(path.name + ".candidates")
    with candidates.open("w", encoding="utf-8") as out:
        for doc in documents:
            out.write(json.dumps(doc.record(), ensure_ascii=False) + "\n")
    total = len(documents)
    del documents
    kept_urls, refused = _what_ingest_keeps(candidates)
    manifest = Manifest(distractors=n_distractors, seed=seed)
    kept: dict[str, int] = {"bbc": 0, "saudinewsnet": 0, "distractor": 0}
    partial = path.with_name(path.name + ".partial")
    with candidates.open(encoding="utf-8") as lines, partial.open("w", encoding="utf-8") as out:
        for line in lines:
            url = json.loads(line)["url"]
            if url not in kept_urls:
                continue
            out.write(line)
            manifest.documents += 1
            key = key_of(url)
            collection = key.split("/", 1)[0]
            kept[collection] += 1
            if key in eligible:
                archive = "b" if collection == "saudinewsnet" else "a"
                manifest.targets.setdefault(archive, []).append(key)
    candidates.unlink()
    manifest.counts = {
        "bbc_files": len(bbc),
        "bbc_kept": kept["bbc"],
        "saudinewsnet_with_title_and_body": len(saudi),
        "saudinewsnet_without_title_or_body": saudi_incomplete,
        "saudinewsnet_kept": kept["saudinewsnet"],
        "distractors_kept": kept["distractor"],
        "duplicates_dropped": total - len(kept_urls) - refused,
        "refused_by_the_parser": refused,
        "targets_a": len(manifest.targets.get("a", [])),
        "targets_b": len(manifest.targets.get("b", [])),
    }
    manifest_path(path).write_text(json.dumps(manifest.to_json(), indent=1), encoding="utf-8")
    partial.replace(path)  # only a complete export ever has the final name
    return manifest


def _what_ingest_keeps(candidates: Path) -> tuple[set[str], int]:
    """The URLs `ingest` would store from the file (the first of each fingerprint), and
    how many records its parser refuses."""
    seen: set[str] = set()
    kept: set[str] = set()
    refused = 0
    for item in iter_records([str(candidates)], ParseOptions(format="jsonl")):
        if not isinstance(item, ParsedArticle):
            refused += 1
            continue
        key = fingerprint(item.title.strip(), item.body)
        if key in seen or not item.url:
            continue
        seen.add(key)
        kept.add(item.url)
    return kept, refused


def manifest_path(export: Path) -> Path:
    return export.with_name(export.name.removesuffix(".jsonl") + ".manifest.json")


def read_manifest(export: Path) -> Manifest:
    return Manifest.from_json(json.loads(manifest_path(export).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Doc:
    """One exported document as the evaluation reads it back."""

    number: int  # line number in the export (the peers' id)
    key: str
    title: str
    body: str
    year: int | None
    language: str


def is_real(key: str) -> bool:
    """Whether a document is a real article (BBC, SaudiNewsNet), not a synthetic distractor."""
    return not key.startswith("distractor/")


def read_export(export: Path, keep: Callable[[str], bool] | None = None) -> Iterator[Doc]:
    """Every document of the export in order; the text only of the keys `keep` accepts (when
    given)."""
    with export.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            record = json.loads(line)
            key = key_of(record["url"])
            if keep is not None and not keep(key):
                yield Doc(number, key, "", "", None, record.get("language") or "")
                continue
            published = record.get("published_at") or ""
            yield Doc(
                number,
                key,
                record["title"],
                record["body"],
                int(published[:4]) if published[:4].isdigit() else None,
                record.get("language") or "",
            )
