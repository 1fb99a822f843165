"""The photo library moved to its own app ("photos", articles/photos/migrations/0001):
the story core's foreign keys point there now, and the old models leave this app's
state. State only: every table stays. Then the groups get the permissions as the
roles name them now ("photos.…"), as on a fresh database."""

import django.db.models.deletion
from django.db import migrations, models

from articles.roles import sync_roles_in_migration


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0025_live_update_changes'),
        ('photos', '0001_initial'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='bodyuse',
                    name='gallery',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='body_uses', to='photos.gallery'),
                ),
                migrations.RemoveField(
                    model_name='galleryphoto',
                    name='gallery',
                ),
                migrations.RemoveField(
                    model_name='galleryphoto',
                    name='photo',
                ),
                migrations.RemoveField(
                    model_name='photo',
                    name='tags',
                ),
                migrations.RemoveField(
                    model_name='photo',
                    name='uploaded_by',
                ),
                migrations.RemoveField(
                    model_name='photouploadfile',
                    name='duplicate_of',
                ),
                migrations.AlterField(
                    model_name='liveupdate',
                    name='photo',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='live_updates', to='photos.photo'),
                ),
                migrations.AlterField(
                    model_name='story',
                    name='lead_photo',
                    field=models.ForeignKey(blank=True, help_text='Choose a photo of the library, or upload a new one below.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='stories', to='photos.photo'),
                ),
                migrations.RemoveField(
                    model_name='taggedphoto',
                    name='content_object',
                ),
                migrations.AlterField(
                    model_name='bodyuse',
                    name='photo',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='body_uses', to='photos.photo'),
                ),
                migrations.RemoveField(
                    model_name='photouploadfile',
                    name='photo',
                ),
                migrations.RemoveField(
                    model_name='photoupload',
                    name='uploaded_by',
                ),
                migrations.RemoveField(
                    model_name='photouploadfile',
                    name='upload',
                ),
                migrations.RemoveField(
                    model_name='taggedphoto',
                    name='tag',
                ),
                migrations.DeleteModel(
                    name='Gallery',
                ),
                migrations.DeleteModel(
                    name='GalleryPhoto',
                ),
                migrations.DeleteModel(
                    name='Photo',
                ),
                migrations.DeleteModel(
                    name='PhotoUpload',
                ),
                migrations.DeleteModel(
                    name='PhotoUploadFile',
                ),
                migrations.DeleteModel(
                    name='TaggedPhoto',
                ),
            ],
        ),
        migrations.RunPython(sync_roles_in_migration, migrations.RunPython.noop),
    ]
