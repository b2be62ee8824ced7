"""The Content-Security-Policy in a real Chromium: every page of the site and the admin loads
without a violation, and a script smuggled into a page does not run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from articles.search import indexer
from tests.factories import make_article, make_source, make_superuser, make_tag

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCRIPT_URL = "javascript:alert(1)//://"


@pytest.fixture
def corpus():
    herald = make_source("Herald", homepage="https://herald.example")
    climate = make_tag("Climate")
    articles = [
        make_article(
            f"Flood warning number {i}",
            f"Rivers rose after the flood.\n\nResidents of town {i} were told to leave.",
            source=herald,
            tags=[climate],
            published_at=datetime(2015 + i, 3, 1 + i, tzinfo=UTC),
            url=f"https://herald.example/flood-{i}",
        )
        for i in range(5)
    ]
    trap = make_article("Booby-trapped record", "A record from a hostile dump.", url=SCRIPT_URL)
    indexer.catch_up(rebuild=True)  # as an import does once its batches are committed
    yield {"article": articles[0], "trap": trap, "source": herald, "tag": climate}


def watch(page) -> list[str]:
    """Console errors and uncaught page errors, as they come; a 404 (the favicon, the page
    that does not exist) is not one."""
    problems: list[str] = []

    def console(message) -> None:
        if message.type == "error" and "status of 404" not in message.text:
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_every_public_page_loads_without_a_csp_violation(live_server, page, corpus):
    problems = watch(page)
    base = live_server.url
    article, source, tag = corpus["article"], corpus["source"], corpus["tag"]
    for path in (
        "/",
        "/search/?q=flood",
        "/search/?q=flood&source=herald&from=2015-01-01&to=2019-12-31",
        article.get_absolute_url() + "?q=flood&pos=0",
        source.get_absolute_url(),
        tag.get_absolute_url(),
        "/sources/",
        "/tags/",
        "/archive/",
        "/archive/2016/",
        "/no-such-page/",
    ):
        response = page.goto(base + path)
        assert "default-src 'none'" in response.headers["content-security-policy"], path
        assert "camera=()" in response.headers["permissions-policy"], path
        # The stylesheet applied: the policy lets the site's own CSS in.
        assert page.evaluate("getComputedStyle(document.body).margin") == "0px", path
    assert problems == []


def test_a_script_smuggled_into_a_page_does_not_run(live_server, page, corpus):
    problems = watch(page)
    url = live_server.url + corpus["article"].get_absolute_url()

    def inject(route):
        response = route.fetch()
        html = response.text().replace(
            "</main>",
            "<script>window.smuggled = 'inline'</script>"
            '<img src="/missing.png" onerror="window.smuggled = \'handler\'">'
            '<p style="color: red" id="styled">styled</p></main>',
        )
        route.fulfill(response=response, body=html)

    page.route(url, inject)
    page.goto(url)
    page.wait_for_load_state("load")
    assert page.evaluate("window.smuggled") is None
    assert page.evaluate("getComputedStyle(document.getElementById('styled')).color") != (
        "rgb(255, 0, 0)"
    )
    violations = [p for p in problems if "Content Security Policy" in p]
    assert len(violations) >= 3, problems  # the script, the handler and the style


def test_a_javascript_url_in_a_record_is_no_link_and_runs_nothing(live_server, page, corpus):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(live_server.url + corpus["trap"].get_absolute_url())
    original = page.locator(".original")
    assert original.inner_text() == f"Original: {SCRIPT_URL}"
    assert original.locator("a").count() == 0
    original.locator("span").click()
    page.wait_for_timeout(300)
    assert dialogs == []


def test_the_admin_works_under_its_policy_without_a_violation(live_server, page, corpus):
    make_superuser("boss", "a-long-password-1")
    problems = watch(page)
    base = live_server.url
    response = page.goto(base + "/admin/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/admin/")

    article = corpus["article"]
    page.goto(f"{base}/admin/articles/article/?q=flood")
    assert page.locator("#result_list tbody tr").count() == 5
    page.goto(f"{base}/admin/articles/article/{article.pk}/change/")
    # The tag autocomplete (Select2 and its AJAX requests) opens and offers the tag.
    page.locator(".field-tags .select2-selection").click()
    page.locator(".select2-search__field").fill("Clim")
    option = page.locator(".select2-results__option", has_text="Climate")
    option.first.wait_for()
    page.keyboard.press("Escape")
    # The date and time shortcuts (scripts that build their own widgets).
    page.locator("#id_published_at_0 ~ .datetimeshortcuts a", has_text="Today").click()
    page.goto(f"{base}/admin/articles/article/{article.pk}/history/")
    page.goto(f"{base}/admin/articles/tag/add/")
    page.locator("#id_name").fill("New tag name")
    page.locator("#id_slug").click()
    assert page.locator("#id_slug").input_value() == "new-tag-name"  # prepopulated by script
    assert problems == []
