"""The benchmark run behind `python -m bench`: import, measure, compare, load-test, report.

The command first re-executes itself with the bench environment (`launch`):
its own database (`<name>_bench`, never the user's archive), DEBUG off and the
production settings a real deployment has. The child (`run`) then migrates that
database, generates the corpus, imports it with the real `ingest` (reused on the
next run when size and seed match), picks the query terms from the corpus's
frequency table, measures the real pages in-process with the test `Client`, the
peers on the same queries, and finally the real server (gunicorn) under load
from a second process.
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
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
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
from .report import TARGET_PAGE_MS, search_target

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


def launch(argv: list[str], root: Path) -> int:
    """Run the benchmark in a child process with the bench environment; its exit code."""
    env = bench_environment(os.environ)
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
        self._configs: list[str] = ["english"]

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    # --- database ---

    def database_name(self) -> str:
        from django.db import connection

        return str(connection.settings_dict["NAME"])

    def check_database(self) -> None:
        name = self.database_name()
        if not name.endswith(SUFFIX):
            raise BenchError(
                f"refusing to benchmark in database {name!r}: its name must end in {SUFFIX!r} "
                "(run `python -m bench`, which picks the bench database itself)"
            )

    def _admin(self) -> Any:
        return admin_connection()

    def _env_for(self, database: str) -> dict[str, str]:
        env = dict(os.environ)
        if env.get("DATABASE_URL"):
            env["DATABASE_URL"] = with_database(env["DATABASE_URL"], database)
        else:
            env["EMBEDDED_DATABASE_NAME"] = database
        return env

    # --- corpus and import ---

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
        """Import the corpus with the real `ingest`, unless this database already holds it."""
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
        self.say(f"ingest: importing {corpus.name} with manage.py ingest")
        result = self.ingest(
            [str(corpus), "--format", "jsonl"], self._env_for(self.database_name())
        )
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
        """Run `manage.py ingest` as its own process; its rate, wall time and peak RSS."""
        database = env.get("EMBEDDED_DATABASE_NAME") or urlsplit(env["DATABASE_URL"]).path[1:]
        log = self.dir / f"ingest-{database}-{Path(args[0]).name}.log"
        return run_ingest(self.manage_py, args, env, log)

    def text_ingest(self) -> dict[str, Any]:
        """Ingest plain-text files (a smaller sample) into a throwaway database."""
        n = self.o.text_articles
        spec = CorpusSpec(articles=n, seed=self.o.seed + 1)
        folder = self.dir / f"text-{n}-seed{spec.seed}"
        if not (folder / f"{n:07d}.txt").exists():
            write_text_files(spec, folder)
        database = self.database_name() + "_text"
        from psycopg import sql

        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        with self._admin() as conn:
            conn.execute(drop)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        try:
            env = self._env_for(database)
            subprocess.run(  # noqa: S603 (our own interpreter and arguments)
                [sys.executable, str(self.manage_py), "migrate", "--no-input", "-v", "0"],
                env=env,
                check=True,
            )
            self.say(f"ingest: {n:,} plain-text files")
            return {"files": n, **self.ingest([str(folder), "--format", "text"], env)}
        finally:
            with self._admin() as conn:
                conn.execute(drop)

    # --- queries ---

    def configs(self) -> list[str]:
        """The text-search configurations of the languages the archive holds."""
        from articles.languages import config_for
        from articles.models import Article

        languages = Article.objects.order_by().values_list("language", flat=True).distinct()
        return sorted({config_for(code) for code in languages})

    def search_query(self, websearch: str) -> Any:
        """The query parsed in every configuration, OR-ed (what the search page matches)."""
        from django.contrib.postgres.search import SearchQuery

        search: Any = None
        for config in self._configs:
            part = SearchQuery(websearch, search_type="websearch", config=config)
            search = part if search is None else search | part
        return search

    def exact_count(self, websearch: str) -> int:
        from articles.models import Article

        return Article.objects.visible().filter(search_vector=self.search_query(websearch)).count()

    def choose_queries(self, corpus: Path) -> tuple[list[Query], dict[str, Any]]:
        """Terms from the frequency table whose real match counts land nearest the targets."""
        from articles.models import Source, Tag

        table = json.loads(terms_path(corpus).read_text(encoding="utf-8"))
        n = table["articles"]
        df: dict[str, int] = table["df"]

        def best(candidates: list[str], target: float, make: Callable[[str], str]) -> str:
            counted = [(abs(self.exact_count(make(c)) - target), c) for c in candidates]
            counted = [item for item in counted if item[0] != target]  # matches nothing
            if not counted:
                raise BenchError(f"no query term found near {target:.0f} matches")
            return min(counted)[1]

        chosen = {
            cls: best(pick_terms(df, share * n, k=12), share * n, str)
            for cls, share in TARGETS.items()
        }
        phrase = best(
            pick_terms(table["phrase_df"], PHRASE_TARGET * n, exclude=frozenset(), k=6),
            PHRASE_TARGET * n,
            lambda p: f'"{p}"',
        )
        used = set(chosen.values())
        or_terms = [t for t in pick_terms(df, OR_TERM_TARGET * n, k=12) if t not in used][:2]
        base = [Query(cls, "and", (term,)) for cls, term in chosen.items()]
        base += [
            Query("two_word_and", "and", (chosen["common"], chosen["very_common"])),
            Query("phrase", "phrase", tuple(phrase.split())),
            Query("or_exclusion", "or_not", (*or_terms, chosen["common"])),
        ]
        source_name = max(table["source_sizes"], key=lambda s: table["source_sizes"][s])
        tag_name = max(table["tag_sizes"], key=lambda s: table["tag_sizes"][s])
        source = Source.objects.filter(name__iexact=source_name).first()
        tag = Tag.objects.filter(name__iexact=tag_name).first()
        if source is None or tag is None:
            raise BenchError("the imported archive lacks the corpus's largest source or tag")
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
            "reps": reps,
            "result": result,
        }

    def get(self, client: Any, path: str) -> Any:
        response = client.get(path)
        if response.status_code != 200:
            problem = f"GET {path} -> {response.status_code}"
            if problem not in self.problems:
                self.problems.append(problem)
        return response

    def measure_searches(self, queries: list[Query]) -> list[dict[str, Any]]:
        from django.test import Client

        client = Client(raise_request_exception=False)
        rows = []
        for query in queries:
            row: dict[str, Any] = {
                "label": query.label,
                "class": query.query_class,
                "variant": query.variant,
                "q": query.websearch(),
                "params": query.params(),
                "matches_exact": self.exact_count_filtered(query),
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
            if max(row["page"]["p95_ms"], row["api"]["p95_ms"]) > search_target(query.query_class):
                row["slow_sql"] = self.slow_sql(client, query.path("/search/"))
            self.say(
                f"  {query.label:<24} {row['matches_exact']:>9,} matches  "
                f"page p95 {row['page']['p95_ms']:8.1f} ms  api p95 {row['api']['p95_ms']:8.1f} ms"
            )
            rows.append(row)
        return rows

    def slow_sql(self, client: Any, path: str, keep: int = 3) -> list[dict[str, Any]]:
        """The slowest SQL statements of one request, the slowest with EXPLAIN ANALYZE."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:keep]
        out: list[dict[str, Any]] = [
            {"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"]} for q in slowest
        ]
        if out and out[0]["sql"].lstrip().upper().startswith(("SELECT", "WITH")):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + out[0]["sql"])
                out[0]["explain"] = "\n".join(r[0] for r in cursor.fetchall())
        return out

    def exact_count_filtered(self, query: Query) -> int:
        from articles.models import Article

        matches = Article.objects.visible().filter(
            search_vector=self.search_query(query.websearch())
        )
        f = query.filters
        if f.source:
            matches = matches.filter(source__slug=f.source)
        if f.tag:
            matches = matches.filter(tags__slug=f.tag)
        if f.date_from:
            matches = matches.filter(
                published_at__date__gte=f.date_from, published_at__date__lte=f.date_to
            )
        return matches.count()

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

            timing = self.timed(fetch, self.o.repetitions, 2)
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

    def measure_design(self, queries: list[Query]) -> dict[str, Any]:
        """Raw SQL timings behind the search code's design choices, for the broad terms.

        Only the configuration names (our own constants) are formatted into the SQL;
        the query text is a bound parameter.
        """
        from django.db import connection

        q = "(" + " || ".join(f"websearch_to_tsquery('{c}', %(q)s)" for c in self._configs) + ")"
        match = f"FROM articles_article WHERE NOT is_hidden AND search_vector @@ {q}"
        statements = {
            "rank_full_vector_top20": f"SELECT id {match} "
            f"ORDER BY ts_rank_cd(search_vector, {q}) DESC LIMIT 20",
            "rank_rank_vector_top20": f"SELECT id {match} "
            f"ORDER BY ts_rank_cd(rank_vector, {q}) DESC LIMIT 20",
            "rank_newest_1000_window": "SELECT id FROM (SELECT id, rank_vector "  # noqa: S608
            f"{match} ORDER BY published_at DESC NULLS LAST, id DESC LIMIT 1000) w "
            f"ORDER BY ts_rank_cd(rank_vector, {q}) DESC LIMIT 20",
            "newest_20": f"SELECT id {match} "
            "ORDER BY published_at DESC NULLS LAST, id DESC LIMIT 20",
            "count_exact": f"SELECT count(*) {match}",
            "count_planner_estimate": f"EXPLAIN (FORMAT JSON) SELECT id {match}",
            "facet_source_exact": f"SELECT source_id, count(*) {match} GROUP BY source_id",
        }
        out: dict[str, Any] = {}
        for query in queries:
            if query.variant != "none" or query.query_class not in (
                "mid",
                "common",
                "very_common",
                "phrase",
            ):
                continue
            row: dict[str, Any] = {"q": query.websearch()}
            with connection.cursor() as cursor:
                for name, sql in statements.items():
                    times = []
                    for _ in range(1 if self.o.quick else 3):
                        started = time.perf_counter()
                        cursor.execute(sql, {"q": query.websearch()})
                        result = cursor.fetchall()
                        times.append((time.perf_counter() - started) * 1000)
                    row[name + "_ms"] = round(min(times), 2)
                    if name == "count_exact":
                        row["count"] = result[0][0]
                    if name == "count_planner_estimate":
                        plan = result[0][0]
                        plan = json.loads(plan) if isinstance(plan, str) else plan
                        row["estimate"] = int(plan[0]["Plan"]["Plan Rows"])
            out[query.query_class] = row
            self.say(
                f"  {query.query_class:<12} "
                + ", ".join(f"{k} {v}" for k, v in row.items() if k != "q")
            )
        return out

    # --- the real server under load ---

    def measure_cpu(self, workload: list[dict[str, str]]) -> dict[str, Any]:
        """CPU time per request of the load test's mix, in the web process and in its
        PostgreSQL backend: what two cores can serve at most, whatever the server setup.

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
        workers = 2 * (os.cpu_count() or 1) + 1
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
            if done.returncode != 0:
                raise BenchError(f"the load generator failed: {done.stderr.strip()}")
            result: dict[str, Any] = json.loads(done.stdout)
            result["workers"] = workers
            result["worker_peak_rss_mb"] = _children_peak_rss_mb(server.pid)
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
        results["ingest_text"] = self.text_ingest()
        results["machine"]["speed"] = machine_speed(corpus)
        speed = results["machine"]["speed"]
        self.say(
            f"machine speed: to_tsvector {speed['tsvector_ms_per_article']} ms/article, "
            f"parser {speed['parser_ms_per_record']} ms/record (CPU)"
        )
        self._configs = self.configs()
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
        results["database"] = database_sizes()
        self.say("design measurements (raw SQL, best of 3):")
        results["design"] = self.measure_design(queries)
        if self.o.peers:
            results["peers"] = self.measure_peers(queries, corpus)
        workload = load_workload(queries, paths)
        results["cpu_per_request"] = self.measure_cpu(workload)
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


def _backend_cpu_reader(connection: Any) -> Callable[[], tuple[int, float]] | None:
    """A function giving the pid of `connection`'s PostgreSQL backend and the CPU
    milliseconds it has used so far (from /proc); None when the server is not on this
    machine."""
    connection.ensure_connection()
    host = connection.connection.info.host  # a Unix socket's folder, or a host name
    if not (host.startswith("/") or host in ("localhost", "127.0.0.1", "::1")):
        return None
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> tuple[int, float]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = int(cursor.fetchone()[0])
        # Nanoseconds on a CPU where the kernel keeps them, else clock ticks (10 ms).
        schedstat = Path(f"/proc/{pid}/schedstat")
        if schedstat.exists():
            return pid, int(schedstat.read_text().split()[0]) / 1e6
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return pid, (int(fields[11]) + int(fields[12])) * 1000 / ticks  # utime + stime

    try:
        read()
    except OSError:
        return None
    return read


def admin_connection() -> Any:
    """An autocommit connection to the maintenance database of Django's database server."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    kwargs = {k: params[k] for k in ("host", "port", "user", "password") if params.get(k)}
    return psycopg.connect(dbname="postgres", autocommit=True, **kwargs)


