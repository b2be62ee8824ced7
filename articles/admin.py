"""The curators' admin: fix, tag, merge and hide articles, fast on a million rows.

Stock Django admin wherever it fits. The additions are the ones curators need: a full-text
search box, a paginator and date hierarchy that never scan the whole table, bulk actions that
run as set-based SQL (articles.merge) and still leave a history entry per article, and merge
actions for tags and sources.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.widgets import (
    AdminSplitDateTime,
    AdminTextareaWidget,
    AdminURLFieldWidget,
    AutocompleteSelect,
    AutocompleteSelectMultiple,
)
from django.core.validators import URLValidator
from django.db import connection, models
from django.db.models import (
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
)
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from . import merge
from .counts import source_counts, tag_counts
from .importer import MAX_AUTHOR_NAME, MAX_TAG_NAME
from .ingest.fingerprint import fingerprint
from .languages import language_name
from .models import (
    Article,
    ArticleAuthor,
    ArticleQuerySet,
    Author,
    ImportRun,
    Source,
    SourceAlias,
    SourceRedirect,
    Tag,
    TagRedirect,
    canonical_of,
)
from .runs import delete_run_articles, hide_run_articles, run_articles
from .sanitize import strip_controls
from .search import SearchRequest, SearchUnavailable, search

admin.site.site_header = "Newsarchive curation"
admin.site.site_title = "Newsarchive admin"
admin.site.index_title = "Curate the archive"
# The navigation sidebar took a third of a laptop screen from the article list's columns.
admin.site.enable_nav_sidebar = False

# Up to this many rows the date hierarchy reads the listed articles' dates directly.
FEW_ROWS = 10_000
# Most matches of the search box the list shows (the most relevant first are kept).
SEARCH_LIMIT = 10_000


class AdminArticleQuerySet(ArticleQuerySet):
    """Articles for the changelist, with a date hierarchy that never scans every match.

    Django's date hierarchy asks for MIN/MAX(published_at) and a DISTINCT date_trunc() over the
    whole (filtered) list. Over a million rows the DISTINCT is a full scan. Instead:
    - when the changelist counted few rows (`few_matches`), read their dates once and bucket
      them in Python (at most FEW_ROWS values);
    - otherwise probe the published_at index once per year (or month): "any row in it?".
    """

    few_matches = False

    def _clone(self) -> Any:
        clone = super()._clone()  # type: ignore[misc]
        clone.few_matches = self.few_matches
        return clone

    def with_few_matches(self) -> AdminArticleQuerySet:
        clone: AdminArticleQuerySet = self._chain()  # type: ignore[attr-defined]
        clone.few_matches = True
        return clone

    def _few_dates(self) -> list[datetime]:
        # Read once: the date hierarchy asks for the range, then for the years or months.
        dates: list[datetime] | None = getattr(self, "_dates", None)
        if dates is None:
            found = self.order_by().prefetch_related(None).values_list("published_at", flat=True)
            dates = self._dates = [d for d in found if d is not None]
        return dates

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        first, last = kwargs.get("first"), kwargs.get("last")
        if not (
            not args
            and set(kwargs) == {"first", "last"}
            and isinstance(first, Min)
            and isinstance(last, Max)
            and all(_aggregated_field(a) == "published_at" for a in (first, last))
        ):
            return super().aggregate(*args, **kwargs)
        # The date hierarchy asks for these bounds, then datetimes() needs them again: over
        # the tag links of a big tag they cost 171 ms each (194,011 articles at 1,000,000).
        bounds: dict[str, Any] | None = getattr(self, "_date_bounds", None)
        if bounds is None:
            if self.few_matches:
                dates = self._few_dates()
                bounds = {"first": min(dates, default=None), "last": max(dates, default=None)}
            else:
                bounds = super().aggregate(*args, **kwargs)
            self._date_bounds = bounds
        return dict(bounds)

    def datetimes(self, field_name: str, kind: Any, order: Any = "ASC", tzinfo: Any = None) -> Any:
        if field_name != "published_at" or kind not in ("year", "month"):
            return super().datetimes(field_name, kind, order, tzinfo)
        tz = tzinfo or timezone.get_current_timezone()

        def bucket(d: datetime) -> datetime:
            d = timezone.localtime(d, tz)
            return datetime(d.year, d.month if kind == "month" else 1, 1, tzinfo=tz)

        if self.few_matches:
            found = sorted({bucket(d) for d in self._few_dates()})
        else:
            found = self._probe_buckets(kind, tz, bucket)
        return found if order == "ASC" else found[::-1]

    def _probe_buckets(self, kind: str, tz: Any, bucket: Any) -> list[datetime]:
        bounds = self.aggregate(first=Min("published_at"), last=Max("published_at"))
        if bounds["first"] is None:
            return []
        starts, start, last = [], bucket(bounds["first"]), bucket(bounds["last"])
        while start <= last:
            starts.append(start)
            if kind == "month":
                start = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=tz)
            else:
                start = datetime(start.year + 1, 1, 1, tzinfo=tz)
        ends = [*starts[1:], start]
        probes = [
            self.order_by()
            .prefetch_related(None)
            .filter(published_at__gte=begin, published_at__lt=end)
            .annotate(probe=Value(i))
            .values_list("probe", flat=True)[:1]
            for i, (begin, end) in enumerate(zip(starts, ends, strict=True))
        ]
        hits = set(probes[0].union(*probes[1:], all=True))
        return [starts[i] for i in sorted(hits)]


def _aggregated_field(aggregate: Any) -> str | None:
    source = aggregate.get_source_expressions()[0]  # then its filter and ordering, if any
    return getattr(source, "name", None)


_LANGUAGES_SQL = """
WITH RECURSIVE l(language) AS (
    (SELECT language FROM articles_article ORDER BY language LIMIT 1)
    UNION ALL
    SELECT (SELECT a.language FROM articles_article a
            WHERE a.language > l.language ORDER BY a.language LIMIT 1)
    FROM l WHERE l.language IS NOT NULL
)
SELECT language FROM l WHERE language IS NOT NULL
"""


class LanguageFilter(admin.SimpleListFilter):
    """Languages the archive holds, hidden articles' included (a loose index scan of the
    language index: one probe per language, not DISTINCT over every row)."""

    title = "language"
    parameter_name = "language"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(_LANGUAGES_SQL)
            languages = [row[0] for row in cursor.fetchall()]
        return [(code or "-", language_name(code) if code else "Unknown") for code in languages]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(language="" if value == "-" else value)


class _LargestFilter(admin.SimpleListFilter):
    """The largest few tags or sources, and the one chosen: a list of all 2,000 tags of an
    archive would fill the sidebar. Any other is one click away from its own admin list
    (its article count links here with this same parameter)."""

    shown = 25

    def largest(self) -> list[Any]:
        raise NotImplementedError

    def _largest(self, counted: Any) -> list[Any]:
        # Counted by the search index; without one (before the first reindex), the admin
        # still works, with only the chosen value offered.
        try:
            return [row for row, _ in counted(limit=self.shown)]
        except SearchUnavailable:
            return []

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        rows = self.largest()
        choices = [(str(row.pk), row.name) for row in rows]
        value = self.value()
        if value and value not in {pk for pk, _ in choices} and value.isdigit():
            chosen = self.model.objects.filter(pk=int(value)).first()  # type: ignore[attr-defined]
            if chosen is not None:
                choices.insert(0, (value, chosen.name))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{str(self.parameter_name): int(value)})


class LargestTagsFilter(_LargestFilter):
    title = "tag (largest)"
    parameter_name = "tags__id__exact"
    model = Tag

    def largest(self) -> list[Any]:
        return self._largest(tag_counts)


class LargestSourcesFilter(_LargestFilter):
    title = "source (largest)"
    parameter_name = "source__id__exact"
    model = Source

    def largest(self) -> list[Any]:
        return self._largest(source_counts)


class NearDuplicatesFilter(admin.SimpleListFilter):
    """Articles that have near-duplicates (other versions of the same story), or not."""

    title = "near-duplicates"
    parameter_name = "near_duplicates"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Has near-duplicates"), ("no", "Has none")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(duplicate_group__isnull=False)
        if self.value() == "no":
            return queryset.filter(duplicate_group__isnull=True)
        return queryset


class DuplicateGroupFilter(admin.SimpleListFilter):
    """One near-duplicate group (the list's group column links here)."""

    title = "near-duplicate group"
    parameter_name = "group"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        # Only the group being listed: shown (and applied) while the list is filtered by it.
        value = self.value()
        return [(value, f"group {value}")] if value is not None else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(duplicate_group=int(value))


class HttpURLValidator(URLValidator):
    """Only addresses a reader's browser may follow: the site shows no other as a link."""

    schemes = ["http", "https"]
    message = "Enter an http:// or https:// address."


class HttpURLField(forms.URLField):
    default_validators = [HttpURLValidator()]
    default_error_messages = {"invalid": HttpURLValidator.message}


class HttpURLWidget(AdminURLFieldWidget):
    """The admin's URL input, whose "Currently:" link is shown for http(s) addresses only."""

    def __init__(self, attrs: Any = None, validator_class: Any = HttpURLValidator) -> None:
        super().__init__(attrs, validator_class)


# Every URL field of the admin's forms (articles' and sources').
HTTP_URL_FIELD = {"form_class": HttpURLField, "widget": HttpURLWidget, "assume_scheme": "https"}


def _https_urls(field: Any, **kwargs: Any) -> Any:
    if isinstance(field, models.URLField):
        kwargs = {**HTTP_URL_FIELD, **kwargs}
    return field.formfield(**kwargs)


class BodyField(forms.CharField):
    """A body as the importer stores it: browsers send a textarea's lines ending in CRLF,
    which made every save, even an untouched one, a change of the body in its history."""

    widget = forms.Textarea

    def to_python(self, value: Any) -> str:
        # Control characters too (a pasted vertical tab made every feed with the article
        # fail); tabs and line breaks stay.
        return strip_controls(super().to_python(value) or "", multiline=True)


class TitleField(forms.CharField):
    """A title without control characters; a line break or tab pasted into it is a space."""

    widget = AdminTextareaWidget

    def to_python(self, value: Any) -> str:
        return strip_controls(super().to_python(value) or "").strip()


class AuthorsField(forms.CharField):
    """A byline typed one name a line, in order: names cleaned like the importer's, repeats
    (any case) dropped."""

    widget = AdminTextareaWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs["rows"] = 3

    def to_python(self, value: Any) -> str:
        names: dict[str, str] = {}
        for line in (super().to_python(value) or "").splitlines():
            name = " ".join(strip_controls(line).split())
            if name:
                names.setdefault(name.lower(), name)
        return "\n".join(names.values())

    def validate(self, value: Any) -> None:
        super().validate(value)
        for name in value.splitlines():
            if len(name) > MAX_AUTHOR_NAME:
                raise forms.ValidationError(
                    f"“{name[:40]}…” is longer than {MAX_AUTHOR_NAME} characters: one name a line."
                )


class LabelledSplitDateTime(AdminSplitDateTime):
    """The date and time boxes of a date-time field, each with its own accessible name (the
    field's label names only the first)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.widgets[0].attrs["aria-label"] = gettext_lazy("Date")
        self.widgets[1].attrs["aria-label"] = gettext_lazy("Time")


class TagsAutocomplete(AutocompleteSelectMultiple):
    """The tags' autocomplete without Select2's "clear all" cross, which it puts inside its
    list of chosen tags (a list may hold only list items; each tag keeps its own cross)."""

    def build_attrs(self, base_attrs: Any, extra_attrs: Any = None) -> dict[str, Any]:
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-allow-clear"] = "false"
        return attrs


class ArticleAdminForm(forms.ModelForm):
    title = TitleField()
    body = BodyField(required=False)
    authors_text = AuthorsField(
        label="Authors",
        help_text="One name a line, in byline order. A name the archive lacks (any case) "
        "becomes a new author.",
    )

    class Meta:
        model = Article
        formfield_callback = _https_urls
        fields = [
            "title",
            "body",
            "source",
            "published_at",
            "captured_at",
            "url",
            "language",
            "tags",
            "is_hidden",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            names = [author.name for author in self.instance.byline()]
            self.initial.setdefault("authors_text", "\n".join(names))

    def clean_language(self) -> str:
        language: str = self.cleaned_data["language"].strip().lower()
        if language and not (language.isascii() and language.isalpha() and len(language) >= 2):
            raise forms.ValidationError("Use an ISO 639 code of two or three letters, e.g. en.")
        return language

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        title, body = cleaned.get("title"), cleaned.get("body", "")
        if title is not None:
            # The fingerprint is unique: say which article this edit would duplicate.
            twin = (
                Article.objects.filter(fingerprint=fingerprint(title, body or ""))
                .exclude(pk=self.instance.pk)
                .only("pk", "title")
                .first()
            )
            if twin is not None:
                url = reverse("admin:articles_article_change", args=[twin.pk])
                raise forms.ValidationError(
                    format_html(
                        "With this title and body the article would be identical to article "
                        '<a href="{}">#{} “{}”</a>. Change the title or body, or hide one of them.',
                        url,
                        twin.pk,
                        twin.title,
                    )
                )
        canonical = canonical_of(cleaned.get("url"))
        if canonical is not None:
            # The canonical URL is unique too: a tracking parameter does not make another page.
            same = (
                Article.objects.filter(canonical_url=canonical)
                .exclude(pk=self.instance.pk)
                .exclude(url=cleaned.get("url"))  # the same URL: Django's own message says so
                .only("pk", "title")
                .first()
            )
            if same is not None:
                url = reverse("admin:articles_article_change", args=[same.pk])
                self.add_error(
                    "url",
                    format_html(
                        'Article <a href="{}">#{} “{}”</a> has this address already (the same '
                        "page, without tracking parameters, fragment or AMP marker).",
                        url,
                        same.pk,
                        same.title,
                    ),
                )
        return cleaned

    def _save_m2m(self) -> None:
        # Setting the tags sends m2m signals, each of which would add another history entry;
        # the entry written with the article gets the new tags instead (also when restoring).
        self.instance.skip_history_when_saving = True
        try:
            super()._save_m2m()  # type: ignore[misc]
        finally:
            del self.instance.skip_history_when_saving
        if "authors_text" in self.changed_data:
            set_byline(self.instance, self.cleaned_data["authors_text"].splitlines())
        latest = self.instance.history.first()
        if latest is not None:
            merge.refresh_history_tags(latest)
            merge.refresh_history_byline(latest)


def set_byline(article: Article, names: list[str]) -> None:
    """Make `names` the article's authors in that order (matched in any case, created when
    the archive has none of that name). Its links are rewritten, so the change log records
    the article and the search index follows."""
    authors = []
    for name in names:
        author = Author.objects.filter(name__iexact=name).first()
        if author is None:
            author = Author.objects.create(name=name)
        authors.append(author)
    ArticleAuthor.objects.filter(article=article).delete()
    ArticleAuthor.objects.bulk_create(
        ArticleAuthor(article=article, author=author, position=n)
        for n, author in enumerate(authors)
    )


def _action_form_response(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    form: forms.Form,
    *,
    title: str,
    action: str,
    button: str,
    help_text: str = "",
) -> TemplateResponse:
    """The intermediate page of an action: a small form, then a POST back to the changelist."""
    opts = modeladmin.model._meta
    preview = list(queryset[:20])
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "form": form,
        "media": modeladmin.media + form.media,
        "action": action,
        "button": button,
        "help_text": help_text,
        "preview": preview,
        "count": len(preview) if len(preview) < 20 else queryset.count(),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/articles/action_form.html", context)


def _articles(n: int) -> str:
    return f"{n:,} article" if n == 1 else f"{n:,} articles"


def _tag_names(text: str) -> list[str]:
    """Tag names typed as a comma-separated list: trimmed, control characters removed,
    without repeats (ignoring case)."""
    names: dict[str, str] = {}
    for part in text.split(","):
        name = " ".join(strip_controls(part).split())[:MAX_TAG_NAME]
        if name:
            names.setdefault(name.lower(), name)
    return list(names.values())


def _tags_named(names: list[str]) -> list[Tag]:
    """The tags called `names` (any case), created when the archive has none of that name."""
    tags = []
    for name in names:
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            tag = Tag.objects.create(name=name)
        tags.append(tag)
    return tags


def _is_apply(request: HttpRequest) -> bool:
    return request.POST.get("apply") == "yes"


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    form = ArticleAdminForm
    formfield_overrides = {
        models.URLField: HTTP_URL_FIELD,
        models.DateTimeField: {"widget": LabelledSplitDateTime},
    }
    list_display = [
        "title",
        "source",
        "published",
        "language",
        "tag_list",
        "author_names",
        "group",
        "hidden",
    ]
    # Only orders an index can serve: sorting a million rows by title or source is a full sort.
    sortable_by = ["published"]
    list_display_links = ["title"]
    list_filter = [
        "is_hidden",
        NearDuplicatesFilter,
        DuplicateGroupFilter,
        LanguageFilter,
        LargestSourcesFilter,
        LargestTagsFilter,
        "import_run",
    ]
    # Django's "Show counts" would count every filter choice over the whole archive.
    show_facets = admin.ShowFacets.NEVER
    list_select_related = ["source"]
    list_per_page = 50
    # The box searches the full-text index (get_search_results); this only makes it appear.
    search_fields = ["title"]
    search_help_text = (
        'The archive\'s search, hidden articles included: words, "a phrase", a OR b, -not, '
        "prefix*, title:word (the search page's Help lists them all)."
    )
    date_hierarchy = "published_at"
    ordering = [F("published_at").desc(nulls_last=True), "-id"]
    show_full_result_count = False
    autocomplete_fields = ["source", "tags"]
    readonly_fields = ["slug", "import_run", "created_at", "updated_at", "public_link"]
    fieldsets = [
        (None, {"fields": ["title", "body"]}),
        (
            None,
            {
                "fields": [
                    "source",
                    "authors_text",
                    "published_at",
                    "captured_at",
                    "url",
                    "language",
                    "tags",
                    "is_hidden",
                ]
            },
        ),
        ("Record", {"fields": ["public_link", "slug", "import_run", "created_at", "updated_at"]}),
    ]
    actions = [
        "add_tags",
        "remove_tags",
        "set_source",
        "hide",
        "unhide",
        "merge_near_duplicates",
        "split_near_duplicates",
    ]
    history_list_per_page = 50
    history_list_display = ["recorded_byline"]

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # Django allows a lookup across a many-to-many only where a filter names exactly
        # its relation path; the tag filter's parameter is its own, spelled as Django's.
        if lookup in (LargestTagsFilter.parameter_name, AUTHOR_LOOKUP):
            return True
        return super().lookup_allowed(lookup, value, request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        qs = AdminArticleQuerySet(Article).all()
        if (
            request.resolver_match
            and request.resolver_match.url_name == "articles_article_changelist"
        ):
            # A list needs no body (reading it means reading TOAST).
            qs = qs.defer("body").prefetch_related(
                "tags",
                Prefetch(
                    "articleauthor_set",
                    queryset=ArticleAuthor.objects.select_related("author").order_by("position"),
                ),
            )
        return qs

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        if changelist.result_count <= FEW_ROWS:
            # Few rows: the date hierarchy reads their dates directly.
            changelist.queryset = changelist.queryset.with_few_matches()
        return changelist

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Article], search_term: str
    ) -> tuple[QuerySet[Article], bool]:
        """The search index's matches (hidden articles included), within the list's filters."""
        if not search_term.strip():
            return queryset, False
        found = search(SearchRequest(q=search_term, include_hidden=True).window(0, SEARCH_LIMIT))
        if found.count > SEARCH_LIMIT:
            messages.info(
                request,
                f"The search matches {found.count:,} articles; the list holds the "
                f"{SEARCH_LIMIT:,} most relevant. Add words or filters to narrow it.",
            )
        return queryset.filter(pk__in=found.ids), False

    # Ascending is ASC NULLS FIRST and descending DESC NULLS LAST: both walk article_published_idx.
    @admin.display(description="published", ordering=F("published_at").asc(nulls_first=True))
    def published(self, obj: Article) -> Any:
        return obj.published_at

    @admin.display(description="authors")
    def author_names(self, obj: Article) -> str:
        return ", ".join(link.author.name for link in obj.articleauthor_set.all())

    @admin.display(description="tags")
    def tag_list(self, obj: Article) -> str:
        return ", ".join(tag.name for tag in obj.tags.all())

    @admin.display(description="near-duplicates")
    def group(self, obj: Article) -> str:
        """The article's near-duplicate group, linked to the list of its versions."""
        if obj.duplicate_group is None:
            return ""
        url = reverse("admin:articles_article_changelist") + f"?group={obj.duplicate_group}"
        return format_html('<a href="{}">group {}</a>', url, obj.duplicate_group)

    @admin.display(description="hidden", ordering="is_hidden")
    def hidden(self, obj: Article) -> str:
        # Said only where it is so: a column of "no" icons hid the few that matter.
        return mark_safe('<span class="hidden-flag">hidden</span>') if obj.is_hidden else ""

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "tags":
            kwargs["widget"] = TagsAutocomplete(db_field, self.admin_site)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="public page")
    def public_link(self, obj: Article) -> str:
        if obj.pk is None:
            return "-"
        if obj.is_hidden:
            return "hidden from the public"
        url = obj.get_absolute_url()
        return format_html('<a href="{}">{}</a>', url, url)

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        version_id = getattr(request, "_restore_version_id", None)
        if version_id is not None:
            obj._change_reason = f"Restored version {version_id}"  # type: ignore[attr-defined]
        elif change and form.changed_data:
            obj._change_reason = merge.shorten("Edited: " + ", ".join(form.changed_data))  # type: ignore[attr-defined]
        if change:
            merge.record_baseline([obj.pk])  # an imported article's first edit keeps the original
        super().save_model(request, obj, form, change)

    # --- History: restoring a version restores its tags and byline too ------------------

    @admin.display(description="byline")
    def recorded_byline(self, record: Any) -> str:
        if record.history_byline is None:
            return "not recorded"
        return ", ".join(name for _, name in record.history_byline) or "none"

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        request._restore_version_id = version_id  # type: ignore[attr-defined]
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        version_id = getattr(request, "_restore_version_id", None)
        if version_id is None:
            return form_class
        tag_ids = merge.tag_ids_of_version(int(version_id))
        byline = merge.byline_of_version(int(version_id))

        class RestoreForm(form_class):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, **kw)
                self.initial["tags"] = tag_ids
                if byline is not None and not self.is_bound:
                    # Shown to be posted back; a posted form compares it with the authors
                    # now, so a different byline is set.
                    self.initial["authors_text"] = "\n".join(byline)

        return RestoreForm

    # --- Bulk actions --------------------------------------------------------------------

    def _tags_form(self, request: HttpRequest, *, new: bool = False) -> forms.Form:
        field = Article._meta.get_field("tags")
        may_create = new and request.user.has_perm("articles.add_tag")

        class TagsForm(forms.Form):
            tags = forms.ModelMultipleChoiceField(
                queryset=Tag.objects.all(),
                widget=TagsAutocomplete(field, self.admin_site),
                required=not may_create,
                label="Existing tags",
            )
            if may_create:
                new_tags = forms.CharField(
                    required=False,
                    max_length=2000,
                    label="New tags",
                    help_text="Names separated by commas; a name the archive already has "
                    "adds that tag.",
                )

            def clean(self) -> dict[str, Any]:
                data = super().clean() or {}
                names = _tag_names(data.get("new_tags", ""))
                if may_create and not data.get("tags") and not names:
                    raise forms.ValidationError("Choose a tag or name a new one.")
                data["new_names"] = names
                return data

        return TagsForm(request.POST if _is_apply(request) else None)

    @admin.action(description="Add tags to the selected articles", permissions=["change"])
    def add_tags(self, request: HttpRequest, queryset: QuerySet[Article]) -> HttpResponse | None:
        form = self._tags_form(request, new=True)
        if _is_apply(request) and form.is_valid():
            tags = [*form.cleaned_data["tags"], *_tags_named(form.cleaned_data["new_names"])]
            tags = list({tag.pk: tag for tag in tags}.values())
            changed = merge.add_tags(queryset, tags, user=request.user)
            names = ", ".join(t.name for t in tags)
            self.message_user(request, f"Added {names} to {_articles(changed)}.", messages.SUCCESS)
            return None
        return _action_form_response(
            self, request, queryset, form, title="Add tags", action="add_tags", button="Add tags"
        )

    @admin.action(description="Remove tags from the selected articles", permissions=["change"])
    def remove_tags(self, request: HttpRequest, queryset: QuerySet[Article]) -> HttpResponse | None:
        form = self._tags_form(request)
        if _is_apply(request) and form.is_valid():
            tags = form.cleaned_data["tags"]
            changed = merge.remove_tags(queryset, tags, user=request.user)
            names = ", ".join(t.name for t in tags)
            self.message_user(
                request, f"Removed {names} from {_articles(changed)}.", messages.SUCCESS
            )
            return None
        return _action_form_response(
            self,
            request,
            queryset,
            form,
            title="Remove tags",
            action="remove_tags",
            button="Remove tags",
        )

    @admin.action(description="Set the source of the selected articles", permissions=["change"])
    def set_source(self, request: HttpRequest, queryset: QuerySet[Article]) -> HttpResponse | None:
        field = Article._meta.get_field("source")

        class SourceForm(forms.Form):
            source = forms.ModelChoiceField(
                queryset=Source.objects.all(),
                widget=AutocompleteSelect(field, self.admin_site),
            )

        form = SourceForm(request.POST if _is_apply(request) else None)
        if _is_apply(request) and form.is_valid():
            source = form.cleaned_data["source"]
            changed = merge.set_source(queryset, source, user=request.user)
            self.message_user(
                request, f"Set the source of {_articles(changed)} to {source}.", messages.SUCCESS
            )
            return None
        return _action_form_response(
            self, request, queryset, form, title="Set source", action="set_source", button="Set"
        )

    @admin.action(description="Hide the selected articles from the public", permissions=["change"])
    def hide(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        changed = merge.set_hidden(queryset, True, user=request.user)
        self.message_user(request, f"Hid {_articles(changed)}.", messages.SUCCESS)

    @admin.action(description="Show the selected articles again", permissions=["change"])
    def unhide(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        changed = merge.set_hidden(queryset, False, user=request.user)
        self.message_user(request, f"Unhid {_articles(changed)}.", messages.SUCCESS)

    @admin.action(
        description="Merge near-duplicates: keep the selected article, hide its other versions",
        permissions=["change"],
    )
    def merge_near_duplicates(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        groups, hidden = merge.merge_near_duplicates(queryset, user=request.user)
        if not groups:
            self.message_user(
                request, "None of the selected articles has near-duplicates.", messages.WARNING
            )
            return
        plural = "s" if groups != 1 else ""
        self.message_user(
            request,
            f"Merged {groups} group{plural} of near-duplicates: hid {_articles(hidden)}.",
            messages.SUCCESS,
        )

    @admin.action(
        description="Split the selected articles out of their near-duplicate groups",
        permissions=["change"],
    )
    def split_near_duplicates(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        changed = merge.split_near_duplicates(queryset, user=request.user)
        self.message_user(
            request, f"Split {_articles(changed)} from their near-duplicates.", messages.SUCCESS
        )


def _merge_action(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    merge_function: Any,
    noun: str,
) -> HttpResponse | None:
    """Choose which of the selected rows survives, then merge the others into it."""
    chosen = list(queryset.order_by("name"))
    if len(chosen) < 2:
        modeladmin.message_user(request, f"Select at least two {noun}s to merge.", messages.WARNING)
        return None

    class TargetField(forms.ModelChoiceField):
        def label_from_instance(self, obj: Any) -> str:
            return f"{obj.name}  (/{obj.slug}/, {_articles(obj.article_count)})"

    class MergeForm(forms.Form):
        target = TargetField(
            queryset=queryset.order_by("name"),
            widget=forms.RadioSelect,
            empty_label=None,
            label=f"Keep this {noun}",
            help_text=f"The other selected {noun}s are merged into it and deleted; "
            "their old URLs redirect to it.",
        )

    form = MergeForm(request.POST if _is_apply(request) else None)
    if _is_apply(request) and form.is_valid():
        target = form.cleaned_data["target"]
        result = merge_function(target, [o for o in chosen if o.pk != target.pk], user=request.user)
        modeladmin.message_user(
            request,
            f"Merged {', '.join(result.merged)} into {result.target} "
            f"({_articles(result.articles_changed)} changed).",
            messages.SUCCESS,
        )
        return None
    return _action_form_response(
        modeladmin,
        request,
        queryset,
        form,
        title=f"Merge {noun}s",
        action=f"merge_{noun}s",
        button="Merge",
    )


def _article_count(model_field: str) -> Any:
    # A correlated count per row on the page (PostgreSQL evaluates it after LIMIT) instead of
    # GROUP BY over every article of every tag.
    related: Any
    if model_field == "tag":
        related = Article.tags.through.objects.filter(tag_id=OuterRef("pk"))
    elif model_field == "author":
        related = ArticleAuthor.objects.filter(author_id=OuterRef("pk"))
    else:
        related = Article.objects.filter(source_id=OuterRef("pk"))
    # COUNT(*), not COUNT(id): an index-only scan of the foreign key's index.
    counted = related.order_by().annotate(n=Func(template="COUNT(*)", output_field=IntegerField()))
    counted = counted.values("n")
    return Subquery(counted)


def _article_list_link(count: int, **lookup: Any) -> str:
    url = reverse("admin:articles_article_changelist") + "?" + urlencode(lookup)
    return format_html('<a href="{}">{}</a>', url, _articles(count))


class RenameRedirectMixin:
    """Renaming changes the slug (unless set by hand); the old slug keeps redirecting."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        old_slug = form.initial.get("slug", "") if change else ""
        if change and "name" in form.changed_data and "slug" not in form.changed_data:
            obj.slug = merge.slug_for_rename(obj, obj.name)
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        if change:
            merge.keep_old_slug(obj, old_slug)


class TagRedirectInline(admin.TabularInline):
    model = TagRedirect
    extra = 0
    verbose_name = "old URL slug redirecting here"
    verbose_name_plural = "old URL slugs redirecting here"


@admin.register(Tag)
class TagAdmin(RenameRedirectMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name", "slug"]
    fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TagRedirectInline]
    actions = ["merge_tags"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(article_count=_article_count("tag"))

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, obj: Any) -> str:
        return _article_list_link(obj.article_count, tags__id__exact=obj.pk)

    @admin.action(description="Merge the selected tags into one", permissions=["change"])
    def merge_tags(self, request: HttpRequest, queryset: QuerySet[Tag]) -> HttpResponse | None:
        return _merge_action(self, request, queryset, merge.merge_tags, "tag")


# The article list's parameter for one author's articles (the author list links to it).
AUTHOR_LOOKUP = "authors__id__exact"


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name", "slug"]
    fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Author]:
        return super().get_queryset(request).annotate(article_count=_article_count("author"))

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, obj: Any) -> str:
        return _article_list_link(obj.article_count, **{AUTHOR_LOOKUP: obj.pk})


class SourceAliasInline(admin.TabularInline):
    model = SourceAlias
    extra = 1


class SourceRedirectInline(admin.TabularInline):
    model = SourceRedirect
    extra = 0
    verbose_name = "old URL slug redirecting here"
    verbose_name_plural = "old URL slugs redirecting here"


@admin.register(Source)
class SourceAdmin(RenameRedirectMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "domain", "article_count"]
    search_fields = ["name", "slug", "domain"]
    fields = ["name", "slug", "homepage", "domain"]
    prepopulated_fields = {"slug": ["name"]}
    formfield_overrides = {models.URLField: HTTP_URL_FIELD}
    inlines = [SourceAliasInline, SourceRedirectInline]
    actions = ["merge_sources"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return super().get_queryset(request).annotate(article_count=_article_count("source"))

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, obj: Any) -> str:
        return _article_list_link(obj.article_count, source__id__exact=obj.pk)

    @admin.action(description="Merge the selected sources into one", permissions=["change"])
    def merge_sources(
        self, request: HttpRequest, queryset: QuerySet[Source]
    ) -> HttpResponse | None:
        return _merge_action(self, request, queryset, merge.merge_sources, "source")


# Characters of a run's paths shown in the list (all of them on hover and on its page).
PATHS_SHOWN = 60


def import_outcome(run: ImportRun) -> str:
    """A run's outcome in words: "created 2,125 · 100 duplicates · 1 failed · 23 warnings
    · 36 skipped", failures in bold, counts of nothing left out."""
    parts = [format_html("{} {}", "would create" if run.dry_run else "created", f"{run.created:,}")]
    if run.duplicates:
        plural = "s" if run.duplicates != 1 else ""
        parts.append(format_html("{} duplicate{}", f"{run.duplicates:,}", plural))
    if run.failed:
        parts.append(format_html('<span class="failed">{} failed</span>', f"{run.failed:,}"))
    else:
        parts.append(format_html('<span class="none">{}</span>', "none failed"))
    if run.warnings:
        plural = "s" if run.warnings != 1 else ""
        parts.append(format_html("{} warning{}", f"{run.warnings:,}", plural))
    if run.skipped:
        parts.append(format_html("{} skipped", f"{run.skipped:,}"))
    return format_html_join(" · ", "{}", ((part,) for part in parts))


def _where(path: Any, line: Any) -> str:
    return f"{path}:{line}" if line is not None else str(path or "")


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Read-only: runs are written by `manage.py ingest`, never by hand."""

    # Five columns that fit 1,366 pixels; the outcome says failures, warnings and skips in
    # words, the run's page has every detail.
    list_display = ["__str__", "status", "started_at", "short_paths", "outcome"]
    list_filter = ["status", "dry_run"]
    date_hierarchy = "started_at"
    actions = ["hide_articles", "delete_articles"]
    fields = readonly_fields = (
        "status",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "path_list",
        "options_table",
        "dry_run",
        "outcome",
        "error_table",
        "report_table",
    )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # A run whose process died says so here, in its row, not "running" forever.
        ImportRun.objects.mark_stalled()
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        ImportRun.objects.mark_stalled()
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_hide_articles_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("articles.change_article")

    def has_delete_articles_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("articles.delete_article")

    def _undo_action(
        self,
        request: HttpRequest,
        queryset: QuerySet[ImportRun],
        *,
        action: str,
        verb: str,
        done: str,
        count: int,
        undo: Any,
        consequence: str,
    ) -> HttpResponse | None:
        """Say how many articles the action changes and ask; on "yes", do it."""
        runs = list(queryset.order_by("pk"))
        names = ", ".join(str(run) for run in runs)
        if _is_apply(request):
            changed = undo(runs)
            self.message_user(request, f"{done} {_articles(changed)} of {names}.", messages.SUCCESS)
            return None
        if not count:
            self.message_user(request, f"{names}: no article to {verb}.")
            return None
        return _action_form_response(
            self,
            request,
            queryset,
            forms.Form(),
            title=f"{verb.capitalize()} the articles of an import",
            action=action,
            button=f"Yes, {verb} {_articles(count)}",
            help_text=f"{verb.capitalize()} {_articles(count)} imported by {names}? {consequence}",
        )

    @admin.action(description="Hide this run's articles", permissions=["hide_articles"])
    def hide_articles(
        self, request: HttpRequest, queryset: QuerySet[ImportRun]
    ) -> HttpResponse | None:
        return self._undo_action(
            request,
            queryset,
            action="hide_articles",
            verb="hide",
            done="Hid",
            count=run_articles(queryset).filter(is_hidden=False).count(),
            undo=lambda runs: hide_run_articles(runs, user=request.user),
            consequence="They leave every public page and search at once; each keeps its "
            "history, and the article list's action shows them again.",
        )

    @admin.action(description="Delete this run's articles", permissions=["delete_articles"])
    def delete_articles(
        self, request: HttpRequest, queryset: QuerySet[ImportRun]
    ) -> HttpResponse | None:
        return self._undo_action(
            request,
            queryset,
            action="delete_articles",
            verb="delete",
            done="Deleted",
            count=run_articles(queryset).count(),
            undo=lambda runs: delete_run_articles(runs, user=request.user),
            consequence="The sources, tags and authors only they use go too. Each deletion is "
            "in the articles' history.",
        )

    @admin.display(description="paths")
    def path_list(self, obj: ImportRun) -> str:
        return ", ".join(str(p) for p in obj.paths or [])

    @admin.display(description="paths")
    def short_paths(self, obj: ImportRun) -> str:
        full = self.path_list(obj)
        shown = full if len(full) <= PATHS_SHOWN else full[: PATHS_SHOWN - 1] + "…"
        return format_html('<span title="{}">{}</span>', full, shown)

    @admin.display(description="outcome")
    def outcome(self, obj: ImportRun) -> str:
        return format_html('<span class="import-outcome">{}</span>', import_outcome(obj))

    @admin.display(description="options")
    def options_table(self, obj: ImportRun) -> str:
        options = obj.options if isinstance(obj.options, dict) else {}
        if not options:
            return "-"
        rows = format_html_join(
            "", "<tr><th>{}</th><td>{}</td></tr>", ((k, v) for k, v in sorted(options.items()))
        )
        return format_html("<table>{}</table>", rows)

    @admin.display(description="last sign of life")
    def heartbeat_at(self, obj: ImportRun) -> Any:
        return obj.heartbeat_at

    @admin.display(description="warnings and skipped records")
    def report_table(self, obj: ImportRun) -> str:
        """Counts by kind and code, each with its first examples (file, line, message)."""
        report = obj.report if isinstance(obj.report, dict) else {}
        rows = []
        for kind in ("warning", "skipped"):
            codes = report.get(kind) or {}
            for code, entry in sorted(codes.items(), key=lambda item: -item[1].get("count", 0)):
                examples = entry.get("examples") or []
                rows.append(
                    format_html(
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td><ul>{}</ul>{}</td></tr>",
                        kind,
                        code or "other",
                        f"{entry.get('count', 0):,}",
                        format_html_join(
                            "",
                            "<li><code>{}</code>: {}</li>",
                            (
                                (_where(e.get("path"), e.get("line")), e.get("message", ""))
                                for e in examples
                            ),
                        ),
                        format_html("<p>(the first {} of them)</p>", len(examples))
                        if len(examples) < entry.get("count", 0)
                        else "",
                    )
                )
        if not rows:
            return "none"
        return format_html(
            '<table class="import-report"><thead><tr><th>kind</th><th>code</th><th>count</th>'
            "<th>examples</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join("", "{}", ((row,) for row in rows)),
        )

    @admin.display(description="errors")
    def error_table(self, obj: ImportRun) -> str:
        errors = [e for e in obj.errors or [] if isinstance(e, dict)]
        if not errors:
            return "none"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    e.get("path", ""),
                    "" if e.get("line") is None else e["line"],
                    e.get("message", ""),
                )
                for e in errors
            ),
        )
        return format_html(
            '<table class="import-errors"><thead><tr><th>file</th><th>line</th>'
            "<th>error</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )
