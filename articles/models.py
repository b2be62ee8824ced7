from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import attrgetter
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Lower
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.text import slugify
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from .sanitize import http_url

# What reverse() leaves unquoted in a path (RFC 3986 pchar).
_URL_SAFE = RFC3986_SUBDELIMS + "/~:@"


def remembered_reverse(view: str, *args: object) -> str:
    """reverse(view, args=args), from the parts of one reverse() per view, script prefix and
    URLconf: a result page links some 80 articles, sources and tags, and reverse() took a
    quarter of each result's Python."""
    parts = _reversed_parts(
        view, len(args), get_script_prefix(), get_urlconf(settings.ROOT_URLCONF)
    )
    url = [parts[0]]
    for arg, part in zip(args, parts[1:], strict=True):
        url += [quote(str(arg), safe=_URL_SAFE), part]
    return "".join(url)


@lru_cache(maxsize=64)
def _reversed_parts(view: str, arity: int, prefix: str, urlconf: Any) -> tuple[str, ...]:
    """The address of `view` cut where its arguments go (digit stand-ins suit int and str
    converters alike)."""
    standins = [f"98765432{i}0" for i in range(arity)]
    rest = reverse(view, args=standins, urlconf=urlconf)
    parts = []
    for standin in standins:
        part, rest = rest.split(standin, 1)
        parts.append(part)
    return (*parts, rest)


def article_path(pk: int, slug: str) -> str:
    """An article's page, from its id and slug alone (lists that read no Article objects)."""
    return remembered_reverse("articles:article_detail", pk, slug or "article")


def base_slug(text: str, *, max_length: int = 100) -> str:
    """The slug `text` gets when no other row has it yet."""
    return slugify(text, allow_unicode=True)[:max_length].strip("-") or "item"


def unique_slug(model: type[models.Model], text: str, *, max_length: int = 100) -> str:
    """A slug for `text` not yet used by any row of `model` (name-2, name-3... on clashes)."""
    base = base_slug(text, max_length=max_length)
    slug, n = base, 1
    while model._default_manager.filter(slug=slug).exists():
        n += 1
        suffix = f"-{n}"
        slug = base[: max_length - len(suffix)] + suffix
    return slug


