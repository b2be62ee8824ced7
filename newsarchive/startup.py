"""What a long-running web process does once it has loaded the project."""

from __future__ import annotations

import gc


def freeze_loaded_objects() -> None:
    """Keep the objects loaded at start-up (modules, classes, the app registry) out of
    every later garbage collection.

    They live as long as the process, yet each full collection walked all of them: at
    1,000,000 articles a full collection took 21-27 ms of a worker, landing on whichever
    request happened to trigger it (a mid search's p95 50-58 ms against a p50 of 28-31);
    with them frozen it takes 3 ms (docs/benchmarks.md, eighth session).
    """
    gc.collect()
    gc.freeze()
