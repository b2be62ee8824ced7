"""A curator in a real headless Chromium: log in, search, bulk-tag, merge two tags."""

from __future__ import annotations

import re

import pytest

from articles.models import Article, Tag, TagRedirect
from articles.search import indexer
from tests.factories import make_article, make_staff, make_tag

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback: the flush after this test would otherwise drop the Editors group.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_curator_logs_in_searches_bulk_tags_and_merges_two_tags(live_server, page, artifacts):
    make_staff("curator", password="correct horse battery")
    make_article("Volcano erupts in the north", "Lava reached the sea.")
    make_article("Quiet volcano rumbles", "Ash over the valley.")
    make_article("Cup final tonight", "Goals expected.")
    indexer.catch_up(rebuild=True)  # as an import does once its batches are committed
    geology, geo = make_tag("Geology"), make_tag("Geo")

    # Log in: every admin URL sends an anonymous visitor to the login page first.
    page.goto(f"{live_server.url}/admin/articles/article/")
    assert "/admin/login/" in page.url
    page.fill("#id_username", "curator")
    page.fill("#id_password", "correct horse battery")
    page.screenshot(path=artifacts / "admin-1-login.png")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/articles/article/$"))

    # Search: the full-text box (stemmed: "volcano" finds both volcano stories).
    page.fill("#searchbar", "volcano")
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(r"\?q=volcano"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert "Cup final" not in page.inner_text("#result_list")
    page.screenshot(path=artifacts / "admin-2-search.png")

    # Bulk-tag both results through the intermediate form and the tag autocomplete.
    page.check("#action-toggle")
    page.select_option("select[name=action]", "add_tags")
    page.click("button[name=index]")
    page.wait_for_selector("text=2 selected articles")
    page.click(".select2-selection")
    page.fill(".select2-search__field", "Geol")
    page.click(".select2-results__option >> text=Geology")
    page.screenshot(path=artifacts / "admin-3-bulk-tag-form.png")
    page.click("input[type=submit][value='Add tags']")
    page.wait_for_selector("text=Added Geology to 2 articles.")
    assert "Geology" in page.inner_text("#result_list")
    page.screenshot(path=artifacts / "admin-4-bulk-tagged.png")
    assert set(geology.articles.values_list("title", flat=True)) == {
        "Volcano erupts in the north",
        "Quiet volcano rumbles",
    }

    # Merge "Geo" into "Geology".
    make_article("Plate tectonics", tags=[geo])
    page.goto(f"{live_server.url}/admin/articles/tag/")
    page.locator("#result_list tr", has_text="Geology").locator("input.action-select").check()
    page.locator(
        "#result_list tr", has=page.locator("th a", has_text=re.compile(r"^Geo$"))
    ).locator("input.action-select").check()
    page.select_option("select[name=action]", "merge_tags")
    page.click("button[name=index]")
    page.wait_for_selector("text=Keep this tag")
    page.locator("#action-form label", has_text="Geology").locator("input[type=radio]").check()
    page.screenshot(path=artifacts / "admin-5-merge-form.png")
    page.click("input[type=submit][value=Merge]")
    page.wait_for_selector("text=Merged Geo into Geology (1 article changed).")
    page.screenshot(path=artifacts / "admin-6-merged.png")

    assert list(Tag.objects.values_list("name", flat=True)) == ["Geology"]
    assert TagRedirect.objects.get(old_slug="geo").tag == geology
    assert Article.objects.get(title="Plate tectonics").tags.get() == geology
    # The public page of the merged tag now redirects to the target.
    page.goto(f"{live_server.url}/tags/geo/")
    assert page.url.endswith("/tags/geology/")
    assert "Plate tectonics" in page.content()