class Source(models.Model):
    """An outlet: a newspaper, agency, broadcaster or site."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    homepage = models.URLField(max_length=500, blank=True)
    domain = models.CharField(
        max_length=253, blank=True, help_text="Web domain without www., e.g. bbc.co.uk"
    )
    # One key per outlet however dumps name it ('bbc' for news.bbc.co.uk, www.bbc.com and
    # 'bbc'): the importer files a new spelling with the same key under this source.
    outlet_key = models.CharField(max_length=100, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Dumps spell outlets in any case; one row per outlet whatever the case.
            models.UniqueConstraint(Lower("name"), name="source_name_ci_unique"),
        ]
        indexes = [
            # The importer's match of a new spelling to its outlet.
            models.Index(
                fields=["outlet_key"], name="source_outlet_key_idx", condition=~Q(outlet_key="")
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        from .ingest.outlets import outlet_key

        if not self.slug:
            self.slug = unique_slug(Source, self.name)
        if not self.outlet_key:
            self.outlet_key = outlet_key(self.domain or self.name) or ""
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return remembered_reverse("articles:source_detail", self.slug)

    def homepage_link(self) -> str | None:
        """The homepage when it may be shown as a link (http or https), else None."""
        return http_url(self.homepage)


class SourceAlias(models.Model):
    """Another spelling or domain by which dumps name a source."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=253)

    class Meta:
        verbose_name_plural = "source aliases"
        constraints = [
            models.UniqueConstraint(Lower("name"), name="sourcealias_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class SourceRedirect(models.Model):
    """An old source slug (after a rename or merge) that redirects to its source."""

    old_slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="redirects")

    def __str__(self) -> str:
        return f"{self.old_slug} → {self.source.slug}"


class Tag(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="tag_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = unique_slug(Tag, self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return remembered_reverse("articles:tag_detail", self.slug)


class TagRedirect(models.Model):
    """An old tag slug (after a rename or merge) that redirects to its tag."""

    old_slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="redirects")

    def __str__(self) -> str:
        return f"{self.old_slug} → {self.tag.slug}"


class Author(models.Model):
    """A person named in articles' bylines."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Dumps spell a byline in any case; one row per person whatever the case.
            models.UniqueConstraint(Lower("name"), name="author_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = unique_slug(Author, self.name, max_length=120)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return remembered_reverse("articles:author_detail", self.slug)


class BylineHistory(models.Model):
    """What each history entry of an article adds to its fields: the byline, so restoring a
    version restores its authors in order and the history page lists them."""

    # [[author id, name], ...] in byline order; null in entries written before bylines were
    # recorded (restoring one of those keeps the current authors).
    history_byline = models.JSONField(null=True, blank=True, default=None)

    class Meta:
        abstract = True


class ImportRunQuerySet(models.QuerySet["ImportRun"]):
    def mark_stalled(self) -> int:
        """Mark "interrupted" the running runs whose importer stopped beating for longer
        than settings.IMPORT_STALE_AFTER seconds (its process was killed or the machine
        stopped); returns how many. What their batches committed stays, and is counted."""
        limit = timezone.now() - timedelta(seconds=settings.IMPORT_STALE_AFTER)
        last_sign = Coalesce("heartbeat_at", "started_at")
        return (
            self.filter(status=ImportRun.Status.RUNNING)
            .alias(last_sign=last_sign)
            .filter(last_sign__lt=limit)
            .update(status=ImportRun.Status.INTERRUPTED, finished_at=last_sign)
        )


class ImportRun(models.Model):
    """One run of `manage.py ingest`: what it read, and what came of it."""

    class Status(models.TextChoices):
        RUNNING = "running"
        FINISHED = "finished"
        INTERRUPTED = "interrupted"
        CRASHED = "crashed"

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    paths = models.JSONField(default=list)
    options = models.JSONField(default=dict)
    dry_run = models.BooleanField(default=False)
    # Written by the importer as its batches commit (at most every HEARTBEAT_INTERVAL
    # seconds): a running run whose heartbeat stopped lost its process (`mark_stalled`).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # The failed records: [{"path": ..., "line": int | None, "message": ..., "kind": "error",
    # "code": ...}, ...], the first MAX_RECORDED_ERRORS of them.
    errors = models.JSONField(default=list, blank=True)
    # Warnings and skipped records: {kind: {code: {"count": n, "examples": [{"path", "line",
    # "message"}, ...]}}}, the first REPORT_EXAMPLES examples of each code.
    report = models.JSONField(default=dict, blank=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.started_at:%Y-%m-%d %H:%M})"


def canonical_of(url: str | None) -> str | None:
    """The de-duplication form of a stored URL (None when it is not an http(s) address)."""
    from .ingest.urls import read_url

    if not url:
        return None
    kept, _ = read_url(url)
    return kept.canonical if kept is not None else None


class ArticleQuerySet(models.QuerySet["Article"]):
    def visible(self) -> ArticleQuerySet:
        """What the public may see: everything a curator has not hidden."""
        return self.filter(is_hidden=False)

    def newest_first(self) -> ArticleQuerySet:
        return self.order_by(F("published_at").desc(nulls_last=True), "-id")

    def from_sources(self, sources: Iterable[Source]) -> ArticleQuerySet:
        return self.filter(source__in=list(sources))

    def tagged(self, *tags: Tag) -> ArticleQuerySet:
        """Articles carrying every one of `tags`."""
        qs = self
        for tag in tags:
            qs = qs.filter(tags=tag)
        return qs

    def in_language(self, language: str) -> ArticleQuerySet:
        return self.filter(language=language)

    def published_between(self, start: date | None, end: date | None) -> ArticleQuerySet:
        """Published on or after `start` and on or before `end` (whole UTC days)."""
        bounds = Q()
        if start is not None:
            bounds &= Q(published_at__gte=datetime.combine(start, time.min, tzinfo=UTC))
        if end is not None and end < date.max:  # the last day of year 9999 ends nothing
            bounds &= Q(
                published_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
            )
        return self.filter(bounds) if bounds else self

    def for_listing(self) -> ArticleQuerySet:
        """What result lists need: no body (reading it means reading TOAST)."""
        return self.select_related("source").defer(
            "body", "fingerprint", "import_fingerprint", "import_run"
        )

    def with_tag_rows(self) -> ArticleQuerySet:
        """Each article's tags as `tag_rows`: a JSON list of [id, name, slug] in name order,
        in the same statement (no prefetch, no second query, no Tag objects)."""
        article, tag = Article._meta.db_table, Tag._meta.db_table
        links = Article.tags.through._meta.db_table
        rows = RawSQL(  # noqa: S611 -- constant SQL, no parameters
            "(SELECT coalesce(json_agg(json_build_array(t.id, t.name, t.slug) "  # noqa: S608
            f'ORDER BY t.name), \'[]\')::text FROM "{tag}" t JOIN "{links}" l '
            f'ON l.tag_id = t.id WHERE l.article_id = "{article}"."id")',
            (),
            output_field=models.TextField(),
        )
        return self.annotate(tag_rows=rows)

    def with_author_rows(self) -> ArticleQuerySet:
        """Each article's authors as `author_rows`: a JSON list of [id, name, slug] in byline
        order, in the same statement (as `with_tag_rows`)."""
        article, author = Article._meta.db_table, Author._meta.db_table
        links = ArticleAuthor._meta.db_table
        rows = RawSQL(  # noqa: S611 -- constant SQL, no parameters
            "(SELECT coalesce(json_agg(json_build_array(p.id, p.name, p.slug) "  # noqa: S608
            f'ORDER BY l.position, p.name), \'[]\')::text FROM "{author}" p JOIN "{links}" l '
            f'ON l.author_id = p.id WHERE l.article_id = "{article}"."id")',
            (),
            output_field=models.TextField(),
        )
        return self.annotate(author_rows=rows)


class Article(models.Model):
    title = models.TextField()
    # Article pages are found by id; the slug only makes URLs readable (no index).
    slug = models.SlugField(max_length=120, allow_unicode=True, blank=True, db_index=False)
    # Plain text; paragraphs separated by one blank line.
    body = models.TextField(blank=True)
    # Indexed by article_source_date_idx, whose leading column it is.
    source = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        db_index=False,
    )
    published_at = models.DateTimeField(null=True, blank=True)
    url = models.URLField(max_length=2000, null=True, blank=True)
    # The URL without tracking parameters, fragment, AMP markers or trailing slash
    # (articles.ingest.urls): the de-duplication key; `url` stays as given, for display.
    canonical_url = models.CharField(max_length=2000, null=True, blank=True, editable=False)
    language = models.CharField(max_length=3, blank=True, help_text="ISO 639-1 code")
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    # In byline order (ArticleAuthor.position).
    authors = models.ManyToManyField(
        Author, blank=True, related_name="articles", through="ArticleAuthor"
    )
    # When a crawler fetched the page: not a publication date, and never shown as one.
    captured_at = models.DateTimeField(null=True, blank=True)
    # sha256 of the normalised title and body as they are now (Article.save keeps it).
    fingerprint = models.CharField(max_length=64, editable=False)
    # The fingerprint the article was imported with, never changed by an edit: a re-import
    # recognises an article a curator has edited by it. None for articles made by hand.
    import_fingerprint = models.CharField(max_length=64, null=True, blank=True, editable=False)
    is_hidden = models.BooleanField(default=False)
    # Near-duplicates (syndicated copies, lightly edited versions) share a group: the id of
    # the group's first article. Null for an article with no near-duplicate.
    duplicate_group = models.BigIntegerField(null=True, blank=True, editable=False)
    import_run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not fields: the tags by name and the authors in byline order, set on the articles a
    # listing shows by search.fetch_articles (one query for a whole page) and by the
    # article API.
    tag_list: list[Tag]
    author_list: list[Author]

    history = HistoricalRecords(
        m2m_fields=[tags],
        excluded_fields=["fingerprint", "import_fingerprint", "canonical_url", "created_at"],
        bases=[BylineHistory],
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        constraints = [
            # The de-duplication keys; UniqueConstraint, unlike unique=True, adds no second
            # (LIKE) index that every import would have to maintain.
            models.UniqueConstraint(fields=["fingerprint"], name="article_fingerprint_unique"),
            models.UniqueConstraint(fields=["url"], name="article_url_unique"),
            # The re-import key (only imported articles have one).
            models.UniqueConstraint(
                fields=["import_fingerprint"],
                name="article_import_fingerprint_unique",
                condition=Q(import_fingerprint__isnull=False),
            ),
            models.UniqueConstraint(fields=["canonical_url"], name="article_canonical_url_unique"),
        ]
        indexes = [
            # The admin's list, newest first, and its date hierarchy.
            models.Index(
                F("published_at").desc(nulls_last=True),
                F("id").desc(),
                name="article_published_idx",
            ),
            # A source's articles: merges, deletes (SET NULL) and the admin's source filter.
            models.Index(fields=["source", "published_at"], name="article_source_date_idx"),
            # The admin's language filter.
            models.Index(fields=["language"], name="article_language_idx"),
            # An article's other versions, and the admin's "has near-duplicates" filter.
            models.Index(
                fields=["duplicate_group"],
                name="article_duplicate_group_idx",
                condition=Q(duplicate_group__isnull=False),
            ),
            # Curators' filter; hidden rows are few.
            models.Index(
                fields=["is_hidden"], name="article_hidden_idx", condition=Q(is_hidden=True)
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        from .ingest.fingerprint import fingerprint

        if not self.slug:
            self.slug = slugify(self.title, allow_unicode=True)[:120].strip("-") or "article"
        self.fingerprint = fingerprint(self.title, self.body)
        self.canonical_url = canonical_of(self.url)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return article_path(self.pk, self.slug)

    def other_versions(self) -> ArticleQuerySet:
        """The visible near-duplicates of this article, oldest first."""
        if self.duplicate_group is None:
            return Article.objects.none()
        return (
            Article.objects.visible()
            .filter(duplicate_group=self.duplicate_group)
            .exclude(pk=self.pk)
            .select_related("source")
            .defer("body")
            .order_by(F("published_at").asc(nulls_last=True), "id")
        )

    def original_link(self) -> str | None:
        """The stored URL when it may be shown as a link (http or https), else None: a dump's
        `javascript:` URL is kept in the record but never rendered anywhere."""
        return http_url(self.url)

    @property
    def dated_at(self) -> datetime | None:
        """The article's date: its publication date, else when it was captured."""
        return self.published_at or self.captured_at

    def byline(self) -> list[Author]:
        """The authors in byline order (from `author_list` when a listing set it)."""
        found = getattr(self, "author_list", None)
        if found is not None:
            return found
        return list(self.authors.order_by("articleauthor__position"))


class ArticleAuthor(models.Model):
    """An author of an article, at `position` in its byline (0 first)."""

    # Both indexed by the two constraints below, whose leading columns they are.
    article = models.ForeignKey(Article, on_delete=models.CASCADE, db_index=False)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, db_index=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="article_author_unique"),
        ]
        indexes = [
            # An author's page and filter: their articles.
            models.Index(fields=["author", "article"], name="article_author_by_author"),
        ]

    def __str__(self) -> str:
        return f"{self.author} ({self.position + 1})"


