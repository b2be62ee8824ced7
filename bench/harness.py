"""The benchmark run behind `python -m bench`: import, index, measure, compare, load-test, report.

The command first re-executes itself with the bench environment (`launch`):
its own database (`<name>_bench`, never the user's archive), its own search index
folder (`<dir>/index-<database>`, never the user's), DEBUG off and the production
settings a real deployment has. The child (`run`) then migrates that database,
generates the corpus, imports it with the real `ingest` (which keeps the index up to
date as in production; reused on the next run when size and seed match), imports it
once more into a throwaway database with the index's writer held elsewhere (PostgreSQL
alone), rebuilds the index with `manage.py reindex`, picks the query terms from the
corpus's frequency table, measures the one search function, the real pages in-process
with the test `Client`, the peers on the same queries, and finally the real server
(gunicorn, as `make run` starts it) under load from a second process.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from newsarchive.startup import freeze_loaded_objects

from .corpus import CorpusSpec, pick_terms, terms_path, write_jsonl, write_text_files
from .load import percentile
from .peers import Fts5Peer, TantivyPeer, fts5_available
from .queries import (
    OR_TERM_TARGET,
    PHRASE_TARGET,
    TARGETS,
    Filters,
    Query,
    with_variants,
)
from .report import TARGET_PAGE_MS, TARGET_SEARCH_MS

CHILD_FLAG = "NEWSARCHIVE_BENCH_CHILD"
SUFFIX = "_bench"


class BenchError(Exception):
    """A problem the user can fix; reported as one line, never a traceback."""


@dataclass(frozen=True)
class Options:
    articles: int = 20000
    seed: int = 42
    fresh: bool = False
    quick: bool = False
    reps: int | None = None
    load_seconds: float = 60.0
    clients: int = 16
    peers: bool = True
    load: bool = True
    imports: bool = True  # the import without the index, the plain-text import, reindex
    text_sample: int | None = None
    output: Path | None = None
    workdir: Path | None = None  # corpus, peers' indexes, logs; default var/bench/

    @property
    def repetitions(self) -> int:
        return self.reps or (3 if self.quick else 20)

    @property
    def peer_repetitions(self) -> int:
        return max(1, min(self.repetitions, 2 if self.quick else 5))

    @property
    def text_articles(self) -> int:
        default = 200 if self.quick else 5000
        return max(1, min(self.articles, self.text_sample or default))


# --- the parent: pick the bench database and re-execute ---------------------------------------


def bench_name(name: str, suffix: str = SUFFIX) -> str:
    return name if name.endswith(suffix) else f"{name}{suffix}"


def isolated_environment(environ: Mapping[str, str], suffix: str) -> dict[str, str]:
    """`environ` with the database `<name><suffix>` on the same server instead of the
    user's, production settings and DEBUG off."""
    env = dict(environ)
    url = environ.get("DATABASE_URL", "")
    if url:
        env["DATABASE_URL"] = with_database(url, bench_name(_url_database(url), suffix))
    else:
        env["EMBEDDED_DATABASE_NAME"] = bench_name(
            environ.get("EMBEDDED_DATABASE_NAME") or "newsarchive", suffix
        )
        env["USE_EMBEDDED_DATABASE"] = "true"  # DEBUG is off below
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": environ.get(CHILD_FLAG + "_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            # The load test's 16 clients share one address; the per-client limits would
            # turn most of its requests into 429s.
            "RATELIMITS": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def bench_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the child: its own database, production settings, DEBUG off."""
    return {**isolated_environment(environ, SUFFIX), CHILD_FLAG: "1"}


def _url_database(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise BenchError(f"DATABASE_URL names no database: {url}")
    return name


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _server_connection(url: str) -> Any:
    """An autocommit connection to the maintenance database of DATABASE_URL's server."""
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or None,
        port=parts.port or None,
        user=parts.username or None,
        password=parts.password or None,
        dbname="postgres",
        autocommit=True,
    )


def create_database(url: str) -> None:
    """Create the database DATABASE_URL names, when it does not exist yet."""
    import psycopg
    from psycopg import sql

    name = _url_database(url)
    with _server_connection(url) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def env_database(env: Mapping[str, str]) -> str:
    """The database an environment points at (DATABASE_URL's, else the embedded one's)."""
    url = env.get("DATABASE_URL")
    return _url_database(url) if url else env.get("EMBEDDED_DATABASE_NAME") or "newsarchive"


def index_folder(workdir: Path, database: str) -> Path:
    """The search index of the bench database `database`: beside the corpus, never the
    archive's own."""
    return workdir / f"index-{database}"


def launch(argv: list[str], root: Path, workdir: Path) -> int:
    """Run the benchmark in a child process with the bench environment; its exit code."""
    env = bench_environment(os.environ)
    env["SEARCH_INDEX_DIR"] = str(index_folder(workdir, env_database(env)))
    if env.get("DATABASE_URL"):
        create_database(env["DATABASE_URL"])
    command = [sys.executable, "-m", "bench", *argv]
    # S603: our own interpreter and arguments.
    child = subprocess.Popen(command, env=env, cwd=root)  # noqa: S603
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            # The child got the same Ctrl-C; let it stop its server and finish.
            continue


