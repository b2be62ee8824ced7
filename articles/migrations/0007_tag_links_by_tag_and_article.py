# Related articles are read from the link table by tag, nearest in article id first
# (articles/related.py): an index on (tag_id, article_id) answers each tag's nearest links
# with one descent where Django's index on tag_id alone sorts all of a tag's links (194,000
# for the largest tag at 1,000,000 articles). 74 MB for 2.5 million links; built in 1.2 s.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("articles", "0006_counts_generation")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS article_tags_tag_article_idx "
            "ON articles_article_tags (tag_id, article_id)",
            "DROP INDEX IF EXISTS article_tags_tag_article_idx",
        )
    ]
