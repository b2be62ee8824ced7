"""The Editors group: curators who fix, tag, merge and hide, but do not manage accounts."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

EDITORS = "Editors"

# codename prefixes per model of the articles app; nothing from auth (users, groups, permissions).
EDITOR_PERMISSIONS = {
    "article": ["view", "change"],
    "historicalarticle": ["view"],
    "tag": ["view", "change", "add"],
    "tagredirect": ["view", "change", "add", "delete"],
    "source": ["view", "change", "add"],
    "sourcealias": ["view", "change", "add", "delete"],
    "sourceredirect": ["view", "change", "add", "delete"],
    "importrun": ["view"],
}


def create_editors(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally created after migrate; create them now so they can be granted.
    app_config = apps.get_app_config("articles")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(schema_editor.connection.alias).get_or_create(name=EDITORS)
    codenames = [
        f"{action}_{model}" for model, actions in EDITOR_PERMISSIONS.items() for action in actions
    ]
    permissions = Permission.objects.using(schema_editor.connection.alias).filter(
        content_type__app_label="articles", codename__in=codenames
    )
    missing = set(codenames) - set(permissions.values_list("codename", flat=True))
    if missing:
        raise RuntimeError(f"permissions not found for the Editors group: {sorted(missing)}")
    group.permissions.add(*permissions)


def remove_editors(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=EDITORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors, remove_editors)]
