# A counter bumped by every change that moves the site-wide source and tag counts (imports,
# curators' edits, merges, hiding). Each web process caches those counts under the current
# value, so a change made in one process is seen by all of them at the next request, where
# the cache's TTL alone left merged tags listed for up to five minutes (articles/counts.py).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("articles", "0005_search_statistics")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE articles_counts_generation",
            "DROP SEQUENCE articles_counts_generation",
        )
    ]
