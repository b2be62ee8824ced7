# Canonical URLs (the de-duplication form of `url`), outlet keys of sources, and the
# near-duplicate groups with their MinHash band keys. Existing rows get their canonical URL
# and outlet key here, in batches; of two existing articles whose URLs share a canonical
# form, the later one keeps NULL (both stay, as before).
import django.db.models.deletion
from django.db import migrations, models

BATCH = 5000


def backfill(apps, schema_editor):
    from articles.ingest.outlets import outlet_key
    from articles.ingest.urls import read_url

    Article = apps.get_model("articles", "Article")
    Source = apps.get_model("articles", "Source")
    taken: set[str] = set()
    last = 0
    while True:
        rows = list(
            Article.objects.filter(pk__gt=last, url__isnull=False)
            .order_by("pk")
            .values_list("pk", "url")[:BATCH]
        )
        if not rows:
            break
        last = rows[-1][0]
        ids, canonicals = [], []
        for pk, url in rows:
            kept, _ = read_url(url)
            if kept is None or kept.canonical in taken:
                continue
            taken.add(kept.canonical)
            ids.append(pk)
            canonicals.append(kept.canonical)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE articles_article a SET canonical_url = u.c "
                "FROM unnest(%s::bigint[], %s::text[]) AS u(id, c) WHERE a.id = u.id",
                [ids, canonicals],
            )
    for source in Source.objects.all().iterator():
        key = outlet_key(source.domain or source.name) or ""
        if key:
            Source.objects.filter(pk=source.pk).update(outlet_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0013_authors_captured"),
    ]

    operations = [
        migrations.CreateModel(
            name="NearDuplicateBand",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("band_key", models.BigIntegerField()),
            ],
            options={
                "db_table": "articles_nearduplicate_band",
            },
        ),
        migrations.AddField(
            model_name="article",
            name="canonical_url",
            field=models.CharField(blank=True, editable=False, max_length=2000, null=True),
        ),
        migrations.AddField(
            model_name="article",
            name="duplicate_group",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="historicalarticle",
            name="duplicate_group",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="source",
            name="outlet_key",
            field=models.CharField(blank=True, editable=False, max_length=100),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="article",
            constraint=models.UniqueConstraint(
                fields=("canonical_url",), name="article_canonical_url_unique"
            ),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                condition=models.Q(("duplicate_group__isnull", False)),
                fields=["duplicate_group"],
                name="article_duplicate_group_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="source",
            index=models.Index(
                condition=models.Q(("outlet_key", ""), _negated=True),
                fields=["outlet_key"],
                name="source_outlet_key_idx",
            ),
        ),
        migrations.AddField(
            model_name="nearduplicateband",
            name="article",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="articles.article",
            ),
        ),
        migrations.AddIndex(
            model_name="nearduplicateband",
            index=models.Index(fields=["band_key", "article"], name="neardup_band_key_idx"),
        ),
    ]
