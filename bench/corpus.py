"""A deterministic, realistic synthetic news corpus for the benchmark (pure Python, no Django).

Words are drawn from real frequency lists (English and two-word phrases counted
over the BBC News set, Arabic over SaudiNewsNet, French from `wordfreq`), so the
vocabulary is Zipf-distributed the way real news is. On top of that: ~200
sources (a share French and Arabic), ~2,000 tags, 20 years of dates with more
articles in recent years, and recurring named entities (invented people and
places, Zipf-distributed, which give the rare terms a real archive has). The
same spec and seed always give the same bytes.

While writing, the generator counts in how many articles each word and phrase
occurs (the "frequency table"), which the benchmark uses to pick query terms
whose match counts land near the targets of each query class.
"""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def _split(text: str) -> list[str]:
    return text.split()


DATA = Path(__file__).resolve().parent / "data"

# English words never worth querying (PostgreSQL drops its stop words anyway).
STOP_EN = frozenset(
    _split(
        """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own said same says she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    mr mrs ms s t"""
    )
)

FIRST_NAMES = _split(
    """Adam Aisha Alan Alice Amir Ana Andrea Anna Ben Carla Chen Claire Daniel David Elena
Emma Farid Fatima Hana Hassan Ian Irene Jack James Jana Jean John Julia Karim Kate Lara Laura
Layla Leila Lucas Marc Maria Mark Marta Maya Mohammed Nadia Nina Omar Paul Peter Rachel Rami
Robert Sam Sara Simon Sofia Sophie Tom Victor Yara Yusuf Zara"""
)

SYLLABLES = _split(
    """ba bel ca cor da del dor fa fer ga gor ha hal ka kel kov la lan lor ma mar mer
mi mon na nor pa pel ra ren ros sa sel sor ta tan tor va vel vin za zel"""
)

CITIES = _split(
    """Aberdeen Adelaide Alexandria Amman Antwerp Arlington Athens Auckland Austin Baltimore
Bergen Bilbao Bologna Bordeaux Boston Bremen Brighton Bristol Brussels Cairo Calgary Cardiff
Casablanca Charleston Chicago Cork Dallas Denver Dublin Dundee Durban Edinburgh Geneva Glasgow
Halifax Hamburg Houston Leeds Leipzig Lisbon Liverpool Lyon Madison Manchester Marseille Melbourne
Memphis Milan Montreal Munich Nantes Naples Newcastle Norwich Oakland Oslo Ottawa Oxford Perth
Phoenix Porto Portland Quebec Richmond Rotterdam Salford Seattle Seville Sheffield Sydney Tampa
Toronto Toulouse Turin Utrecht Valencia Vancouver Verona Winnipeg York Zurich"""
)
PAPERS = _split(
    """Courier Herald Gazette Chronicle Tribune Observer Post Times Standard Record Echo
Journal Sentinel Monitor Examiner Dispatch Ledger Star Mercury Clarion"""
)
FR_CITIES = _split(
    """Lyon Marseille Toulouse Nantes Lille Rennes Bordeaux Grenoble Dijon Angers Brest
Nancy Metz Rouen Tours Limoges Nice Reims Caen Amiens"""
)
FR_PAPERS = ["Le Courrier", "La Gazette", "Le Journal", "La Voix", "L'Écho", "Le Progrès"]
AR_CITIES = _split("""القاهرة الرياض جدة دبي عمان بيروت الدوحة الكويت تونس الرباط بغداد دمشق""")
AR_PAPERS = ["صحيفة", "جريدة", "أخبار", "بوابة"]


@dataclass(frozen=True)
class CorpusSpec:
    """What to generate: the same spec always gives the same bytes."""

    articles: int
    seed: int = 42
    sources: int = 200
    tags: int = 2000
    entities: int = 30000
    first_year: int = 2005
    years: int = 20
    share_fr: float = 0.08
    share_ar: float = 0.07
    words_per_article: int = 600

    def name(self) -> str:
        return f"corpus-{self.articles}-seed{self.seed}"


@dataclass
class CorpusStats:
    """The frequency table and the shape of a generated corpus."""

    spec: dict[str, Any]
    articles: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    words: int = 0
    # Articles containing each (lower-cased) word / two-word phrase.
    df: Counter[str] = field(default_factory=Counter)
    phrase_df: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "articles": self.articles,
            "words": self.words,
            "languages": dict(self.languages),
            "sources": len(self.sources),
            "tags": len(self.tags),
            "source_sizes": dict(self.sources.most_common()),
            "tag_sizes": dict(self.tags.most_common()),
            "df": dict(self.df.most_common()),
            "phrase_df": dict(self.phrase_df.most_common()),
        }


