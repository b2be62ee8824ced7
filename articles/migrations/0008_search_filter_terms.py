# Filter terms in search_vector (articles/search.py): lexemes for the year and month of
# publication, the source, the tags and the sample buckets, so a filtered or broad search
# is one GIN lookup in which the rarest term drives. The trigger now fires on every UPDATE
# and parses nothing unless title, body or language changed; when only the date, source or
# tags moved it swaps the filter terms. The backfill rewrites every article row once
# (about 8 minutes for 1,000,000 articles on 2 cores: docs/benchmarks.md).
# The SQL is frozen here as filter_terms_sql() and vector_trigger_sql() wrote it.

import importlib

from django.db import migrations

FILTER_TERMS = r"""
CREATE OR REPLACE FUNCTION articles_article_filter_terms(
    id bigint, published_at timestamptz, source_id bigint, tag_ids bigint[]
) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT array_to_tsvector(array_remove(ARRAY[
        ' y:' || to_char(published_at AT TIME ZONE 'UTC', 'YYYY'),
        ' m:' || to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM'),
        ' src:' || source_id,
        CASE WHEN h < 268435456 THEN ' s:8' END,
        CASE WHEN h < 67108864 THEN ' s:32' END,
        CASE WHEN h < 16777216 THEN ' s:128' END
    ], NULL) || ARRAY(SELECT ' t:' || t FROM unnest(tag_ids) AS t))
    FROM (SELECT ((id % 2147483648) * 1327217885) % 2147483648 AS h) AS hashed
$$;
"""

VECTOR_FUNCTION = r"""
CREATE OR REPLACE FUNCTION articles_article_vectors() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cfg regconfig;
    body text;
    lead text;
BEGIN
    -- Django's save() writes back the NULL vectors it never loaded: parse again then.
    IF TG_OP = 'UPDATE' AND NEW.title IS NOT DISTINCT FROM OLD.title
            AND NEW.body IS NOT DISTINCT FROM OLD.body
            AND NEW.language IS NOT DISTINCT FROM OLD.language
            AND NEW.search_vector IS NOT NULL AND NEW.rank_vector IS NOT NULL THEN
        IF (NEW.published_at, NEW.source_id, NEW.tag_ids)
                    IS DISTINCT FROM (OLD.published_at, OLD.source_id, OLD.tag_ids) THEN
            NEW.search_vector := ts_delete(NEW.search_vector,
                    tsvector_to_array(articles_article_filter_terms(OLD.id, OLD.published_at, OLD.source_id, OLD.tag_ids)))
                || articles_article_filter_terms(NEW.id, NEW.published_at, NEW.source_id, NEW.tag_ids);
        END IF;
        RETURN NEW;
    END IF;
    cfg := (CASE NEW.language WHEN 'ar' THEN 'arabic'::regconfig WHEN 'ca' THEN 'catalan'::regconfig WHEN 'da' THEN 'danish'::regconfig WHEN 'de' THEN 'german'::regconfig WHEN 'el' THEN 'greek'::regconfig WHEN 'en' THEN 'english'::regconfig WHEN 'es' THEN 'spanish'::regconfig WHEN 'eu' THEN 'basque'::regconfig WHEN 'fi' THEN 'finnish'::regconfig WHEN 'fr' THEN 'french'::regconfig WHEN 'ga' THEN 'irish'::regconfig WHEN 'hi' THEN 'hindi'::regconfig WHEN 'hu' THEN 'hungarian'::regconfig WHEN 'hy' THEN 'armenian'::regconfig WHEN 'id' THEN 'indonesian'::regconfig WHEN 'it' THEN 'italian'::regconfig WHEN 'lt' THEN 'lithuanian'::regconfig WHEN 'ne' THEN 'nepali'::regconfig WHEN 'nl' THEN 'dutch'::regconfig WHEN 'no' THEN 'norwegian'::regconfig WHEN 'pt' THEN 'portuguese'::regconfig WHEN 'ro' THEN 'romanian'::regconfig WHEN 'ru' THEN 'russian'::regconfig WHEN 'sr' THEN 'serbian'::regconfig WHEN 'sv' THEN 'swedish'::regconfig WHEN 'ta' THEN 'tamil'::regconfig WHEN 'tr' THEN 'turkish'::regconfig WHEN 'yi' THEN 'yiddish'::regconfig ELSE 'simple'::regconfig END);
    body := coalesce(NEW.body, '');
    lead := left(body, 700)
        || coalesce(substring(substr(body, 700 + 1) from '^\S*'), '');
    NEW.rank_vector := setweight(to_tsvector(cfg, coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector(cfg, lead), 'B');
    NEW.search_vector := NEW.rank_vector
        || setweight(to_tsvector(cfg, substr(body, length(lead) + 1)), 'B')
        || articles_article_filter_terms(NEW.id, NEW.published_at, NEW.source_id, NEW.tag_ids);
    RETURN NEW;
END
$$;
"""

TRIGGER = """
DROP TRIGGER IF EXISTS articles_article_vectors ON articles_article;
CREATE TRIGGER articles_article_vectors
BEFORE INSERT OR UPDATE ON articles_article
FOR EACH ROW EXECUTE FUNCTION articles_article_vectors();
"""

# Adds the terms to the rows already there (the trigger sees no change of text or filters
# and keeps what the statement wrote).
BACKFILL = """
UPDATE articles_article
SET search_vector = search_vector
    || articles_article_filter_terms(id, published_at, source_id, tag_ids)
WHERE search_vector IS NOT NULL;
"""

_previous = importlib.import_module("articles.migrations.0003_trigger_vectors_and_leaner_indexes")

REVERSE = (
    """
UPDATE articles_article
SET search_vector = ts_delete(search_vector, tsvector_to_array(
    articles_article_filter_terms(id, published_at, source_id, tag_ids)))
WHERE search_vector IS NOT NULL;
"""
    + _previous.DROP_TRIGGER
    + _previous.VECTOR_FUNCTION
    + _previous.TRIGGER
    + "DROP FUNCTION IF EXISTS articles_article_filter_terms(bigint, timestamptz, bigint, bigint[]);"
)


class Migration(migrations.Migration):
    dependencies = [("articles", "0007_tag_links_by_tag_and_article")]

    operations = [
        migrations.RunSQL(FILTER_TERMS + VECTOR_FUNCTION + TRIGGER + BACKFILL, REVERSE),
    ]