def setup_django() -> None:
    """Load the project's settings in a process not started by manage.py."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsarchive.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        # As manage.py says it: the operator's mistake, without a traceback.
        raise SystemExit(f"Configuration error: {exc}") from exc


# --- the child: the run itself -----------------------------------------------------------------


class Runner:
    def __init__(self, options: Options, out: Any, base_dir: Path) -> None:
        self.o = options
        self.out = out
        self.base_dir = base_dir
        self.manage_py = base_dir / "manage.py"
        self.dir = options.workdir or base_dir / "var" / "bench"
        self.spec = CorpusSpec(articles=options.articles, seed=options.seed)
        self.problems: list[str] = []
        # Source and tag ids by slug, for the search function's requests.
        self._ids: dict[str, dict[str, int]] = {"source": {}, "tag": {}}

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    # --- database and index ---

    def database_name(self) -> str:
        from django.db import connection

        return str(connection.settings_dict["NAME"])

    @property
    def index_dir(self) -> Path:
        from django.conf import settings

        return Path(settings.SEARCH_INDEX_DIR)

    def check_database(self) -> None:
        name = self.database_name()
        if not name.endswith(SUFFIX):
            raise BenchError(
                f"refusing to benchmark in database {name!r}: its name must end in {SUFFIX!r} "
                "(run `python -m bench`, which picks the bench database itself)"
            )
        if self.index_dir != index_folder(self.dir, name):
            raise BenchError(
                f"refusing to benchmark with the search index {self.index_dir}: run "
                "`python -m bench`, which gives the bench database an index of its own"
            )

    def _env_for(self, database: str) -> dict[str, str]:
        """The environment of a command working on `database` and on its own index."""
        env = dict(os.environ)
        if env.get("DATABASE_URL"):
            env["DATABASE_URL"] = with_database(env["DATABASE_URL"], database)
        else:
            env["EMBEDDED_DATABASE_NAME"] = database
        env["SEARCH_INDEX_DIR"] = str(index_folder(self.dir, database))
        return env

    @contextlib.contextmanager
    def throwaway_database(self, suffix: str) -> Iterator[tuple[str, dict[str, str]]]:
        """A new, migrated database `<bench><suffix>` with its own (absent) index folder,
        and the environment of commands working on it; both are removed after."""
        from psycopg import sql

        database = self.database_name() + suffix
        folder = index_folder(self.dir, database)
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        with admin_connection() as conn:
            conn.execute(drop)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        shutil.rmtree(folder, ignore_errors=True)
        try:
            env = self._env_for(database)
            subprocess.run(  # noqa: S603 (our own interpreter and arguments)
                [sys.executable, str(self.manage_py), "migrate", "--no-input", "-v", "0"],
                env=env,
                check=True,
            )
            yield database, env
        finally:
            with admin_connection() as conn:
                conn.execute(drop)
            shutil.rmtree(folder, ignore_errors=True)

    # --- corpus, import and index ---

    def corpus(self) -> Path:
        path = self.dir / f"{self.spec.name()}.jsonl"
        if path.exists() and terms_path(path).exists():
            self.say(f"corpus: reusing {path}")
            return path
        self.say(f"corpus: generating {self.spec.articles:,} articles into {path}")
        started = time.perf_counter()
        write_jsonl(self.spec, path)
        elapsed = time.perf_counter() - started
        self.say(f"corpus: {self.spec.articles / elapsed:,.0f} articles/s generated")
        return path

    def state_path(self) -> Path:
        from django.db import connection

        params = connection.settings_dict
        where = os.environ.get("DATABASE_URL") and f"{params.get('HOST')}-{params.get('PORT')}"
        key = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{where or 'embedded'}-{self.database_name()}")
        return self.dir / f"state-{key}.json"

    def imported(self, corpus: Path) -> dict[str, Any]:
        """Import the corpus with the real `ingest`, which keeps the search index up to date
        as in production, unless this database already holds it."""
        from articles.models import Article

        state_file = self.state_path()
        if state_file.exists() and not self.o.fresh:
            state = json.loads(state_file.read_text())
            if state.get("corpus") == corpus.name and Article.objects.count() == state.get(
                "articles"
            ):
                self.say(f"ingest: reusing the imported {corpus.name} ({state['articles']:,})")
                return {**state["ingest"], "reused": True}
        state_file.unlink(missing_ok=True)
        self.reset_tables()
        # An index of the truncated articles would keep documents the log no longer names.
        shutil.rmtree(self.index_dir, ignore_errors=True)
        self.say(f"ingest: importing {corpus.name} with manage.py ingest, index kept up to date")
        result = self.ingest(
            [str(corpus), "--format", "jsonl"], self._env_for(self.database_name())
        )
        if not (self.index_dir / "meta.json").exists():
            self.problems.append(f"ingest left no search index in {self.index_dir}")
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        state = {"corpus": corpus.name, "articles": Article.objects.count(), "ingest": result}
        state_file.write_text(json.dumps(state, indent=2))
        return {**result, "reused": False}

    def reset_tables(self) -> None:
        from django.apps import apps
        from django.db import connection

        tables = [m._meta.db_table for m in apps.get_app_config("articles").get_models()]
        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {', '.join(connection.ops.quote_name(t) for t in tables)} "
                "RESTART IDENTITY CASCADE"
            )

    def ingest(self, args: list[str], env: dict[str, str]) -> dict[str, Any]:
        """Run `manage.py ingest` as its own process; its rate, wall time, CPU and peak RSS."""
        database = env_database(env)
        log = self.dir / f"ingest-{database}-{Path(args[0]).name}.log"
        with BackendCpu(database) as postgresql:
            result = run_ingest(self.manage_py, args, env, log)
        return with_cpu_per_article(result, result["created"], postgresql.ms)

    def unindexed_ingest(self, corpus: Path) -> dict[str, Any]:
        """The same import into a throwaway database while this process holds the index's
        writer there: `ingest` then leaves the change log to the holder and only stores the
        articles, which is the import's cost without the index."""
        from articles.search.indexer import _LOCK_CLASS, _lock_key

        with self.throwaway_database("_noindex") as (database, env):
            self.say("ingest: the same import without the index (its writer held elsewhere)")
            with admin_connection(database) as holder:
                holder.execute("SELECT pg_advisory_lock(%s, %s)", [_LOCK_CLASS, _lock_key()])
                result = self.ingest([str(corpus), "--format", "jsonl"], env)
            if (index_folder(self.dir, database) / "meta.json").exists():
                self.problems.append("the import without the index wrote an index")
            return result

    def text_ingest(self) -> dict[str, Any]:
        """Ingest plain-text files (a smaller sample) into a throwaway database, index kept
        up to date."""
        n = self.o.text_articles
        spec = CorpusSpec(articles=n, seed=self.o.seed + 1)
        folder = self.dir / f"text-{n}-seed{spec.seed}"
        if not (folder / f"{n:07d}.txt").exists():
            write_text_files(spec, folder)
        with self.throwaway_database("_text") as (_, env):
            self.say(f"ingest: {n:,} plain-text files")
            return {"files": n, **self.ingest([str(folder), "--format", "text"], env)}

    def reindex(self) -> dict[str, Any]:
        """`manage.py reindex` of the whole archive as its own process: its own time and
        rate, wall time, CPU, peak RSS, and the index's size on disk after it."""
        database = self.database_name()
        log = self.dir / f"reindex-{database}.log"
        self.say("reindex: manage.py reindex")
        with BackendCpu(database) as postgresql:
            result = run_manage(self.manage_py, ["reindex"], dict(os.environ), log)
        text = log.read_text(errors="replace")
        articles = _last_number(r"Indexed ([\d,]+) articles", text)
        seconds = _last_number(r"articles into .* in ([\d.,]+) s", text)
        rate = articles / seconds if seconds else 0.0
        result.update(
            {
                "articles": articles,
                "seconds": seconds,
                "articles_per_s": round(rate, 1),
                "summary": _last_line_with("Indexed", text),
            }
        )
        result = with_cpu_per_article(result, articles, postgresql.ms)
        result["index_mb"] = folder_mb(self.index_dir)
        self.say(
            f"reindex: {articles:,.0f} articles in {seconds} s ({rate:,.0f} articles/s), "
            f"index {result['index_mb']} MB"
        )
        return result

    # --- queries ---

    def search_request(self, query: Query) -> Any:
        """The request the search page makes for `query` (page 1, facets and snippets)."""
        from articles.search import SearchRequest

        f = query.filters
        return SearchRequest(
            q=query.websearch(),
            sources=(self._ids["source"][f.source],) if f.source else (),
            tags=(self._ids["tag"][f.tag],) if f.tag else (),
            date_from=date.fromisoformat(f.date_from) if f.date_from else None,
            date_to=date.fromisoformat(f.date_to) if f.date_to else None,
        )

    def count(self, query: Query) -> int:
        """How many visible articles match, by the one search function (counts are exact)."""
        from articles.search.searcher import count_of

        return count_of(self.search_request(query))

    def choose_queries(self, corpus: Path) -> tuple[list[Query], dict[str, Any]]:
        """Terms from the frequency table whose real match counts land nearest the targets."""
        from articles.models import Source, Tag

        table = json.loads(terms_path(corpus).read_text(encoding="utf-8"))
        n = table["articles"]
        df: dict[str, int] = table["df"]

        def best(candidates: list[Query], target: float) -> Query:
            counted = [(abs(self.count(c) - target), i) for i, c in enumerate(candidates)]
            counted = [item for item in counted if item[0] != target]  # matches nothing
            if not counted:
                raise BenchError(f"no query term found near {target:.0f} matches")
            return candidates[min(counted)[1]]

        chosen = {
            cls: best(
                [Query(cls, "and", (t,)) for t in pick_terms(df, share * n, k=12)], share * n
            ).words[0]
            for cls, share in TARGETS.items()
        }
        phrase = best(
            [
                Query("phrase", "phrase", tuple(p.split()))
                for p in pick_terms(table["phrase_df"], PHRASE_TARGET * n, exclude=frozenset(), k=6)
            ],
            PHRASE_TARGET * n,
        )
        used = set(chosen.values())
        or_terms = [t for t in pick_terms(df, OR_TERM_TARGET * n, k=12) if t not in used][:2]
        base = [Query(cls, "and", (term,)) for cls, term in chosen.items()]
        base += [
            Query("two_word_and", "and", (chosen["common"], chosen["very_common"])),
            phrase,
            Query("or_exclusion", "or_not", (*or_terms, chosen["common"])),
        ]
        source_name = max(table["source_sizes"], key=lambda s: table["source_sizes"][s])
        tag_name = max(table["tag_sizes"], key=lambda s: table["tag_sizes"][s])
        source = Source.objects.filter(name__iexact=source_name).first()
        tag = Tag.objects.filter(name__iexact=tag_name).first()
        if source is None or tag is None:
            raise BenchError("the imported archive lacks the corpus's largest source or tag")
        self._ids = {"source": {source.slug: source.pk}, "tag": {tag.slug: tag.pk}}
        year = self.spec.first_year + self.spec.years - 5
        variants = {
            "source": Filters(source=source.slug, source_name=source.name),
            "tag": Filters(tag=tag.slug, tag_name=tag.name),
            "date": Filters(date_from=f"{year}-01-01", date_to=f"{year}-12-31"),
        }
        info = {
            "source": source.name,
            "tag": tag.name,
            "year": year,
            "terms": {q.query_class: q.websearch() for q in base},
        }
        return with_variants(base, variants), info

    # --- measuring ---

    def timed(self, fn: Callable[[], Any], reps: int, warm: int) -> dict[str, Any]:
        started = time.perf_counter()
        result = fn()
        first = (time.perf_counter() - started) * 1000
        for _ in range(max(0, warm - 1)):
            fn()
        times = []
        for _ in range(reps):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        return {
            "first_ms": round(first, 2),
            "p50_ms": round(percentile(times, 50), 2),
            "p95_ms": round(percentile(times, 95), 2),
            "p99_ms": round(percentile(times, 99), 2),
            "reps": reps,
            "result": result,
        }

    @staticmethod
    def cpu_ms(fn: Callable[[], Any], reps: int) -> float:
        """CPU milliseconds per call of `fn`, every thread of this process counted (the
        search function's facet thread too)."""
        started = time.process_time()
        for _ in range(reps):
            fn()
        return round((time.process_time() - started) * 1000 / max(1, reps), 2)

    def get(self, client: Any, path: str) -> Any:
        response = client.get(path)
        if response.status_code != 200:
            problem = f"GET {path} -> {response.status_code}"
            if problem not in self.problems:
                self.problems.append(problem)
        return response

    def measure_searches(self, queries: list[Query]) -> list[dict[str, Any]]:
        """Each query through the search function itself, then through the search page and
        the JSON API (routing, middleware, SQL, templates and JSON included)."""
        from django.test import Client

        from articles.search import search

        client = Client(raise_request_exception=False)
        rows = []
        for query in queries:
            request = self.search_request(query)
            timing = self.timed(partial(search, request), self.o.repetitions, 2)
            found = timing.pop("result")
            timing["cpu_ms"] = self.cpu_ms(partial(search, request), self.o.repetitions)
            row: dict[str, Any] = {
                "label": query.label,
                "class": query.query_class,
                "variant": query.variant,
                "q": query.websearch(),
                "params": query.params(),
                "matches_exact": found.count,
                "function": timing,
            }
            for key, base in (("page", "/search/"), ("api", "/api/search")):
                path = query.path(base)
                timing = self.timed(partial(self.get, client, path), self.o.repetitions, 2)
                response = timing.pop("result")
                if key == "api" and response.status_code == 200:
                    try:
                        row["count_shown"] = response.json().get("count")
                    except ValueError:
                        row["count_shown"] = None
                row[key] = {**timing, "status": response.status_code}
            if max(row["page"]["p95_ms"], row["api"]["p95_ms"]) > TARGET_SEARCH_MS:
                row["slow_sql"] = self.slow_sql(client, query.path("/search/"))
            self.say(
                f"  {query.label:<24} {row['matches_exact']:>9,} matches  "
                f"search() p95 {row['function']['p95_ms']:7.1f} ms  "
                f"page p95 {row['page']['p95_ms']:7.1f} ms  api p95 {row['api']['p95_ms']:7.1f} ms"
            )
            rows.append(row)
        return rows

    def slow_sql(self, client: Any, path: str, keep: int = 3) -> list[dict[str, Any]]:
        """The slowest SQL statements of one request (the index's share is the rest)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:keep]
        return [{"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"]} for q in slowest]

    def browse_paths(self) -> dict[str, list[str]]:
        from articles.models import Article

        sample = list(
            Article.objects.visible()
            .exclude(published_at=None)
            .select_related("source")
            .prefetch_related("tags")
            .order_by("?")[:50]
        )
        if not sample:
            raise BenchError("the bench database holds no articles")
        first = sample[0]
        day = first.published_at
        assert day is not None
        tag = next((a.tags.all()[0] for a in sample if a.tags.all()), None)
        source = next((a.source for a in sample if a.source), None)
        paths = {
            "home": ["/"],
            "day": [f"/archive/{day:%Y}/{day:%m}/{day:%d}/"],
            "article": [a.get_absolute_url() for a in sample],
        }
        if tag:
            paths["tag"] = [tag.get_absolute_url()]
        if source:
            paths["source"] = [source.get_absolute_url()]
        return paths

    def measure_pages(self, paths: dict[str, list[str]]) -> dict[str, Any]:
        from django.test import Client

        client = Client(raise_request_exception=False)
        out = {}
        for name, choices in paths.items():
            counter = iter(range(10**9))

            def fetch(choices: list[str] = choices, counter: Any = counter) -> Any:
                return self.get(client, choices[next(counter) % len(choices)])

            # A page of many addresses (the articles) visits each once: every time a
            # first visit, and a p95 of more than ten.
            reps = max(self.o.repetitions, len(choices) - 2)
            timing = self.timed(fetch, reps, 2)
            response = timing.pop("result")
            out[name] = {**timing, "status": response.status_code, "path": choices[0]}
            if out[name]["p95_ms"] > TARGET_PAGE_MS:
                out[name]["slow_sql"] = self.slow_sql(client, choices[0])
            self.say(f"  {name:<24} page p95 {out[name]['p95_ms']:8.1f} ms")
        return out

    def measure_peers(self, queries: list[Query], corpus: Path) -> dict[str, Any]:
        peers: list[Any] = []
        info: dict[str, Any] = {}
        if fts5_available():
            path = self.dir / f"fts5-{self.spec.name()}.sqlite"
            if not path.exists() or self.o.fresh:
                started = time.perf_counter()
                Fts5Peer.build(corpus, path)
                info["sqlite_fts5_build_s"] = round(time.perf_counter() - started, 1)
            peers.append(Fts5Peer(path))
        else:
            info["sqlite_fts5"] = "this Python's sqlite3 has no FTS5; skipped"
        path = self.dir / f"tantivy-{self.spec.name()}"
        if not (path / "meta.json").exists() or self.o.fresh:
            started = time.perf_counter()
            TantivyPeer.build(corpus, path)
            info["tantivy_build_s"] = round(time.perf_counter() - started, 1)
        peers.append(TantivyPeer(path))
        results: dict[str, dict[str, Any]] = {}
        for peer in peers:
            self.say(f"peer: {peer.name}")
            results[peer.name] = {}
            for query in queries:
                timing = self.timed(partial(peer.search, query), self.o.peer_repetitions, 1)
                answer = timing.pop("result")
                results[peer.name][query.label] = {**timing, "count": answer.count}
        return {"notes": info, "results": results}

    # --- the real server under load ---

    def measure_cpu(self, workload: list[dict[str, str]]) -> dict[str, Any]:
        """CPU time per request of the load test's mix, in the web process (the index's
        threads included) and in its PostgreSQL backend: what two cores can serve at most,
        whatever the server setup.

        Each distinct path is requested once to warm it, then `reps` times measured; a path
        counts as often as it appears in the mix. The backend's CPU is read from /proc, so
        only for a server on this machine (else None).
        """
        from django.db import connection
        from django.test import Client

        client = Client()
        reps = 1 if self.o.quick else 3
        weights: dict[tuple[str, str], int] = {}
        for item in workload:
            key = (item["kind"], item["path"])
            weights[key] = weights.get(key, 0) + 1
        python: dict[str, float] = {}
        server: dict[str, float] = {}
        requests: dict[str, int] = {}
        backend = _backend_cpu_reader(connection)
        for (kind, path), weight in weights.items():
            self.get(client, path)
            # Again if the connection was renewed meanwhile (CONN_MAX_AGE): the backend's
            # counters before and after must be the same process's.
            for _attempt in range(3):
                before_server = backend() if backend else (0, 0.0)
                before = time.process_time()
                for _ in range(reps):
                    self.get(client, path)
                spent = (time.process_time() - before) * 1000 / reps
                after_server = backend() if backend else (0, 0.0)
                if after_server[0] == before_server[0]:
                    break
            python[kind] = python.get(kind, 0.0) + spent * weight
            if backend:
                spent_server = (after_server[1] - before_server[1]) / reps
                server[kind] = server.get(kind, 0.0) + spent_server * weight
            requests[kind] = requests.get(kind, 0) + weight

        def per_request(kinds: list[str]) -> dict[str, Any]:
            n = sum(requests[k] for k in kinds)
            py = sum(python[k] for k in kinds) / n
            pg = sum(server[k] for k in kinds) / n if backend else None
            return {
                "python_ms": round(py, 2),
                "postgresql_ms": None if pg is None else round(pg, 2),
            }

        by_kind = {kind: {"paths": requests[kind], **per_request([kind])} for kind in requests}
        mix = per_request(list(requests))
        cores = os.cpu_count() or 1
        total = mix["python_ms"] + (mix["postgresql_ms"] or 0.0)
        result = {
            "reps": reps,
            "by_kind": by_kind,
            "mix": mix,
            "cores": cores,
            "ceiling_requests_per_s": round(cores * 1000 / total, 1) if backend else None,
            "postgresql_ceiling_requests_per_s": (
                round(cores * 1000 / mix["postgresql_ms"], 1) if mix["postgresql_ms"] else None
            ),
        }
        self.say(
            f"cpu per request of the load mix: python {mix['python_ms']} ms, postgresql "
            f"{mix['postgresql_ms']} ms -> {cores} cores serve at most "
            f"{result['ceiling_requests_per_s']} req/s"
        )
        return result

    def load_test(self, workload: list[dict[str, str]]) -> dict[str, Any]:
        """gunicorn with the workers `make run` starts (newsarchive/serve.py), loaded by a
        second process; requests/s, latencies, errors, and the workers' and PostgreSQL's
        CPU per request and the workers' memory."""
        from newsarchive.serve import WORKERS

        workers = WORKERS
        port = _free_port()
        env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1"}
        log = self.dir / f"gunicorn-{self.database_name()}.log"
        paths_file = self.dir / f"load-paths-{self.database_name()}.json"
        paths_file.write_text(json.dumps(workload))
        self.say(f"load: gunicorn -w {workers} on 127.0.0.1:{port}, {self.o.clients} clients")
        with log.open("w") as handle:
            server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "newsarchive.wsgi",
                    "-w",
                    str(workers),
                    "-b",
                    f"127.0.0.1:{port}",
                    "--timeout",
                    "120",
                ],
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                cwd=self.base_dir,
                start_new_session=True,  # Ctrl-C reaches us; we stop it in `finally`
            )
        try:
            _wait_until_up(f"http://127.0.0.1:{port}/healthz", server, log)
            seconds = self.o.load_seconds
            pids = [server.pid, *_children(server.pid)]
            before = _cpu_ms_of(pids)
            with BackendCpu(self.database_name()) as postgresql:
                done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
                    [
                        sys.executable,
                        "-m",
                        "bench.load",
                        "--base",
                        f"http://127.0.0.1:{port}",
                        "--paths",
                        str(paths_file),
                        "--clients",
                        str(self.o.clients),
                        "--seconds",
                        str(seconds),
                        "--max-requests",
                        str(max(1000, int(seconds * 2000))),
                    ],
                    capture_output=True,
                    text=True,
                    timeout=seconds + 120,
                    cwd=self.base_dir,
                )
                spent = _cpu_ms_of(pids) - before
            if done.returncode != 0:
                raise BenchError(f"the load generator failed: {done.stderr.strip()}")
            result: dict[str, Any] = json.loads(done.stdout)
            requests = max(1, int(result["requests"]))
            result["workers"] = workers
            result["worker_peak_rss_mb"] = _children_rss_mb(server.pid, "VmHWM")
            result["worker_rss_mb"] = _children_rss_mb(server.pid, "VmRSS")
            result["server_cpu_ms_per_request"] = round(spent / requests, 2)
            result["postgresql_cpu_ms_per_request"] = (
                None if postgresql.ms is None else round(postgresql.ms / requests, 2)
            )
            return result
        finally:
            _stop(server)

    # --- everything ---

    def run(self) -> dict[str, Any]:
        from django.core.management import call_command

        self.dir.mkdir(parents=True, exist_ok=True)
        self.check_database()
        call_command("migrate", interactive=False, verbosity=0)
        # DEBUG is off, as in production: pages need the collected, hashed static files.
        call_command("collectstatic", interactive=False, verbosity=0)
        corpus = self.corpus()
        results: dict[str, Any] = {
            "machine": machine_info(),
            "corpus": self.corpus_info(corpus),
            "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self.o).items()},
        }
        results["ingest_jsonl"] = self.imported(corpus)
        if self.o.imports:
            results["ingest_jsonl_without_index"] = self.unindexed_ingest(corpus)
            results["ingest_text"] = self.text_ingest()
            results["reindex"] = self.reindex()
        results["machine"]["speed"] = machine_speed(corpus)
        speed = results["machine"]["speed"]
        self.say(
            f"machine speed: indexing {speed['index_ms_per_article']} ms/article (one thread), "
            f"parser {speed['parser_ms_per_record']} ms/record (CPU)"
        )
        queries, results["queries_chosen"] = self.choose_queries(corpus)
        # As the production server does once it has loaded the project (newsarchive/wsgi.py).
        freeze_loaded_objects()
        self.say(f"searches: {len(queries)} queries x {self.o.repetitions} warm repetitions")
        results["searches"] = self.measure_searches(queries)
        self.say("pages:")
        paths = self.browse_paths()
        results["pages"] = self.measure_pages(paths)
        results["memory"] = {
            "bench_process_peak_rss_mb": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
            )
        }
        results["database"] = {**database_sizes(), "index_mb": folder_mb(self.index_dir)}
        if self.o.peers:
            results["peers"] = self.measure_peers(queries, corpus)
        workload = load_workload(queries, paths)
        results["cpu_per_request"] = self.measure_cpu(workload)
        results["cpu_per_request"].update(
            search_function_share(queries, results["searches"], workload)
        )
        if self.o.load:
            results["load"] = self.load_test(workload)
        results["problems"] = self.problems
        results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        return results

    def corpus_info(self, corpus: Path) -> dict[str, Any]:
        table = json.loads(terms_path(corpus).read_text(encoding="utf-8"))
        return {
            "file": str(corpus),
            "bytes": corpus.stat().st_size,
            "articles": table["articles"],
            "words_per_article": round(table["words"] / max(1, table["articles"])),
            "languages": table["languages"],
            "sources": table["sources"],
            "tags": table["tags"],
            "spec": table["spec"],
        }


