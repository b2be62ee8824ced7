from __future__ import annotations

from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from . import api, discovery, feeds, views
from .throttle import rate_limited

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_page, name="search"),
    path("search/feed/", rate_limited("search")(feeds.SearchFeed()), name="search_feed"),
    path("search/export.csv", views.search_export, name="search_export"),
    path("api/search", api.search_api, name="api_search"),
    path("api/articles/<int:id>", api.article_api, name="api_article"),
    path("api/<path:rest>", api.not_found),
    path("articles/<int:id>/<str:slug>/", views.article_detail, name="article_detail"),
    path("articles/<int:id>/cite.<str:kind>", views.article_citation, name="article_citation"),
    path("sources/", views.source_list, name="source_list"),
    path("sources/<str:slug>/", views.source_detail, name="source_detail"),
    path("tags/", views.tag_list, name="tag_list"),
    path("tags/<str:slug>/", views.tag_detail, name="tag_detail"),
    path("authors/<str:slug>/", views.author_detail, name="author_detail"),
    path("archive/", views.archive_index, name="archive_index"),
    path("archive/undated/", views.archive_undated, name="archive_undated"),
    path("archive/<int:year>/", views.archive_year, name="archive_year"),
    path("archive/<int:year>/<int:month>/", views.archive_month, name="archive_month"),
    path("archive/<int:year>/<int:month>/<int:day>/", views.archive_day, name="archive_day"),
    path("feeds/latest/", feeds.LatestFeed(), name="latest_feed"),
    path("feeds/sources/<str:slug>/", feeds.source_feed, name="source_feed"),
    path("feeds/tags/<str:slug>/", feeds.tag_feed, name="tag_feed"),
    path("feeds/authors/<str:slug>/", feeds.AuthorFeed(), name="author_feed"),
    path("opensearch.xml", discovery.opensearch, name="opensearch"),
    path("robots.txt", discovery.robots_txt, name="robots_txt"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": discovery.SITEMAPS, "sitemap_url_name": "articles:sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<str:section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": discovery.SITEMAPS},
        name="sitemap_section",
    ),
]
