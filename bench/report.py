"""The benchmark's printed table and its ratios to the peers (pure Python)."""

from __future__ import annotations

from typing import Any

TARGET_FAST_MS = 30.0  # p95 of rare and mid searches
TARGET_SEARCH_MS = 100.0  # p95 of every other search
TARGET_PAGE_MS = 20.0  # p95 of article and browse pages
PEERS = ("sqlite_fts5", "tantivy")


# Classes whose count must be exact (issue 6: "rare and mid counts are exact").
EXACT_COUNT_CLASSES = ("rare", "mid")


def search_target(query_class: str) -> float:
    return TARGET_FAST_MS if query_class in EXACT_COUNT_CLASSES else TARGET_SEARCH_MS


def count_as_required(row: dict[str, Any]) -> bool:
    """False when a rare or mid search showed a count other than its true one."""
    shown = row.get("count_shown")
    return row["class"] not in EXACT_COUNT_CLASSES or shown is None or shown == row["matches_exact"]


def ratio(peer_ms: float | None, ours_ms: float | None) -> float | None:
    """How many times longer the peer takes than we do (above 1: we lead)."""
    if not peer_ms or not ours_ms:
        return None
    return round(peer_ms / ours_ms, 4)


def add_ratios(results: dict[str, Any]) -> None:
    """Put, on each search row, each peer's p50 and its ratio to our page's p50."""
    peers = (results.get("peers") or {}).get("results", {})
    for row in results.get("searches", []):
        ours = row["page"]["p50_ms"]
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
        row["meets_target"] = row["count_as_required"] and max(
            row["page"]["p95_ms"], row["api"]["p95_ms"]
        ) <= search_target(row["class"])
    for page in results.get("pages", {}).values():
        page["meets_target"] = page["p95_ms"] <= TARGET_PAGE_MS


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"x{value:.2g}"


