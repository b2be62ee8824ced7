# Finer statistics for the search vector and the tag ids. With the default target (100),
# the planner keeps ~1,000 lexemes and estimates every other word at half the rarest one's
# frequency: at 1,000,000 articles a word in 52 articles and one in 5,000 were both
# estimated at 4,999 matches, so rare searches took the broad plan and showed "about 9,972".
# At 1,000 the estimates are 1,563 and 4,927 (both answered exactly) and planning costs
# 0.2 ms more; at 10,000 they are exact but planning costs 1.1 ms more and ANALYZE 20 s
# (docs/benchmarks.md). The new statistics apply from the next ANALYZE (autovacuum's, or
# run `ANALYZE articles_article` after migrating a large archive).

from django.db import migrations

STATISTICS_SQL = """
ALTER TABLE articles_article ALTER COLUMN search_vector SET STATISTICS 1000;
ALTER TABLE articles_article ALTER COLUMN tag_ids SET STATISTICS 1000;
"""

DEFAULT_STATISTICS_SQL = """
ALTER TABLE articles_article ALTER COLUMN search_vector SET STATISTICS -1;
ALTER TABLE articles_article ALTER COLUMN tag_ids SET STATISTICS -1;
"""


class Migration(migrations.Migration):
    dependencies = [("articles", "0004_tag_ids")]

    operations = [migrations.RunSQL(STATISTICS_SQL, DEFAULT_STATISTICS_SQL)]
