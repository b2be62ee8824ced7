# Store search_vector out of line without trying to compress it (STORAGE EXTERNAL). A
# tsvector is sorted lexemes and positions, which pglz never shrank by the 25% it asks for:
# of 20,000 bench articles at 1,000,000 none was stored compressed, so every insert and
# every vector update paid a failed compression attempt, 15 us per article (20,000 vectors
# inserted in 470 ms against 160 ms; docs/benchmarks.md). The stored bytes
# are the same either way, so reading is unchanged. Metadata only: existing rows keep what
# they have, and new rows skip the attempt.

from django.db import migrations

EXTERNAL_SQL = "ALTER TABLE articles_article ALTER COLUMN search_vector SET STORAGE EXTERNAL;"
EXTENDED_SQL = "ALTER TABLE articles_article ALTER COLUMN search_vector SET STORAGE EXTENDED;"


class Migration(migrations.Migration):
    dependencies = [("articles", "0008_search_filter_terms")]

    operations = [migrations.RunSQL(EXTERNAL_SQL, EXTENDED_SQL)]
