"""`python -m bench` end to end on a tiny corpus, in its own throwaway database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.harness import bench_environment, bench_name, with_database
from bench.queries import CLASSES, VARIANTS

ROOT = Path(__file__).resolve().parent.parent
SMOKE_DB = "test_smoke_bench"


def test_the_bench_never_uses_the_users_database() -> None:
    env = bench_environment({"DATABASE_URL": "postgres://u:p@db.example:5433/archive?sslmode=off"})
    assert env["DATABASE_URL"] == "postgres://u:p@db.example:5433/archive_bench?sslmode=off"
    assert bench_environment({})["EMBEDDED_DATABASE_NAME"] == "newsarchive_bench"
    assert (
        bench_environment({"EMBEDDED_DATABASE_NAME": "x_bench"})["EMBEDDED_DATABASE_NAME"]
        == "x_bench"
    )
    assert bench_name("newsarchive") == "newsarchive_bench"
    assert with_database("postgres://h/a", "b") == "postgres://h/b"


def test_the_bench_runs_like_production() -> None:
    env = bench_environment({})
    assert env["DEBUG"] == "false"
    assert len(env["SECRET_KEY"]) >= 50
    assert env["SECURE_SSL_REDIRECT"] == "false"
    assert "127.0.0.1" in env["ALLOWED_HOSTS"].split(",")


def _drop(env: dict[str, str]) -> None:
    """Drop the smoke database (and its throwaway twins) on whichever server the env
    points at."""
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
        f"    for name in ('{SMOKE_DB}', '{SMOKE_DB}_text', '{SMOKE_DB}_noindex'):\n"
        "        drop = sql.SQL('DROP DATABASE IF EXISTS {} WITH (FORCE)')\n"
        "        c.execute(drop.format(sql.Identifier(name)))\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, timeout=60)


@pytest.fixture
def smoke_env() -> dict[str, str]:
    """The test run's environment pointed at a database of the smoke run's own; without the
    test's index folder and test database name, which the bench replaces with its own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NEWSARCHIVE_BENCH")
        and k not in ("SEARCH_INDEX_DIR", "TEST_DATABASE_NAME", "DJANGO_SETTINGS_MODULE")
    }
    if env.get("DATABASE_URL"):
        env["DATABASE_URL"] = with_database(env["DATABASE_URL"], SMOKE_DB)
    else:
        env["EMBEDDED_DATABASE_NAME"] = SMOKE_DB
    _drop(env)
    yield env
    _drop(env)