def load_workload(queries: list[Query], paths: dict[str, list[str]]) -> list[dict[str, str]]:
    """The load test's mix: every search on the page and the API, the article pages, and
    the browse pages eight times each."""
    workload = [{"kind": "search", "path": q.path("/search/")} for q in queries]
    workload += [{"kind": "api", "path": q.path("/api/search")} for q in queries]
    workload += [{"kind": "article", "path": p} for p in paths["article"]]
    browse = [p for name, ps in paths.items() if name != "article" for p in ps]
    workload += [{"kind": "browse", "path": p} for p in browse] * 8
    return workload


def search_function_share(
    queries: list[Query], searches: list[dict[str, Any]], workload: list[dict[str, str]]
) -> dict[str, Any]:
    """The search function's own CPU (index, facets, the page's rows; no page or JSON) per
    request of the load mix (`searches`: measure_searches' rows, one per query in order):
    what the cores could serve if nothing else cost anything."""
    cpu = {}
    for query, row in zip(queries, searches, strict=True):
        for base in ("/search/", "/api/search"):
            cpu[query.path(base)] = row["function"]["cpu_ms"]
    spent = sum(cpu.get(item["path"], 0.0) for item in workload)
    per_request = spent / max(1, len(workload))
    cores = os.cpu_count() or 1
    return {
        "search_function_ms": round(per_request, 2),
        "search_function_ceiling_requests_per_s": (
            round(cores * 1000 / per_request, 1) if per_request else None
        ),
    }


