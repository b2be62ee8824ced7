from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Article


def home(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.visible().newest_first().select_related("source")[:20]
    return render(request, "articles/home.html", {"articles": articles})