def run_ingest(manage_py: Path, args: list[str], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run `manage.py ingest` as its own process; its rate, wall time and peak RSS."""
    with log.open("w") as handle:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, str(manage_py), "ingest", *args],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
    text = log.read_text(errors="replace")
    if process.returncode != 0:
        tail = "\n".join(text.splitlines()[-5:])
        raise BenchError(f"ingest exited {process.returncode} (log: {log}):\n{tail}")
    created = _last_number(r"created ([\d,]+)", text)
    reported = _last_number(r"([\d,]+) articles/s", text)
    return {
        "created": created,
        "reported_articles_per_s": reported,
        "wall_s": round(wall, 2),
        "wall_articles_per_s": round(created / wall, 1) if created else 0.0,
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "summary": _last_line_with("articles/s", text),
    }


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


def _children_peak_rss_mb(pid: int) -> list[float]:
    """Peak RSS (VmHWM) of each child of `pid` (the gunicorn workers)."""
    peaks = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(pid) and "VmHWM" in fields:
            peaks.append(round(int(fields["VmHWM"].split()[0]) / 1024, 1))
    return sorted(peaks)


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
            "pg_total_relation_size('articles_article'), "
            "pg_relation_size('article_search_gin')"
        )
        database, table, gin = cursor.fetchone()
    mb = 1024 * 1024
    return {
        "database_mb": round(database / mb, 1),
        "articles_table_total_mb": round(table / mb, 1),
        "search_gin_index_mb": round(gin / mb, 1),
    }


SPEED_SAMPLE = 1000  # articles timed by machine_speed


def machine_speed(corpus: Path) -> dict[str, float]:
    """Two fixed pieces of work that say how fast this machine is, so that runs on
    different machines can be compared: PostgreSQL computing the search vector of an
    article (the bulk of an import's server time) and the parser reading one JSON Lines
    record (the Python side). Best of 3, CPU-bound, on the first articles of the corpus.
    """
    from django.db import connection

    from articles.ingest import iter_records
    from articles.ingest.records import ParseOptions

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS speed_sample AS "
            "SELECT body FROM articles_article ORDER BY id LIMIT %s",
            [SPEED_SAMPLE],
        )
        cursor.execute("SELECT count(*) FROM speed_sample")
        rows = max(1, cursor.fetchone()[0])
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            cursor.execute(
                "SELECT sum(length(to_tsvector('english'::regconfig, body))) FROM speed_sample"
            )
            cursor.fetchone()
            best = min(best, time.perf_counter() - started)
        cursor.execute("DROP TABLE speed_sample")
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
        "tsvector_ms_per_article": round(best / rows * 1000, 3),
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