def _process_cpu_ms(pid: int, *, threads: bool = False) -> float:
    """CPU milliseconds process `pid` has used so far, from /proc. A single-threaded
    process (a PostgreSQL backend) in nanoseconds where the kernel keeps them; `threads`:
    every thread of the process (a web worker's index threads), in clock ticks (10 ms)."""
    schedstat = Path(f"/proc/{pid}/schedstat")
    if not threads and schedstat.exists():
        return int(schedstat.read_text().split()[0]) / 1e6
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _server_is_local(connection: Any) -> bool:
    """Whether `connection`'s PostgreSQL runs on this machine (its backends in /proc)."""
    connection.ensure_connection()
    host = connection.connection.info.host  # a Unix socket's folder, or a host name
    if not (host.startswith("/") or host in ("localhost", "127.0.0.1", "::1")):
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    try:
        _process_cpu_ms(pid)
    except OSError:
        return False
    return True


def _backend_cpu_reader(connection: Any) -> Callable[[], tuple[int, float]] | None:
    """A function giving the pid of `connection`'s PostgreSQL backend and the CPU
    milliseconds it has used so far (from /proc); None when the server is not on this
    machine."""
    if not _server_is_local(connection):
        return None

    def read() -> tuple[int, float]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = int(cursor.fetchone()[0])
        return pid, _process_cpu_ms(pid)

    return read


