"""Refuses requests that no page could answer, before any view or query sees them, and adds
the security headers to every response."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

NUL = "\x00"
NUL_MESSAGE = "The address contains a NUL character (%00), which no search or page can use."


class RejectNulMiddleware:
    """400 for a NUL character in the path or the query string.

    PostgreSQL text cannot hold NUL, so such a value would fail in the database as a 500
    wherever it reached a query (a slug, a filter, a search term); no URL of the site means
    anything with one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path or any(
            NUL in key or any(NUL in value for value in values)
            for key, values in request.GET.lists()
        ):
            return bad_request(request, NUL_MESSAGE)
        return self.get_response(request)


class IndexAfterWriteMiddleware:
    """After a request that may have written (POST: the admin's saves, deletes, bulk
    actions, merges and restores), apply the search index's change log at once, so a
    curator's edit shows in searches on every process within a second.

    The writes themselves were logged by database triggers in their own transactions
    (articles/search/indexer.py); this only saves waiting for the next catch-up. A
    request that wrote nothing finds the log empty (one query).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "POST":
            from articles.search.indexer import catch_up_quietly

            catch_up_quietly()
        return response


class SearchUnavailableMiddleware:
    """The site's own 503 (JSON under /api/) while there is no search index to answer from:
    before the first `manage.py reindex` of an upgraded archive, or after the index folder
    was lost. `Retry-After` tells clients and monitors to come back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from articles.search import SearchUnavailable

        if not isinstance(exception, SearchUnavailable):
            return None
        logger.error("search unavailable: %s", exception)
        message = "Search is being rebuilt and will be back shortly."
        if request.path_info.startswith("/api/"):
            response: HttpResponse = JsonResponse({"error": message}, status=503)
        else:
            response = render(request, "503.html", {"message": message}, status=503)
        response["Retry-After"] = "30"
        return response


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 as JSON for the API, as a page of the site elsewhere."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": message}, status=400)
    return render(request, "400.html", {"message": message}, status=400)


# The public site runs no script and has no inline style: everything it loads is its own
# stylesheet. Nothing a dump smuggles into a page can run, even past the escaping.
SITE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# The admin's own scripts (from 'self'), the autocomplete's requests (connect-src), and the
# inline styles its widgets write (Select2's dropdowns, the date-time shortcuts): under its
# prefix only. tests/test_browser_security.py drives the admin's widgets under this policy.
ADMIN_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# Features no page of the site uses, refused to any script that might get in.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy and a Permissions-Policy on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        admin = request.path_info.startswith("/" + settings.ADMIN_URL)
        response.headers.setdefault("Content-Security-Policy", ADMIN_CSP if admin else SITE_CSP)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


DATABASE_DOWN = "The archive's database is not answering. Please try again in a minute."
# What a reader is told to wait before trying again (seconds).
DATABASE_RETRY_AFTER = 30


class DatabaseUnavailableMiddleware:
    """The site's own 503 (JSON under /api/) when the database is down, refuses connections,
    does not answer within the connect timeout, or cuts a statement at the statement
    timeout: all OperationalErrors. They were gunicorn's bare 500 after 30 s."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable for %s: %s", request.path, exception)
        response: HttpResponse
        if request.path_info.startswith("/api/"):
            response = JsonResponse({"error": DATABASE_DOWN}, status=503)
        else:
            response = render(request, "503.html", {"message": DATABASE_DOWN}, status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
