"""How /healthz and the home page answer while broad CSV exports run (docs/benchmarks.md,
"Site under export load").

    DATABASE_URL=postgres://... python docs/export_load.py [--exports 4] [--workers 5]

Starts gunicorn (`--workers` sync workers, `DEBUG` off, this checkout's code) on a free
loopback port against the configured database, starts `--exports` anonymous downloads of
/search/export.csv?q=QUERY at once, each from its own client address (X-Real-IP, so the
per-client rate limit does not decide the outcome), and meanwhile requests /healthz and /
in turn every 100 ms from one more client until the last export ends. Prints each export's
status, rows and seconds, and the p50, p95 and max of both pages. Reads only.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
    """Status, body and seconds of one GET (the body read to its end)."""
    start = time.perf_counter()
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    return status, body, time.perf_counter() - start


def serve(port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CLIENT_IP_HEADER": "X-Real-IP",
        "USE_EMBEDDED_DATABASE": os.environ.get("USE_EMBEDDED_DATABASE", "true"),
    }
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [
            *(sys.executable, "-m", "gunicorn", "newsarchive.wsgi", "-w", str(workers)),
            *("-b", f"127.0.0.1:{port}", "--timeout", "300", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    n = len(ms)
    return (
        f"{name:9} {n:4} requests: p50 {ms[n // 2]:7.1f} ms, p95 {ms[int(n * 0.95)]:7.1f} ms, "
        f"max {ms[-1]:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", type=int, default=4)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--query", default="-the")
    options = parser.parse_args()

    port = free_port()
    server = serve(port, options.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        quiet = {page: [get(base + page)[2] for _ in range(20)] for page in ("/healthz", "/")}
        for page, seconds in quiet.items():
            print("idle     ", summary(page, seconds))
        url = f"{base}/search/export.csv?{urlencode({'q': options.query})}"
        results: list[tuple[int, int, float]] = []

        def export(n: int) -> None:
            status, body, seconds = get(url, {"X-Real-IP": f"203.0.113.{n + 1}"})
            rows = body.count(b"\n") - 1 if status == 200 else 0
            results.append((status, rows, seconds))

        exports = [threading.Thread(target=export, args=(n,)) for n in range(options.exports)]
        for thread in exports:
            thread.start()
        probes: dict[str, list[float]] = {"/healthz": [], "/": []}
        statuses: dict[str, set[int]] = {"/healthz": set(), "/": set()}
        while any(thread.is_alive() for thread in exports):
            for page in probes:
                status, _, took = get(base + page, {"X-Real-IP": "203.0.113.200"})
                probes[page].append(took)
                statuses[page].add(status)
            time.sleep(0.1)
        for status, rows, took in sorted(results):
            print(f"export    status {status}, {rows:6} rows, {took:6.1f} s")
        for page, times in probes.items():
            print("exporting", summary(page, times), "statuses", sorted(statuses[page]))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