class BackendCpu:
    """The CPU the PostgreSQL backends of one database use while some work runs (an
    import's connections, the web workers'), read from /proc every tenth of a second
    from a connection to another database; what a backend spends in its last tenth of
    a second before it exits is missed. `ms` is None for a server on another machine."""

    INTERVAL = 0.1

    def __init__(self, database: str) -> None:
        from django.db import connection

        self.database = database
        self.local = _server_is_local(connection)
        self.baseline: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: Any = None

    def __enter__(self) -> BackendCpu:
        if self.local:
            self._conn = admin_connection()
            self._sample(self.baseline)
            self._thread = threading.Thread(target=self._follow, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._done.set()
            self._thread.join()
            self._sample()
            self._conn.close()

    def _follow(self) -> None:
        while not self._done.wait(self.INTERVAL):
            self._sample()

    def _sample(self, into: dict[int, float] | None = None) -> None:
        rows = self._conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database]
        ).fetchall()
        for (pid,) in rows:
            try:
                (self.last if into is None else into)[pid] = _process_cpu_ms(pid)
            except OSError:
                continue  # it has just exited

    @property
    def ms(self) -> float | None:
        if not self.local:
            return None
        return sum(ms - self.baseline.get(pid, 0.0) for pid, ms in self.last.items())


