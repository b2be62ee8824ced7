"""Authors in byline order, and the date a crawler captured a page.

The author links get the change-log triggers of migration 0011 (a curator's edit of a
byline reaches the index), and a change of `captured_at` is logged like one of
`published_at`: the index dates an article by its publication date, else its capture date.
Editors (migration 0002) may add, rename and view authors and edit bylines. After this
migration, `manage.py reindex` (or the first catch-up, which finds the index's schema version
old) rebuilds the index.
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

EDITORS = "Editors"
# What Editors may do with the new models (codename prefixes per model).
AUTHOR_PERMISSIONS = {
    "author": ["view", "change", "add"],
    "articleauthor": ["view", "change", "add", "delete"],
}


def _codenames() -> list[str]:
    return [f"{a}_{model}" for model, actions in AUTHOR_PERMISSIONS.items() for a in actions]


def grant_editors(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so they can be granted.
    app_config = apps.get_app_config("articles")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
    app_config.models_module = None
    alias = schema_editor.connection.alias
    group = apps.get_model("auth", "Group").objects.using(alias).filter(name=EDITORS).first()
    if group is None:
        return
    permissions = (
        apps.get_model("auth", "Permission")
        .objects.using(alias)
        .filter(content_type__app_label="articles", codename__in=_codenames())
    )
    group.permissions.add(*permissions)


def revoke_editors(apps, schema_editor):
    alias = schema_editor.connection.alias
    group = apps.get_model("auth", "Group").objects.using(alias).filter(name=EDITORS).first()
    if group is not None:
        permissions = (
            apps.get_model("auth", "Permission")
            .objects.using(alias)
            .filter(content_type__app_label="articles", codename__in=_codenames())
        )
        group.permissions.remove(*permissions)


AUTHOR_LINK_TRIGGERS = """
CREATE TRIGGER articles_search_author_links_inserted AFTER INSERT ON articles_articleauthor
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION articles_search_log_links_new();
CREATE TRIGGER articles_search_author_links_deleted AFTER DELETE ON articles_articleauthor
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION articles_search_log_links_old();
CREATE TRIGGER articles_search_author_links_updated AFTER UPDATE ON articles_articleauthor
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION articles_search_log_links_new();
CREATE TRIGGER articles_search_author_links_updated_old AFTER UPDATE ON articles_articleauthor
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION articles_search_log_links_old();
"""

DROP_AUTHOR_LINK_TRIGGERS = """
DROP TRIGGER IF EXISTS articles_search_author_links_inserted ON articles_articleauthor;
DROP TRIGGER IF EXISTS articles_search_author_links_deleted ON articles_articleauthor;
DROP TRIGGER IF EXISTS articles_search_author_links_updated ON articles_articleauthor;
DROP TRIGGER IF EXISTS articles_search_author_links_updated_old ON articles_articleauthor;
"""


# A change of the capture date changes the article's date in the index.
LOG_CHANGED = """
CREATE OR REPLACE FUNCTION articles_search_log_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search_change (article_id)
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.is_hidden, n.source_id, n.published_at, n.language, n.captured_at)
              IS DISTINCT FROM (o.is_hidden, o.source_id, o.published_at, o.language,
                                o.captured_at)
       OR n.title IS DISTINCT FROM o.title
       OR n.body IS DISTINCT FROM o.body;
    RETURN NULL;
END $$;
"""

# The function as migration 0011 made it, for going back.
LOG_CHANGED_BEFORE = """
CREATE OR REPLACE FUNCTION articles_search_log_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_search_change (article_id)
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.is_hidden, n.source_id, n.published_at, n.language)
              IS DISTINCT FROM (o.is_hidden, o.source_id, o.published_at, o.language)
       OR n.title IS DISTINCT FROM o.title
       OR n.body IS DISTINCT FROM o.body;
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0012_cache_table"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="captured_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="historicalarticle",
            name="captured_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="Author",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=120)),
                ("slug", models.SlugField(allow_unicode=True, max_length=120, unique=True)),
            ],
            options={
                "ordering": ["name"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"), name="author_name_ci_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ArticleAuthor",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0)),
                (
                    "article",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="articles.article",
                    ),
                ),
                (
                    "author",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="articles.author",
                    ),
                ),
            ],
            options={
                "ordering": ["position"],
            },
        ),
        migrations.AddField(
            model_name="article",
            name="authors",
            field=models.ManyToManyField(
                blank=True,
                related_name="articles",
                through="articles.ArticleAuthor",
                to="articles.author",
            ),
        ),
        migrations.AddIndex(
            model_name="articleauthor",
            index=models.Index(fields=["author", "article"], name="article_author_by_author"),
        ),
        migrations.AddConstraint(
            model_name="articleauthor",
            constraint=models.UniqueConstraint(
                fields=("article", "author"), name="article_author_unique"
            ),
        ),
        migrations.RunSQL(AUTHOR_LINK_TRIGGERS, DROP_AUTHOR_LINK_TRIGGERS),
        migrations.RunSQL(LOG_CHANGED, LOG_CHANGED_BEFORE),
        migrations.RunPython(grant_editors, revoke_editors),
    ]
