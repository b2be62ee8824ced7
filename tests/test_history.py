"""Every curator edit is kept: who, when, the previous values, and a restore that includes tags."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from articles import merge
from articles.models import Article
from articles.search import SearchRequest, search
from tests.factories import make_article, make_source, make_staff, make_tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = make_staff("editor")
    client.force_login(user)
    return user


def form_data(article: Article, **changes) -> dict:
    data = {
        "title": article.title,
        "body": article.body,
        "source": article.source_id or "",
        "published_at_0": "",
        "published_at_1": "",
        "url": article.url or "",
        "language": article.language,
        "tags": [t.pk for t in article.tags.all()],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def history_url(article: Article) -> str:
    return reverse("admin:articles_article_history", args=[article.pk])


def entries(article: Article):
    return list(Article.history.filter(id=article.pk).order_by("history_id"))


def test_an_admin_edit_is_one_history_entry_with_who_why_and_the_new_tags(client, editor):
    politics, economy = make_tag("Politics"), make_tag("Economy")
    article = make_article("Old title", tags=[politics])
    before = entries(article)
    url = reverse("admin:articles_article_change", args=[article.pk])
    response = client.post(url, form_data(article, title="New title", tags=[economy.pk]))
    assert response.status_code == 302

    *_, created = before
    [edited] = entries(article)[len(before) :]
    assert edited.history_user == editor
    assert edited.history_change_reason == "Edited: title, tags"
    assert edited.title == "New title"
    assert [t.tag_id for t in edited.tags.all()] == [economy.pk]
    assert [t.tag_id for t in created.tags.all()] == [politics.pk]


def test_the_history_page_shows_who_changed_what_with_the_previous_values(client, editor):
    article = make_article("Old title", tags=["Politics"])
    client.post(
        reverse("admin:articles_article_change", args=[article.pk]),
        form_data(article, title="New title", tags=[make_tag("Economy").pk]),
    )
    html = client.get(history_url(article)).content.decode()
    assert "editor" in html
    assert re.search(
        r"<strong>Title:</strong>\s*Old title\s*&nbsp;&rarr;&nbsp;&nbsp;New title", html
    )
    assert re.search(
        r"<strong>Tags:</strong>\s*\[Politics\]\s*&nbsp;&rarr;&nbsp;&nbsp;\[Economy\]", html
    )


def test_bulk_actions_show_up_in_each_articles_history(client, editor):
    a = make_article("A")
    client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "hide", "index": 0, ACTION_CHECKBOX_NAME: [a.pk]},
    )
    html = client.get(history_url(a)).content.decode()
    assert "Hidden" in html
    assert re.search(r"<strong>Is hidden:</strong>\s*False\s*&nbsp;&rarr;&nbsp;&nbsp;True", html)


def test_restoring_a_version_brings_back_its_fields_and_its_tags(client, editor, index_articles):
    old_source, new_source = make_source("Old Source"), make_source("New Source")
    politics, economy = make_tag("Politics"), make_tag("Economy")
    article = make_article("Original title", "Original body.", source=old_source, tags=[politics])
    first = entries(article)[-1]  # as created, tags included
    count_before = len(entries(article))

    # A curator makes a mess: new title, source and tags.
    client.post(
        reverse("admin:articles_article_change", args=[article.pk]),
        form_data(article, title="Mess", source=new_source.pk, tags=[economy.pk]),
    )
    article.refresh_from_db()
    assert article.title == "Mess"

    revert_url = reverse(
        "admin:articles_article_simple_history", args=[article.pk, first.history_id]
    )
    page = client.get(revert_url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form.initial["title"] == "Original title"
    assert list(form.initial["tags"]) == [politics.pk]
    assert form.initial["source"] == old_source.pk

    # The revert form posts back what it showed.
    response = client.post(
        revert_url,
        form_data(article, title="Original title", source=old_source.pk, tags=[politics.pk]),
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "Original title"
    assert article.source == old_source
    assert list(article.tags.all()) == [politics]
    latest = entries(article)[-1]
    assert latest.history_change_reason == f"Restored version {first.history_id}"
    assert [t.tag_id for t in latest.tags.all()] == [politics.pk]
    # One entry for the edit, one for the restore: no stray entries from the tag changes.
    assert len(entries(article)) == count_before + 2
    index_articles()
    assert search(SearchRequest(q="original")).ids == [article.pk]


def test_the_history_of_an_article_whose_old_tag_was_merged_away_still_renders(client, editor):
    keep, gone = make_tag("Keep"), make_tag("Gone")
    article = make_article("A", tags=[gone])
    merge.merge_tags(keep, [gone], user=editor)
    response = client.get(history_url(article))
    assert response.status_code == 200
    assert "Merged tags Gone into Keep" in response.content.decode()
    first = entries(article)[-2]  # before the merge, tagged "Gone"
    assert [t.tag_id for t in first.tags.all()] == [gone.pk]
    revert = client.get(
        reverse("admin:articles_article_simple_history", args=[article.pk, first.history_id])
    )
    assert revert.status_code == 200
    assert list(revert.context["adminform"].form.initial["tags"]) == []


def _imported(title: str = "Ferry returns", body: str = "Line one.\n\nLine two.", **extra):
    """An article stored by the importer, which writes no history of its own."""
    from articles.importer import Importer, start_run
    from articles.ingest.records import ParsedArticle

    record = ParsedArticle(
        title=title,
        body=body,
        published_at=None,
        source="Harbour Times",
        url=None,
        language="en",
        tags=("Transport",),
        origin="dump.jsonl",
        line=1,
        **extra,
    )
    Importer(start_run(["dump.jsonl"], {}, dry_run=False)).run([record])
    article = Article.objects.get(title=title)
    assert entries(article) == []
    return article


def test_an_imported_articles_first_edit_keeps_the_imported_version_to_compare_and_restore(
    client, editor
):
    article = _imported()
    url = reverse("admin:articles_article_change", args=[article.pk])
    client.post(url, form_data(article, title="Ferry returns at last"))
    imported, edited = entries(article)
    assert imported.history_type == "+"
    assert imported.history_change_reason == merge.IMPORTED_REASON
    assert imported.title == "Ferry returns"
    assert imported.history_date == article.created_at
    assert [t.tag.name for t in imported.tags.all()] == ["Transport"]
    assert edited.title == "Ferry returns at last"
    html = client.get(history_url(article)).content.decode()
    assert re.search(r"<strong>Title:</strong>\s*Ferry returns\s*&nbsp;&rarr;", html)
    # Restoring the imported version brings the original title back.
    restore = reverse(
        "admin:articles_article_simple_history", args=[article.pk, imported.history_id]
    )
    client.post(restore, form_data(article, title="Ferry returns"))
    article.refresh_from_db()
    assert article.title == "Ferry returns"


def test_a_bulk_action_or_merge_on_imported_articles_records_their_imported_version_once(
    client, editor
):
    article = _imported()
    merge.add_tags([article.pk], [make_tag("Harbours")], user=editor)
    merge.set_hidden([article.pk], True, user=editor)
    merge.merge_tags(make_tag("Ferries"), [article.tags.get(name="Harbours")], user=editor)
    reasons = [e.history_change_reason for e in entries(article)]
    assert reasons == [
        merge.IMPORTED_REASON,
        "Added tags: Harbours",
        "Hidden",
        "Merged tags Harbours into Ferries",
    ]
    assert [t.tag.name for t in entries(article)[0].tags.all()] == ["Transport"]


def test_saving_an_untouched_body_from_a_browser_changes_nothing(client, editor):
    article = _imported(body="Line one.\n\nLine two.")
    url = reverse("admin:articles_article_change", args=[article.pk])
    # A browser's textarea sends its lines ending in CRLF.
    client.post(url, form_data(article, body="Line one.\r\n\r\nLine two."))
    article.refresh_from_db()
    assert article.body == "Line one.\n\nLine two."
    *_, saved = entries(article)
    assert saved.history_change_reason is None  # no field changed
    edited = "Line one.\r\n\r\nLine two, corrected."
    client.post(url, form_data(article, body=edited))
    article.refresh_from_db()
    assert article.body == "Line one.\n\nLine two, corrected."
    assert entries(article)[-1].history_change_reason == "Edited: body"
