"""The front-page desk's models (Front, Layout, Zone, Pin, Banner) left for the `fronts`
app (articles/fronts/migrations/0001_initial.py): state only here, the tables stay.

Its permission `arrange_fronts` moves with them, from Story's Meta to Front's: the same
Permission row, given Front's content type, so every group and user holding it keeps
it. Then the groups are set as articles/roles.py says (`sync_roles`).
"""

from django.db import migrations

from articles.roles import sync_roles_in_migration


def _move_permission(apps, schema_editor, source, target):
    alias = schema_editor.connection.alias
    content_types = apps.get_model("contenttypes", "ContentType").objects.db_manager(alias)
    permissions = apps.get_model("auth", "Permission").objects.using(alias)
    old = content_types.filter(app_label=source[0], model=source[1]).first()
    if old is None:
        return  # a fresh database: post_migrate makes it where the models say
    row = permissions.filter(content_type=old, codename="arrange_fronts").first()
    if row is None:
        return
    new, _ = content_types.get_or_create(app_label=target[0], model=target[1])
    # One a post_migrate made at the target (an interrupted earlier attempt) gives its
    # holders to this row, which keeps its id.
    for extra in permissions.filter(content_type=new, codename="arrange_fronts"):
        row.group_set.add(*extra.group_set.all())
        row.user_set.add(*extra.user_set.all())
        extra.delete()
    row.content_type = new
    row.save(update_fields=["content_type"])


def permission_to_front(apps, schema_editor):
    _move_permission(apps, schema_editor, ("articles", "story"), ("fronts", "front"))


def permission_to_story(apps, schema_editor):
    _move_permission(apps, schema_editor, ("fronts", "front"), ("articles", "story"))


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0026_move_photos"),
        ("fronts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="front", name="section"),
                migrations.RemoveField(model_name="layout", name="front"),
                migrations.RemoveField(model_name="pin", name="layout"),
                migrations.RemoveField(model_name="zone", name="layout"),
                migrations.RemoveField(model_name="pin", name="story"),
                migrations.RemoveField(model_name="pin", name="zone"),
                migrations.RemoveField(model_name="zone", name="section"),
                migrations.AlterModelOptions(
                    name="story",
                    options={
                        "get_latest_by": "published_at",
                        "ordering": ["-published_at", "-pk"],
                        "permissions": [
                            ("publish_story", "Can publish, schedule and unpublish stories")
                        ],
                        "verbose_name_plural": "stories",
                    },
                ),
                migrations.DeleteModel(name="Banner"),
                migrations.DeleteModel(name="Front"),
                migrations.DeleteModel(name="Layout"),
                migrations.DeleteModel(name="Pin"),
                migrations.DeleteModel(name="Zone"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(permission_to_front, permission_to_story, elidable=False),
        migrations.RunPython(sync_roles_in_migration, migrations.RunPython.noop, elidable=False),
    ]
