#!/usr/bin/env bash
# How fast PostgreSQL alone can store already-parsed articles on this machine: the ceiling
# no importer can pass (docs/benchmarks.md, "Where ingest's time goes").
#
# Imports the bench corpus once into a scratch database on the embedded server, copies the
# stored rows into an unlogged staging table, then twice: empties the archive and inserts the
# rows back with the importer's INSERT, 1,000 per transaction, from two concurrent sessions
# (the importer's two writers), with no Python. Prints articles/s and CPU per article.
#
# Usage: bash docs/ingest-ceiling.sh [corpus.jsonl]   (default: the 100,000-article bench corpus;
# make it first with `python -m bench --articles 100000 --no-peers --no-load`)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:-var/bench/corpus-100000-seed42.jsonl}"
host="$(.venv/bin/python -c 'from newsarchive import embedded_db; print(embedded_db.socket_dir())')"
export PGOPTIONS="--client-min-messages=warning"
psql=(psql -h "$host" -U postgres -q -X -v ON_ERROR_STOP=1)
"${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS ingest_ceiling" -c "CREATE DATABASE ingest_ceiling"
export EMBEDDED_DATABASE_NAME=ingest_ceiling
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py ingest "$corpus" | tail -1
"${psql[@]}" -d ingest_ceiling -c "CREATE UNLOGGED TABLE stage AS SELECT row_number() OVER (ORDER BY id) AS n, title, slug, body, source_id, published_at, url, language, fingerprint, tag_ids, import_run_id FROM articles_article"
total="$("${psql[@]}" -d ingest_ceiling -At -c "SELECT count(*) FROM stage")"
batches=$(( (total + 999) / 1000 ))
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
for round in 1 2; do
  "${psql[@]}" -d ingest_ceiling -c "TRUNCATE articles_article RESTART IDENTITY CASCADE" -c "CHECKPOINT" -c "VACUUM ANALYZE articles_article"
  b0=$(busy); t0=$(date +%s.%N)
  for writer in 0 1; do
    (
      for ((b = writer; b < batches; b += 2)); do
        echo "INSERT INTO articles_article (title, slug, body, source_id, published_at, url, language, fingerprint, tag_ids, is_hidden, import_run_id, created_at, updated_at) SELECT title, slug, body, source_id, published_at, url, language, fingerprint, tag_ids, false, import_run_id, now(), now() FROM stage WHERE n > $((b * 1000)) AND n <= $((b * 1000 + 1000)) ON CONFLICT DO NOTHING;"
      done | "${psql[@]}" -d ingest_ceiling
    ) &
  done
  wait
  t1=$(date +%s.%N); b1=$(busy)
  python3 -c "w = $t1 - $t0; cpu = ($b1 - $b0) / 100; print(f'round $round: {$total:,} articles in {w:.1f} s = {$total / w:,.0f} articles/s; {cpu / $total * 1000:.3f} ms of CPU per article')"
done
"${psql[@]}" -d postgres -c "DROP DATABASE ingest_ceiling"
