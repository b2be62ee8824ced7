"""One relevance evaluation: export, peers, queries, ours, scores (see docs/benchmarks.md).

Everything expensive is built once into the working folder and reused when present
(`--fresh` rebuilds it): the export, the peers' indexes, the word frequencies and ours'
import (its own database `<name>_relevance` and its own index folder, never the user's).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bench import harness
from bench.peers import Fts5Peer, TantivyPeer, fts5_available

from . import copies, documents, evaluate, queries, related
from .engines import Fts5, Ours, Tantivy, ours_available

SUFFIX = "_relevance"


@dataclass(frozen=True)
class Options:
    corpora: Path
    workdir: Path
    distractors: int = 150_000
    seed: int = 42
    per_kind: int = 150
    broad: int = 10_000
    queries: Path | None = None
    output: Path | None = None
    fresh: bool = False
    ours: bool = True

    @property
    def index_dir(self) -> Path:
        """Ours' search index for the evaluation (SEARCH_INDEX_DIR), never the user's."""
        return self.workdir / "index"


def environment(environ: dict[str, str], options: Options) -> dict[str, str]:
    """The environment ours runs in: the `<name>_relevance` database and its own index."""
    env = harness.isolated_environment(environ, SUFFIX)
    env["SEARCH_INDEX_DIR"] = str(options.index_dir)
    return env


class Evaluation:
    def __init__(self, options: Options, out: TextIO, root: Path) -> None:
        self.o = options
        self.out = out
        self.root = root
        self.dir = options.workdir
        self.export = self.dir / f"archive-{options.distractors}-seed{options.seed}.jsonl"
        self.stem = self.export.stem
        self.output = options.output or self.dir / f"results-{self.stem}.json"

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    # --- the documents ---

    def prepare_export(self) -> documents.Manifest:
        manifest = documents.manifest_path(self.export)
        if self.export.exists() and manifest.exists() and not self.o.fresh:
            self.say(f"export: reusing {self.export}")
            return documents.read_manifest(self.export)
        for folder in ("bbc", "saudinewsnet"):
            if not (self.o.corpora / folder).is_dir():
                raise harness.BenchError(
                    f"{self.o.corpora / folder}: corpus folder not found (give --corpora PATH, "
                    "the folder holding bbc/ and saudinewsnet/)"
                )
        self.say(
            f"export: BBC and SaudiNewsNet from {self.o.corpora} among "
            f"{self.o.distractors:,} distractors into {self.export}"
        )
        started = time.perf_counter()
        try:
            built = documents.build_export(
                self.o.corpora, self.o.distractors, self.o.seed, self.export
            )
        except documents.CorpusError as exc:
            raise harness.BenchError(str(exc)) from exc
        self.say(f"export: {built.documents:,} documents in {time.perf_counter() - started:.0f} s")
        return built

    def frequencies(self) -> tuple[Counter[str], int]:
        """Document frequencies of every word in the export (cached beside it)."""
        path = self.dir / f"{self.stem}.df.json"
        if (
            path.exists()
            and not self.o.fresh
            and path.stat().st_mtime >= self.export.stat().st_mtime
        ):
            data = json.loads(path.read_text(encoding="utf-8"))
            return Counter(data["df"]), int(data["documents"])
        self.say("word frequencies: counting")
        df, n = queries.document_frequencies(documents.read_export(self.export))
        path.write_text(json.dumps({"documents": n, "df": df}, ensure_ascii=False), "utf-8")
        return df, n

    # --- the peers ---

    def peers(self) -> tuple[Fts5 | None, Tantivy, dict[str, Any]]:
        info: dict[str, Any] = {}
        fts5: Fts5 | None = None
        if fts5_available():
            path = self.dir / f"fts5-{self.stem}.sqlite"
            if not path.exists() or self.o.fresh:
                self.say("peer: building the SQLite FTS5 index")
                started = time.perf_counter()
                Fts5Peer.build(self.export, path)
                info["sqlite_fts5_build_s"] = round(time.perf_counter() - started, 1)
            fts5 = Fts5(path)
        else:
            info["sqlite_fts5"] = "this Python's sqlite3 has no FTS5; skipped"
        path = self.dir / f"tantivy-{self.stem}"
        if not (path / "meta.json").exists() or self.o.fresh:
            self.say("peer: building the tantivy index")
            started = time.perf_counter()
            TantivyPeer.build(self.export, path)
            info["tantivy_build_s"] = round(time.perf_counter() - started, 1)
        return fts5, Tantivy(path), info

    # --- the queries ---

    def make_queries(
        self,
        manifest: documents.Manifest,
        targets: dict[str, documents.Doc],
        fts5: Fts5 | None,
        tantivy: Tantivy,
    ) -> tuple[list[queries.Query], Path]:
        eligible = {key for keys in manifest.targets.values() for key in keys}
        if self.o.queries:
            try:
                made, _meta = queries.read_queries(self.o.queries)
            except queries.QueriesError as exc:
                raise harness.BenchError(str(exc)) from exc
            strange = [q.target for q in made if q.target not in eligible]
            if strange:
                raise harness.BenchError(
                    f"{self.o.queries}: {len(strange)} target(s) are not real articles of "
                    f"{self.export.name} (first: {strange[0]}); was it made for another export?"
                )
            self.say(f"queries: {len(made):,} reused from {self.o.queries}")
            return made, self.o.queries
        df, n_docs = self.frequencies()

        def matches(q: str) -> int:
            # By the peers' count: both must reach the threshold.
            count = tantivy.count(q)
            if fts5 is not None and count >= self.o.broad:
                count = min(count, fts5.count(q))
            return count

        self.say("queries: generating")
        made = queries.generate(
            [targets[k] for k in manifest.targets.get("a", [])],
            [targets[k] for k in manifest.targets.get("b", [])],
            df,
            n_docs,
            seed=self.o.seed,
            per_kind=self.o.per_kind,
            broad=self.o.broad,
            count=matches,
        )
        path = self.output.with_name(f"queries-{self.stem}.json")
        meta = {
            "export": self.export.name,
            "seed": self.o.seed,
            "per_kind": self.o.per_kind,
            "broad": self.o.broad,
        }
        queries.write_queries(path, made, meta)
        self.say(f"queries: {len(made):,} written to {path}")
        return made, path

    # --- ours ---

    def ours(self, manifest: documents.Manifest) -> tuple[Ours | None, dict[int, str], str]:
        """Ours over the export imported by the real `ingest`, the ids' keys, or a note."""
        if not self.o.ours:
            return None, {}, "skipped (--no-ours)"
        missing = ours_available()
        if missing:
            return None, {}, f"not run: {missing}"
        from django.db import connection

        from articles.models import Article

        state_path = self.dir / f"state-{connection.settings_dict['NAME']}.json"
        expected = {
            "export": self.export.name,
            "bytes": self.export.stat().st_size,
            "documents": manifest.documents,
        }
        state = json.loads(state_path.read_text()) if state_path.exists() else {}
        if (
            self.o.fresh
            or state != expected
            or not self.o.index_dir.exists()
            or Article.objects.count() != manifest.documents
        ):
            state_path.unlink(missing_ok=True)
            self.import_export(manifest)
            state_path.write_text(json.dumps(expected, indent=1))
        else:
            self.say(f"ours: reusing the import of {self.export.name}")
        keys = {
            pk: documents.key_of(url or "") for pk, url in Article.objects.values_list("id", "url")
        }
        return Ours(), keys, ""

    def import_export(self, manifest: documents.Manifest) -> None:
        """A fresh database and index folder, filled by `manage.py ingest`."""
        from django.core.management import call_command
        from django.db import connection
        from psycopg import sql

        from articles.models import Article

        name = str(connection.settings_dict["NAME"])
        if not name.endswith(SUFFIX):
            raise harness.BenchError(f"refusing to import into database {name!r}")
        connection.close()
        with harness.admin_connection() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        shutil.rmtree(self.o.index_dir, ignore_errors=True)
        call_command("migrate", interactive=False, verbosity=0)
        self.say(f"ours: importing {self.export.name} into {name} with manage.py ingest")
        log = self.dir / f"ingest-{name}.log"
        result = harness.run_ingest(
            self.root / "manage.py", [str(self.export), "--format", "jsonl"], dict(os.environ), log
        )
        stored = Article.objects.count()
        if stored != manifest.documents:
            raise harness.BenchError(
                f"ingest stored {stored:,} of the export's {manifest.documents:,} documents "
                f"(log: {log}); the engines would not see the same documents"
            )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        self.say(f"ours: {result['summary']}")

    # --- everything ---

    def run(self) -> dict[str, Any]:
        self.dir.mkdir(parents=True, exist_ok=True)
        machine = {
            "nproc": os.cpu_count(),
            "cpu": harness._cpu_model(),
            "python": platform.python_version(),
            "code": harness._git_revision(),
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        }
        manifest = self.prepare_export()
        fts5, tantivy, build = self.peers()
        eligible = frozenset(k for keys in manifest.targets.values() for k in keys)
        line_keys: dict[int, str] = {}
        targets: dict[str, documents.Doc] = {}
        real: list[documents.Doc] = []
        for doc in documents.read_export(self.export, keep=documents.is_real):
            line_keys[doc.number] = doc.key
            if doc.key in eligible:
                targets[doc.key] = doc
            if documents.is_real(doc.key):
                real.append(doc)
        made, queries_path = self.make_queries(manifest, targets, fts5, tantivy)
        # Distractors are drawn word by word: they copy no real article.
        same = copies.near_copies({q.target: targets[q.target] for q in made}.values(), real)
        del real
        ours, ours_keys, note = self.ours(manifest)

        engines: dict[str, Any] = {}
        outcomes: dict[str, list[evaluate.Outcome]] = {}
        runs: list[tuple[str, Any, dict[Any, str]]] = [
            ("ours", ours, ours_keys),
            ("sqlite_fts5", fts5, line_keys),
            ("tantivy", tantivy, line_keys),
        ]
        notes = {"ours": note, "sqlite_fts5": build.get("sqlite_fts5", "")}
        for name, engine, keys in runs:
            if engine is None:
                engines[name] = {"available": False, "note": notes.get(name, "")}
                continue
            self.say(f"{name}: {len(made):,} queries")
            outcomes[name] = evaluate.run_engine(engine.search, made, keys.get, same)
            engines[name] = {
                "available": True,
                "kinds": evaluate.summarize(made, outcomes[name]),
            }
        for name in ("sqlite_fts5", "tantivy"):
            if f"{name}_build_s" in build:
                engines[name]["build_s"] = build[f"{name}_build_s"]
        related_result = None
        if ours is not None:
            self.say("ours: the related articles of every BBC article")
            related_result = related.evaluate(ours_keys)
        machine["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        return {
            "corpus": {
                "export": str(self.export),
                "documents": manifest.documents,
                "distractors": manifest.distractors,
                "seed": manifest.seed,
                **manifest.counts,
            },
            "machine": machine,
            "per_kind": self.o.per_kind,
            "broad": self.o.broad,
            "queries_file": str(queries_path),
            "engines": engines,
            "related": related_result,
            "queries": [
                {
                    "kind": q.kind,
                    "q": q.q,
                    "target": q.target,
                    "copies": sorted(same.get(q.target, ())),
                    **{
                        name: {
                            "rank": o[i].rank,
                            "target_rank": o[i].target_rank,
                            "count": o[i].count,
                            "ms": o[i].ms,
                        }
                        for name, o in outcomes.items()
                    },
                }
                for i, q in enumerate(made)
            ],
        }

    def write(self, results: dict[str, Any]) -> str:
        """Write the JSON and the Markdown table; the table."""
        text = evaluate.table(results)
        if results.get("related"):
            text += "\n\n" + related.table(results["related"])
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.output.write_text(json.dumps(results, indent=1, ensure_ascii=False), "utf-8")
        self.output.with_suffix(".md").write_text(text + "\n", "utf-8")
        return text