def read_counts(name: str) -> list[tuple[str, int]]:
    """A shipped word-frequency list: (word or phrase, count), most frequent first."""
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        word, count = line.split("\t")
        rows.append((word, int(count)))
    return rows


def _cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


class _Vocabulary:
    def __init__(self, counts: list[tuple[str, int]]) -> None:
        self.words = [w for w, _ in counts]
        self.cum = _cumulative([float(c) for _, c in counts])
        content = [(w, c) for w, c in counts if w not in STOP_EN and len(w) > 2]
        self.content = [w for w, _ in content]
        self.content_cum = _cumulative([float(c) for _, c in content])


@dataclass(frozen=True)
class _Source:
    name: str
    domain: str
    language: str


class Generator:
    """Draws articles for one spec; `articles()` yields them in a fixed order."""

    def __init__(self, spec: CorpusSpec) -> None:
        self.spec = spec
        rng = random.Random(f"names-{spec.seed}")
        self.vocab = {
            "en": _Vocabulary(read_counts("words-en.tsv")),
            "fr": _Vocabulary(read_counts("words-fr.tsv")),
            "ar": _Vocabulary(read_counts("words-ar.tsv")),
        }
        bigrams = read_counts("bigrams-en.tsv")
        self.phrases = [p for p, _ in bigrams]
        self.phrase_cum = _cumulative([float(c) for _, c in bigrams])
        self.entities = self._make_entities(rng)
        self.entity_cum = _cumulative([1.0 / r for r in range(1, len(self.entities) + 1)])
        self.sources = self._make_sources(rng)
        self.tags = self._make_tags()
        self.tag_cum = _cumulative([1.0 / r**0.9 for r in range(1, len(self.tags) + 1)])
        first = datetime(spec.first_year, 1, 1, tzinfo=UTC)
        self.year_starts = [first.replace(year=spec.first_year + i) for i in range(spec.years + 1)]
        # Archives grow: the last year holds about three times as many articles as the first.
        self.year_cum = _cumulative(
            [1.0 + 2.0 * i / max(1, spec.years - 1) for i in range(spec.years)]
        )

    def _make_entities(self, rng: random.Random) -> list[str]:
        """Invented people and places: capitalised words no dictionary holds."""
        known = set(self.vocab["en"].words) | set(self.vocab["fr"].words)
        seen: set[str] = set()
        names: list[str] = []
        while len(names) < self.spec.entities:
            surname = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))
            if surname in seen or surname in known or len(surname) < 5:
                continue
            seen.add(surname)
            if rng.random() < 0.7:
                names.append(f"{rng.choice(FIRST_NAMES)} {surname.capitalize()}")
            else:
                names.append(surname.capitalize())
        return names

    def _make_sources(self, rng: random.Random) -> dict[str, tuple[list[_Source], list[float]]]:
        n_fr = max(1, round(self.spec.sources * 0.08))
        n_ar = max(1, round(self.spec.sources * 0.07))
        n_en = max(1, self.spec.sources - n_fr - n_ar)
        en = [f"The {city} {paper}" for paper in PAPERS for city in CITIES]
        fr = [f"{paper} de {city}" for paper in FR_PAPERS for city in FR_CITIES]
        ar = [f"{paper} {city}" for paper in AR_PAPERS for city in AR_CITIES]
        out: dict[str, tuple[list[_Source], list[float]]] = {}
        for language, pool, n in (("en", en, n_en), ("fr", fr, n_fr), ("ar", ar, n_ar)):
            names = random.Random(f"sources-{self.spec.seed}-{language}").sample(pool, n)
            sources = [
                _Source(name, f"{language}{i:03d}-{self.spec.seed}.example.com", language)
                for i, name in enumerate(names)
            ]
            out[language] = (sources, _cumulative([1.0 / r for r in range(1, n + 1)]))
        return out

    def _make_tags(self) -> list[str]:
        """Tag names: the most frequent content words after the very commonest, capitalised."""
        content = self.vocab["en"].content
        return [w.capitalize() for w in content[60 : 60 + self.spec.tags]]

    def articles(self) -> Iterator[tuple[dict[str, Any], set[str], set[str]]]:
        """Yield (record, words in it, phrases in it) for every article, in order."""
        rng = random.Random(self.spec.seed)
        for i in range(self.spec.articles):
            yield self._article(rng, i)

    def _article(self, rng: random.Random, i: int) -> tuple[dict[str, Any], set[str], set[str]]:
        spec = self.spec
        roll = rng.random()
        language = (
            "fr" if roll < spec.share_fr else "ar" if roll < spec.share_fr + spec.share_ar else "en"
        )
        vocab = self.vocab[language]
        sources, source_cum = self.sources[language]
        source = rng.choices(sources, cum_weights=source_cum)[0]
        year = rng.choices(range(spec.years), cum_weights=self.year_cum)[0]
        start, end = self.year_starts[year], self.year_starts[year + 1]
        seconds = rng.randrange(int((end - start).total_seconds()))
        published = start + timedelta(seconds=seconds)

        n_words = max(250, min(1200, round(rng.gauss(spec.words_per_article, 150))))
        tokens = rng.choices(vocab.words, cum_weights=vocab.cum, k=n_words)
        entities = rng.choices(self.entities, cum_weights=self.entity_cum, k=rng.randint(2, 6))
        phrases: list[str] = []
        if language == "en":
            phrases = rng.choices(self.phrases, cum_weights=self.phrase_cum, k=rng.randint(0, 6))
        inserts = [e for e in entities for _ in range(rng.randint(1, 3))] + phrases
        for item in inserts:
            tokens.insert(rng.randrange(len(tokens) + 1), item)

        title_words = rng.choices(
            vocab.content, cum_weights=vocab.content_cum, k=rng.randint(5, 10)
        )
        title_words.insert(rng.randrange(len(title_words) + 1), entities[0])
        title = " ".join(title_words)
        title = title[0].upper() + title[1:]
        body = _paragraphs(rng, tokens)
        tag_count = rng.choice((1, 2, 2, 3, 3, 4))
        tags = sorted(set(rng.choices(self.tags, cum_weights=self.tag_cum, k=tag_count)))
        authors = [e for e in entities[1:2] if " " in e]
        record = {
            "title": title,
            "body": body,
            "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "source": source.name,
            "url": f"https://{source.domain}/{published:%Y/%m/%d}/article-{i}",
            "language": language,
            "tags": tags,
            "authors": authors,
        }
        words = {w.lower() for t in (*title_words, *tokens) for w in t.split(" ")}
        return record, words, set(phrases)


