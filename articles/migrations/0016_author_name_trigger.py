# The index holds each article's author names (`author:` is answered by it): renaming an
# author changes every article that bears it, so the rename logs their ids for the indexer.
from django.db import migrations

AUTHOR_RENAMED = """
CREATE OR REPLACE FUNCTION articles_search_log_author_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search_change (article_id)
    SELECT DISTINCT l.article_id
    FROM new_rows n
    JOIN old_rows o ON o.id = n.id
    JOIN articles_articleauthor l ON l.author_id = n.id
    WHERE n.name IS DISTINCT FROM o.name;
    RETURN NULL;
END;
$$;
CREATE TRIGGER articles_search_author_renamed AFTER UPDATE ON articles_author
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION articles_search_log_author_renamed();
"""

DROP_AUTHOR_RENAMED = """
DROP TRIGGER IF EXISTS articles_search_author_renamed ON articles_author;
DROP FUNCTION IF EXISTS articles_search_log_author_renamed();
"""


class Migration(migrations.Migration):
    dependencies = [("articles", "0015_import_runs")]

    operations = [migrations.RunSQL(AUTHOR_RENAMED, DROP_AUTHOR_RENAMED)]