def admin_connection(dbname: str = "postgres") -> Any:
    """An autocommit connection to another database (by default the maintenance one) of
    Django's database server."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    kwargs = {k: params[k] for k in ("host", "port", "user", "password") if params.get(k)}
    return psycopg.connect(dbname=dbname, autocommit=True, **kwargs)


def run_manage(manage_py: Path, args: list[str], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run a `manage.py` command as its own process; its wall time, CPU and peak RSS."""
    with log.open("w") as handle:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, str(manage_py), *args],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
    if process.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-5:])
        raise BenchError(f"{args[0]} exited {process.returncode} (log: {log}):\n{tail}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def run_ingest(manage_py: Path, args: list[str], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run `manage.py ingest` as its own process; its rate, wall time, CPU and peak RSS."""
    result = run_manage(manage_py, ["ingest", *args], env, log)
    text = log.read_text(errors="replace")
    created = _last_number(r"created ([\d,]+)", text)
    wall = result["wall_s"]
    return {
        "created": created,
        "reported_articles_per_s": _last_number(r"([\d,]+) articles/s", text),
        **result,
        "wall_articles_per_s": round(created / wall, 1) if created and wall else 0.0,
        "summary": _last_line_with("articles/s", text),
    }


def with_cpu_per_article(
    result: dict[str, Any], articles: float, postgresql_ms: float | None
) -> dict[str, Any]:
    """`result` with the CPU per article: the command's own process (all its threads)
    and, for a server on this machine, its PostgreSQL backends."""
    n = max(1.0, articles)
    return {
        **result,
        "postgresql_cpu_s": None if postgresql_ms is None else round(postgresql_ms / 1000, 2),
        "cpu_ms_per_article": round(result["cpu_s"] * 1000 / n, 3),
        "postgresql_cpu_ms_per_article": (
            None if postgresql_ms is None else round(postgresql_ms / n, 3)
        ),
    }


def folder_mb(path: Path) -> float:
    """The size of the files under `path` (0 when it is missing)."""
    if not path.exists():
        return 0.0
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return round(size / (1024 * 1024), 1)


def _last_number(pattern: str, text: str) -> float:
    found = re.findall(pattern, text)
    return float(found[-1].replace(",", "")) if found else 0.0


def _last_line_with(needle: str, text: str) -> str:
    lines = [line for line in text.splitlines() if needle in line]
    return lines[-1].strip() if lines else ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer {url} within 60 s; see {log}")


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (the gunicorn workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _cpu_ms_of(pids: list[int]) -> float:
    """The CPU milliseconds these processes (every thread) have used so far."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += _process_cpu_ms(pid, threads=True)
    return total


def _children_rss_mb(pid: int, field: str) -> list[float]:
    """Resident memory (`VmRSS`) or its peak (`VmHWM`) of each child of `pid`."""
    sizes = []
    for child in _children(pid):
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if field in fields:
            sizes.append(round(int(fields[field].split()[0]) / 1024, 1))
    return sorted(sizes)


def _stop(server: subprocess.Popen[Any]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def database_sizes() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_database_size(current_database()), "
            "pg_total_relation_size('articles_article')"
        )
        database, table = cursor.fetchone()
    mb = 1024 * 1024
    return {
        "database_mb": round(database / mb, 1),
        "articles_table_total_mb": round(table / mb, 1),
    }


SPEED_SAMPLE = 1000  # articles timed by machine_speed


def machine_speed(corpus: Path) -> dict[str, float]:
    """Two fixed pieces of work that say how fast this machine is, so that runs on
    different machines can be compared: our schema indexing an article (analysis in every
    field, one thread, into a throwaway index: most of an import's and a reindex's CPU)
    and the parser reading one JSON Lines record (the import's Python side). Best of 3,
    CPU-bound, on the first articles of the archive.
    """
    import tempfile

    from tantivy import Index

    from articles.ingest import iter_records
    from articles.ingest.records import ParseOptions
    from articles.models import Article
    from articles.search import analysis
    from articles.search.schema import ArticleRow, document, schema

    rows = [
        ArticleRow(
            id=a.pk,
            title=a.title,
            body=a.body,
            language=a.language,
            source_id=a.source_id,
            published_at=a.published_at,
            is_hidden=a.is_hidden,
        )
        for a in Article.objects.order_by("id")[:SPEED_SAMPLE]
    ]
    index_best = float("inf")
    for _ in range(3):
        with tempfile.TemporaryDirectory() as folder:
            index = Index(schema(), folder, reuse=False)
            analysis.register(index)
            started = time.process_time()  # every thread of this process
            writer = index.writer(200_000_000, 1)
            for row in rows:
                writer.add_document(document(row))
            writer.commit()
            writer.wait_merging_threads()
            index_best = min(index_best, (time.process_time() - started) / max(1, len(rows)))
    sample = corpus.parent / f"{corpus.stem}.speed-sample.jsonl"
    if not sample.exists():
        with corpus.open(encoding="utf-8") as source:
            sample.write_text("".join(itertools.islice(source, SPEED_SAMPLE)))
    parse_best = float("inf")
    for _ in range(3):
        started = time.process_time()
        records = sum(1 for _ in iter_records([str(sample)], ParseOptions(format="jsonl")))
        parse_best = min(parse_best, (time.process_time() - started) / max(1, records))
    return {
        "index_ms_per_article": round(index_best * 1000, 3),
        "parser_ms_per_record": round(parse_best * 1000, 3),
    }


def machine_info() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    memory = ""
    try:
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        memory = next(
            line.split(":", 1)[1].strip() for line in meminfo if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        pass
    return {
        "nproc": os.cpu_count(),
        # Other work on the machine inflates every latency; the table warns when it was busy.
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "memory": memory,
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "code": _git_revision(),
        "postgresql": version,
        "server": "system (DATABASE_URL)"
        if os.environ.get("DATABASE_URL")
        else "embedded (pgserver)",
    }


def _git_revision() -> str:
    """The commit measured, with "+dirty" when the work tree had uncommitted changes."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        return subprocess.run(  # noqa: S603 -- fixed git arguments
            ["git", *args],  # noqa: S607
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + ("+dirty" if dirty else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()
