"""The relevance evaluation: its query generator (pure) and `python -m bench.relevance` end to
end on a tiny corpus written here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bench.harness import with_database
from bench.relevance import copies, documents, related
from bench.relevance.documents import Doc, build_export, read_bbc, read_export
from bench.relevance.engines import Answer, fts5_match
from bench.relevance.evaluate import run_engine
from bench.relevance.queries import (
    KINDS,
    OLD_BEFORE,
    Query,
    common_min_df,
    common_pool,
    document_frequencies,
    generate,
    read_queries,
    words,
)

ROOT = Path(__file__).resolve().parent.parent
SMOKE_DB = "test_smoke_relevance"

# Short English articles, each about its subject (its common words repeat) and with a few
# words no other article has.
ARTICLES = {
    "business/001": (
        "Steel market rallies as government cuts energy tax",
        "The steel market rallied on Monday after the government said it would cut the energy "
        "tax paid by heavy industry. Steel makers had warned that energy prices threatened "
        "thousands of jobs, and the market welcomed the cut.\n\nAnalysts at Brackenfield said "
        "the government move would help the market for months.",
    ),
    "business/002": (
        "Airline profits fall as fuel prices climb",
        "Profits at the national airline fell by a third as fuel prices climbed to a record. "
        "The airline said fuel now made up half its costs, and warned that prices would stay "
        "high.\n\nShares in the airline fell in early trading in Quillmoor.",
    ),
    "politics/003": (
        "Government unveils plan for rural schools",
        "The government has unveiled a plan to keep rural schools open, after years in which "
        "villages lost their schools. Ministers said the plan would cost the government less "
        "than closing schools.\n\nTeachers in Farrowdale welcomed the plan for schools.",
    ),
    "politics/004": (
        "Voters back council tax freeze",
        "Voters have backed a freeze in council tax in a local vote, the council said. The "
        "tax freeze will last two years, and voters were told the council would cut spending."
        "\n\nTurnout in Glimmerton was the highest for a council vote in decades.",
    ),
    "sport/005": (
        "Late goal sends United into the cup final",
        "A late goal sent United into the cup final on Saturday. United had trailed for an "
        "hour before the goal, and the cup run goes on.\n\nThe winning goal came from the "
        "young striker Ossington, whose cup record is now five goals.",
    ),
    "sport/006": (
        "Champion retires after record season",
        "The champion has retired after a record season in which she won every race. The "
        "season ended with a record time, and the champion said she was ready to go.\n\n"
        "Her coach in Wendlebury called the season the best he had seen.",
    ),
    "tech/007": (
        "Phone makers race to build faster networks",
        "Phone makers are racing to build faster networks as people use their phone for "
        "video. Networks are straining, and phone makers say faster networks are needed.\n\n"
        "Engineers at Kestrelcomb showed a phone working on the new networks.",
    ),
    "tech/008": (
        "Software flaw leaves banks exposed",
        "A software flaw has left banks exposed to attack, researchers said. The software is "
        "used by many banks, and a fix for the flaw is ready.\n\nResearchers in Thistlegate "
        "found the flaw in the banks' software last month.",
    ),
    "entertainment/009": (
        "Film festival opens with a record crowd",
        "The film festival opened with a record crowd on Friday, as film fans queued for "
        "hours. The festival shows more than a hundred film premieres.\n\nThe festival "
        "director in Larkspurrow said the film crowd was the biggest yet.",
    ),
    "entertainment/010": (
        "Singer wins album of the year award",
        "The singer won the album of the year award at a ceremony on Thursday. The album "
        "sold a million copies, and the singer thanked fans for the award.\n\nThe album was "
        "recorded in a barn near Hollowmere.",
    ),
}

ARABIC = [
    (
        "وزارة الصحة تطلق حملة للتطعيم",
        "أطلقت وزارة الصحة حملة واسعة للتطعيم في المدارس والمستشفيات الحكومية بمنطقة الجوف",
    ),
    (
        "افتتاح معرض الكتاب في الرياض",
        "افتتح معرض الكتاب الدولي أبوابه للزوار بمشاركة دور نشر من عشرين دولة عربية وأجنبية",
    ),
    (
        "ارتفاع أسعار النفط في الأسواق",
        "ارتفعت أسعار النفط الخام في الأسواق العالمية بعد تراجع المخزونات الأمريكية هذا الأسبوع",
    ),
    (
        "الهلال يفوز على النصر في الدوري",
        "فاز فريق الهلال على منافسه النصر بهدفين في مباراة الدوري السعودي للمحترفين مساء الجمعة",
    ),
    (
        "أمطار غزيرة على منطقة عسير",
        "هطلت أمطار غزيرة على مرتفعات منطقة عسير وسط تحذيرات الدفاع المدني من السيول الجارفة",
    ),
]


def write_corpora(root: Path) -> Path:
    """A BBC-shaped folder (with a byte-identical pair and a Latin-1 file) and a
    SaudiNewsNet-shaped ZIP (with a story filed twice and one without a title)."""
    for key, (title, body) in ARTICLES.items():
        path = root / "bbc" / f"{key}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    twin = (root / "bbc" / "business" / "001.txt").read_bytes()
    (root / "bbc" / "sport" / "011.txt").write_bytes(twin)
    (root / "bbc" / "tech" / "012.txt").write_bytes(
        "Café owners protest at rent rises\n\nOwners of cafés in Pemberly protested at rent "
        "rises, saying the café trade could not pay them.\n".encode("latin-1")
    )
    (root / "bbc" / "README.TXT").write_text("not an article\n")
    items = [
        {
            "source": "spa",
            "url": f"http://x/{i}",
            "date_extracted": "2015-07-21 10:00:00",
            "title": title,
            "author": "",
            "content": body,
        }
        for i, (title, body) in enumerate(ARABIC)
    ]
    items.append({**items[0], "url": "http://x/again", "title": "عنوان آخر للخبر نفسه"})
    items.append({**items[1], "url": "http://x/untitled", "title": ""})
    (root / "saudinewsnet").mkdir()
    with zipfile.ZipFile(root / "saudinewsnet" / "2015-07-21.zip", "w") as archive:
        archive.writestr("2015-07-21.json", json.dumps(items, ensure_ascii=False))
    return root


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, documents.Manifest]:
    root = write_corpora(tmp_path_factory.mktemp("corpora"))
    path = tmp_path_factory.mktemp("work") / "archive.jsonl"
    return path, build_export(root, 40, 7, path)


# --- documents -------------------------------------------------------------------------------


def test_the_export_keeps_one_copy_and_never_targets_a_duplicate(export) -> None:
    path, manifest = export
    keys = [doc.key for doc in read_export(path)]
    assert len(keys) == len(set(keys)) == manifest.documents
    # 12 BBC files less one of the byte-identical pair (neither copy is a target); 7 Arabic
    # records less the untitled one. The story filed twice under another title is stored
    # twice (ingest keeps both too), and neither copy is a target.
    assert manifest.counts["bbc_files"] == 12 and manifest.counts["bbc_kept"] == 11
    assert manifest.counts["saudinewsnet_without_title_or_body"] == 1
    assert manifest.counts["saudinewsnet_kept"] == 6
    assert manifest.counts["distractors_kept"] == 40
    assert manifest.documents == 11 + 6 + 40
    targets_a, targets_b = set(manifest.targets["a"]), set(manifest.targets["b"])
    assert "bbc/business/001" not in targets_a and "bbc/sport/011" not in targets_a
    assert "bbc/tech/012" in targets_a and len(targets_a) == 10
    assert "saudinewsnet/2015-07-21/0" not in targets_b
    assert "saudinewsnet/2015-07-21/5" not in targets_b
    assert len(targets_b) == 4
    assert not any(k.startswith("distractor/") for k in targets_a)


def test_the_export_is_what_ingest_reads(export) -> None:
    path, _ = export
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert all(r["url"].startswith(documents.URL_PREFIX) for r in records)
    assert len({r["url"] for r in records}) == len(records)
    dates = [r["published_at"] for r in records]
    assert dates == sorted(dates)
    latin = next(r for r in records if r["url"].endswith("bbc/tech/012"))
    assert latin["title"] == "Café owners protest at rent rises"
    assert {r["language"] for r in records if r["url"].split("/")[3] == "saudinewsnet"} == {"ar"}


def test_bbc_dates_are_seeded_and_spread_over_20_years(tmp_path: Path) -> None:
    root = write_corpora(tmp_path)
    first = read_bbc(root / "bbc", 1)
    assert [d.published_at for d in first] == [d.published_at for d in read_bbc(root / "bbc", 1)]
    assert [d.published_at for d in first] != [d.published_at for d in read_bbc(root / "bbc", 2)]
    assert all("2005" <= d.published_at[:4] <= "2024" for d in first)


@pytest.mark.corpora
def test_the_real_bbc_set_reads_whole(corpora: Path) -> None:
    articles = read_bbc(corpora / "bbc", 42)
    assert len(articles) == 2225
    assert any(int(a.published_at[:4]) < OLD_BEFORE for a in articles)
    saudi, incomplete = documents.read_saudinewsnet(corpora / "saudinewsnet")
    assert len(saudi) + incomplete == 16327 and incomplete == 224


# --- queries ---------------------------------------------------------------------------------


def test_words_are_letters_with_punctuation_around_them_only() -> None:
    assert words('He said: "(Steel) market," U.S. don\'t 2005 café') == [
        "he",
        "said",
        "steel",
        "market",
        "café",
    ]
    assert words("أطلقت وزارة الصحة، حملةً") == ["أطلقت", "وزارة", "الصحة"]


def _docs(export) -> tuple[list[Doc], list[Doc], dict[str, int], int]:
    path, manifest = export
    docs = list(read_export(path))
    df, n = document_frequencies(docs)
    by_key = {d.key: d for d in docs}
    return (
        [by_key[k] for k in manifest.targets["a"]],
        [by_key[k] for k in manifest.targets["b"]],
        df,
        n,
    )


def _matches(docs: list[Doc]):
    sets = [set(words(d.title)) | set(words(d.body)) for d in docs]
    return lambda q: sum(1 for s in sets if set(q.split()) <= s)


def test_generated_queries_are_deterministic_and_follow_each_kinds_rule(export) -> None:
    a, b, df, n = _docs(export)
    count = _matches(list(read_export(export[0])))

    def make(seed: int) -> list[Query]:
        return generate(a, b, df, n, seed=seed, per_kind=4, broad=3, count=count)

    queries = make(1)
    assert queries == make(1)
    assert queries != make(2)
    by_key = {d.key: d for d in (*a, *b)}
    for kind in KINDS:
        mine = [q for q in queries if q.kind == kind]
        assert mine, kind
        assert len({q.target for q in mine}) == len(mine)  # distinct targets in a kind
    for q in queries:
        target = by_key[q.target]  # every target is an eligible real article
        body = set(words(target.body))
        if q.kind in ("distinctive", "arabic"):
            assert 3 <= len(q.q.split()) <= 4 and set(q.q.split()) <= body
        elif q.kind == "title":
            assert q.q == target.title
        elif q.kind == "phrase":
            assert q.q.startswith('"') and q.q.endswith('"')
            assert q.q.strip('"') in target.body and 3 <= len(q.q.split()) <= 5
        else:
            assert 2 <= len(q.q.split()) <= 3
            assert set(q.q.split()) <= set(common_pool(target, df, common_min_df(n)))
            if q.kind == "common_old":
                assert target.year is not None and target.year < OLD_BEFORE
            if q.kind == "common_broad":
                assert count(q.q) >= 3
    assert {q.target for q in queries if q.kind == "arabic"} <= {d.key for d in b}


def test_fewer_queries_when_too_few_targets_qualify(export) -> None:
    a, b, df, n = _docs(export)
    queries = generate(a, b, df, n, seed=1, per_kind=50, broad=10**6, count=lambda q: 0)
    assert not [q for q in queries if q.kind == "common_broad"]
    assert len([q for q in queries if q.kind == "title"]) == len(a)


# --- scoring -----------------------------------------------------------------------------------

WIRE = (
    "الرياض - واس: أعلنت وزارة الصحة اليوم عن افتتاح ثلاثة مستشفيات جديدة في المنطقة الشرقية "
    "بطاقة استيعابية تبلغ خمسمائة سرير، وقال المتحدث الرسمي إن المستشفيات ستبدأ باستقبال "
    "المرضى مطلع الشهر المقبل بعد اكتمال تجهيزها بالكوادر الطبية والأجهزة الحديثة."
)


def _doc(key: str, body: str) -> Doc:
    return Doc(0, key, "title", body, 2015, "ar")


def test_a_near_identical_copy_is_one_and_another_report_is_not() -> None:
    target = _doc("saudinewsnet/d/1", WIRE)
    byline = _doc("saudinewsnet/d/2", "جدة - عكاظ " + WIRE.replace("واس:", "").rstrip(".") + ".")
    quotes = _doc("saudinewsnet/d/3", WIRE.replace("،", " ،"))  # punctuation is not a word
    rewrite = _doc("saudinewsnet/d/4", " ".join(WIRE.split()[:12]) + " وأضاف أن العمل جار.")
    same = copies.near_copies([target], [target, byline, quotes, rewrite])
    assert copies.similarity(copies.shingles(WIRE), copies.shingles(byline.body)) >= 0.8
    assert same == {"saudinewsnet/d/1": frozenset({"saudinewsnet/d/2", "saudinewsnet/d/3"})}
    assert copies.near_copies([_doc("a", "two words")], [_doc("b", "two words")]) == {}


def test_a_copy_of_the_target_ranks_as_the_target_for_every_engine() -> None:
    query = Query("arabic", "مستشفيات", "t")
    answers = {"first": ("other", "copy", "t"), "second": ("t", "copy")}
    outcomes = {
        name: run_engine(lambda q, ids=ids: Answer(ids, len(ids)), [query], str, {"t": {"copy"}})
        for name, ids in answers.items()
    }
    assert (outcomes["first"][0].rank, outcomes["first"][0].target_rank) == (2, 3)
    assert (outcomes["second"][0].rank, outcomes["second"][0].target_rank) == (1, 1)
    alone = run_engine(lambda q: Answer(("other", "copy", "t"), 3), [query], str)
    assert (alone[0].rank, alone[0].target_rank) == (3, 3)


def test_typed_text_becomes_a_safe_fts5_expression() -> None:
    assert fts5_match("Blair's plan: now") == '"Blair\'s" "plan:" "now"'
    assert fts5_match('"the steel market" - cut') == '"the steel market" "cut"'
    assert fts5_match('an "unclosed phrase') == '"an" "unclosed" "phrase"'
    assert fts5_match("--- ...") == ""


def test_a_queries_file_that_is_not_one_is_refused(tmp_path: Path) -> None:
    from bench.relevance.queries import QueriesError

    bad = tmp_path / "q.json"
    bad.write_text('{"queries": [{"kind": "nonsense", "q": "x", "target": "y"}]}')
    with pytest.raises(QueriesError, match="unknown query kind"):
        read_queries(bad)
    bad.write_text("[1, 2")
    with pytest.raises(QueriesError, match=str(bad)):
        read_queries(bad)


# --- end to end ------------------------------------------------------------------------------


def _drop(env: dict[str, str]) -> None:
    code = (
        "import os, psycopg\n"
        "from psycopg import sql\n"
        "url = os.environ.get('DATABASE_URL')\n"
        "if url:\n"
        "    from urllib.parse import urlsplit\n"
        "    p = urlsplit(url)\n"
        "    kw = dict(host=p.hostname, port=p.port, user=p.username, password=p.password)\n"
        "else:\n"
        "    from newsarchive import embedded_db\n"
        "    kw = dict(host=embedded_db.socket_dir(), user='postgres')\n"
        "with psycopg.connect(dbname='postgres', autocommit=True, **kw) as c:\n"
        f"    c.execute(sql.SQL('DROP DATABASE IF EXISTS {{}} WITH (FORCE)')"
        f".format(sql.Identifier('{SMOKE_DB}')))\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, timeout=60)


@pytest.fixture
def smoke_env() -> dict[str, str]:
    env = dict(os.environ)
    if env.get("DATABASE_URL"):
        env["DATABASE_URL"] = with_database(env["DATABASE_URL"], SMOKE_DB)
    else:
        env["EMBEDDED_DATABASE_NAME"] = SMOKE_DB
    _drop(env)
    yield env
    _drop(env)


def _relevance(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.relevance", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_relevance_end_to_end(smoke_env: dict[str, str], tmp_path: Path) -> None:
    corpora = write_corpora(tmp_path / "corpora")
    work = tmp_path / "work"
    common = ["--corpora", str(corpora), "--distractors", "60", "--dir", str(work)]
    done = _relevance(smoke_env, *common, "--per-kind", "3", "--broad", "3", "--seed", "5")
    printed = done.stdout + done.stderr
    assert done.returncode == 0, printed[-3000:]
    assert "Traceback" not in printed

    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| queries ("))
    assert [c.strip() for c in lines[header].strip("|").split("|")] == [
        "queries (3 each)",
        "MRR@10 ours",
        "SQLite FTS5",
        "tantivy",
    ]
    rows = [line.split("|")[1].strip() for line in lines[header + 2 : header + 2 + len(KINDS)]]
    assert [r.split(" (")[0] for r in rows] == list(KINDS)
    assert "MRR@10, the target alone" in done.stdout
    assert "found nothing / median matches" in done.stdout
    assert "p50 / p95 ms (in process)" in done.stdout

    results = json.loads((work / "results-archive-60-seed5.json").read_text())
    assert results["corpus"]["documents"] == 11 + 6 + 60
    queries_file = Path(results["queries_file"])
    assert queries_file.parent == work
    titles = [q for q in results["queries"] if q["kind"] == "title"]
    assert len(titles) == 3
    assert all(isinstance(q["copies"], list) for q in results["queries"])
    for peer in ("sqlite_fts5", "tantivy"):
        # An exact title finds its article first.
        assert [q[peer]["rank"] for q in titles] == [1, 1, 1], peer
        assert [q[peer]["target_rank"] for q in titles] == [1, 1, 1], peer
        summary = results["engines"][peer]["kinds"]
        assert summary["title"]["mrr10"] == 1.0
        assert all(0.0 <= s["mrr10"] <= 1.0 for s in summary.values() if s["queries"])
        assert all(s["p95_ms"] >= s["p50_ms"] > 0 for s in summary.values() if s["queries"])
    ours = results["engines"]["ours"]
    if ours["available"]:
        assert [q["ours"]["rank"] for q in titles] == [1, 1, 1]
        # Every BBC article kept (the byte-identical twin is one) asked for its related ones.
        judged = results["related"]
        assert judged["articles"] == results["corpus"]["bbc_kept"]
        assert 0.0 <= judged["precision_at_5"] <= 1.0
        assert set(judged["by_category"]) <= {
            "business",
            "entertainment",
            "politics",
            "sport",
            "tech",
        }
        assert judged["ms_p95"] >= judged["ms_p50"] > 0
        assert "| related articles | P@5 | first right |" in done.stdout
    else:
        assert ours["note"].startswith("not run:") and "ours: not run:" in done.stdout

    # The same queries again, from the file, reusing the export and the peers' indexes.
    again = _relevance(
        smoke_env,
        *common,
        "--seed",
        "5",
        "--queries",
        str(queries_file),
        "--output",
        str(tmp_path / "again.json"),
    )
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert "export: reusing" in again.stdout
    repeated = json.loads((tmp_path / "again.json").read_text())
    assert [(q["q"], q["tantivy"]["rank"]) for q in repeated["queries"]] == [
        (q["q"], q["tantivy"]["rank"]) for q in results["queries"]
    ]


def test_relevance_says_what_is_wrong_in_one_line(smoke_env: dict[str, str], tmp_path: Path):
    done = _relevance(smoke_env, "--corpora", str(tmp_path / "nowhere"), "--dir", str(tmp_path))
    assert done.returncode == 1
    assert "nowhere/bbc: corpus folder not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_related_article_is_right_only_in_its_own_bbc_category() -> None:
    assert related.category("bbc/sport/011") == "sport"
    assert related.category("saudinewsnet/2015-07-21/3") is None
    assert related.category("distractor/17") is None
    assert related.category(None) is None
    text = related.table(
        {
            "articles": 2120,
            "precision_at_5": 0.9,
            "first_right": 0.95,
            "by_category": {"business": 0.8, "sport": 1.0},
            "ms_p50": 4.31,
            "ms_p95": 9.0,
        }
    )
    assert text.splitlines()[0] == (
        "| related articles | P@5 | first right | business | sport | p50 ms | p95 ms |"
    )
    assert (
        text.splitlines()[2] == "| 2,120 BBC articles | 0.900 | 0.950 | 0.800 | 1.000 | 4.3 | 9.0 |"
    )
