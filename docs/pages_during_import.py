"""How the count pages answer while `manage.py ingest` runs (docs/benchmarks.md).

    python docs/pages_during_import.py DUMP [DUMP ...]

Writes into the configured database (DATABASE_URL, else the embedded server's
EMBEDDED_DATABASE_NAME): point it at a scratch copy, for example
`CREATE DATABASE scratch TEMPLATE newsarchive_1m_bench`, and import dumps it does not hold yet.
Prints each page's time with its counts cached and recounted, then imports the dumps in a child
process while this process (one web worker, `DEBUG` off) requests the pages in turn every 50 ms.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from time_pages import django_client  # docs/, this script's folder

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/", "/sources/", "/tags/")


def main(dumps: list[str]) -> None:
    client = django_client()
    from django.core.cache import cache

    for page in PAGES:
        cached, recounted = [], []
        client.get(page)
        for _ in range(5):
            cached.append(timed(client, page))
            cache.clear()
            recounted.append(timed(client, page))
        print(f"{page:10} cached {median(cached):6.1f} ms, recounted {median(recounted):6.1f} ms")

    ingest = subprocess.Popen(  # noqa: S603 -- our own manage.py
        [sys.executable, str(ROOT / "manage.py"), "ingest", *dumps, "--format", "jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    times: dict[str, list[float]] = {page: [] for page in PAGES}
    while ingest.poll() is None:
        for page in PAGES:
            times[page].append(timed(client, page))
        time.sleep(0.05)
    output = ingest.stdout.read() if ingest.stdout else ""
    print(output.strip().splitlines()[-1] if output.strip() else "(ingest printed nothing)")
    for page, values in times.items():
        values.sort()
        n = len(values)
        print(
            f"{page:10} during the import: {n} requests, p50 {values[n // 2]:.1f} ms, "
            f"p95 {values[int(n * 0.95)]:.1f} ms, max {values[-1]:.1f} ms"
        )


def timed(client: object, page: str) -> float:
    start = time.perf_counter()
    response = client.get(page)  # type: ignore[attr-defined]
    if response.status_code != 200:
        raise SystemExit(f"{page} answered {response.status_code}")
    return (time.perf_counter() - start) * 1000


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(sys.argv[1:])