def _verdict(ok: bool | None, count_ok: bool | None = True) -> str:
    if count_ok is False:
        return "COUNT NOT EXACT"
    return "ok" if ok else "SLOW"


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
            f"machine speed (compare runs across machines by these): PostgreSQL to_tsvector "
            f"{speed['tsvector_ms_per_article']} ms/article, parser "
            f"{speed['parser_ms_per_record']} ms/record"
        )
    busy = max(machine.get("loadavg_at_start", [0])[:1] + machine.get("loadavg_at_end", [0])[:1])
    if busy > machine["nproc"]:
        lines.append(
            f"WARNING: load average {busy:.1f} on {machine['nproc']} cores: other work was "
            "running, so every latency below is inflated"
        )
    for key, label in (("ingest_jsonl", "JSON Lines"), ("ingest_text", "plain-text files")):
        ingest = results.get(key)
        if ingest:
            reused = " (reused from an earlier run)" if ingest.get("reused") else ""
            lines.append(
                f"ingest {label}: {ingest['reported_articles_per_s']:,.0f} articles/s as reported, "
                f"{ingest['wall_articles_per_s']:,.0f}/s wall incl. start-up "
                f"({ingest['created']:,.0f} in {ingest['wall_s']} s), "
                f"peak RSS {ingest['peak_rss_mb']} MB{reused}"
            )
    lines.append("")
    header = (
        f"{'search (ms, warm)':<24} {'matches':>9} {'shown':>9} "
        f"{'page p50':>8} {'p95':>7} {'api p50':>8} {'p95':>7} {'first':>7}  "
        f"{'fts5 p50':>8} {'ratio':>6} "
        f"{'tantivy':>7} {'ratio':>6}  target"
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
        lines.append(
            f"{row['label']:<24} {row['matches_exact']:>9,} {'-' if shown is None else shown:>9} "
            f"{row['page']['p50_ms']:>8.1f} {row['page']['p95_ms']:>7.1f} "
            f"{row['api']['p50_ms']:>8.1f} {row['api']['p95_ms']:>7.1f} "
            f"{max(row['page']['first_ms'], row['api']['first_ms']):>7.1f}  "
            f"{cells[0][0]:>8} {cells[0][1]:>6} {cells[1][0]:>7} {cells[1][1]:>6}  "
            f"{_verdict(row.get('meets_target'), row.get('count_as_required'))} "
            f"(p95 <= {search_target(row['class']):.0f})"
        )
    lines.append("")
    lines.append(f"{'page (ms, warm)':<24} {'p50':>8} {'p95':>7} {'first':>7}  target")
    for name, page in results.get("pages", {}).items():
        lines.append(
            f"{name:<24} {page['p50_ms']:>8.1f} {page['p95_ms']:>7.1f} {page['first_ms']:>7.1f}  "
            f"{_verdict(page.get('meets_target'))} (p95 <= {TARGET_PAGE_MS:.0f})  {page['path']}"
        )
    lines.append("")
    db = results.get("database", {})
    memory = results.get("memory", {})
    lines.append(
        f"database {db.get('database_mb')} MB (articles table with TOAST and indexes "
        f"{db.get('articles_table_total_mb')} MB, search GIN {db.get('search_gin_index_mb')} MB); "
        f"bench process peak RSS {memory.get('bench_process_peak_rss_mb')} MB"
    )
    cpu = results.get("cpu_per_request")
    if cpu:
        lines.append(_cpu_line(cpu))
    load = results.get("load")
    if load:
        lines.append(
            f"load: {load['clients']} clients for {load['seconds']} s against gunicorn "
            f"-w {load['workers']}: {load['requests']:,} requests, {load['requests_per_s']} req/s, "
            f"p50 {load['p50_ms']} ms, p95 {load['p95_ms']} ms, errors {load['errors']}, "
            f"worker peak RSS {max(load['worker_peak_rss_mb'] or [0])} MB"
        )
        for kind, numbers in load["by_kind"].items():
            lines.append(
                f"  {kind:<10} {numbers['requests']:>7,} requests, p50 {numbers['p50_ms']} ms, "
                f"p95 {numbers['p95_ms']} ms"
            )
    notes = (results.get("peers") or {}).get("notes") or {}
    for key, value in notes.items():
        lines.append(f"peer note: {key}: {value}")
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
    return (
        f"CPU per request of the load mix: Python {mix['python_ms']} ms + PostgreSQL "
        f"{mix['postgresql_ms']} ms ({kinds}): {cpu['cores']} cores serve at most "
        f"{cpu['ceiling_requests_per_s']} requests/s, PostgreSQL alone at most "
        f"{cpu['postgresql_ceiling_requests_per_s']}"
    )


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
            f"Machine speed: PostgreSQL `to_tsvector` {speed['tsvector_ms_per_article']} "
            f"ms/article, parser {speed['parser_ms_per_record']} ms/record (CPU, best of 3).",
            "",
        ]
    for key, label in (("ingest_jsonl", "JSON Lines"), ("ingest_text", "plain-text files")):
        ingest = results.get(key)
        if ingest:
            out.append(
                f"- ingest {label}: **{ingest['reported_articles_per_s']:,.0f} articles/s** "
                f"({ingest['created']:,.0f} articles; {ingest['wall_articles_per_s']:,.0f}/s wall "
                f"with process start-up; peak RSS {ingest['peak_rss_mb']} MB)"
            )
    db = results.get("database", {})
    out.append(
        f"- database {db.get('database_mb')} MB (articles with TOAST and indexes "
        f"{db.get('articles_table_total_mb')} MB, search GIN {db.get('search_gin_index_mb')} MB); "
        "in-process server peak RSS "
        f"{results.get('memory', {}).get('bench_process_peak_rss_mb')} MB"
    )
    cpu = results.get("cpu_per_request")
    if cpu:
        out.append(f"- {_cpu_line(cpu)}")
    load = results.get("load")
    if load:
        out.append(
            f"- load, {load['clients']} clients for {load['seconds']} s, "
            f"gunicorn -w {load['workers']}: "
            f"**{load['requests_per_s']} requests/s**, p50 {load['p50_ms']} ms, "
            f"p95 {load['p95_ms']} ms, **{load['errors']} errors**, worker peak RSS "
            f"{max(load['worker_peak_rss_mb'] or [0])} MB"
        )
    out += [
        "",
        "| search | matches | shown | page p50 | page p95 | api p50 | api p95 | first "
        "| FTS5 p50 (ratio) | tantivy p50 (ratio) | target |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in results.get("searches", []):
        peers = row.get("peers", {})
        cells = [
            f"{_ms(peers[name]['p50_ms'])} ({_x(peers[name]['ratio'])})" if name in peers else "-"
            for name in PEERS
        ]
        shown = row.get("count_shown")
        out.append(
            f"| {row['label']} | {row['matches_exact']:,} | {'-' if shown is None else shown} "
            f"| {row['page']['p50_ms']:.1f} | {row['page']['p95_ms']:.1f} "
            f"| {row['api']['p50_ms']:.1f} | {row['api']['p95_ms']:.1f} "
            f"| {max(row['page']['first_ms'], row['api']['first_ms']):.1f} | "
            + " | ".join(cells)
            + f" | {_verdict(row.get('meets_target'), row.get('count_as_required'))} "
            f"≤{search_target(row['class']):.0f} |"
        )
    out += ["", "| page | p50 | p95 | first | target |", "|---|--:|--:|--:|---|"]
    for name, page in results.get("pages", {}).items():
        out.append(
            f"| {name} | {page['p50_ms']:.1f} | {page['p95_ms']:.1f} | {page['first_ms']:.1f} "
            f"| {_verdict(page.get('meets_target'))} ≤{TARGET_PAGE_MS:.0f} |"
        )
    design = results.get("design")
    if design:
        out += [
            "",
            "| raw SQL (ms, best of 3) | matches | planner estimate | count(*) | EXPLAIN "
            "| rank full vector top 20 | rank rank_vector top 20 | newest-1000 window "
            "| newest 20 | source facet |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for name, d in design.items():
            out.append(
                f"| {name} `{d['q']}` | {d['count']:,} | {d['estimate']:,} | "
                f"{d['count_exact_ms']} | {d['count_planner_estimate_ms']} | "
                f"{d['rank_full_vector_top20_ms']} | {d['rank_rank_vector_top20_ms']} | "
                f"{d['rank_newest_1000_window_ms']} | {d['newest_20_ms']} | "
                f"{d['facet_source_exact_ms']} |"
            )
    return "\n".join(out) + "\n"
