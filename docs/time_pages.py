"""Time any pages of the configured archive, warm, in this process (docs/benchmarks.md).

    EMBEDDED_DATABASE_NAME=newsarchive_1m_bench python docs/time_pages.py / "/search/?sort=oldest"

Each page is requested once to warm it, then 7 times through Django's test client with
`DEBUG` off (URL routing, middleware, SQL and templates; no network): prints the status, the
median and the slowest time. Reads only.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPS = 7


def django_client() -> Any:
    """Django set up for this archive with production-like settings, and a test client."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsarchive.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "time-pages-" + "x" * 50)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("RATELIMITS", "false")
    os.environ.setdefault("USE_EMBEDDED_DATABASE", "true")  # eight requests per page, in a loop
    import django

    django.setup()
    from django.test import Client

    gc.collect()
    gc.freeze()  # as the WSGI module does (newsarchive/startup.py)
    return Client()


def main(pages: list[str]) -> None:
    client = django_client()
    for page in pages:
        status = client.get(page).status_code
        times = []
        for _ in range(REPS):
            start = time.perf_counter()
            status = client.get(page).status_code
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(f"{status} {times[REPS // 2]:8.1f} ms (slowest {times[-1]:7.1f})  {page}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(sys.argv[1:])
