"""The JSON twin of the search page, and one article with its body."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from .models import Article
from .search import PageNotFound, SearchResults, search
from .throttle import rate_limited
from .views import bind_search


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def article_json(request: HttpRequest, article: Any, *, body: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": article.pk,
        "title": article.title,
        "url": request.build_absolute_uri(article.get_absolute_url()),
        "source": article.source.name if article.source else None,
        "authors": [a.name for a in article.author_list],
        "published_at": article.published_at.isoformat() if article.published_at else None,
        # When a crawler fetched the page: not a publication date.
        "captured_at": article.captured_at.isoformat() if article.captured_at else None,
        "tags": [t.name for t in article.tag_list],
        "language": article.language,
    }
    if body:
        data["original_url"] = article.original_link()
        data["body"] = article.body
    else:
        data["snippet"] = str(getattr(article, "snippet", ""))
        # Other visible versions of the same story (near-duplicates), listed on its page.
        data["similar"] = getattr(article, "similar", 0)
    return data


def results_json(request: HttpRequest, results: SearchResults) -> dict[str, Any]:
    suggestion = results.suggestion
    return {
        "count": results.count,
        "page": results.page,
        "page_size": results.page_size,
        "num_pages": results.num_pages,
        "has_terms": results.has_terms,
        "suggestion": {"q": suggestion.q, "count": suggestion.count} if suggestion else None,
        "results": [article_json(request, a) for a in results.articles],
        "facets": {
            name: [{"value": fv.value, "label": fv.label, "count": fv.count} for fv in values]
            for name, values in results.facets.items()
        }
        or {"source": [], "tag": [], "author": [], "year": [], "language": []},
    }


@rate_limited("api")
def search_api(request: HttpRequest) -> JsonResponse:
    filterset = bind_search(request)
    if not filterset.is_valid():
        return _error(filterset.error_message(), 400)
    try:
        results = search(filterset.search_request())
    except PageNotFound as exc:
        return _error(str(exc), 404)
    return JsonResponse(results_json(request, results), json_dumps_params={"ensure_ascii": False})


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other address under /api/: a JSON 404, as API clients expect, not an HTML page."""
    return _error(f"No API endpoint at {request.path}.", 404)


def article_api(request: HttpRequest, id: int) -> JsonResponse:
    article = Article.objects.visible().select_related("source").filter(pk=id).first()
    if article is None:
        return _error(f"No article with id {id}.", 404)
    article.tag_list = list(article.tags.all())
    article.author_list = article.byline()
    return JsonResponse(
        article_json(request, article, body=True), json_dumps_params={"ensure_ascii": False}
    )
