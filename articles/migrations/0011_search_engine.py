"""Search moves to the tantivy index: PostgreSQL keeps the record and a change log.

Removed: the stored search vectors, their trigger and GIN index, the filter terms, the
tag-id array and its triggers, the oldest-first date index and the counts generation (the
index answers all of these now). Added: `articles_search_change`, the ids of the articles
whose indexed content changed, written by triggers in the changing transaction with its
transaction id; and `articles_search_follower`, how far each index has applied it
(articles/search/indexer.py). After this migration, `manage.py reindex` builds the index.
"""

from django.db import migrations

DROP_OLD_SEARCH = """
DROP TRIGGER IF EXISTS articles_article_vectors ON articles_article;
DROP FUNCTION IF EXISTS articles_article_vectors();
DROP FUNCTION IF EXISTS articles_article_filter_terms(bigint, timestamptz, bigint, bigint[]);
DROP TRIGGER IF EXISTS articles_article_tags_updated ON articles_article_tags;
DROP TRIGGER IF EXISTS articles_article_tags_deleted ON articles_article_tags;
DROP TRIGGER IF EXISTS articles_article_tags_inserted ON articles_article_tags;
DROP TRIGGER IF EXISTS articles_article_tag_ids ON articles_article;
DROP FUNCTION IF EXISTS articles_article_tags_changed();
DROP FUNCTION IF EXISTS articles_article_keep_tag_ids();
DROP FUNCTION IF EXISTS articles_article_tag_ids(bigint);
DROP SEQUENCE IF EXISTS articles_counts_generation;
"""

CHANGE_LOG = """
CREATE TABLE articles_search_change (
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    article_id bigint NOT NULL
);
-- The indexer reads the log by transaction id ranges, and prunes below a horizon.
CREATE INDEX articles_search_change_xid ON articles_search_change (xid);

CREATE TABLE articles_search_follower (
    name text PRIMARY KEY,
    horizon xid8 NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Statement triggers with transition tables: an import of a thousand articles writes its
-- thousand log rows in one INSERT, not a thousand.
CREATE FUNCTION articles_search_log_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search_change (article_id) SELECT id FROM new_rows;
    RETURN NULL;
END $$;

CREATE FUNCTION articles_search_log_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search_change (article_id) SELECT id FROM old_rows;
    RETURN NULL;
END $$;

-- Only changes to what the index holds: an update of updated_at or import_run alone is not
-- logged. The cheap columns are compared first.
CREATE FUNCTION articles_search_log_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search_change (article_id)
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.is_hidden, n.source_id, n.published_at, n.language)
              IS DISTINCT FROM (o.is_hidden, o.source_id, o.published_at, o.language)
       OR n.title IS DISTINCT FROM o.title
       OR n.body IS DISTINCT FROM o.body;
    RETURN NULL;
END $$;

CREATE FUNCTION articles_search_log_links_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search_change (article_id) SELECT DISTINCT article_id FROM new_rows;
    RETURN NULL;
END $$;

CREATE FUNCTION articles_search_log_links_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search_change (article_id) SELECT DISTINCT article_id FROM old_rows;
    RETURN NULL;
END $$;

CREATE TRIGGER articles_search_inserted AFTER INSERT ON articles_article
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION articles_search_log_new();
CREATE TRIGGER articles_search_updated AFTER UPDATE ON articles_article
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION articles_search_log_changed();
CREATE TRIGGER articles_search_deleted AFTER DELETE ON articles_article
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION articles_search_log_old();
CREATE TRIGGER articles_search_links_inserted AFTER INSERT ON articles_article_tags
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION articles_search_log_links_new();
CREATE TRIGGER articles_search_links_deleted AFTER DELETE ON articles_article_tags
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION articles_search_log_links_old();
CREATE TRIGGER articles_search_links_updated AFTER UPDATE ON articles_article_tags
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION articles_search_log_links_new();
CREATE TRIGGER articles_search_links_updated_old AFTER UPDATE ON articles_article_tags
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION articles_search_log_links_old();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0010_oldest_first_index"),
    ]

    operations = [
        migrations.RunSQL(DROP_OLD_SEARCH),
        migrations.RemoveIndex(model_name="article", name="article_search_gin"),
        migrations.RemoveIndex(model_name="article", name="article_tag_ids_gin"),
        migrations.RemoveIndex(model_name="article", name="article_published_asc_idx"),
        migrations.RemoveField(model_name="article", name="search_vector"),
        migrations.RemoveField(model_name="article", name="rank_vector"),
        migrations.RemoveField(model_name="article", name="tag_ids"),
        migrations.RunSQL(CHANGE_LOG),
    ]