def _paragraphs(rng: random.Random, tokens: list[str]) -> str:
    """Cut tokens into sentences (8-24 words) and paragraphs (2-5 sentences)."""
    sentences: list[str] = []
    pos = 0
    while pos < len(tokens):
        n = rng.randint(8, 24)
        words = tokens[pos : pos + n]
        pos += n
        sentence = " ".join(words)
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
    paragraphs: list[str] = []
    pos = 0
    while pos < len(sentences):
        n = rng.randint(2, 5)
        paragraphs.append(" ".join(sentences[pos : pos + n]))
        pos += n
    return "\n\n".join(paragraphs)


def write_jsonl(spec: CorpusSpec, path: Path) -> CorpusStats:
    """Write the corpus as JSON Lines to `path`, and its frequency table beside it."""
    stats = CorpusStats(spec=asdict(spec))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as out:
        for record, words, phrases in Generator(spec).articles():
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")
            _count(stats, record, words, phrases)
    terms_path(path).write_text(json.dumps(stats.to_json(), ensure_ascii=False), encoding="utf-8")
    partial.replace(path)  # only a complete corpus ever has the final name
    return stats


def write_text_files(spec: CorpusSpec, folder: Path) -> int:
    """Write the corpus as plain-text files (title, blank line, paragraphs), one per article."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for record, _, _ in Generator(spec).articles():
        n += 1
        text = f"{record['title']}\n\n{record['body']}\n"
        (folder / f"{n:07d}.txt").write_text(text, encoding="utf-8")
    return n


def terms_path(corpus: Path) -> Path:
    return corpus.with_name(corpus.name.removesuffix(".jsonl") + ".terms.json")


def _count(stats: CorpusStats, record: dict[str, Any], words: set[str], phrases: set[str]) -> None:
    stats.articles += 1
    stats.languages[record["language"]] += 1
    stats.sources[record["source"]] += 1
    stats.tags.update(record["tags"])
    stats.words += record["body"].count(" ") + 1
    if record["language"] == "en":
        # Query terms are English; other languages' words would skew the table.
        stats.df.update(words)
        stats.phrase_df.update(phrases)


def pick_terms(
    df: dict[str, int], target: float, *, exclude: frozenset[str] = STOP_EN, k: int = 5
) -> list[str]:
    """The `k` terms whose article count is nearest `target` (a count), best first."""
    candidates = [
        (abs(count - target), -count, term)
        for term, count in df.items()
        if term not in exclude and len(term) > 2 and "'" not in term
    ]
    candidates.sort()
    return [term for _, _, term in candidates[:k]]
