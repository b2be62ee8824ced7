"""How browsers and crawlers find the archive: the OpenSearch description, robots.txt and
the sitemaps (Django's sitemaps framework)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib.sitemaps import Sitemap
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import cached_property

from .models import Article, Author, Source, Tag, article_path

# Articles per sitemap page: the protocol allows 50,000; 5,000 render in about 0.2 s.
SITEMAP_PAGE = 5_000


def opensearch(request: HttpRequest) -> HttpResponse:
    """The OpenSearch description every page links: the browser's search box searches here."""
    return render(
        request,
        "opensearch.xml",
        {"base": request.build_absolute_uri("/")[:-1]},
        content_type="application/opensearchdescription+xml; charset=utf-8",
    )


def robots_txt(request: HttpRequest) -> HttpResponse:
    """Crawlers may read articles, sources, tags and the date archive; searches (and their
    feeds and exports) and the API are endless. The admin is not named: its prefix may be
    a secret, and it asks for a log-in anyway."""
    sitemap = request.build_absolute_uri(reverse("articles:sitemap"))
    lines = [
        "User-agent: *",
        "Disallow: /search/",
        "Disallow: /api/",
        "Disallow: /i18n/",
        "Allow: /",
        "",
        f"Sitemap: {sitemap}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


class IdRangePaginator:
    """Pages of visible articles by id range: page n holds ids from (n-1)·size+1 to n·size.

    Django's Paginator counts every row on each request (count(*) over a million articles);
    this needs only the largest id (one index lookup), and a page's address keeps meaning
    the same articles as the archive grows. A page may hold fewer than `size` articles
    (deleted or hidden ones), never more.
    """

    def __init__(self, size: int) -> None:
        self.size = size

    @cached_property
    def num_pages(self) -> int:
        largest = Article.objects.aggregate(largest=Max("id"))["largest"] or 0
        return max(1, -(-largest // self.size))

    def page(self, number: Any) -> SimpleNamespace:
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not a whole number.") from None
        if number < 1 or number > self.num_pages:
            raise EmptyPage("That page holds no articles.")
        rows = (
            Article.objects.visible()
            .filter(id__gt=(number - 1) * self.size, id__lte=number * self.size)
            .order_by("id")
            .values_list("id", "slug", "updated_at")
        )
        return SimpleNamespace(object_list=list(rows))


class ArticleSitemap(Sitemap):
    limit = SITEMAP_PAGE

    @cached_property
    def paginator(self) -> Any:
        return IdRangePaginator(self.limit)

    def items(self) -> Any:
        return []  # pages come from the paginator

    def location(self, item: Any) -> str:
        return article_path(item[0], item[1])

    def lastmod(self, item: Any) -> Any:
        return item[2]

    def get_latest_lastmod(self) -> None:
        return None  # the index names no date rather than read every article


class SourceSitemap(Sitemap):
    def items(self) -> Any:
        return Source.objects.order_by("id").only("slug")


class TagSitemap(Sitemap):
    def items(self) -> Any:
        return Tag.objects.order_by("id").only("slug")


class AuthorSitemap(Sitemap):
    def items(self) -> Any:
        return Author.objects.order_by("id").only("slug")


class PageSitemap(Sitemap):
    def items(self) -> list[str]:
        return [
            "articles:home",
            "articles:source_list",
            "articles:tag_list",
            "articles:archive_index",
        ]

    def location(self, item: str) -> str:
        return reverse(item)


SITEMAPS = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "sources": SourceSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}
