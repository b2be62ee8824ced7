"""The benchmark's printed table, its Markdown twin, the targets and the ratios to the
peers (pure Python)."""

from __future__ import annotations

from typing import Any

TARGET_SEARCH_MS = 30.0  # p95 of every search, on the page and the API
TARGET_PAGE_MS = 20.0  # p95 of article and browse pages
TARGET_LOAD_RPS = 200.0  # requests/s of the mixed load on two cores
TARGET_IMPORT_RATE = 2500.0  # articles/s imported, index kept up to date
TARGET_REINDEX_ARTICLES = 1_000_000
TARGET_REINDEX_S = 300.0  # a reindex of TARGET_REINDEX_ARTICLES
PEERS = ("sqlite_fts5", "tantivy")
IMPORTS = (
    ("ingest_jsonl", "JSON Lines, index kept up to date"),
    ("ingest_jsonl_without_index", "JSON Lines, without the index"),
    ("ingest_text", "plain-text files, index kept up to date"),
)


def count_as_required(row: dict[str, Any]) -> bool:
    """False when the API showed a count other than the search function's (every count
    is exact, whatever the number of matches)."""
    shown = row.get("count_shown")
    return shown is None or shown == row["matches_exact"]


def ratio(peer_ms: float | None, ours_ms: float | None) -> float | None:
    """How many times longer the peer takes than we do (above 1: we lead)."""
    if not peer_ms or not ours_ms:
        return None
    return round(peer_ms / ours_ms, 4)


def add_ratios(results: dict[str, Any]) -> None:
    """Put, on each search row, each peer's p50 and its ratio to our search function's p50
    (both in process: engine against engine), each row's and page's verdict, and the
    targets' summary (`targets`)."""
    peers = (results.get("peers") or {}).get("results", {})
    for row in results.get("searches", []):
        ours = (row.get("function") or row["page"])["p50_ms"]
        row["peers"] = {}
        for name in PEERS:
            measured = peers.get(name, {}).get(row["label"])
            if measured:
                row["peers"][name] = {
                    "p50_ms": measured["p50_ms"],
                    "p95_ms": measured["p95_ms"],
                    "count": measured["count"],
                    "ratio": ratio(measured["p50_ms"], ours),
                }
        row["count_as_required"] = count_as_required(row)
        row["meets_target"] = (
            row["count_as_required"]
            and max(row["page"]["p95_ms"], row["api"]["p95_ms"]) <= TARGET_SEARCH_MS
        )
    for page in results.get("pages", {}).values():
        page["meets_target"] = page["p95_ms"] <= TARGET_PAGE_MS
    results["targets"] = targets(results)


