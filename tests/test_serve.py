"""`make run`: gunicorn with DEBUG off, WhiteNoise, a kept secret, and the site's own error
pages; `make dev` keeps runserver."""

from __future__ import annotations

import re
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.test import Client

from articles.search import indexer
from newsarchive.serve import local_secret_key
from tests.conftest import ROOT
from tests.factories import make_article, make_staff
from tests.test_hardening_database import server_environment


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_the_secret_key_is_made_once_and_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "var" / "secret_key"
    key = local_secret_key(path)
    assert len(key) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local_secret_key(path) == key


def test_the_makefile_runs_gunicorn_and_keeps_runserver_for_dev():
    makefile = (ROOT / "Makefile").read_text()
    run = re.search(r"^run: .*\n(?:#.*\n)*\t(.+)$", makefile, re.M)
    dev = re.search(r"^dev: .*\n(?:#.*\n)*\t(.+)$", makefile, re.M)
    assert run is not None and dev is not None
    assert "-m newsarchive.serve" in run[1]
    assert "runserver" in dev[1]


@pytest.mark.django_db(transaction=True)
def test_make_run_serves_with_debug_off_static_files_and_the_sites_error_pages(tmp_path):
    make_article("Flood warning", "Rivers rose.")
    indexer.catch_up(rebuild=True)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    env = server_environment(STATIC_ROOT=str(tmp_path / "static"))
    for name in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "USE_EMBEDDED_DATABASE"):
        env.pop(name, None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsarchive.serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--secret-file",
            str(tmp_path / "secret_key"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        assert (tmp_path / "secret_key").exists()

        status, headers, html = get(base + "/")
        assert status == 200
        assert "Flood warning" in html
        assert headers["Server"].startswith("gunicorn")
        # collectstatic ran: the stylesheet has a fingerprinted name, cached for long.
        stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html)
        assert stylesheet is not None, html[:500]
        status, headers, css = get(base + stylesheet[1])
        assert ".result" in css
        assert status == 200 and "max-age=315360000" in headers["Cache-Control"]

        # DEBUG is off: the site's own 404 page, not Django's technical one.
        status, _, html = get(base + "/no-such-page/")
        assert status == 404
        assert "<h1>Not found</h1>" in html and "URLconf" not in html
        status, _, html = get(base + "/search/?from=yesterday")
        assert status == 400 and "could not be run" in html
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def prod_client(settings):
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_a_failing_page_is_the_sites_500_page(prod_client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("articles.views.source_counts", broken)
    response = prod_client.get("/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert 'href="/"' in html and "a bug" not in html


def test_a_forbidden_page_is_the_sites_403_page(prod_client, db):
    prod_client.force_login(make_staff("editor"))
    response = prod_client.get("/admin/auth/user/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "You may not open this page" in html
    assert "site.css" in html


def test_a_form_without_its_cookie_is_the_sites_403_page(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "That form could not be sent" in html
    assert "site.css" in html