def test_bench_end_to_end(smoke_env: dict[str, str], tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--articles",
            "300",
            "--quick",
            "--load-seconds",
            "2",
            "--dir",
            str(tmp_path / "work"),
            "--output",
            str(output),
        ],
        env=smoke_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=480,
    )
    printed = done.stdout + done.stderr
    assert done.returncode == 0, printed[-3000:]
    assert "Traceback" not in printed
    assert "search (ms, warm)" in done.stdout and "page (ms, warm)" in done.stdout
    assert "load: 16 clients" in done.stdout and "gunicorn -w 3" in done.stdout

    results = json.loads(output.read_text())
    labels = {row["label"] for row in results["searches"]}
    for query_class in CLASSES:
        assert query_class in done.stdout
        for variant in VARIANTS:
            assert (query_class if variant == "none" else f"{query_class}+{variant}") in labels
    for row in results["searches"]:
        assert row["page"]["status"] == row["api"]["status"] == 200
        # The one search function, and the page and the API that call it.
        for key in ("function", "page", "api"):
            assert 0 < row[key]["p50_ms"] <= row[key]["p95_ms"] <= row[key]["p99_ms"]
        assert row["count_shown"] == row["matches_exact"]
        assert set(row["peers"]) == {"sqlite_fts5", "tantivy"}
    rare = next(r for r in results["searches"] if r["label"] == "rare")
    assert 1 <= rare["matches_exact"] <= 3
    assert set(results["pages"]) >= {"home", "day", "article", "tag", "source"}
    for page in results["pages"].values():
        assert 0 < page["p50_ms"] <= page["p95_ms"] <= page["p99_ms"]

    # The import with the index kept up to date, the same without it, and the rebuild.
    ingest = results["ingest_jsonl"]
    assert ingest["created"] == 300 and ingest["reported_articles_per_s"] > 0
    assert ingest["cpu_ms_per_article"] > 0 and ingest["postgresql_cpu_ms_per_article"] > 0
    unindexed = results["ingest_jsonl_without_index"]
    assert unindexed["created"] == 300 and unindexed["cpu_ms_per_article"] > 0
    assert results["ingest_text"]["created"] == results["ingest_text"]["files"] == 200
    reindex = results["reindex"]
    assert reindex["articles"] == 300 and reindex["seconds"] > 0
    assert reindex["articles_per_s"] > 0 and reindex["cpu_ms_per_article"] > 0
    assert "ingest JSON Lines, index kept up to date:" in done.stdout
    assert "ingest JSON Lines, without the index:" in done.stdout
    assert "reindex: 300 articles in" in done.stdout

    # The bench's own index, beside its corpus: never the test's nor the archive's.
    index = tmp_path / "work" / f"index-{SMOKE_DB}"
    assert (index / "meta.json").exists()
    assert results["database"]["index_mb"] > 0 and results["database"]["database_mb"] > 0
    assert "storage: search index" in done.stdout
    assert not (tmp_path / "work" / f"index-{SMOKE_DB}_noindex").exists()

    speed = results["machine"]["speed"]
    assert speed["index_ms_per_article"] > 0 and speed["parser_ms_per_record"] > 0
    assert "machine speed (compare runs across machines by these)" in done.stdout
    assert "tsvector" not in printed and "GIN" not in printed

    load = results["load"]
    assert load["errors"] == 0 and load["requests"] > 0 and load["workers"] == 3
    assert load["server_cpu_ms_per_request"] > 0 and load["worker_rss_mb"]
    # The CPU the load mix costs per request, in Python and (a server on this machine) in
    # PostgreSQL, and the requests/s two cores could serve at that cost.
    cpu = results["cpu_per_request"]
    assert set(cpu["by_kind"]) == {"search", "api", "article", "browse"}
    assert cpu["mix"]["python_ms"] > 0 and cpu["mix"]["postgresql_ms"] > 0
    assert cpu["ceiling_requests_per_s"] == pytest.approx(
        cpu["cores"] * 1000 / (cpu["mix"]["python_ms"] + cpu["mix"]["postgresql_ms"]), rel=0.01
    )
    assert "CPU per request of the load mix" in done.stdout
    # The search function's own share: part of the web process's, and what caps it.
    assert 0 < cpu["search_function_ms"] < cpu["mix"]["python_ms"]
    assert cpu["search_function_ceiling_requests_per_s"] == pytest.approx(
        cpu["cores"] * 1000 / cpu["search_function_ms"], rel=0.01
    )
    assert "the searches' own search function alone" in done.stdout

    # Every target, with an honest verdict.
    verdicts = {t["target"]: t["met"] for t in results["targets"]}
    assert len(verdicts) == 5 and all(isinstance(met, bool) for met in verdicts.values())
    assert verdicts["import >= 2,500 articles/s, index kept up to date"] == (
        ingest["reported_articles_per_s"] >= 2500
    )
    listed = done.stdout.split("\ntargets:\n", 1)[1].splitlines()
    for target in (
        "searches p95 <= 30 ms",
        "pages p95 <= 20 ms",
        "200 requests/s",
        "2,500 articles/s",
        "1,000,000 articles <= 5 min",
    ):
        line = next(line for line in listed if target in line)
        assert line.endswith((": met", ": not met")), line
    assert results["problems"] == []

    # Again on the same archive, measuring only: the import is reused, nothing else imports.
    again = subprocess.run(
        [sys.executable, "-m", "bench", "--articles", "300", "--quick", "--no-imports",
         "--no-peers", "--no-load", "--dir", str(tmp_path / "work"), "--output", str(output)],
        env=smoke_env, cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    measured = json.loads(output.read_text())
    assert measured["ingest_jsonl"]["created"] == 300
    assert not {"ingest_jsonl_without_index", "ingest_text", "reindex"} & set(measured)
    assert "the same import without the index" not in again.stdout
    assert len(measured["searches"]) == len(results["searches"]) and measured["pages"]
