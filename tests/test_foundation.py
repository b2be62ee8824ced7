"""The base: settings, the database and its search columns, health checks."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # The browser tests' fixture allows sync ORM calls in its event loop; a real
    # process must not inherit that (check --deploy rightly refuses it).
    full_env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_healthz_answers_ok_with_a_database_round_trip(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_down():
    # A real server process whose database (a closed port) does not answer.
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz'); print(r.status_code, r.json()['status'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "newsarchive.settings",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:9/nowhere",
            "ALLOWED_HOSTS": "testserver",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["503", "error"], result.stderr


def test_production_settings_refuse_an_insecure_secret_key():
    result = run_manage("check", DEBUG="false", SECRET_KEY="short", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Configuration error: DEBUG is off, so SECRET_KEY")


def test_production_settings_refuse_missing_allowed_hosts():
    result = run_manage("check", DEBUG="false", SECRET_KEY="x" * 60, ALLOWED_HOSTS="")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_deploy_passes_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k" * 30 + "-production-secret-for-this-test-0123456789",
        ALLOWED_HOSTS="archive.example.org",
        USE_EMBEDDED_DATABASE="true",
    )
    assert result.returncode == 0, result.stderr


def test_the_web_server_keeps_the_loaded_project_out_of_garbage_collections():
    # A full collection walked every module, class and app-registry object of the worker
    # (21-27 ms at 1,000,000 articles, on whichever request triggered it).
    code = "import gc, newsarchive.wsgi\nprint(gc.get_freeze_count(), len(gc.get_objects()))\n"
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "a.example",
        "USE_EMBEDDED_DATABASE": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    frozen, tracked = map(int, result.stdout.split())
    assert frozen > 10_000 and tracked < frozen / 4


def test_migrations_are_committed():
    result = run_manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def test_healthz_answers_503_when_the_embedded_server_cannot_start(tmp_path):
    # The data folder lies under a regular file: the server cannot even be created.
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz'); print(r.status_code, r.json())"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "newsarchive.settings",
            "NEWSARCHIVE_PGDATA": str(blocker / "pgdata"),
            "ALLOWED_HOSTS": "testserver",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split("\n")[0] == "503 {'status': 'error', 'database': 'unavailable'}", (
        result.stderr
    )


def test_processes_starting_a_fresh_embedded_server_at_once_all_succeed(tmp_path):
    if os.environ.get("DATABASE_URL"):
        pytest.skip("the embedded server is not in use (DATABASE_URL is set)")
    env = {**os.environ, "NEWSARCHIVE_PGDATA": str(tmp_path / "fresh" / "pgdata")}
    # Each process imports first, then waits for the same instant, as the test processes of
    # `make test` reach their first query together on a fresh checkout.
    at = time.time() + 2
    code = (
        "import time; from newsarchive import embedded_db; "
        f"time.sleep(max(0, {at} - time.time())); print(embedded_db.socket_dir())"
    )
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    try:
        results = [(p.wait(timeout=120), *p.communicate()) for p in starts]
    finally:
        stop = "from newsarchive import embedded_db; embedded_db.stop()"
        subprocess.run([sys.executable, "-c", stop], cwd=ROOT, env=env, timeout=60, check=False)
    assert [code for code, _, _ in results] == [0] * 6, [err[-500:] for _, _, err in results]
    assert len({out for _, out, _ in results}) == 1  # one server, one socket folder


def test_processes_creating_the_same_embedded_database_at_once_all_succeed(tmp_path):
    if os.environ.get("DATABASE_URL"):
        pytest.skip("the embedded server is not in use (DATABASE_URL is set)")
    import threading

    import psycopg

    from newsarchive import embedded_db

    host = embedded_db.socket_dir()
    name = f"race_{os.getpid()}"
    barrier = threading.Barrier(6)
    failures: list[BaseException] = []

    def create() -> None:
        barrier.wait()
        try:
            embedded_db._ensure_database(host, name)
        except BaseException as exc:
            failures.append(exc)

    try:
        for _ in range(5):  # a few rounds: the race needs two CREATEs in the same instant
            threads = [threading.Thread(target=create) for _ in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            with psycopg.connect(host=host, user="postgres", dbname="postgres") as conn:
                conn.autocommit = True
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        with psycopg.connect(host=host, user="postgres", dbname="postgres") as conn:
            conn.autocommit = True
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    assert failures == []
