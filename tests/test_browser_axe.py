"""axe-core in a real Chromium on every public page and the admin's article list and form:
no violation in English or Arabic, on a desktop (1366x900) or a phone (390x844), in light
or dark mode. A screenshot of each lands in test-artifacts/axe/."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from articles.models import ArticleAuthor, Author
from articles.search import indexer
from tests.factories import make_article, make_source, make_superuser, make_tag

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback, as the other browser tests; this file sorts after
    # test_browser_admin.py, which needs the Editors group that the first flush removes when
    # database tests ran before (their run leaves no serialized copy to restore).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
PASSWORD = "a-long-password-1"


@pytest.fixture
def corpus():
    herald = make_source("Herald", homepage="https://herald.example")
    wire = make_source("Wire")
    climate = make_tag("Climate")
    articles = []
    for i in range(30):
        articles.append(
            make_article(
                f"Flood warning number {i}",
                f"Rivers rose after the flood.\n\nResidents of town {i} were told to leave.",
                source=herald if i % 3 else wire,
                tags=[climate] if i % 2 else ["Weather"],
                published_at=datetime(2015 + i % 8, 1 + i % 12, 1 + i % 28, tzinfo=UTC),
                url=f"https://herald.example/flood-{i}",
            )
        )
    arabic = make_article(
        "فيضانات في المدينة",
        "غمرت الفيضانات الشوارع.\n\nوطلبت السلطات من السكان المغادرة.",
        language="ar",
        source=make_source("الواحة"),
        published_at=datetime(2023, 5, 1, tzinfo=UTC),
    )
    make_article("A timeless note about floods", "No date on this one.")
    captured = make_article("A flood page a crawler found", "Fetched, never dated.")
    captured.captured_at = datetime(2019, 7, 31, tzinfo=UTC)
    captured.save()
    jane, john = Author.objects.create(name="Jane Smith"), Author.objects.create(name="John Doe")
    for n, article in enumerate(articles):
        byline = [jane, john] if n % 2 else [jane]
        for position, author in enumerate(byline):
            ArticleAuthor.objects.create(article=article, author=author, position=position)
    make_superuser("boss", PASSWORD)
    indexer.catch_up(rebuild=True)
    return {
        "article": articles[1],
        "arabic": arabic,
        "source": herald,
        "tag": climate,
        "author": jane,
        "captured": captured,
    }


def public_pages(corpus) -> dict[str, str]:
    return {
        "home": "/",
        "search": "/search/?q=flood",
        "search-filters": "/search/?q=flood&source=herald&tag=climate"
        "&from=2016-01-01&to=2022-12-31",
        "search-none": "/search/?q=zebra",
        "article-en": corpus["article"].get_absolute_url() + "?q=flood&pos=1",
        "article-ar": corpus["arabic"].get_absolute_url(),
        "source": corpus["source"].get_absolute_url(),
        "tag": corpus["tag"].get_absolute_url(),
        "author": corpus["author"].get_absolute_url(),
        "article-captured": corpus["captured"].get_absolute_url(),
        "archive-year": "/archive/2016/",
        "archive-month": "/archive/2016/2/",
        "archive-day": "/archive/2016/2/2/",
        "not-found": "/no-such-page/",
    }


def violations(page, axe_source: str) -> list[str]:
    """axe-core's violations on the page as it stands, one line each."""
    page.evaluate(axe_source)  # through the debugging protocol: the page's CSP allows no script
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -- "
        + json.dumps([n["target"] for n in v["nodes"]][:5])
        for v in found
    ]


def open_page(browser, live_server, language: str, size: str, scheme: str = "light"):
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale=language,
        extra_http_headers={"Accept-Language": language},
        color_scheme=scheme,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_public_pages_have_no_axe_violations(
    live_server, browser, artifacts, axe_source, corpus, language, size
):
    context, page = open_page(browser, live_server, language, size)
    folder = artifacts / "axe"
    folder.mkdir(exist_ok=True)
    problems: dict[str, list[str]] = {}
    try:
        for name, path in public_pages(corpus).items():
            page.goto(live_server.url + path)
            assert page.locator("html").get_attribute("lang") == language, path
            assert page.locator("html").get_attribute("dir") == (
                "rtl" if language == "ar" else "ltr"
            )
            found = violations(page, axe_source)
            if found:
                problems[name] = found
            page.screenshot(path=str(folder / f"{language}-{size}-{name}.png"), full_page=True)
    finally:
        context.close()
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_dark_mode_pages_have_no_axe_violations(
    live_server, browser, artifacts, axe_source, corpus, language
):
    context, page = open_page(browser, live_server, language, "desktop", scheme="dark")
    folder = artifacts / "axe"
    folder.mkdir(exist_ok=True)
    problems: dict[str, list[str]] = {}
    try:
        for name in ("home", "search-filters", "article-en", "article-ar", "not-found"):
            page.goto(live_server.url + public_pages(corpus)[name])
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(18, 20, 22)", name
            found = violations(page, axe_source)
            if found:
                problems[name] = found
            page.screenshot(path=str(folder / f"{language}-dark-{name}.png"), full_page=True)
    finally:
        context.close()
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_admins_article_list_and_form_have_no_axe_violations(
    live_server, browser, artifacts, axe_source, corpus, language, size
):
    context, page = open_page(browser, live_server, language, size)
    folder = artifacts / "axe"
    folder.mkdir(exist_ok=True)
    problems: dict[str, list[str]] = {}
    try:
        page.goto(live_server.url + "/admin/login/")
        page.locator("#id_username").fill("boss")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("input[type=submit]").click()
        page.wait_for_url(live_server.url + "/admin/")
        article = corpus["article"]
        for name, path in (
            ("admin-articles", "/admin/articles/article/"),
            ("admin-article", f"/admin/articles/article/{article.pk}/change/"),
        ):
            page.goto(live_server.url + path)
            if name == "admin-article":
                # The tag autocomplete is built once jQuery is ready: check it as a curator
                # meets it, and its search box named by the admin's script.
                search_box = page.locator(".field-tags .select2-search__field")
                search_box.wait_for(state="attached")
                assert search_box.get_attribute("aria-label") in ("Tags", "الوسوم", "Mots-clés")
            found = violations(page, axe_source)
            if found:
                problems[name] = found
            page.screenshot(path=str(folder / f"{language}-{size}-{name}.png"), full_page=True)
    finally:
        context.close()
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