def attach_tags_and_authors(article: Any) -> None:
    """Give an article read with `with_tag_rows()` and `with_author_rows()` its `tag_list`
    (by name) and `author_list` (in byline order) from those rows: no further query."""
    tags = [Tag(id=pk, name=name, slug=slug) for pk, name, slug in json.loads(article.tag_rows)]
    article.tag_list = sorted(tags, key=attrgetter("name"))
    article.author_list = [
        Author(id=pk, name=name, slug=slug) for pk, name, slug in json.loads(article.author_rows)
    ]


def byline_of(article_id: int | None) -> list[list[Any]]:
    """An article's byline as a history entry records it: [[author id, name], ...]."""
    if article_id is None:
        return []
    links = ArticleAuthor.objects.filter(article_id=article_id).order_by("position")
    return [[pk, name] for pk, name in links.values_list("author_id", "author__name")]


@receiver(pre_create_historical_record)
def _record_byline(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, Article):
        history_instance.history_byline = byline_of(instance.pk)


class NearDuplicateBand(models.Model):
    """One band key of an article's MinHash signature (articles.ingest.neardup): the
    importer finds an article's near-duplicates among stored ones by an indexed lookup of
    its keys, with no structure of the whole archive in memory."""

    band_key = models.BigIntegerField()
    # No constraint in the database: a foreign-key check per key cost the import as much as
    # the rest of the step. Django's deletes still take an article's keys with it; a key
    # left by a raw delete names no article and is passed over.
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        db_table = "articles_nearduplicate_band"
        indexes = [
            # The importer's lookup of candidates (the oldest few of a key: index only).
            models.Index(fields=["band_key", "article"], name="neardup_band_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.band_key} → {self.article_id}"
