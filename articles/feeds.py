"""Atom feeds: the newest articles, per source, per tag, per author, and of any search."""

from __future__ import annotations

from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from newsarchive.middleware import bad_request

from .models import Article, Author, Source, Tag
from .sanitize import xml_safe
from .search import PageNotFound, SearchRequest, search
from .views import bind_search, resolve_source_slug, resolve_tag_slug

FEED_ITEMS = 30


def _xml_safe(value: Any) -> Any:
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list | tuple):
        return type(value)(_xml_safe(v) for v in value)
    if isinstance(value, dict):
        return {k: _xml_safe(v) for k, v in value.items()}
    return value


class XmlSafeAtom1Feed(Atom1Feed):
    """Atom without the characters XML cannot hold, in every field of the feed and its
    entries: one title with a vertical tab made every feed listing it a 500."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*_xml_safe(args), **_xml_safe(kwargs))

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        super().add_item(*_xml_safe(args), **_xml_safe(kwargs))


class BadFeedParameters(Exception):
    """A search feed's parameters do not validate (answered 400, as the page does)."""


class ArticleFeed(Feed):
    feed_type = XmlSafeAtom1Feed

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        # Plain text; the feed generator escapes it.
        return str(getattr(item, "snippet", "") or "")

    def item_pubdate(self, item: Article) -> Any:
        return item.published_at

    def item_updateddate(self, item: Article) -> Any:
        # The capture date only says when the entry's text was last known to be so.
        return item.published_at or item.captured_at or item.created_at

    def item_author_name(self, item: Article) -> str | None:
        """The byline's names ("A, B and C"), else the outlet."""
        names = [a.name for a in getattr(item, "author_list", [])]
        if names:
            return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return item.source.name if item.source else None

    def item_categories(self, item: Article) -> list[str]:
        return [t.name for t in item.tag_list]


def _newest(**filters: Any) -> list[Article]:
    found = search(SearchRequest(sort="newest", page_size=FEED_ITEMS, facets=False, **filters))
    return found.articles


class LatestFeed(ArticleFeed):
    title = "Newsarchive: newest articles"
    subtitle = "The newest articles in the archive."

    def link(self) -> str:
        return reverse("articles:home")

    def items(self) -> list[Article]:
        return _newest()


class SourceFeed(ArticleFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Source:
        source = resolve_source_slug(slug)
        if isinstance(source, str):
            raise Http404
        return source

    def title(self, obj: Source) -> str:
        return f"Newsarchive: {obj.name}"

    def link(self, obj: Source) -> str:
        return obj.get_absolute_url()

    def items(self, obj: Source) -> list[Article]:
        return _newest(sources=(obj.pk,))


class TagFeed(ArticleFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Tag:
        tag = resolve_tag_slug(slug)
        if isinstance(tag, str):
            raise Http404
        return tag

    def title(self, obj: Tag) -> str:
        return f"Newsarchive: {obj.name}"

    def link(self, obj: Tag) -> str:
        return obj.get_absolute_url()

    def items(self, obj: Tag) -> list[Article]:
        return _newest(tags=(obj.pk,))


class AuthorFeed(ArticleFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Author:
        return get_object_or_404(Author, slug=slug)

    def title(self, obj: Author) -> str:
        return f"Newsarchive: {obj.name}"

    def link(self, obj: Author) -> str:
        return obj.get_absolute_url()

    def items(self, obj: Author) -> list[Article]:
        return _newest(authors=(obj.pk,))


class SearchFeed(ArticleFeed):
    """The newest matches of a search, so a reader can subscribe to it."""

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().__call__(request, *args, **kwargs)
        except BadFeedParameters as exc:
            return bad_request(request, str(exc))

    def get_object(self, request: HttpRequest) -> Any:
        filterset = bind_search(request)
        if not filterset.is_valid():
            raise BadFeedParameters(filterset.error_message())
        wanted = filterset.search_request(sort="newest", page=1, page_size=FEED_ITEMS, facets=False)
        try:
            results = search(wanted)
        except PageNotFound as exc:
            raise Http404(str(exc)) from exc
        return {
            "q": filterset.form.cleaned_data.get("q") or "",
            "results": results,
            "request": request,
        }

    def title(self, obj: Any) -> str:
        return f"Newsarchive search: {obj['q']}" if obj["q"] else "Newsarchive search"

    def link(self, obj: Any) -> str:
        request = obj["request"]
        return reverse("articles:search") + ("?" + request.GET.urlencode() if request.GET else "")

    def feed_url(self, obj: Any) -> str:
        """The feed's own address with its search, so a reader's client subscribes to it."""
        request = obj["request"]
        return request.path + ("?" + request.GET.urlencode() if request.GET else "")

    def items(self, obj: Any) -> list[Article]:
        return obj["results"].articles


def source_feed(request: HttpRequest, slug: str) -> HttpResponse:
    current = resolve_source_slug(slug)
    if isinstance(current, str):
        return HttpResponsePermanentRedirect(reverse("articles:source_feed", args=[current]))
    return SourceFeed()(request, slug=slug)


def tag_feed(request: HttpRequest, slug: str) -> HttpResponse:
    current = resolve_tag_slug(slug)
    if isinstance(current, str):
        return HttpResponsePermanentRedirect(reverse("articles:tag_feed", args=[current]))
    return TagFeed()(request, slug=slug)
