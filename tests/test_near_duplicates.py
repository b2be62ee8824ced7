"""Near-duplicates: three lightly edited versions of one wire story are kept and grouped, in
one import or across imports; the article page lists the other versions, search shows one
version with "2 similar", and curators merge or split a group in the admin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.urls import reverse

from articles.models import Article, NearDuplicateBand
from articles.search import SearchRequest, search
from tests.factories import ingest, make_superuser

pytestmark = pytest.mark.django_db(transaction=True)

ARTICLES = reverse("admin:articles_article_changelist")

WIRE = (
    "Rescue teams searched through the night for survivors after a landslide buried part "
    "of the mountain village of Kalari on Tuesday, officials said. The regional governor "
    "told reporters that at least forty homes had been destroyed and that heavy rain was "
    "expected to continue for another two days, hampering the search. Army helicopters "
    "dropped food and blankets to families cut off by the collapse of the only road into "
    "the valley. Doctors at the district hospital said they had treated more than sixty "
    "people for injuries, most of them minor, and that several children were in a serious "
    "condition. The meteorological office warned of further landslides along the river, "
    "where the ground remains saturated after the wettest month on record. Residents said "
    "they heard a sound like thunder shortly before dawn, and many fled in their night "
    "clothes as the hillside gave way above them. Aid agencies have appealed for tents, "
    "clean water and medicine, and the government has promised compensation to every "
    "family that lost a home in the disaster."
)
# A byline and a closing sentence added; a word changed: what an outlet does to wire copy.
EDITED = "By Our Correspondent. " + WIRE.replace("forty", "forty-two") + " More soon."
LOCAL = WIRE.replace("Rescue teams", "Local rescue teams") + " Our reporter is on the scene."
UNRELATED = (
    "The city council approved a new budget on Monday that raises spending on libraries "
    "and parks while cutting the cost of bus passes for students and pensioners. The mayor "
    "said the plan would be paid for by savings in administration and a small increase in "
    "parking charges in the centre. Opposition councillors criticised the timetable for "
    "the new tram line, which has been delayed again, and asked for an independent review "
    "of the contracts. Shopkeepers welcomed the decision to keep the Saturday market in "
    "the old square after months of uncertainty about its future."
)


def write(path: Path, records: list[tuple[str, str, str, str]]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for title, body, source, day in records:
            slug = title.lower().replace(" ", "-")
            record = {
                "title": title,
                "text": body,
                "source": source,
                "url": f"https://{source}/{slug}",
                "date_publish": f"2021-06-{day}T08:00:00Z",
                "language": "en",
            }
            f.write(json.dumps(record) + "\n")
    return path


STORIES = [
    ("Landslide buries village", WIRE, "wire.example", "01"),
    ("Village buried by landslide", EDITED, "dailypaper.example", "02"),
    ("Kalari landslide: dozens of homes lost", LOCAL, "valleynews.example", "03"),
    ("Council approves budget", UNRELATED, "citypaper.example", "02"),
]


def test_versions_in_one_import_are_kept_and_grouped(tmp_path):
    out = ingest(str(write(tmp_path / "d.jsonl", STORIES)))

    assert "created 4, duplicates 0" in out
    assert "3 near-duplicates grouped with other versions" in out
    first = Article.objects.get(title="Landslide buries village")
    grouped = Article.objects.filter(duplicate_group=first.duplicate_group)
    assert first.duplicate_group is not None
    assert sorted(a.title for a in grouped) == sorted(title for title, *_ in STORIES[:3])
    assert Article.objects.get(title="Council approves budget").duplicate_group is None


def test_a_version_imported_later_joins_the_stored_ones(tmp_path):
    ingest(str(write(tmp_path / "a.jsonl", [STORIES[0], STORIES[3]])))
    assert Article.objects.filter(duplicate_group__isnull=False).count() == 0
    ingest(str(write(tmp_path / "b.jsonl", [STORIES[1]])))
    out = ingest(str(write(tmp_path / "c.jsonl", [STORIES[2]])))

    assert "created 1, duplicates 0" in out and "1 near-duplicates grouped" in out
    wire = Article.objects.get(title="Landslide buries village")
    assert wire.duplicate_group == wire.pk  # the group is named by its first article
    assert Article.objects.filter(duplicate_group=wire.pk).count() == 3


def test_detection_can_be_turned_off(tmp_path):
    out = ingest(str(write(tmp_path / "d.jsonl", STORIES)), "--no-near-duplicates")
    assert "created 4" in out and "near-duplicates" not in out
    assert not Article.objects.filter(duplicate_group__isnull=False).exists()
    assert not NearDuplicateBand.objects.exists()


def test_the_article_page_lists_the_other_versions(client, tmp_path):
    ingest(str(write(tmp_path / "d.jsonl", STORIES)))
    wire = Article.objects.get(title="Landslide buries village")

    page = client.get(wire.get_absolute_url()).content.decode()

    section = page.split('id="other-versions"', 1)[1].split("</section>", 1)[0]
    assert "Other versions" in section
    assert "Village buried by landslide" in section and "dailypaper.example" in section
    assert "Kalari landslide: dozens of homes lost" in section
    assert "2 June 2021" in section and "3 June 2021" in section
    assert "Landslide buries village" not in section
    assert "Council approves budget" not in section
    unrelated = Article.objects.get(title="Council approves budget")
    assert "other-versions" not in client.get(unrelated.get_absolute_url()).content.decode()


def test_search_shows_one_version_with_its_similar_count(client, tmp_path):
    ingest(str(write(tmp_path / "d.jsonl", STORIES)))

    found = search(SearchRequest(q="landslide"))
    assert found.count == 3  # counts stay counts of articles
    assert len(found.articles) == 1
    assert found.articles[0].similar == 2

    page = client.get(reverse("articles:search"), {"q": "landslide"}).content.decode()
    assert page.count('class="result"') == 1
    assert "2 similar" in page
    shown = found.articles[0]
    assert f'{shown.get_absolute_url()}#other-versions">2 similar' in page
    api = client.get(reverse("articles:api_search"), {"q": "landslide"}).json()
    assert [(r["id"], r["similar"]) for r in api["results"]] == [(shown.pk, 2)]
    # An article with no other version says nothing of the kind.
    budget = client.get(reverse("articles:search"), {"q": "budget"}).content.decode()
    assert "similar" not in budget.split('class="results"', 1)[1]
    alone = client.get(reverse("articles:api_search"), {"q": "budget"}).json()["results"]
    assert alone and all(r["similar"] == 0 for r in alone)


def test_the_admin_lists_groups_and_merges_one(client, tmp_path):
    ingest(str(write(tmp_path / "d.jsonl", STORIES)))
    client.force_login(make_superuser("editor"))
    wire = Article.objects.get(title="Landslide buries village")

    listed = client.get(ARTICLES, {"near_duplicates": "yes"})
    assert sorted(str(a) for a in listed.context["cl"].result_list) == sorted(
        title for title, *_ in STORIES[:3]
    )
    assert f"?group={wire.duplicate_group}" in listed.content.decode()
    group = client.get(ARTICLES, {"group": wire.duplicate_group})
    assert len(group.context["cl"].result_list) == 3

    edited = Article.objects.get(title="Village buried by landslide")
    response = client.post(
        ARTICLES,
        {"action": "merge_near_duplicates", "index": 0, ACTION_CHECKBOX_NAME: [edited.pk]},
        follow=True,
    )

    assert "Merged 1 group of near-duplicates: hid 2 articles." in response.content.decode()
    assert list(Article.objects.visible().filter(duplicate_group=wire.duplicate_group)) == [edited]
    wire.refresh_from_db()
    assert wire.is_hidden and wire.duplicate_group == edited.duplicate_group
    latest = wire.history.first()
    assert latest.history_change_reason == f"Merged into version #{edited.pk}"
    assert latest.history_user.username == "editor"
    # Search now shows the kept version, alone.
    found = search(SearchRequest(q="landslide"))
    assert [a.title for a in found.articles] == ["Village buried by landslide"]
    assert found.articles[0].similar == 0


def test_the_admin_splits_an_article_out_of_its_group(client, tmp_path):
    ingest(str(write(tmp_path / "d.jsonl", STORIES[:2])))
    client.force_login(make_superuser("editor"))
    edited = Article.objects.get(title="Village buried by landslide")

    response = client.post(
        ARTICLES,
        {"action": "split_near_duplicates", "index": 0, ACTION_CHECKBOX_NAME: [edited.pk]},
        follow=True,
    )

    assert "Split 1 article from their near-duplicates." in response.content.decode()
    assert not Article.objects.filter(duplicate_group__isnull=False).exists()
    assert edited.history.first().history_change_reason == "Split from its near-duplicates"
    # The curator's word stands: a later version no longer pulls it back in.
    ingest(str(write(tmp_path / "c.jsonl", [STORIES[2]])))
    edited.refresh_from_db()
    assert edited.duplicate_group is None
    wire = Article.objects.get(title="Landslide buries village")
    assert Article.objects.filter(duplicate_group=wire.pk).count() == 2


def test_articles_stored_without_detection_are_grouped_by_the_command(tmp_path):
    ingest(str(write(tmp_path / "d.jsonl", STORIES)), "--no-near-duplicates")
    out = io.StringIO()
    call_command("group_near_duplicates", stdout=out)

    assert "read 4 articles; 3 grouped with other versions" in out.getvalue()
    wire = Article.objects.get(title="Landslide buries village")
    assert Article.objects.filter(duplicate_group=wire.duplicate_group).count() == 3
    # Every article has its band keys now: a second run has nothing to read.
    out = io.StringIO()
    call_command("group_near_duplicates", stdout=out)
    assert "read 0 articles; 0 grouped" in out.getvalue()


def test_the_migration_gives_stored_articles_the_band_keys_of_todays_signatures(tmp_path):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from articles.ingest.neardup import band_keys, signature_of

    ingest(str(write(tmp_path / "first.jsonl", STORIES[:1] + STORIES[3:])))
    wire = Article.objects.get(title="Landslide buries village")
    budget = Article.objects.get(title="Council approves budget")
    executor = MigrationExecutor(connection)
    executor.migrate([("articles", "0017_history_byline")])
    try:
        # Keys as signatures of another kind left them: they meet no key of today's.
        NearDuplicateBand.objects.all().delete()
        NearDuplicateBand.objects.bulk_create(
            NearDuplicateBand(band_key=key, article_id=wire.pk) for key in range(1, 17)
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    signature = signature_of(wire.body)
    assert signature is not None
    stored = NearDuplicateBand.objects.filter(article_id=wire.pk).values_list("band_key", flat=True)
    assert sorted(stored) == sorted(band_keys(signature))
    # An article that had no keys gets none: the command groups those.
    assert not NearDuplicateBand.objects.filter(article_id=budget.pk).exists()
    # A version imported now finds the stored story through its new keys (both join a group).
    later = ingest(str(write(tmp_path / "later.jsonl", STORIES[1:2])))
    assert "2 near-duplicates grouped" in later
    assert Article.objects.filter(duplicate_group=wire.pk).count() == 2
