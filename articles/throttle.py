"""Bounds on the public endpoints that cost the most: per-client rate limits, a number of
export slots shared by every web process, and a row cap on anonymous exports.

Three concurrent anonymous exports of a broad search (22 MB, 23 s each at 69,000 articles)
made /healthz take 22.9 s. The views only gain a decorator; the numbers are settings
(RATELIMIT_SEARCH, RATELIMIT_API, RATELIMIT_EXPORT, EXPORT_SLOTS, EXPORT_MAX_ROWS[_STAFF]).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

# The first key of the export slots' advisory locks (pg_try_advisory_lock(key, slot)):
# "NAEX", so they never collide with another application's locks on the same database.
EXPORT_LOCK_KEY = 0x4E414558
# What a refused export is told to wait (seconds): a capped export takes a few.
EXPORT_RETRY_AFTER = 15

View = Callable[..., HttpResponseBase]


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind a proxy the CLIENT_IP_HEADER it sets
    (ignored when missing or not an address, so a bad header never fails a request)."""
    if settings.CLIENT_IP_HEADER:
        meta_key = "HTTP_" + settings.CLIENT_IP_HEADER.upper().replace("-", "_")
        value = request.META.get(meta_key, "").split(",")[0].strip()
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            pass
    return str(request.META.get("REMOTE_ADDR") or "0.0.0.0")  # noqa: S104 (not a bind address)


def refusal(request: HttpRequest, status: int, message: str, retry_after: int) -> HttpResponse:
    """A 429 or 503 saying why and when to come back: JSON under /api/, a page elsewhere."""
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"error": message}, status=status)
    else:
        response = render(request, f"{status}.html", {"message": message}, status=status)
    response["Retry-After"] = str(retry_after)
    return response


def _over_limit(request: HttpRequest, group: str, rate: str) -> HttpResponse | None:
    usage = get_usage(request, group=group, key="user_or_ip", rate=rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    wait = max(int(usage["time_left"]), 1)
    return refusal(
        request,
        429,
        f"Too many requests from your address ({rate.replace('/', ' per ')}). "
        f"Please try again in {wait} seconds.",
        wait,
    )


def rate_limited(group: str) -> Callable[[View], View]:
    """Answer 429 with Retry-After once a client passes the rate of RATELIMIT_<GROUP>."""
    setting = f"RATELIMIT_{group.upper()}"

    def decorator(view: View) -> View:
        @wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            refused = _over_limit(request, group, getattr(settings, setting))
            return refused or view(request, *args, **kwargs)

        return limited

    return decorator


def take_export_slot() -> int | None:
    """One of EXPORT_SLOTS session advisory locks, or None when every one is held.

    Advisory locks live in PostgreSQL, so the slots are shared by every web process and
    server, and a crashed process's slot is freed with its connection.
    """
    with connection.cursor() as cursor:
        for slot in range(settings.EXPORT_SLOTS):
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [EXPORT_LOCK_KEY, slot])
            if cursor.fetchone()[0]:
                return slot
    return None


def release_export_slot(slot: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [EXPORT_LOCK_KEY, slot])
    except DatabaseError:  # the connection is gone, and the lock with it
        logger.warning("export slot %s: the connection closed before its release", slot)


def export_row_limit(request: HttpRequest) -> int:
    """How many rows this reader's export may hold (more for staff users)."""
    if request.user.is_authenticated and request.user.is_staff:
        return int(settings.EXPORT_MAX_ROWS_STAFF)
    return int(settings.EXPORT_MAX_ROWS)


def _capped(lines: Iterable[bytes], rows: int, slot: int) -> Iterator[bytes]:
    """The header and at most `rows` rows of a streamed CSV; the slot is freed at the end,
    or when the client goes away (Django closes the response, which closes this)."""
    try:
        for number, line in enumerate(lines):
            if number > rows:
                break
            yield line
    finally:
        release_export_slot(slot)


def export_guard(view: View) -> View:
    """The CSV export's bounds: the client's rate, a free slot, and the row cap.

    Each line the view streams is one CSV record (csv.writer.writerow), so the cap counts
    lines; the view's query is closed when the response is.
    """

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refused = _over_limit(request, "export", settings.RATELIMIT_EXPORT)
        if refused is not None:
            return refused
        slot = take_export_slot()
        if slot is None:
            return refusal(
                request,
                503,
                f"The server is busy with other exports (at most {settings.EXPORT_SLOTS} "
                f"at once). Please try again in {EXPORT_RETRY_AFTER} seconds.",
                EXPORT_RETRY_AFTER,
            )
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            release_export_slot(slot)
            raise
        if not isinstance(response, StreamingHttpResponse):
            release_export_slot(slot)
            return response
        rows = export_row_limit(request)
        lines: Any = response.streaming_content  # an iterator: the export view is sync
        response.streaming_content = _capped(lines, rows, slot)
        response["X-Export-Row-Limit"] = str(rows)
        return response

    return guarded
