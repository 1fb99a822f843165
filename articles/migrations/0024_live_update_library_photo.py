"""Live updates' photos become library photos, with the same files (as 0015-0017 did
for lead photos).

Each update's own photo becomes a library Photo holding the SAME files: the original's
name and the renditions record are copied as they are (nothing re-encoded, so every
public URL stays the same), its alt text with it. Updates sharing an original share
one Photo, and a Photo already holding that original is used. Versions of updates in
the stories' history name the Photo instead of the file. Backwards, each update gets
its photo's file, renditions and alt text again (the Photo rows stay, as 0016's do).
"""

import json

import django.db.models.deletion
from django.db import migrations, models
from PIL import Image

from articles import images
from articles.photos.migration import _fingerprint


def _dimensions(name):
    try:
        with images.originals_storage.open(name, "rb") as handle, Image.open(handle) as image:
            return image.size
    except Exception:  # a missing or unreadable original: the photo is kept all the same
        return None, None


def _photo_for(Photo, by_name, name, renditions, alt, uploaded_at, uploaded_by_id, using):
    photo = by_name.get(name) or Photo.objects.using(using).filter(original=name).first()
    if photo is None:
        sha256, dhash = _fingerprint(name)
        width, height = _dimensions(name)
        # Made without its file, then pointed at it: the model would otherwise read the
        # dimensions of an original that may be gone.
        photo = Photo(
            original="",
            width=width,
            height=height,
            renditions=renditions or {},
            alt=alt or "",
            uploaded_at=uploaded_at,
            uploaded_by_id=uploaded_by_id,
            sha256=sha256,
            dhash=dhash,
        )
        photo.save(using=using)
        Photo.objects.using(using).filter(pk=photo.pk).update(original=name)
    by_name[name] = photo
    return photo


def _update_versions(apps, using):
    """(version, its data, the update's fields in it) for every recorded live update."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Version = apps.get_model("reversion", "Version")
    content_type = (
        ContentType.objects.using(using).filter(app_label="articles", model="liveupdate").first()
    )
    if content_type is None:
        return
    versions = Version.objects.using(using).filter(content_type=content_type, format="json")
    for version in versions.select_related("revision").iterator(chunk_size=500):
        try:
            data = json.loads(version.serialized_data)
            fields = data[0]["fields"]
        except (ValueError, LookupError, TypeError):
            continue
        yield version, data, fields


def _check_constraints_now(schema_editor):
    # PostgreSQL checks the new rows' keys at commit, and refuses to alter a table with
    # such checks pending: the field changes below come in the same transaction.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def forwards(apps, schema_editor):
    using = schema_editor.connection.alias
    LiveUpdate = apps.get_model("articles", "LiveUpdate")
    Photo = apps.get_model("articles", "Photo")
    Version = apps.get_model("reversion", "Version")
    by_name = {}
    updates = LiveUpdate.objects.using(using).exclude(photo="").filter(library_photo=None)
    for update in updates.order_by("pk").iterator(chunk_size=500):
        name = update.photo.name
        photo = _photo_for(
            Photo,
            by_name,
            name,
            update.photo_renditions,
            update.photo_alt,
            update.created_at,
            update.created_by_id,
            using,
        )
        LiveUpdate.objects.using(using).filter(pk=update.pk).update(library_photo=photo)
    for version, data, fields in _update_versions(apps, using):
        name = fields.get("photo")
        if not isinstance(name, str):
            continue  # no photo recorded, or already a Photo's id
        photo = None
        if name:
            photo = by_name.get(name) or Photo.objects.using(using).filter(original=name).first()
        fields["photo"] = photo.pk if photo else None
        fields.pop("photo_renditions", None)
        Version.objects.using(using).filter(pk=version.pk).update(serialized_data=json.dumps(data))
    _check_constraints_now(schema_editor)


def backwards(apps, schema_editor):
    using = schema_editor.connection.alias
    LiveUpdate = apps.get_model("articles", "LiveUpdate")
    Photo = apps.get_model("articles", "Photo")
    Version = apps.get_model("reversion", "Version")
    updates = LiveUpdate.objects.using(using).exclude(library_photo=None)
    for update in updates.select_related("library_photo").iterator(chunk_size=500):
        photo = update.library_photo
        LiveUpdate.objects.using(using).filter(pk=update.pk).update(
            photo=photo.original.name,
            photo_renditions=photo.renditions,
            photo_alt=update.photo_alt or photo.alt,
        )
    photos = {photo.pk: photo for photo in Photo.objects.using(using).all()}
    for version, data, fields in _update_versions(apps, using):
        photo_id = fields.get("photo")
        if photo_id is None or isinstance(photo_id, str):
            continue
        photo = photos.get(photo_id)
        fields["photo"] = photo.original.name if photo else ""
        fields["photo_renditions"] = photo.renditions if photo else {}
        Version.objects.using(using).filter(pk=version.pk).update(serialized_data=json.dumps(data))
    _check_constraints_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0023_photos_uploads"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
    ]

    operations = [
        migrations.AddField(
            model_name="liveupdate",
            name="library_photo",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="live_updates",
                to="articles.photo",
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="liveupdate", name="photo_renditions"),
        migrations.RemoveField(model_name="liveupdate", name="photo"),
        migrations.RenameField(
            model_name="liveupdate", old_name="library_photo", new_name="photo"
        ),
    ]

