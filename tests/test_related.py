"""Related articles on an article page: sharing the most tags first, then the nearest."""

from __future__ import annotations

import pytest

from articles import related
from articles.related import related_ids

from .factories import make_article, make_tag

pytestmark = pytest.mark.django_db


def _related_titles(client, article) -> list[str]:
    html = client.get(article.get_absolute_url()).content.decode()
    if 'id="related-title"' not in html:
        return []
    section = html.split('id="related-title"')[1].split("</section>")[0]
    return [
        part.split("</a>")[0].rsplit(">", 1)[1]
        for part in section.split('class="result-title"')[1:]
    ]


def test_articles_sharing_more_tags_come_first_then_the_nearest(client):
    war, peace, sport = make_tag("War"), make_tag("Peace"), make_tag("Sport")
    both = make_article("Shares both, further before", tags=[war, peace])
    make_article("Shares nothing", tags=[sport])
    make_article("Hidden, shares both", tags=[war, peace], is_hidden=True)
    before = make_article("Shares one, just before", tags=[war])
    article = make_article("The article", tags=[war, peace])
    after = make_article("Shares one, just after", tags=[peace])
    make_article("Shares one, further after", tags=[war])
    # Ids follow creation order: `both` is further from the article than `before`.
    assert both.pk < before.pk < article.pk < after.pk

    assert _related_titles(client, article) == [
        "Shares both, further before",
        "Shares one, just before",
        "Shares one, just after",
        "Shares one, further after",
    ]


def test_only_the_nearest_links_of_each_tag_are_candidates(monkeypatch):
    """The work per tag is bounded: a huge tag costs no more than a small one."""
    monkeypatch.setattr(related, "RELATED_WINDOW", 2)
    big = make_tag("Big")
    far = [make_article(f"Far {i}", tags=[big]) for i in range(3)]
    near = [make_article(f"Near {i}", tags=[big]) for i in range(2)]
    article = make_article("The article", tags=[big])
    found = related_ids(article.pk, [big.pk], 10)
    assert found == [near[1].pk, near[0].pk]
    assert not set(found) & {a.pk for a in far}


def test_an_article_without_tags_falls_back_to_its_title_words(client):
    make_article("Volcano erupts on the island", "Lava everywhere.")
    article = make_article("Island volcano quiet again", "Calm returns.")
    assert related_ids(article.pk, [], 5) == []
    assert _related_titles(client, article) == ["Volcano erupts on the island"]
