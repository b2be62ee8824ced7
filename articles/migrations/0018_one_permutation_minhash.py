"""Near-duplicate band keys are re-signed: the signatures are one-permutation MinHash
(articles/ingest/neardup.py), whose band keys never meet those of 128-permutation
signatures. Every article that had band keys gets the new ones; groups stay as they are.
Nine minutes for 1,000,000 articles on two cores."""

from django.db import migrations

BATCH = 1000


def resign(apps, schema_editor):
    from articles.ingest.neardup import band_keys_of, signatures

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE resigned ON COMMIT DROP AS "
            "SELECT DISTINCT article_id AS id FROM articles_nearduplicate_band"
        )
        cursor.execute("TRUNCATE articles_nearduplicate_band")
        last = 0
        while True:
            cursor.execute(
                "SELECT a.id, a.body FROM articles_article a JOIN resigned r ON r.id = a.id "
                "WHERE a.id > %s ORDER BY a.id LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            signed = [
                (pk, signature)
                for (pk, _), signature in zip(rows, signatures([b for _, b in rows]), strict=True)
                if signature is not None
            ]
            keys = band_keys_of([signature for _, signature in signed])
            pairs = [(key, pk) for (pk, _), ks in zip(signed, keys, strict=True) for key in ks]
            cursor.execute(
                "INSERT INTO articles_nearduplicate_band (band_key, article_id) "
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[])",
                [_array(k for k, _ in pairs), _array(pk for _, pk in pairs)],
            )


def _array(values):
    """A PostgreSQL array literal: one string binds far faster than a long list."""
    return "{" + ",".join(map(str, values)) + "}"


class Migration(migrations.Migration):
    dependencies = [("articles", "0017_history_byline")]

    # Both ways: the keys are those of the code that runs the migration.
    operations = [migrations.RunPython(resign, resign, elidable=True)]
