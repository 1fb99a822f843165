"""The wire desk's models left this app for their own, `wire` (articles/wire/): state only.

Their tables stay (articles/wire/migrations/0001_initial.py took them over and relabelled
their content types); the roles are given their permissions under the new label.
"""

from django.db import migrations

from articles.roles import sync_roles_in_migration


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0027_move_fronts"),
        ("wire", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="wireitem", name="source"),
                migrations.RemoveField(model_name="wireitem", name="story"),
                migrations.RemoveField(model_name="wiresource", name="default_section"),
                migrations.DeleteModel(name="SubjectMapping"),
                migrations.DeleteModel(name="WireItem"),
                migrations.DeleteModel(name="WireSource"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(sync_roles_in_migration, migrations.RunPython.noop),
    ]
