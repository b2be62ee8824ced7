"""The search parameters, shared by the search page, its JSON twin, its feed and its export.

The FilterSet validates what a reader sent (q, source, tag, author, language, from, to,
sort, page, page_size) and turns it into a `SearchRequest`; the search index applies it
(articles/search/), so the FilterSet's own queryset is never read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters
from django import forms
from django.db.models.functions import Lower
from django.utils.translation import gettext, gettext_noop

from .languages import LANGUAGE_NAMES
from .models import Article, ArticleQuerySet, Author, Source, Tag
from .search import PAGE_SIZE, PAGE_SIZES, SORTS, SearchRequest
from .search.query import MAX_QUERY_CHARS

UNDATED = "undated"
# What the parameters name, in the interface's language.
KINDS = {
    "source": gettext_noop("source"),
    "tag": gettext_noop("tag"),
    "author": gettext_noop("author"),
}
# Facets whose values a reader may list in full within the search (`more=tag`).
MORE_FACETS = ("source", "tag", "author", "language")


class SlugOrNameField(forms.Field):
    """Repeatable parameter naming rows of `model` by slug, (any case) by name, or by an old
    slug that redirects to it (a renamed or merged tag or source: bookmarks and feed
    subscriptions keep working, and the page's links carry the current slug)."""

    widget = forms.MultipleHiddenInput

    def __init__(self, model: type[Source] | type[Tag] | type[Author], **kwargs: Any) -> None:
        self.model = model
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    @property
    def kind(self) -> str:
        return KINDS[str(self.model._meta.model_name)]

    def clean(self, value: Any) -> list[Any]:
        names = [v.strip() for v in (value or []) if v and v.strip()]
        if len(names) > 20:
            raise forms.ValidationError(
                gettext("At most 20 %(kind)s values.") % {"kind": gettext(self.kind)}
            )
        rows = []
        for name in dict.fromkeys(names):
            row = (
                self.model.objects.filter(slug=name).first()
                or self.model.objects.annotate(lname=Lower("name"))
                .filter(lname=name.lower())
                .first()
                or self._redirected(name)
            )
            if row is None:
                raise forms.ValidationError(
                    gettext("No %(kind)s called “%(name)s”.")
                    % {"kind": gettext(self.kind), "name": name}
                )
            rows.append(row)
        return rows

    def _redirected(self, old_slug: str) -> Any:
        """The source or tag an old slug redirects to (authors have no redirects)."""
        if self.model is Author:
            return None
        model: Any = self.model
        return model.objects.filter(redirects__old_slug=old_slug).first()


class SlugOrNameFilter(django_filters.Filter):
    field_class = SlugOrNameField


class DateOrUndatedField(forms.DateField):
    """A day (YYYY-MM-DD), or `undated` for the articles without a date."""

    def to_python(self, value: Any) -> date | str | None:  # type: ignore[override]
        if isinstance(value, str) and value.strip().lower() == UNDATED:
            return UNDATED
        return super().to_python(value)


class DateOrUndatedFilter(django_filters.Filter):
    field_class = DateOrUndatedField


class IntegerFilter(django_filters.Filter):
    field_class = forms.IntegerField


class SearchForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start == UNDATED and end:
            raise forms.ValidationError(gettext("Undated articles have no “to” date."))
        if isinstance(start, date) and isinstance(end, date) and start > end:
            raise forms.ValidationError(gettext("The “from” date is after the “to” date."))
        return data


def _language_choices() -> list[tuple[str, str]]:
    return [
        *sorted(LANGUAGE_NAMES.items(), key=lambda kv: kv[1]),
        ("unknown", "Unknown"),
    ]


class ArticleFilter(django_filters.FilterSet):
    """Validates q, source, tag, author, language, from, to, sort, page, page_size and more."""

    q = django_filters.CharFilter(method="keep", max_length=MAX_QUERY_CHARS, label="Search")
    source = SlugOrNameFilter(model=Source, method="keep", label="Source")
    tag = SlugOrNameFilter(model=Tag, method="keep", label="Tag")
    author = SlugOrNameFilter(model=Author, method="keep", label="Author")
    language = django_filters.ChoiceFilter(
        choices=_language_choices, method="keep", label="Language", empty_label="Any language"
    )
    sort = django_filters.ChoiceFilter(
        choices=[(s, s.title()) for s in SORTS], method="keep", label="Sort", empty_label="Default"
    )
    page = IntegerFilter(method="keep", min_value=1, label="Page")
    page_size = django_filters.ChoiceFilter(
        choices=[(str(n), str(n)) for n in PAGE_SIZES],
        method="keep",
        label="Results per page",
        empty_label="Default",
    )

    more = django_filters.ChoiceFilter(
        choices=[(name, name) for name in MORE_FACETS], method="keep", label="More values of"
    )

    class Meta:
        model = Article
        fields: list[str] = []
        form = SearchForm

    def keep(self, queryset: ArticleQuerySet, name: str, value: Any) -> ArticleQuerySet:
        # The search index applies the parameters (search_request); nothing is read here.
        return queryset

    def search_request(self, **changes: Any) -> SearchRequest:
        """The search a bound, valid filter describes."""
        data = self.form.cleaned_data
        start, end = data.get("from"), data.get("to")
        language = data.get("language") or None
        fields: dict[str, Any] = {
            "q": data.get("q") or "",
            "sources": tuple(s.pk for s in data.get("source") or []),
            "tags": tuple(t.pk for t in data.get("tag") or []),
            "authors": tuple(a.pk for a in data.get("author") or []),
            "language": "" if language == "unknown" else language,
            "date_from": start if isinstance(start, date) else None,
            "date_to": end if isinstance(end, date) else None,
            "undated": start == UNDATED,
            "sort": data.get("sort") or "",
            "page": data.get("page") or 1,
            "page_size": int(data.get("page_size") or PAGE_SIZE),
            "more_facet": data.get("more") or "",
        }
        fields.update(changes)
        return SearchRequest(**fields)

    def params(self) -> dict[str, list[str]]:
        """The current search as normalised parameters (slugs for sources, tags, authors)."""
        data = self.form.cleaned_data
        params: dict[str, list[str]] = {}
        if data.get("q"):
            params["q"] = [data["q"]]
        params["source"] = [s.slug for s in data.get("source") or []]
        params["tag"] = [t.slug for t in data.get("tag") or []]
        params["author"] = [a.slug for a in data.get("author") or []]
        for key in ("language", "sort"):
            if data.get(key):
                params[key] = [data[key]]
        for key in ("from", "to"):
            value = data.get(key)
            if value:
                params[key] = [value if isinstance(value, str) else value.isoformat()]
        if data.get("page_size") and int(data["page_size"]) != PAGE_SIZE:
            params["page_size"] = [str(data["page_size"])]
        return params

    def error_message(self) -> str:
        """The form's errors as one sentence a reader can act on."""
        parts: list[str] = []
        for name, errors in self.form.errors.items():
            label = "" if name == "__all__" else f"{name}: "
            parts.extend(f"{label}{error}" for error in errors)
        return " ".join(parts)


# `from` and `to` are the parameter names; `from` is a Python keyword, so they are added here.
ArticleFilter.base_filters["from"] = DateOrUndatedFilter(method="keep", label="From")
ArticleFilter.base_filters["to"] = django_filters.DateFilter(method="keep", label="To")
