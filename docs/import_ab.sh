#!/bin/bash
# The same JSON Lines import by two checkouts, alternating, each into a fresh database and
# index (docs/benchmarks.md, "Import speed against the importer before").
#
#   docs/import_ab.sh OTHER_CHECKOUT [RECORDS] [ROUNDS]
#   FORMAT=text docs/import_ab.sh OTHER_CHECKOUT [FILES] [ROUNDS]
#
# RECORDS (default 30000) are the first lines of the 1,000,000-article bench corpus
# (var/bench/corpus-1000000-seed42.jsonl, made by `python -m bench --articles 1000000`);
# with FORMAT=text, FILES plain-text files of the bench's generator (seed 43, as the bench's
# plain-text import) in a folder.
# Each round imports them with OTHER_CHECKOUT's code, with this checkout's, and with this
# checkout's with --no-near-duplicates, into the PostgreSQL of POSTGRES (default the system
# server at 127.0.0.1:5432, databases import_ab_*). Prints the wall time, the command's CPU
# (user+system), its peak RSS and the CPU the server's processes used meanwhile.
set -euo pipefail

OTHER=$(cd "${1:?give the folder of the other checkout}" && pwd)
RECORDS=${2:-30000}
ROUNDS=${3:-3}
HERE=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$HERE/.venv/bin/python}
POSTGRES=${POSTGRES:-postgres://postgres@127.0.0.1:5432}
FORMAT=${FORMAT:-jsonl}
CORPUS=$HERE/var/bench/corpus-1000000-seed42.jsonl
WORK=$HERE/var/import_ab
mkdir -p "$WORK"
if [ "$FORMAT" = text ]; then
    INPUT=$WORK/text-$RECORDS
    [ -d "$INPUT" ] || (cd "$HERE" && "$PY" -c "import sys; from pathlib import Path; \
from bench.corpus import CorpusSpec, write_text_files; \
write_text_files(CorpusSpec(articles=int(sys.argv[1]), seed=43), Path(sys.argv[2]))" \
        "$RECORDS" "$INPUT")
else
    INPUT=$WORK/first-$RECORDS.jsonl
    [ -s "$INPUT" ] || head -n "$RECORDS" "$CORPUS" > "$INPUT"
fi

# The server's postmaster (its data folder's postmaster.pid names it).
DATA=$(psql -At "$POSTGRES/postgres" -c "SHOW data_directory")
POSTMASTER=$(head -1 "$DATA/postmaster.pid")

# CPU seconds of the server's processes so far: the postmaster's own and its finished
# children's, plus those of its children still running.
server_cpu() {
    "$PY" - "$POSTMASTER" <<'EOF'
import os
import sys

postmaster = sys.argv[1]
tick = os.sysconf("SC_CLK_TCK")
total = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    if pid == postmaster:
        total += sum(int(x) for x in fields[11:15])
    elif fields[1] == postmaster:
        total += int(fields[11]) + int(fields[12])
print(total / tick)
EOF
}

for round in $(seq "$ROUNDS"); do
    for variant in other this this-no-near-duplicates; do
        db=import_ab_${variant//-/_}
        checkout=$HERE; flags=""
        [ "$variant" = other ] && checkout=$OTHER
        [ "$variant" = this-no-near-duplicates ] && flags=--no-near-duplicates
        psql -q "$POSTGRES/postgres" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
        rm -rf "$WORK/index-$db"
        export DATABASE_URL=$POSTGRES/$db SEARCH_INDEX_DIR=$WORK/index-$db
        (cd "$checkout" && "$PY" manage.py migrate --no-input -v0 >/dev/null)
        sync; sleep 2
        before=$(server_cpu)
        (cd "$checkout" && /usr/bin/time -o "$WORK/time" -f "wall %e s, cpu %U+%S s, rss %M KB" \
            "$PY" manage.py ingest "$INPUT" --format "$FORMAT" $flags > "$WORK/$db.log" 2>&1)
        after=$(server_cpu)
        echo "round $round $variant: $(cat "$WORK/time"), server cpu $("$PY" -c "print(round($after - $before, 1))") s"
    done
done
