"""The search filters, shared by the search page, its JSON twin, its feed and its export."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models.functions import Lower

from .languages import LANGUAGE_NAMES
from .models import Article, ArticleQuerySet, Source, Tag
from .search import MAX_QUERY_CHARS, SORTS


class SlugOrNameField(forms.Field):
    """Repeatable parameter naming rows of `model` by slug, (any case) by name, or by an old
    slug that redirects to it (a renamed or merged tag or source: bookmarks and feed
    subscriptions keep working, and the page's links carry the current slug)."""

    widget = forms.MultipleHiddenInput

    def __init__(self, model: type[Source] | type[Tag], **kwargs: Any) -> None:
        self.model = model
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[Any]:
        names = [v.strip() for v in (value or []) if v and v.strip()]
        if len(names) > 20:
            raise forms.ValidationError(f"At most 20 {self.model._meta.verbose_name} values.")
        rows = []
        for name in dict.fromkeys(names):
            row = (
                self.model.objects.filter(slug=name).first()
                or self.model.objects.annotate(lname=Lower("name"))
                .filter(lname=name.lower())
                .first()
                or self.model.objects.filter(redirects__old_slug=name).first()
            )
            if row is None:
                raise forms.ValidationError(f"No {self.model._meta.verbose_name} called “{name}”.")
            rows.append(row)
        return rows


class SlugOrNameFilter(django_filters.Filter):
    field_class = SlugOrNameField


class IntegerFilter(django_filters.Filter):
    field_class = forms.IntegerField


class SearchForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            raise forms.ValidationError("The “from” date is after the “to” date.")
        return data


class ArticleFilter(django_filters.FilterSet):
    """Validates and applies q, source, tag, language, from, to; carries sort and page."""

    q = django_filters.CharFilter(
        method="filter_nothing", max_length=MAX_QUERY_CHARS, label="Search"
    )
    source = SlugOrNameFilter(model=Source, method="filter_source", label="Source")
    tag = SlugOrNameFilter(model=Tag, method="filter_tag", label="Tag")
    language = django_filters.ChoiceFilter(
        choices=sorted(LANGUAGE_NAMES.items(), key=lambda kv: kv[1]),
        method="filter_language",
        label="Language",
        empty_label="Any language",
    )
    sort = django_filters.ChoiceFilter(
        choices=[(s, s.title()) for s in SORTS],
        method="filter_nothing",
        label="Sort",
        empty_label="Default",
    )
    page = IntegerFilter(method="filter_nothing", min_value=1, label="Page")

    class Meta:
        model = Article
        fields: list[str] = []
        form = SearchForm

    def filter_nothing(self, queryset: ArticleQuerySet, name: str, value: Any) -> ArticleQuerySet:
        # q, sort and page shape the search itself (run_search), not the base queryset;
        # from and to are applied together by filter_queryset.
        return queryset

    # With words to search, the search index answers the source, tag and date filters
    # (search.SearchFilters): here they become row tests (models.row_test), not indexes.

    def _indexed(self) -> bool:
        return not (self.form.cleaned_data.get("q") or "").strip()

    def filter_source(self, queryset: ArticleQuerySet, name: str, value: Any) -> ArticleQuerySet:
        return queryset.from_sources(value, indexed=self._indexed()) if value else queryset

    def filter_tag(self, queryset: ArticleQuerySet, name: str, value: Any) -> ArticleQuerySet:
        return queryset.tagged(*value, indexed=self._indexed()) if value else queryset

    def filter_language(self, queryset: ArticleQuerySet, name: str, value: Any) -> ArticleQuerySet:
        return queryset.in_language(value) if value else queryset

    def filter_queryset(self, queryset: Any) -> Any:
        # `from` and `to` as one date range (see published_between), after the others.
        queryset = super().filter_queryset(queryset)
        start, end = self.form.cleaned_data.get("from"), self.form.cleaned_data.get("to")
        if start or end:
            queryset = queryset.published_between(start, end, indexed=self._indexed())
        return queryset

    def error_message(self) -> str:
        """The form's errors as one sentence a reader can act on."""
        parts: list[str] = []
        for name, errors in self.form.errors.items():
            label = "" if name == "__all__" else f"{name}: "
            parts.extend(f"{label}{error}" for error in errors)
        return " ".join(parts)


# `from` and `to` are the parameter names; `from` is a Python keyword, so they are added here.
ArticleFilter.base_filters["from"] = django_filters.DateFilter(
    method="filter_nothing", label="From"
)
ArticleFilter.base_filters["to"] = django_filters.DateFilter(method="filter_nothing", label="To")
