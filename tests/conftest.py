from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
# NEWSARCHIVE_CORPORA points elsewhere (a worktree whose ../shared is not the shared folder).
CORPORA = Path(os.environ.get("NEWSARCHIVE_CORPORA") or SHARED / "corpora")
SAMPLES = ROOT / "articles" / "samples"
# The canonical seed, bundled byte for byte with the samples so the suite runs on any clone
# (test_samples checks the copy against ../shared/seeds where that folder exists).
SEED = SAMPLES / "000_1d7ffd685080755d.txt"
SHARED_SEED = SHARED / "seeds" / "000_1d7ffd685080755d.txt"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def corpora() -> Path:
    """The real dumps in ../shared/corpora; tests using it skip where it is absent."""
    if not CORPORA.is_dir():
        pytest.skip(f"real corpora not found at {CORPORA} (only present on developer machines)")
    return CORPORA


# --- Real headless Chromium for browser tests (never Playwright's own browser download) ---

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium for the session; tests using it skip where it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread while the browser is open,
    # and the tests' ORM calls (fixtures' included) are plain sync code. Restored after.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    """A fresh browser tab (own cookies) per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture
def artifacts() -> Path:
    """test-artifacts/ (git-ignored), for screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# --- A search index per test ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def search_index_dir(settings, tmp_path_factory, monkeypatch):
    """Each test gets its own empty search index folder (built by `index_articles`, by an
    import, or by `manage.py index`), so no test sees another's articles; child processes
    (manage.py, gunicorn) inherit it."""
    folder = tmp_path_factory.mktemp("index")
    settings.SEARCH_INDEX_DIR = folder / "index"
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(settings.SEARCH_INDEX_DIR))
    return settings.SEARCH_INDEX_DIR


@pytest.fixture(autouse=True)
def index_before_requests():
    """In a test that runs inside one transaction (pytest-django's `db`), nothing ever
    commits, so the indexer (which applies committed changes) never runs: before each
    request, this rebuilds the test's index from what the transaction holds, whenever the
    change log grew, as a caught-up indexer would have it. Tests with real commits
    (`transaction=True`) get the real catch-ups instead."""
    from django.core.signals import request_started
    from django.db import connection

    seen: dict[str, int] = {}

    def logged_changes() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM articles_search_change")
            return int(cursor.fetchone()[0])

    def sync(**kwargs):
        if not connection.in_atomic_block:
            return
        # Not the page's own queries: left out of the tests' query counts.
        logged_queries = len(connection.queries_log)
        if seen.get("logged") != logged_changes():
            from articles.search import indexer

            indexer.rebuild()
            # Counted again: the rebuild prunes the log below its horizon, which passes this
            # transaction's own rows whenever no older transaction is running on the server.
            seen["logged"] = logged_changes()
        while len(connection.queries_log) > logged_queries:
            connection.queries_log.pop()

    request_started.connect(sync, dispatch_uid="tests-index-before-requests")
    yield
    request_started.disconnect(dispatch_uid="tests-index-before-requests")


@pytest.fixture
def index_articles(db):
    """Call it after creating articles: rebuilds the test's index from what the test's
    transaction sees (the real rebuild)."""
    from articles.search import indexer

    def rebuild() -> None:
        indexer.rebuild()

    return rebuild


# --- axe-core for the accessibility tests (installed by `make axe` with the machine's npm) ---

AXE = ROOT / "var" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, injected into pages by the browser tests (never from a CDN)."""
    if not AXE.exists():
        pytest.skip(f"accessibility tests need axe-core at {AXE} (make axe, with npm)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def interface_language():
    """Each test starts in the default interface language: a request in Arabic leaves its
    language active in the thread (LocaleMiddleware sets it per request), and a test calling
    a template helper directly would otherwise speak it."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")
