"""The concurrent load generator: a second process hammering the real server on loopback.

Standard library only (no Django): `clients` threads each send GET requests from
a mixed list of paths (searches of every class, article pages, browse pages) to
the server until `seconds` have passed or `max_requests` were sent, then one
JSON summary is printed on stdout. Only 127.0.0.1 / localhost / ::1 are allowed.

    python -m bench.load --base http://127.0.0.1:8123 --paths paths.json \
        --clients 16 --seconds 60
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass
class _Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def run(
    base: str,
    paths: list[dict[str, str]],
    *,
    clients: int = 16,
    seconds: float = 60.0,
    max_requests: int = 1_000_000,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Send the mixed workload; return requests/s, latency percentiles and errors."""
    parts = urlsplit(base)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK or not parts.port:
        raise ValueError(
            f"load tests run on loopback only, e.g. http://127.0.0.1:8000 (got {base})"
        )
    if not paths:
        raise ValueError("no paths to request")
    host, port = parts.hostname, parts.port
    tally = _Tally()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        rng = random.Random(index)
        order = list(paths)
        rng.shuffle(order)
        i = 0
        while time.monotonic() < deadline:
            with tally.lock:
                if tally.sent >= max_requests:
                    return
                tally.sent += 1
            item = order[i % len(order)]
            i += 1
            started = time.perf_counter()
            problem = ""
            try:
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
                conn.request("GET", item["path"], headers={"Host": host})
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200:
                    problem = f"{response.status} {item['path']}"
            except (OSError, http.client.HTTPException) as exc:
                problem = f"{type(exc).__name__}: {exc} {item['path']}"
            elapsed = (time.perf_counter() - started) * 1000
            with tally.lock:
                tally.latencies.setdefault(item["kind"], []).append(elapsed)
                if problem:
                    tally.error_count += 1
                    if len(tally.errors) < 20:
                        tally.errors.append(problem)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    everything = [v for values in tally.latencies.values() for v in values]
    return {
        "clients": clients,
        "seconds": round(wall, 2),
        "requests": len(everything),
        "requests_per_s": round(len(everything) / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(everything, 50), 1),
        "p95_ms": round(percentile(everything, 95), 1),
        "errors": tally.error_count,
        "error_samples": tally.errors,
        "by_kind": {
            kind: {
                "requests": len(values),
                "p50_ms": round(percentile(values, 50), 1),
                "p95_ms": round(percentile(values, 95), 1),
            }
            for kind, values in sorted(tally.latencies.items())
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--paths", required=True, type=Path, help="JSON list of {kind, path}")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    try:
        paths = json.loads(args.paths.read_text(encoding="utf-8"))
        result = run(
            args.base,
            paths,
            clients=args.clients,
            seconds=args.seconds,
            max_requests=args.max_requests,
        )
    except (OSError, ValueError) as exc:
        print(f"load: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
