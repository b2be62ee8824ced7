"""The JSON twin: /api/search and /api/articles/<id>."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.factories import make_article, make_source


@pytest.fixture(autouse=True)
def _fresh():
    yield


@pytest.fixture
def corpus(db):
    source = make_source("Daily <Times>")
    return [
        make_article(
            "Volcano <erupts>",
            'Lava & "ash" <script>x</script> volcano.',
            source=source,
            tags=["Nature"],
            published_at=datetime(2020, 1, 2, 3, 4, tzinfo=UTC),
        ),
        make_article("Quiet day", "A volcano slept.", published_at=None, language="en"),
        make_article("Hidden volcano", "volcano", is_hidden=True),
    ]


def test_search_api_has_the_documented_shape(client, corpus):
    response = client.get("/api/search", {"q": "volcano"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["count"] == 2
    assert data["page"] == 1
    assert data["num_pages"] == 1
    assert data["page_size"] == 20
    assert data["has_terms"] is True
    assert data["suggestion"] is None
    first, second = data["results"]
    assert first == {
        "id": corpus[0].pk,
        "title": "Volcano <erupts>",
        "url": f"http://testserver/articles/{corpus[0].pk}/{corpus[0].slug}/",
        "source": "Daily <Times>",
        "authors": [],
        "published_at": "2020-01-02T03:04:00+00:00",
        "captured_at": None,
        "tags": ["Nature"],
        "language": "en",
        "snippet": first["snippet"],
        "similar": 0,
    }
    assert "<mark>volcano</mark>" in first["snippet"]
    assert "&lt;script&gt;" in first["snippet"]
    assert "<script>" not in first["snippet"]
    assert second["published_at"] is None
    assert data["facets"]["source"] == [
        {"value": "daily-times", "label": "Daily <Times>", "count": 1}
    ]
    # Undated matches have a value of their own: the years and it add up to the count.
    assert data["facets"]["year"] == [
        {"value": "2020", "label": "2020", "count": 1},
        {"value": "undated", "label": "Undated", "count": 1},
    ]
    assert data["facets"]["tag"] == [{"value": "nature", "label": "Nature", "count": 1}]
    assert data["facets"]["language"] == [{"value": "en", "label": "English", "count": 2}]


def test_search_api_and_page_share_filters_and_sort(client, corpus):
    data = client.get("/api/search", {"q": "volcano", "sort": "oldest"}).json()
    assert [r["title"] for r in data["results"]] == ["Volcano <erupts>", "Quiet day"]
    data = client.get("/api/search", {"tag": "nature"}).json()
    assert [r["title"] for r in data["results"]] == ["Volcano <erupts>"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"from": "2020-13-01"}, 400),
        ({"sort": "best"}, 400),
        ({"source": "nobody"}, 400),
        ({"page": "-1"}, 400),
        ({"q": "volcano", "page": "2"}, 404),
    ],
)
def test_search_api_errors_are_json(client, corpus, params, status):
    response = client.get("/api/search", params)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]


def test_article_api_returns_the_full_body(client, corpus):
    article = corpus[0]
    data = client.get(f"/api/articles/{article.pk}").json()
    assert data["body"] == article.body
    assert data["title"] == "Volcano <erupts>"
    assert data["tags"] == ["Nature"]


def test_article_api_404s_for_missing_and_hidden(client, corpus):
    for pk in (corpus[2].pk, 999999):
        response = client.get(f"/api/articles/{pk}")
        assert response.status_code == 404
        assert "error" in response.json()


def test_search_api_query_count_is_bounded(client, corpus, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        client.get("/api/search", {"q": "volcano"})