def reindex_extrapolated_s(reindex: dict[str, Any]) -> float | None:
    """Seconds a reindex of TARGET_REINDEX_ARTICLES would take at the measured rate
    (linear: the rate of a small archive is only an indication)."""
    rate = reindex.get("articles_per_s")
    return round(TARGET_REINDEX_ARTICLES / rate, 1) if rate else None


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target, what was measured against it, and whether it was met (None: not
    measured in this run)."""
    out: list[dict[str, Any]] = []
    searches = results.get("searches", [])
    if searches:
        met = sum(1 for row in searches if row.get("meets_target"))
        worst = max(max(row["page"]["p95_ms"], row["api"]["p95_ms"]) for row in searches)
        out.append(
            {
                "target": f"searches p95 <= {TARGET_SEARCH_MS:.0f} ms (page and API)",
                "measured": f"{met} of {len(searches)} searches; slowest p95 {worst:.1f} ms",
                "met": met == len(searches),
            }
        )
    pages = results.get("pages", {})
    if pages:
        met = sum(1 for page in pages.values() if page.get("meets_target"))
        worst = max(page["p95_ms"] for page in pages.values())
        out.append(
            {
                "target": f"article and browse pages p95 <= {TARGET_PAGE_MS:.0f} ms",
                "measured": f"{met} of {len(pages)} pages; slowest p95 {worst:.1f} ms",
                "met": met == len(pages),
            }
        )
    load = results.get("load")
    out.append(
        {
            "target": f"mixed load >= {TARGET_LOAD_RPS:.0f} requests/s",
            "measured": (
                f"{load['requests_per_s']} requests/s, {load['errors']} errors"
                if load
                else "not measured (--no-load)"
            ),
            "met": None if not load else load["requests_per_s"] >= TARGET_LOAD_RPS,
        }
    )
    ingest = results.get("ingest_jsonl")
    if ingest:
        rate = ingest["reported_articles_per_s"]
        out.append(
            {
                "target": f"import >= {TARGET_IMPORT_RATE:,.0f} articles/s, index kept up to date",
                "measured": f"{rate:,.0f} articles/s ({ingest['created']:,.0f} articles)",
                "met": rate >= TARGET_IMPORT_RATE,
            }
        )
    reindex = results.get("reindex")
    if reindex:
        seconds = reindex_extrapolated_s(reindex)
        out.append(
            {
                "target": f"reindex of {TARGET_REINDEX_ARTICLES:,} articles "
                f"<= {TARGET_REINDEX_S / 60:.0f} min",
                "measured": f"{'-' if seconds is None else f'{seconds:,.0f}'} s at "
                f"{reindex['articles_per_s']:,.0f} articles/s "
                f"(extrapolated from {reindex['articles']:,.0f} articles)",
                "met": seconds is not None and seconds <= TARGET_REINDEX_S,
            }
        )
    return out


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"x{value:.2g}"


def _met(ok: bool | None) -> str:
    return "not measured" if ok is None else "met" if ok else "not met"


def _verdict(ok: bool | None, count_ok: bool | None = True) -> str:
    if count_ok is False:
        return "not met (count differs)"
    return _met(bool(ok))


def _times(timing: dict[str, Any] | None) -> tuple[str, str, str]:
    if not timing:
        return ("-", "-", "-")
    return (_ms(timing["p50_ms"]), _ms(timing["p95_ms"]), _ms(timing.get("p99_ms")))


def _import_line(label: str, ingest: dict[str, Any]) -> str:
    postgresql = ingest.get("postgresql_cpu_ms_per_article")
    cpu = (
        f"CPU {ingest.get('cpu_ms_per_article', '-')} ms/article in ingest (start-up included)"
        + (f" + {postgresql} in PostgreSQL" if postgresql is not None else "")
    )
    reused = " (reused from an earlier run)" if ingest.get("reused") else ""
    return (
        f"ingest {label}: {ingest['reported_articles_per_s']:,.0f} articles/s as reported, "
        f"{ingest['wall_articles_per_s']:,.0f}/s wall incl. start-up "
        f"({ingest['created']:,.0f} in {ingest['wall_s']} s), {cpu}, "
        f"peak RSS {ingest['peak_rss_mb']} MB{reused}"
    )


def _reindex_line(reindex: dict[str, Any]) -> str:
    postgresql = reindex.get("postgresql_cpu_ms_per_article")
    return (
        f"reindex: {reindex['articles']:,.0f} articles in {reindex['seconds']} s "
        f"({reindex['articles_per_s']:,.0f} articles/s; {reindex['wall_s']} s wall incl. "
        f"start-up), CPU {reindex['cpu_ms_per_article']} ms/article in reindex (start-up "
        "included)"
        + (f" + {postgresql} in PostgreSQL" if postgresql is not None else "")
        + f", peak RSS {reindex['peak_rss_mb']} MB"
    )


def _storage_line(results: dict[str, Any]) -> str:
    db = results.get("database", {})
    return (
        f"storage: search index {db.get('index_mb')} MB on disk; database "
        f"{db.get('database_mb')} MB (articles table with TOAST and indexes "
        f"{db.get('articles_table_total_mb')} MB); bench process peak RSS "
        f"{results.get('memory', {}).get('bench_process_peak_rss_mb')} MB"
    )


def _load_line(load: dict[str, Any]) -> str:
    postgresql = load.get("postgresql_cpu_ms_per_request")
    return (
        f"load: {load['clients']} clients for {load['seconds']} s against gunicorn "
        f"-w {load['workers']}: {load['requests']:,} requests, {load['requests_per_s']} req/s, "
        f"p50 {load['p50_ms']} ms, p95 {load['p95_ms']} ms, errors {load['errors']}; CPU per "
        f"request {load.get('server_cpu_ms_per_request', '-')} ms in gunicorn"
        + (f" + {postgresql} in PostgreSQL" if postgresql is not None else "")
        + f"; worker RSS {max(load.get('worker_rss_mb') or [0])} MB, peak "
        f"{max(load['worker_peak_rss_mb'] or [0])} MB"
    )


def table(results: dict[str, Any]) -> str:
    """The human-readable summary printed at the end of a run."""
    lines: list[str] = []
    corpus = results["corpus"]
    machine = results["machine"]
    lines.append(
        f"Newsarchive benchmark: {corpus['articles']:,} articles "
        f"(~{corpus['words_per_article']} words, {corpus['sources']} sources, "
        f"{corpus['tags']} tags), {machine['nproc']} cores, {machine['memory']}, "
        f"PostgreSQL {machine['postgresql']} {machine['server']}"
    )
    speed = machine.get("speed")
    if speed:
        lines.append(
            f"machine speed (compare runs across machines by these): indexing "
            f"{speed['index_ms_per_article']} ms/article (one thread), parser "
            f"{speed['parser_ms_per_record']} ms/record"
        )
    busy = max(machine.get("loadavg_at_start", [0])[:1] + machine.get("loadavg_at_end", [0])[:1])
    if busy > machine["nproc"]:
        lines.append(
            f"WARNING: load average {busy:.1f} on {machine['nproc']} cores: other work was "
            "running, so every latency below is inflated"
        )
    for key, label in IMPORTS:
        if results.get(key):
            lines.append(_import_line(label, results[key]))
    if results.get("reindex"):
        lines.append(_reindex_line(results["reindex"]))
    if results.get("database"):
        lines.append(_storage_line(results))
    lines.append("")
    header = (
        f"{'search (ms, warm)':<24} {'matches':>9} {'shown':>9} "
        f"{'search() p50':>12} {'p95':>6} {'p99':>6} "
        f"{'page p50':>8} {'p95':>6} {'p99':>6} {'api p50':>7} {'p95':>6} {'p99':>6} "
        f"{'first':>6}  {'fts5 p50':>8} {'ratio':>6} {'tantivy':>7} {'ratio':>6}  target"
    )
    lines.append(header)
    lines.append("-" * len(header))
    for row in results.get("searches", []):
        peers = row.get("peers", {})
        cells = []
        for name in PEERS:
            peer = peers.get(name, {})
            cells.append((_ms(peer.get("p50_ms")), _x(peer.get("ratio"))))
        shown = row.get("count_shown")
        fn, page, api = _times(row.get("function")), _times(row["page"]), _times(row["api"])
        lines.append(
            f"{row['label']:<24} {row['matches_exact']:>9,} {'-' if shown is None else shown:>9} "
            f"{fn[0]:>12} {fn[1]:>6} {fn[2]:>6} "
            f"{page[0]:>8} {page[1]:>6} {page[2]:>6} {api[0]:>7} {api[1]:>6} {api[2]:>6} "
            f"{max(row['page']['first_ms'], row['api']['first_ms']):>6.1f}  "
            f"{cells[0][0]:>8} {cells[0][1]:>6} {cells[1][0]:>7} {cells[1][1]:>6}  "
            f"{_verdict(row.get('meets_target'), row.get('count_as_required'))} "
            f"(p95 <= {TARGET_SEARCH_MS:.0f})"
        )
    lines.append("")
    lines.append(f"{'page (ms, warm)':<24} {'p50':>8} {'p95':>7} {'p99':>7} {'first':>7}  target")
    for name, page in results.get("pages", {}).items():
        p50, p95, p99 = _times(page)
        lines.append(
            f"{name:<24} {p50:>8} {p95:>7} {p99:>7} {page['first_ms']:>7.1f}  "
            f"{_verdict(page.get('meets_target'))} (p95 <= {TARGET_PAGE_MS:.0f})  {page['path']}"
        )
    lines.append("")
    cpu = results.get("cpu_per_request")
    if cpu:
        lines.append(_cpu_line(cpu))
    load = results.get("load")
    if load:
        lines.append(_load_line(load))
        for kind, numbers in load["by_kind"].items():
            lines.append(
                f"  {kind:<10} {numbers['requests']:>7,} requests, p50 {numbers['p50_ms']} ms, "
                f"p95 {numbers['p95_ms']} ms"
            )
    notes = (results.get("peers") or {}).get("notes") or {}
    for key, value in notes.items():
        lines.append(f"peer note: {key}: {value}")
    lines.append("")
    lines.append("targets:")
    for target in results.get("targets") or targets(results):
        lines.append(f"  {target['target']}: {target['measured']}: {_met(target['met'])}")
    for problem in results.get("problems", []):
        lines.append(f"PROBLEM: {problem}")
    return "\n".join(lines)


def _cpu_line(cpu: dict[str, Any]) -> str:
    mix = cpu["mix"]
    if mix["postgresql_ms"] is None:
        return (
            f"CPU per request of the load mix: Python {mix['python_ms']} ms in the web "
            "process (PostgreSQL's share unknown: the server is not on this machine)"
        )
    kinds = ", ".join(
        f"{kind} {v['python_ms']} + {v['postgresql_ms']}" for kind, v in cpu["by_kind"].items()
    )
    line = (
        f"CPU per request of the load mix: Python {mix['python_ms']} ms (search index "
        f"included) + PostgreSQL {mix['postgresql_ms']} ms ({kinds}): {cpu['cores']} cores "
        f"serve at most {cpu['ceiling_requests_per_s']} requests/s, PostgreSQL alone at most "
        f"{cpu['postgresql_ceiling_requests_per_s']}"
    )
    if cpu.get("search_function_ms"):
        line += (
            f"; the searches' own search function alone (index, facets, rows; no page or "
            f"JSON) {cpu['search_function_ms']} ms per request of the mix: at most "
            f"{cpu['search_function_ceiling_requests_per_s']} requests/s"
        )
    return line


def markdown(results: dict[str, Any]) -> str:
    """The same results as Markdown tables, for docs/benchmarks.md."""
    corpus, machine = results["corpus"], results["machine"]
    out = [
        f"{corpus['articles']:,} articles (~{corpus['words_per_article']} words, "
        f"{corpus['sources']} sources, {corpus['tags']} tags, languages {corpus['languages']}); "
        f"{machine['nproc']} cores, {machine['memory']}, {machine['cpu']}; PostgreSQL "
        f"{machine['postgresql']} ({machine['server']}); load average "
        f"{machine.get('loadavg_at_start', ['?'])[0]} at start, "
        f"{machine.get('loadavg_at_end', ['?'])[0]} at end; code {machine.get('code') or '?'}.",
        "",
    ]
    speed = machine.get("speed")
    if speed:
        out += [
            f"Machine speed: indexing {speed['index_ms_per_article']} ms/article (one thread), "
            f"parser {speed['parser_ms_per_record']} ms/record (CPU, best of 3).",
            "",
        ]
    out += ["| target | measured | |", "|---|---|---|"]
    for target in results.get("targets") or targets(results):
        out.append(f"| {target['target']} | {target['measured']} | **{_met(target['met'])}** |")
    out.append("")
    for key, label in IMPORTS:
        if results.get(key):
            out.append(f"- {_import_line(label, results[key])}")
    if results.get("reindex"):
        out.append(f"- {_reindex_line(results['reindex'])}")
    if results.get("database"):
        out.append(f"- {_storage_line(results)}")
    cpu = results.get("cpu_per_request")
    if cpu:
        out.append(f"- {_cpu_line(cpu)}")
    load = results.get("load")
    if load:
        out.append(f"- {_load_line(load)}")
    out += [
        "",
        "| search | matches | shown | search() p50 / p95 / p99 | page p50 / p95 / p99 "
        "| API p50 / p95 / p99 | first | FTS5 p50 (ratio) | tantivy p50 (ratio) | target |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in results.get("searches", []):
        peers = row.get("peers", {})
        cells = [
            f"{_ms(peers[name]['p50_ms'])} ({_x(peers[name]['ratio'])})" if name in peers else "-"
            for name in PEERS
        ]
        shown = row.get("count_shown")
        timings = " | ".join(
            " / ".join(_times(row.get(key))) for key in ("function", "page", "api")
        )
        out.append(
            f"| {row['label']} | {row['matches_exact']:,} | {'-' if shown is None else shown} "
            f"| {timings} "
            f"| {max(row['page']['first_ms'], row['api']['first_ms']):.1f} | "
            + " | ".join(cells)
            + f" | {_verdict(row.get('meets_target'), row.get('count_as_required'))} "
            f"≤{TARGET_SEARCH_MS:.0f} |"
        )
    out += ["", "| page | p50 | p95 | p99 | first | target |", "|---|--:|--:|--:|--:|---|"]
    for name, page in results.get("pages", {}).items():
        p50, p95, p99 = _times(page)
        out.append(
            f"| {name} | {p50} | {p95} | {p99} | {page['first_ms']:.1f} "
            f"| {_verdict(page.get('meets_target'))} ≤{TARGET_PAGE_MS:.0f} |"
        )
    return "\n".join(out) + "\n"
