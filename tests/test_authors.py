"""Authors from the dumps to every page: bylines in order on article pages and results, the
author page, `author:` in the query language, the author filter and facet, the API, CSV,
feeds, exports, citations and the admin, all from files imported by `manage.py ingest`."""

from __future__ import annotations

import csv
import io
import json
import re
from xml.etree import ElementTree

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from articles.models import Article, ArticleAuthor, Author
from articles.search import SearchRequest, indexer, search
from tests.factories import ingest, make_superuser, news_page, write_dump

pytestmark = pytest.mark.django_db(transaction=True)

ATOM = "{http://www.w3.org/2005/Atom}"

RECORDS = [
    {
        "title": "Tidal barrier closes for the first time",
        "body": "The barrier closed at dawn as the surge arrived.",
        "author": "Jane Smith",
        "published_at": "2019-06-14T08:00:00Z",
        "source": "Harbour Times",
        "url": "https://harbour.example/barrier",
    },
    {
        "title": "Ferry timetable cut for the winter",
        "body": "Two sailings a day are dropped until March.",
        "authors": ["John Doe", "jane smith"],
        "published_at": "2019-06-15T08:00:00Z",
        "source": "Harbour Times",
    },
    {
        "title": "Harbour wall repairs finished early",
        "body": "Masons rebuilt forty metres of the wall.",
        "authors": ["Jane Smith", "John Doe", "Ann Lee"],
        "published_at": "2019-06-16T08:00:00Z",
        "source": "Harbour Times",
        "url": "https://harbour.example/wall",
    },
    {
        "title": "Lighthouse keeper retires",
        "body": "After thirty years the keeper hands over the keys.",
        "authors": ["Author", "Www.Harbour.Com", "Share"],  # page furniture only
        "published_at": "2019-06-17T08:00:00Z",
        "source": "Harbour Times",
    },
]


