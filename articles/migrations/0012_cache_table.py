# The table of the cache all web processes share (settings.CACHES["shared"]): the rate
# limits count each client's requests in it. Created here so that `migrate` (and so
# `make run` and the test database) needs no separate `createcachetable` step.
from django.core.management import call_command
from django.db import migrations

CACHE_TABLE = "newsarchive_cache"


def create(apps, schema_editor):
    call_command("createcachetable", CACHE_TABLE, database=schema_editor.connection.alias)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {CACHE_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("articles", "0011_search_engine")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
