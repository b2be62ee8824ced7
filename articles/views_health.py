"""Liveness for load balancers and monitors."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

# Seconds /healthz waits for the database: monitors give up at 2 s, and libpq's shortest
# connect timeout is 2 s, so the check runs in a thread and is waited for this long.
HEALTH_TIMEOUT = 1.5

_probes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
_lock = threading.Lock()
_running: Future[None] | None = None


def _round_trip() -> None:
    """SELECT 1 on a connection of its own (the probe thread's), closed afterwards."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def _probe() -> Future[None]:
    """The probe under way, or a new one: a database that hangs holds one thread, however
    often the monitor asks."""
    global _running
    with _lock:
        if _running is None or _running.done():
            _running = _probes.submit(_round_trip)
        return _running


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 after a database round trip, 503 within HEALTH_TIMEOUT when the database is down,
    hangs or cannot start.

    Any failure counts, not only a DatabaseError: the embedded server can fail to start
    (an unusable data folder) before there is a connection to fail. The reason goes to the
    log, not to the public body, which would show the server's address.
    """
    try:
        _probe().result(timeout=HEALTH_TIMEOUT)
    except FutureTimeout:
        logger.error("health check: the database did not answer within %s s", HEALTH_TIMEOUT)
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    except Exception:
        logger.exception("health check: the database does not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