def text_of(response) -> str:
    """The page's text as a reader sees it (tags removed, spaces collapsed)."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    return re.sub(r" ([,.;:])", r"\1", text)


@pytest.fixture
def archive(tmp_path):
    """The records above as JSON Lines, and a news page with a byline as HTML."""
    lines = "\n".join(json.dumps(record) for record in RECORDS) + "\n"
    write_dump(tmp_path, "harbour.jsonl", lines)
    write_dump(
        tmp_path,
        "gazette.html",
        news_page(author="Maria Lindqvist", published="2021-03-04T09:30:00+01:00"),
    )
    summary = ingest(tmp_path)
    assert "created 5," in summary
    assert "author-dropped" in summary  # the furniture was reported, not stored
    return {a.title: a for a in Article.objects.all()}


def page(client, article: Article):
    return client.get(article.get_absolute_url())


def test_bylines_keep_their_order_and_match_authors_in_any_case(archive):
    assert sorted(Author.objects.values_list("name", flat=True)) == [
        "Ann Lee",
        "Jane Smith",
        "John Doe",
        "Maria Lindqvist",
    ]
    ferry = archive["Ferry timetable cut for the winter"]
    assert [a.name for a in ferry.byline()] == ["John Doe", "Jane Smith"]
    assert archive["Lighthouse keeper retires"].byline() == []


def test_a_reimport_adds_no_authors_and_no_links(archive, tmp_path):
    links = ArticleAuthor.objects.count()
    assert "created 0, duplicates 5" in ingest(tmp_path)
    assert Author.objects.count() == 4
    assert ArticleAuthor.objects.count() == links == 7


def test_the_article_page_says_by_whom_with_links_to_their_pages(client, archive):
    wall = archive["Harbour wall repairs finished early"]
    response = page(client, wall)
    assert "By Jane Smith, John Doe and Ann Lee" in text_of(response)
    jane = Author.objects.get(name="Jane Smith")
    assert f'<a class="author" href="/authors/{jane.slug}/"' in response.content.decode()
    ferry = page(client, archive["Ferry timetable cut for the winter"])
    assert "By John Doe and Jane Smith" in text_of(ferry)
    gazette = page(client, Article.objects.get(title__startswith="Harbour bridge reopens"))
    assert "By Maria Lindqvist" in text_of(gazette)
    keeper = page(client, archive["Lighthouse keeper retires"]).content.decode()
    assert "byline-line" not in keeper  # no byline at all, not an empty one


def test_the_author_page_lists_their_articles_newest_first_and_pages(client, archive, tmp_path):
    jane = Author.objects.get(name="Jane Smith")
    response = client.get(f"/authors/{jane.slug}/")
    assert response.status_code == 200
    text = text_of(response)
    assert "Author: Jane Smith" in text and "3 articles" in text
    titles = [a.title for a in response.context["results"].articles]
    assert titles == [
        "Harbour wall repairs finished early",
        "Ferry timetable cut for the winter",
        "Tidal barrier closes for the first time",
    ]
    assert client.get("/authors/nobody/").status_code == 404

    more = [
        {"title": f"Harbour note {n}", "body": f"Note {n} of many.", "author": "JANE SMITH"}
        for n in range(20)
    ]
    write_dump(tmp_path, "more.jsonl", "\n".join(json.dumps(r) for r in more))
    ingest(tmp_path / "more.jsonl")
    first = client.get(f"/authors/{jane.slug}/")
    assert "23 articles" in text_of(first)
    assert len(first.context["results"].articles) == 20
    shown = [a.title for a in first.context["results"].articles]
    assert shown[:3] == [
        "Harbour wall repairs finished early",
        "Ferry timetable cut for the winter",
        "Tidal barrier closes for the first time",
    ]  # the undated notes after the dated articles
    second = client.get(f"/authors/{jane.slug}/", {"page": 2})
    shown += [a.title for a in second.context["results"].articles]
    assert len(shown) == len(set(shown)) == 23
    assert client.get(f"/authors/{jane.slug}/", {"page": 3}).status_code == 404


def test_author_queries_by_name_word_and_slug_with_counts(archive):
    def titles(q: str) -> list[str]:
        return sorted(a.title for a in search(SearchRequest(q=q)).articles)

    assert titles('author:"Jane Smith"') == [
        "Ferry timetable cut for the winter",
        "Harbour wall repairs finished early",
        "Tidal barrier closes for the first time",
    ]
    assert titles("author:smith") == titles('author:"jane smith"') == titles("author:jane-smith")
    assert titles("author:doe -author:lee") == ["Ferry timetable cut for the winter"]
    assert titles("author:lindq*") == ["Harbour bridge reopens after two years of repairs"]
    assert titles("(ferry OR barrier) author:smith") == [
        "Ferry timetable cut for the winter",
        "Tidal barrier closes for the first time",
    ]
    assert search(SearchRequest(q="author:smith")).count == 3
    nobody = search(SearchRequest(q="author:nobody"))
    assert nobody.count == 0 and [f.value for f in nobody.unknown_filters] == ["nobody"]


def test_a_numbered_slug_names_its_author_and_not_the_namesake(archive, tmp_path):
    record = {
        "title": "Pier lights renewed",
        "body": "New lamps line the pier.",
        "author": "Jane-Smith",
    }
    write_dump(tmp_path, "namesake.jsonl", json.dumps(record) + "\n")
    ingest(tmp_path / "namesake.jsonl")
    namesake = Author.objects.get(name="Jane-Smith")
    assert namesake.slug == "jane-smith-2"

    numbered = search(SearchRequest(q=f"author:{namesake.slug}"))
    assert [a.title for a in numbered.articles] == ["Pier lights renewed"]
    assert numbered.unknown_filters == []
    # The name's words still find both spellings; the first slug keeps its own articles.
    assert search(SearchRequest(q="author:jane-smith")).count == 4
    assert search(SearchRequest(q="author:jane-smith-2 barrier")).count == 0


def test_the_author_filter_chip_and_facet_on_the_search_page(client, archive):
    response = client.get("/search/", {"q": "harbour"})
    authors = {item["label"]: item["count"] for item in response.context["facets"]["author"]}
    assert authors == {"Jane Smith": 1, "John Doe": 1, "Ann Lee": 1, "Maria Lindqvist": 1}
    response = client.get("/search/", {"author": "john-doe"})
    assert response.status_code == 200
    assert response.context["results"].count == 2
    chips = [(c["kind"], c["label"]) for c in response.context["chips"]]
    assert ("Author", "John Doe") in chips
    text = text_of(response)
    assert "By John Doe and Jane Smith" in text and "By Jane Smith, John Doe and Ann Lee" in text
    facet = {item["label"]: item for item in response.context["facets"]["author"]}
    assert facet["John Doe"]["selected"] and facet["Jane Smith"]["count"] == 2
    response = client.get("/search/", {"author": "nobody"})
    assert response.status_code == 400
    assert "No author called “nobody”." in text_of(response)


def test_the_api_csv_and_feeds_carry_the_authors_in_order(client, archive):
    data = client.get("/api/search", {"author": "ann-lee"}).json()
    assert data["count"] == 1
    assert data["results"][0]["authors"] == ["Jane Smith", "John Doe", "Ann Lee"]
    assert {f["label"]: f["count"] for f in data["facets"]["author"]} == {
        "Jane Smith": 1,
        "John Doe": 1,
        "Ann Lee": 1,
    }
    wall = archive["Harbour wall repairs finished early"]
    one = client.get(f"/api/articles/{wall.pk}").json()
    assert one["authors"] == ["Jane Smith", "John Doe", "Ann Lee"]

    response = client.get("/search/export.csv", {"q": "author:doe", "sort": "oldest"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    column = rows[0].index("authors")
    assert [r[column] for r in rows[1:]] == [
        "John Doe; Jane Smith",
        "Jane Smith; John Doe; Ann Lee",
    ]

    feed = ElementTree.fromstring(client.get("/search/feed/", {"q": "author:doe"}).content)
    names = [e.findtext(f"{ATOM}author/{ATOM}name") for e in feed.findall(f"{ATOM}entry")]
    assert names == ["Jane Smith, John Doe and Ann Lee", "John Doe and Jane Smith"]
    jane = Author.objects.get(name="Jane Smith")
    hers = ElementTree.fromstring(client.get(f"/feeds/authors/{jane.slug}/").content)
    assert hers.findtext(f"{ATOM}title") == "Newsarchive: Jane Smith"
    assert [e.findtext(f"{ATOM}title") for e in hers.findall(f"{ATOM}entry")] == [
        "Harbour wall repairs finished early",
        "Ferry timetable cut for the winter",
        "Tidal barrier closes for the first time",
    ]
    assert client.get("/feeds/authors/nobody/").status_code == 404
    latest = ElementTree.fromstring(client.get("/feeds/latest/").content)
    by_title = {
        e.findtext(f"{ATOM}title"): e.findtext(f"{ATOM}author/{ATOM}name")
        for e in latest.findall(f"{ATOM}entry")
    }
    assert by_title["Lighthouse keeper retires"] == "Harbour Times"  # no byline: the outlet


def test_manage_py_export_writes_the_byline_in_order(archive):
    out = io.StringIO()
    call_command("export", stdout=out, stderr=io.StringIO())
    records = {r["title"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert records["Ferry timetable cut for the winter"]["authors"] == ["John Doe", "Jane Smith"]
    assert records["Lighthouse keeper retires"]["authors"] == []


def test_citations_name_the_authors(client, archive):
    wall = archive["Harbour wall repairs finished early"]
    response = page(client, wall)
    html = response.content.decode()
    assert re.findall(r'<meta name="citation_author" content="([^"]+)">', html) == [
        "Jane Smith",
        "John Doe",
        "Ann Lee",
    ]
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block is not None
    assert json.loads(block.group(1))["author"] == [
        {"@type": "Person", "name": "Jane Smith"},
        {"@type": "Person", "name": "John Doe"},
        {"@type": "Person", "name": "Ann Lee"},
    ]
    styles = dict(response.context["citations"])
    assert str(styles["APA"]).startswith(
        "Smith, J., Doe, J., &amp; Lee, A. (2019, June 16). Harbour wall repairs finished early."
    )
    assert str(styles["MLA"]).startswith("Smith, Jane, et al. “Harbour wall repairs")
    assert str(styles["Chicago"]).startswith("Smith, Jane, John Doe, and Ann Lee. “Harbour")
    bib = client.get(f"/articles/{wall.pk}/cite.bib").content.decode()
    assert "  author = {Smith, Jane and Doe, John and Lee, Ann}," in bib
    ris = client.get(f"/articles/{wall.pk}/cite.ris").content.decode()
    assert re.findall(r"^AU  - (.+)\r$", ris, re.M) == ["Smith, Jane", "Doe, John", "Lee, Ann"]
    ferry = page(client, archive["Ferry timetable cut for the winter"])
    assert str(dict(ferry.context["citations"])["MLA"]).startswith(
        "Doe, John, and Jane Smith. “Ferry"
    )


def test_a_curators_byline_edit_reaches_the_page_and_search(client, archive):
    client.force_login(make_superuser())
    ferry = archive["Ferry timetable cut for the winter"]
    url = reverse("admin:articles_article_change", args=[ferry.pk])
    form = client.get(url).context["adminform"].form
    assert form.initial["authors_text"] == "John Doe\nJane Smith"
    data = {
        "title": ferry.title,
        "body": ferry.body,
        "source": ferry.source_id,
        "authors_text": "ann lee\r\nJane Smith\r\nNew Reporter\r\nJANE SMITH",
        "published_at_0": "2019-06-15",
        "published_at_1": "08:00:00",
        "url": "",
        "language": "en",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    # The request committed, then applied the change log (no separate catch-up).
    assert [a.name for a in ferry.byline()] == ["Ann Lee", "Jane Smith", "New Reporter"]
    assert Author.objects.filter(name__iexact="ann lee").count() == 1
    assert "By Ann Lee, Jane Smith and New Reporter" in text_of(page(client, ferry))
    found = search(SearchRequest(q="author:doe"))
    assert [a.title for a in found.articles] == ["Harbour wall repairs finished early"]
    assert ferry.pk in search(SearchRequest(q='author:"new reporter"')).ids

    # The author admin: searched by name, counting and listing each author's articles.
    response = client.get(reverse("admin:articles_author_changelist"), {"q": "smith"})
    assert [str(a) for a in response.context["cl"].result_list] == ["Jane Smith"]
    assert "3 articles" in text_of(response)
    jane = Author.objects.get(name="Jane Smith")
    listed = client.get(
        reverse("admin:articles_article_changelist"), {"authors__id__exact": jane.pk}
    )
    assert listed.status_code == 200
    assert {a.title for a in listed.context["cl"].result_list} == {
        "Tidal barrier closes for the first time",
        "Ferry timetable cut for the winter",
        "Harbour wall repairs finished early",
    }


def test_deleting_an_author_reaches_the_index(archive):
    ann = Author.objects.get(name="Ann Lee")
    ann_id = ann.pk
    indexer.catch_up()
    assert search(SearchRequest(authors=(ann_id,))).count == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM articles_search_change")
        before = cursor.fetchone()[0]
    ann.delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM articles_search_change")
        assert cursor.fetchone()[0] == before + 1  # the link's trigger logged the article
    indexer.catch_up()
    assert search(SearchRequest(authors=(ann_id,))).count == 0
    facet = search(SearchRequest(q="wall")).facets["author"]
    assert [f.label for f in facet] == ["Jane Smith", "John Doe"]


def test_author_pages_are_in_the_sitemap(client, archive):
    index = client.get("/sitemap.xml").content.decode()
    assert "http://testserver/sitemap-authors.xml" in index
    section = client.get("/sitemap-authors.xml").content.decode()
    for author in Author.objects.all():
        assert f"<loc>http://testserver/authors/{author.slug}/</loc>" in section


def test_author_names_are_searched_in_the_index_word_phrase_and_prefix(archive):
    def found(q: str) -> tuple[int, list[str]]:
        results = search(SearchRequest(q=q))
        return results.count, sorted(a.title for a in results.articles)

    jane = [
        "Ferry timetable cut for the winter",
        "Harbour wall repairs finished early",
        "Tidal barrier closes for the first time",
    ]
    assert found("author:SMITH") == found("author:Jane") == (3, jane)
    assert found('author:"jane smith"') == found("author:jan*") == (3, jane)
    assert found("author:smi*") == (3, jane)
    assert found("author:doe") == (
        2,
        ["Ferry timetable cut for the winter", "Harbour wall repairs finished early"],
    )
    # A quoted name is the words in order, within one name: the ferry's byline is
    # "John Doe, jane smith", which holds no author called "Doe Jane" or "Smith Jane".
    assert found('author:"smith jane"') == found('author:"doe jane"') == (0, [])
    assert found("author:lee author:doe") == (1, ["Harbour wall repairs finished early"])
    # Author names are not words of the title or body, nor the other way round.
    assert found("smith") == (0, [])
    assert found("author:barrier")[0] == 0
    assert found("author:lindqvist harbour") == (
        1,
        ["Harbour bridge reopens after two years of repairs"],
    )


def test_renaming_an_author_reaches_search_after_catch_up(archive):
    indexer.catch_up()
    lee = Author.objects.get(name="Ann Lee")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM articles_search_change")
        before = cursor.fetchone()[0]
    lee.name = "Ánna Lövgren"
    lee.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM articles_search_change")
        assert cursor.fetchone()[0] == before + 1  # her one article, logged by the rename
    indexer.catch_up()
    wall = ["Harbour wall repairs finished early"]
    old = search(SearchRequest(q="author:lee"))
    assert old.count == 0 and [f.value for f in old.unknown_filters] == ["lee"]
    assert search(SearchRequest(q='author:"ann lee"')).count == 0
    for q in ("author:lovgren", 'author:"anna lövgren"', "author:LÖVG*", "author:anna"):
        results = search(SearchRequest(q=q))
        assert [a.title for a in results.articles] == wall, q
        assert results.count == 1 and results.unknown_filters == []
    # Saving an author unchanged logs nothing.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM articles_search_change")
        logged = cursor.fetchone()[0]
    Author.objects.get(pk=lee.pk).save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM articles_search_change")
        assert cursor.fetchone()[0] == logged


def test_history_records_bylines_and_restoring_a_version_restores_its_authors(client, archive):
    client.force_login(make_superuser())
    ferry = archive["Ferry timetable cut for the winter"]
    john, jane = Author.objects.get(name="John Doe"), Author.objects.get(name="Jane Smith")
    url = reverse("admin:articles_article_change", args=[ferry.pk])
    data = {
        "title": ferry.title,
        "body": ferry.body,
        "source": ferry.source_id,
        "authors_text": "Ann Lee\r\nNew Reporter",
        "published_at_0": "2019-06-15",
        "published_at_1": "08:00:00",
        "url": "",
        "language": "en",
    }
    assert client.post(url, data).status_code == 302
    imported, edited = ferry.history.order_by("history_id")
    assert imported.history_byline == [[john.pk, "John Doe"], [jane.pk, "Jane Smith"]]
    assert [name for _, name in edited.history_byline] == ["Ann Lee", "New Reporter"]
    history = client.get(reverse("admin:articles_article_history", args=[ferry.pk]))
    text = text_of(history)
    assert "John Doe, Jane Smith" in text and "Ann Lee, New Reporter" in text

    # Renamed since: the restored byline names the same author by the name it has now.
    jane.name = "Jane Smith-Jones"
    jane.save()
    restore = reverse("admin:articles_article_simple_history", args=[ferry.pk, imported.history_id])
    form = client.get(restore).context["adminform"].form
    assert form.initial["authors_text"] == "John Doe\nJane Smith-Jones"
    authors_before = Author.objects.count()
    response = client.post(restore, {**data, "authors_text": form.initial["authors_text"]})
    assert response.status_code == 302
    assert [a.pk for a in ferry.byline()] == [john.pk, jane.pk]
    assert Author.objects.count() == authors_before
    latest = ferry.history.order_by("history_id").last()
    assert latest.history_change_reason == f"Restored version {imported.history_id}"
    assert latest.history_byline == [[john.pk, "John Doe"], [jane.pk, "Jane Smith-Jones"]]
    indexer.catch_up()
    assert ferry.pk in search(SearchRequest(q='author:"smith jones"')).ids
    assert ferry.pk not in search(SearchRequest(q='author:"new reporter"')).ids
