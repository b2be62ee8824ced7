"""Who may do what in the admin: anonymous visitors, Editors, other staff, superusers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, User
from django.urls import reverse

from articles.models import Tag
from tests.conftest import ROOT
from tests.factories import make_article, make_source, make_staff, make_superuser, make_tag

pytestmark = pytest.mark.django_db


def sample_urls() -> list[str]:
    article = make_article("A", tags=["T"])
    source = make_source("S")
    tag = Tag.objects.get(name="T")
    return [
        reverse("admin:index"),
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_article_changelist") + "?q=storm",
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:articles_article_history", args=[article.pk]),
        reverse(
            "admin:articles_article_simple_history",
            args=[article.pk, article.history.earliest().history_id],
        ),
        reverse("admin:articles_tag_changelist"),
        reverse("admin:articles_tag_change", args=[tag.pk]),
        reverse("admin:articles_source_changelist"),
        reverse("admin:articles_source_change", args=[source.pk]),
        reverse("admin:articles_importrun_changelist"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_group_changelist"),
        "/admin/autocomplete/?app_label=articles&model_name=article&field_name=tags",
    ]


def test_anonymous_visitors_are_sent_to_the_login_page_for_every_admin_url(client):
    for url in sample_urls():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/?next="), url


def test_anonymous_posts_to_actions_and_merges_change_nothing(client):
    keep, gone = make_tag("Keep"), make_tag("Gone")
    response = client.post(
        reverse("admin:articles_tag_changelist"),
        {
            "action": "merge_tags",
            "index": 0,
            ACTION_CHECKBOX_NAME: [keep.pk, gone.pk],
            "apply": "yes",
            "target": keep.pk,
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert Tag.objects.count() == 2


def test_the_editors_group_exists_with_curation_permissions_only():
    editors = Group.objects.get(name="Editors")
    perms = set(editors.permissions.values_list("content_type__app_label", "codename"))
    assert ("articles", "change_article") in perms
    assert ("articles", "view_importrun") in perms
    assert ("articles", "change_author") in perms and ("articles", "add_articleauthor") in perms
    assert ("articles", "delete_author") not in perms
    assert ("articles", "change_importrun") not in perms
    assert ("articles", "delete_article") not in perms
    assert {label for label, _ in perms} == {"articles"}


def test_editors_can_curate_but_get_403_on_users_groups_and_permissions(client):
    client.force_login(make_staff("editor"))
    article = make_article("A")
    for name in ("article", "tag", "source", "author", "importrun"):
        url = reverse(f"admin:articles_{name}_changelist")
        assert client.get(url).status_code == 200, url
    assert (
        client.get(reverse("admin:articles_article_change", args=[article.pk])).status_code == 200
    )
    assert (
        client.get(reverse("admin:articles_article_history", args=[article.pk])).status_code == 200
    )
    assert client.get(reverse("admin:articles_tag_add")).status_code == 200
    for url in (
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_add"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:auth_user_change", args=[User.objects.get(username="editor").pk]),
        reverse("admin:articles_article_delete", args=[article.pk]),
        reverse("admin:articles_importrun_add"),
    ):
        assert client.get(url).status_code == 403, url
    index = client.get(reverse("admin:index")).content.decode()
    assert "Users" not in index and "Groups" not in index


def test_editors_can_edit_articles_and_run_actions(client):
    client.force_login(make_staff("editor"))
    article = make_article("A")
    response = client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "hide", "index": 0, ACTION_CHECKBOX_NAME: [article.pk]},
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.is_hidden


def test_staff_outside_editors_see_nothing_to_curate(client):
    client.force_login(make_staff("visitor", editor=False))
    assert client.get(reverse("admin:articles_article_changelist")).status_code == 403
    article = make_article("A")
    response = client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "hide", "index": 0, ACTION_CHECKBOX_NAME: [article.pk]},
    )
    assert response.status_code == 403
    article.refresh_from_db()
    assert not article.is_hidden


def test_superusers_can_do_everything(client):
    client.force_login(make_superuser())
    for url in sample_urls():
        assert client.get(url).status_code == 200, url


def test_the_admin_prefix_comes_from_the_environment():
    # settings.ADMIN_URL is read once at start-up; check it in a fresh process.
    script = (
        "import django; django.setup(); from django.urls import reverse;"
        "print(reverse('admin:index'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "newsarchive.settings",
            "ADMIN_URL": "curate/",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "/curate/", result.stderr
