"""The article's tag ids, kept on its own row so a tag filter is an index lookup.

The many-to-many table `articles_article_tags` stays the source of truth (the admin, the
history and every Django query use it). `Article.tag_ids` repeats it as a sorted array with
a GIN index, so "matches the query AND carries this tag" is a BitmapAnd of two indexes: no
join that visits, row by row, every article of a big tag and reads its search vector out
of TOAST (docs/benchmarks.md, finding 3: `common+tag` spent 350 ms in that nested loop at
200,000 articles).

Triggers keep the copy exact whoever changes the links (importer, admin, merges, restores,
raw SQL): statement triggers on the link table recompute the arrays of the articles whose
links changed, and a row trigger recomputes the array on every UPDATE of an article, so a
stale array a Django `save()` writes back never sticks. An INSERT keeps the array it is
given: the importer writes each article's tag ids with the row, and the link trigger then
finds nothing to change (an UPDATE there would rewrite every index entry of the row).

Installed by migration 0004, which freezes this SQL (a test keeps the two equal).
"""

from __future__ import annotations

TAG_IDS_SQL = r"""
-- Rows inserted by hand (dbshell, scripts) start untagged rather than failing NOT NULL.
ALTER TABLE articles_article ALTER COLUMN tag_ids SET DEFAULT '{}';

CREATE OR REPLACE FUNCTION articles_article_tag_ids(article bigint) RETURNS bigint[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(tag_id ORDER BY tag_id), '{}')
    FROM articles_article_tags WHERE article_id = article
$$;

CREATE OR REPLACE FUNCTION articles_article_keep_tag_ids() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.tag_ids := articles_article_tag_ids(NEW.id);
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION articles_article_tags_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint[];
BEGIN
    -- Transition tables are planned only where used, so each branch names its own.
    IF TG_OP = 'INSERT' THEN
        changed := ARRAY(SELECT DISTINCT article_id FROM new_links);
    ELSIF TG_OP = 'DELETE' THEN
        changed := ARRAY(SELECT DISTINCT article_id FROM old_links);
    ELSE
        changed := ARRAY(SELECT article_id FROM old_links UNION SELECT article_id FROM new_links);
    END IF;
    UPDATE articles_article a SET tag_ids = articles_article_tag_ids(a.id)
    WHERE a.id = ANY(changed) AND a.tag_ids IS DISTINCT FROM articles_article_tag_ids(a.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER articles_article_tag_ids
BEFORE UPDATE ON articles_article
FOR EACH ROW EXECUTE FUNCTION articles_article_keep_tag_ids();

CREATE TRIGGER articles_article_tags_inserted
AFTER INSERT ON articles_article_tags REFERENCING NEW TABLE AS new_links
FOR EACH STATEMENT EXECUTE FUNCTION articles_article_tags_changed();

CREATE TRIGGER articles_article_tags_deleted
AFTER DELETE ON articles_article_tags REFERENCING OLD TABLE AS old_links
FOR EACH STATEMENT EXECUTE FUNCTION articles_article_tags_changed();

CREATE TRIGGER articles_article_tags_updated
AFTER UPDATE ON articles_article_tags REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links
FOR EACH STATEMENT EXECUTE FUNCTION articles_article_tags_changed();
"""

# Fills the arrays of the articles already tagged (the row trigger computes each one).
BACKFILL_SQL = """
UPDATE articles_article a SET tag_ids = '{}'
WHERE EXISTS (SELECT 1 FROM articles_article_tags t WHERE t.article_id = a.id);
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS articles_article_tags_updated ON articles_article_tags;
DROP TRIGGER IF EXISTS articles_article_tags_deleted ON articles_article_tags;
DROP TRIGGER IF EXISTS articles_article_tags_inserted ON articles_article_tags;
DROP TRIGGER IF EXISTS articles_article_tag_ids ON articles_article;
DROP FUNCTION IF EXISTS articles_article_tags_changed();
DROP FUNCTION IF EXISTS articles_article_keep_tag_ids();
DROP FUNCTION IF EXISTS articles_article_tag_ids(bigint);
"""
