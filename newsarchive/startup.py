"""What a long-running web process does once it has loaded the project."""

from __future__ import annotations

import gc
from typing import Any


def freeze_loaded_objects() -> None:
    """Keep the objects loaded at start-up (modules, classes, the app registry) out of
    every later garbage collection.

    They live as long as the process, yet each full collection walked all of them: at
    1,000,000 articles a full collection took 21-27 ms of a worker, landing on whichever
    request happened to trigger it (a mid search's p95 50-58 ms against a p50 of 28-31);
    with them frozen it takes 3 ms (docs/benchmarks.md).
    """
    gc.collect()
    gc.freeze()


def limit_statements() -> None:
    """Bound every statement of this process's connections by DATABASE_STATEMENT_TIMEOUT.

    Called by the web entry points only (wsgi.py, asgi.py, and so runserver), so commands
    such as ingest, export and migrate run as long as they need. A statement cut short
    fails as an OperationalError, which the site answers with its 503 page.
    """
    from django.conf import settings
    from django.db.backends.signals import connection_created

    milliseconds = int(settings.DATABASE_STATEMENT_TIMEOUT * 1000)
    if milliseconds <= 0:
        return

    def limit(sender: Any, connection: Any, **kwargs: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [str(milliseconds)])

    connection_created.connect(limit, weak=False, dispatch_uid="newsarchive.statement_timeout")
