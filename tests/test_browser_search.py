"""The reader's path in a real headless Chromium: search, facet, page through, read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from articles.search import indexer
from tests.factories import make_article, make_source, make_tag

# serialized_rollback: without it, the flush after these tests runs post_migrate, which
# recreates content types that a later serialized_rollback test (the admin one) then
# restores a second time (IntegrityError when this file runs first).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def corpus():
    herald = make_source("Herald")
    tribune = make_source("Tribune")
    climate = make_tag("Climate")
    for i in range(30):
        make_article(
            f"Flood warning number {i}",
            f"Rivers rose after the flood.\n\nResidents of town {i} were told to leave.",
            source=herald if i % 3 else tribune,
            tags=[climate] if i % 2 else [],
            published_at=datetime(2015 + i % 8, 1 + i % 12, 1 + i, tzinfo=UTC),
        )
    make_article(
        "فيضانات في المدينة",
        "غمرت الفيضانات الشوارع.",
        language="ar",
        published_at=datetime(2023, 5, 1, tzinfo=UTC),
    )
    indexer.catch_up(rebuild=True)  # as an import does once its batches are committed
    yield


def test_search_facet_pages_and_article(live_server, page, artifacts, corpus):
    page.goto(live_server.url + "/")
    page.get_by_label("Words to search for").fill("flood")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=flood")
    assert page.locator(".summary .count").inner_text().startswith("30 articles")
    assert page.locator(".result").count() == 20
    assert page.locator(".snippet mark").first.inner_text().lower() == "flood"
    page.screenshot(path=str(artifacts / "search.png"), full_page=True)

    # A facet narrows the results; the same link removes it again.
    page.locator("#facet-source + ul a", has_text="Tribune").click()
    page.wait_for_url("**source=tribune**")
    assert page.locator(".summary .count").inner_text().startswith("10 articles")
    page.locator("#facet-source + ul a", has_text="Tribune").click()
    page.wait_for_url("**/search/?q=flood")

    # Page through.
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**page=2**")
    assert page.locator(".result").count() == 10
    assert page.locator("ol.results").get_attribute("start") == "21"

    # Open an article: hits highlighted, a way back to the results.
    page.locator(".result-title a").first.click()
    page.wait_for_selector("article.article")
    assert page.locator("article .body mark").first.inner_text().lower() == "flood"
    assert page.get_by_role("link", name="Back to the results").is_visible()
    page.screenshot(path=str(artifacts / "article.png"), full_page=True)


def test_timeline_bar_narrows_the_dates(live_server, page, corpus):
    page.goto(live_server.url + "/search/?q=flood")
    page.locator(".timeline svg a").first.click()
    page.wait_for_url("**from=2015-01-01**")
    assert "to=2015-12-31" in page.url
    assert page.locator(".result").count() > 0


def test_arabic_search_renders_right_to_left(live_server, page, artifacts, corpus):
    page.goto(live_server.url + "/search/?q=الفيضانات")
    title = page.locator(".result-title").first
    assert title.get_attribute("dir") == "rtl"
    title.locator("a").click()
    page.wait_for_selector("article.article")
    assert page.locator("article.article").evaluate("e => getComputedStyle(e).direction") == "rtl"
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(artifacts / "article-arabic-phone.png"), full_page=True)
