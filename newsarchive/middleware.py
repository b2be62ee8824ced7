"""Refuses requests that no page could answer, before any view or query sees them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

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


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 as JSON for the API, as a page of the site elsewhere."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": message}, status=400)
    return render(request, "400.html", {"message": message}, status=400)
