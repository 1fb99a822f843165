"""The Reporter and Editor groups (see articles/roles.py).

Shares `sync_roles` with `manage.py setup_roles`, which keeps the groups in step when
the definition changes later. `sync_roles` uses only the historical models it is given
and creates missing permissions itself: on a fresh database they do not exist until
post_migrate, after every migration has run.
"""

from django.db import migrations

from articles.roles import EDITOR, REPORTER, sync_roles_in_migration


def remove_roles(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    group_model.objects.using(schema_editor.connection.alias).filter(
        name__in=[REPORTER, EDITOR]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_story_version_correction"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(sync_roles_in_migration, remove_roles)]
