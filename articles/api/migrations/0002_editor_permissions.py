"""Editors manage partners' keys and webhooks (articles/roles.py); and the stories public
now count as announced, so webhooks start with what changes from here on (a story
already public is "updated", not "published", when next saved)."""

from django.db import migrations
from django.utils import timezone

from articles.roles import sync_roles_in_migration


def announce_public_stories(apps, schema_editor):
    story_model = apps.get_model("articles", "Story")
    announced = apps.get_model("api", "AnnouncedStory")
    now = timezone.now()
    public = (
        story_model.objects.using(schema_editor.connection.alias)
        .filter(status="published", published_at__lte=now)
        .exclude(embargo_until__gt=now)
        .values_list("pk", flat=True)
    )
    # Stories already counted stay as they are: migrating back past this step keeps the
    # table (0001 depends on no story migration), and forward again must not fail.
    announced.objects.using(schema_editor.connection.alias).bulk_create(
        [announced(story_id=pk, public=True) for pk in public.iterator()],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_partners"),
        ("articles", "0029_move_live"),
        ("wire", "0001_initial"),
        ("fronts", "0001_initial"),
        ("photos", "0001_initial"),
        ("live", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(sync_roles_in_migration, migrations.RunPython.noop),
        migrations.RunPython(announce_public_stories, migrations.RunPython.noop),
    ]
