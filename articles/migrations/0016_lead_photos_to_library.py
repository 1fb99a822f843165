"""Every story's lead photo becomes a library Photo with the same files (step 2 of 3).

The work is in articles/photos/migration.py (tested there directly): nothing is
re-encoded, every public URL stays the same, and history versions name the Photo.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from articles.photos.migration import lead_photos_to_library

    lead_photos_to_library(apps, schema_editor)


def backwards(apps, schema_editor):
    from articles.photos.migration import library_to_lead_photos

    library_to_lead_photos(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0015_story_lead_photo_library"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
