"""When the database is down, hangs or is slow: quick, honest 503s, never a 30 s wait and a
bare 500; production refuses to start without its database."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import psycopg
import pytest
from django.db import connection

from articles.search import indexer
from bench.harness import with_database
from tests.conftest import ROOT
from tests.factories import make_article
from tests.test_foundation import run_manage

# Requests each probe process makes, and what it prints for each (one JSON line).
PROBE = """
import json, time, django
django.setup()
from django.test import Client
client = Client()
for path in ("/healthz", "/", "/api/search?q=flood"):
    start = time.monotonic()
    response = client.get(path)
    print(json.dumps({
        "path": path,
        "status": response.status_code,
        "seconds": time.monotonic() - start,
        "type": response["Content-Type"],
        "retry_after": response.get("Retry-After"),
        "body": response.content.decode(),
    }))
"""


def probe(database_url: str) -> dict[str, dict]:
    """The site's answers in a process of its own whose database is `database_url`."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "newsarchive.settings",
            "DATABASE_URL": database_url,
            "DATABASE_CONNECT_TIMEOUT": "2",
            "ALLOWED_HOSTS": "testserver",
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    return {answer["path"]: answer for answer in answers}


@pytest.fixture
def silent_database():
    """A real socket that accepts connections and never says a word: a hung server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"postgres://postgres@127.0.0.1:{listener.getsockname()[1]}/archive"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


@pytest.fixture
def closed_port_database():
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    return f"postgres://postgres@127.0.0.1:{port}/archive"


def index_of_one_article() -> None:
    """The test's search index, holding one article (as an import left it): the pages then
    need the database to show it."""
    from articles.search import index as search_index
    from articles.search.schema import ArticleRow, document, meta_document

    writer = search_index.writer(heap_mb=20)
    row = ArticleRow(1, "Flood", "flood", "en", None, None, False)
    writer.add_document(document(row))
    writer.add_document(meta_document(1, 1))
    writer.commit()
    writer.wait_merging_threads()


@pytest.mark.parametrize("database", ["silent_database", "closed_port_database"])
def test_when_the_database_hangs_or_is_down_every_answer_is_a_quick_honest_503(request, database):
    index_of_one_article()
    answers = probe(request.getfixturevalue(database))

    health = answers["/healthz"]
    assert health["status"] == 503
    assert health["seconds"] < 2.0
    assert json.loads(health["body"]) == {"status": "error", "database": "unavailable"}

    page = answers["/"]
    assert page["status"] == 503
    assert page["seconds"] < 5  # the connect timeout (2 s), not 30
    assert page["type"].startswith("text/html")
    assert page["retry_after"] == "30"
    assert "The archive is unavailable for a moment" in page["body"]
    assert 'class="site-header"' in page["body"]  # the site's own page

    api = answers["/api/search?q=flood"]
    assert api["status"] == 503
    assert api["seconds"] < 5
    assert api["type"] == "application/json"
    assert json.loads(api["body"]) == {
        "error": "The archive's database is not answering. Please try again in a minute."
    }


def test_production_refuses_to_start_without_database_url_unless_embedded_is_asked_for():
    production = {"DEBUG": "false", "SECRET_KEY": "s" * 60, "ALLOWED_HOSTS": "example.org"}
    result = run_manage("check", DATABASE_URL="", **production)
    assert result.returncode == 1
    assert result.stderr == (
        "Configuration error: DEBUG is off, so DATABASE_URL must point at the production "
        "PostgreSQL (or set USE_EMBEDDED_DATABASE=true to serve from the embedded one in "
        "var/pgdata/).\n"
    )
    assert run_manage("check", DATABASE_URL="", USE_EMBEDDED_DATABASE="true", **production)
    assert (
        run_manage("check", DATABASE_URL="", USE_EMBEDDED_DATABASE="true", **production).returncode
        == 0
    )


def test_gunicorn_stops_with_one_line_on_a_configuration_error():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DEBUG="false", SECRET_KEY="s" * 60, ALLOWED_HOSTS="example.org", DATABASE_URL="")
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "newsarchive.wsgi", "-b", "127.0.0.1:0", "-w", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Configuration error: DEBUG is off, so DATABASE_URL must point at" in result.stderr
    # No traceback through the settings. (gunicorn 27 itself sometimes prints one of its own
    # when two workers fail to boot at the same moment.)
    assert "ImproperlyConfigured" not in result.stderr, result.stderr
    assert "settings.py" not in result.stderr, result.stderr


# --- A slow database: the statement timeout of web requests -------------------------------


def server_environment(**extra: str) -> dict[str, str]:
    """The environment of a process serving this test's database."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    name = connection.settings_dict["NAME"]
    if env.get("DATABASE_URL"):
        env["DATABASE_URL"] = with_database(env["DATABASE_URL"], name)
    else:
        env["EMBEDDED_DATABASE_NAME"] = name
    env.update(extra)
    return env


def get(url: str) -> tuple[int, str, float]:
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    return status, body, time.monotonic() - start


@pytest.fixture
def web_server():
    """gunicorn serving the test database, its statements limited to one second."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "newsarchive.wsgi", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=server_environment(DATABASE_STATEMENT_TIMEOUT="1", ALLOWED_HOSTS="127.0.0.1"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if get(base + "/healthz")[0] == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_a_statement_slower_than_the_timeout_is_a_503_for_pages_but_not_for_commands(
    web_server,
):
    make_article("Flood warning", "Rivers rose.")
    indexer.catch_up(rebuild=True)  # as an import does once its batches are committed
    assert get(web_server + "/")[0] == 200
    # Another session holds the article table: every read of it waits.
    blocker = psycopg.connect(**connection.get_connection_params())
    try:
        blocker.execute("LOCK TABLE articles_article IN ACCESS EXCLUSIVE MODE")
        status, body, seconds = get(web_server + "/")
        assert status == 503
        assert 1 <= seconds < 5
        assert "The archive is unavailable for a moment" in body
        status, body, seconds = get(web_server + "/api/search?q=flood")
        assert status == 503
        assert json.loads(body)["error"].startswith("The archive's database is not answering")
        # A command waits as long as it must, under the same settings.
        export = subprocess.Popen(
            [sys.executable, "manage.py", "export"],
            cwd=ROOT,
            env=server_environment(DATABASE_STATEMENT_TIMEOUT="1"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(2.5)
    finally:
        blocker.rollback()
        blocker.close()
    out, err = export.communicate(timeout=60)
    assert export.returncode == 0, err
    assert json.loads(out.splitlines()[0])["title"] == "Flood warning"
    assert get(web_server + "/")[0] == 200
