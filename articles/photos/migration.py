"""Lead photos into the library, and back: the data step of migration 0016.

Every story's own lead photo becomes a library Photo holding the SAME files: the
original's name in the originals storage and the renditions record are copied as they
are (nothing re-encoded, so every public URL stays the same), with the caption,
credit, alt text, focal point and size. Stories sharing one original (a copy, a
restored version) share one Photo. Versions in the stories' history name their photo
by file; they are rewritten to name the Photo, and a version's photo that is no
longer any story's but whose files are still stored becomes a library Photo too, so a
revert can still bring it back. Backwards, each story gets its photo's fields again
(the Photo rows stay until 0014 is reversed).

Written against a migration's historical models (`apps`), so it is called by the
migration and by tests with the registry of the state it runs in.
"""

from __future__ import annotations

import json
import logging

from django.core.files.storage import default_storage

from .. import images
from . import fingerprints

logger = logging.getLogger(__name__)


def _fingerprint(name):
    """(sha256, dhash) of a stored original; blanks when it cannot be read."""
    try:
        with images.originals_storage.open(name, "rb") as handle:
            return fingerprints.sha256_of(handle), fingerprints.dhash(handle)
    except Exception:  # a missing or unreadable file: the photo is kept all the same
        logger.warning("Could not read %s to fingerprint it", name)
        return "", None


def _photo_for(Photo, by_name, name, fields, uploaded_at, uploaded_by_id, using):
    """The Photo holding original `name`, made from a story's (or version's) fields."""
    photo = by_name.get(name)
    if photo is None:
        photo = Photo.objects.using(using).filter(original=name).first()
    if photo is None:
        sha256, dhash = _fingerprint(name)
        photo = Photo(
            original=name,
            width=fields.get("lead_photo_width"),
            height=fields.get("lead_photo_height"),
            renditions=fields.get("lead_photo_renditions") or {},
            caption=fields.get("photo_caption") or "",
            credit=fields.get("photo_credit") or "",
            alt=fields.get("photo_alt") or "",
            focal_x=fields.get("lead_photo_focal_x", 0.5),
            focal_y=fields.get("lead_photo_focal_y", 0.5),
            uploaded_at=uploaded_at,
            uploaded_by_id=uploaded_by_id,
            sha256=sha256,
            dhash=dhash,
        )
        photo.save(using=using)
    by_name[name] = photo
    return photo


def _version_files_exist(name, renditions):
    renditions = renditions or {}
    if not name or renditions.get("source") != name or not renditions.get("files"):
        return False
    return images.originals_storage.exists(name) and all(
        default_storage.exists(file) for file in renditions["files"]
    )


def lead_photos_to_library(apps, schema_editor=None, using="default"):
    """Forwards. Idempotent: stories that already have a library photo are left alone."""
    if schema_editor is not None:
        using = schema_editor.connection.alias
    Story = apps.get_model("articles", "Story")
    Photo = apps.get_model("articles", "Photo")
    by_name = {}
    stories = (
        Story.objects.using(using)
        .filter(lead_photo__isnull=True)
        .exclude(lead_photo_file="")
        .order_by("pk")
    )
    for story in stories.iterator(chunk_size=500):
        name = story.lead_photo_file.name
        fields = {
            "lead_photo_width": story.lead_photo_width,
            "lead_photo_height": story.lead_photo_height,
            "lead_photo_renditions": story.lead_photo_renditions,
            "photo_caption": story.photo_caption,
            "photo_credit": story.photo_credit,
            "photo_alt": story.photo_alt,
            "lead_photo_focal_x": story.lead_photo_focal_x,
            "lead_photo_focal_y": story.lead_photo_focal_y,
        }
        photo = _photo_for(
            Photo, by_name, name, fields, story.created_at, story.created_by_id, using
        )
        # The caption is the photo's; a story whose caption differs keeps its own.
        override = story.photo_caption if story.photo_caption != photo.caption else ""
        Story.objects.using(using).filter(pk=story.pk).update(
            lead_photo=photo, photo_caption=override
        )
    _versions_to_library(apps, Photo, by_name, using)


def _story_versions(apps, using):
    """(version, its decoded data, the story's fields in it) for every story version."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Version = apps.get_model("reversion", "Version")
    try:
        content_type = ContentType.objects.using(using).get(app_label="articles", model="story")
    except ContentType.DoesNotExist:
        return  # a new database: no history yet
    versions = Version.objects.using(using).filter(content_type=content_type, format="json")
    for version in versions.select_related("revision").iterator(chunk_size=500):
        try:
            data = json.loads(version.serialized_data)
            fields = data[0]["fields"]
        except (ValueError, LookupError, TypeError):
            continue
        yield version, data, fields


def _versions_to_library(apps, Photo, by_name, using):
    Version = apps.get_model("reversion", "Version")
    for version, data, fields in _story_versions(apps, using):
        name = fields.get("lead_photo")
        if not isinstance(name, str):
            continue  # no photo recorded, or already a Photo's id
        photo = None
        if name:
            photo = by_name.get(name) or Photo.objects.using(using).filter(original=name).first()
            if photo is None and _version_files_exist(name, fields.get("lead_photo_renditions")):
                made_at = version.revision.date_created
                photo = _photo_for(Photo, by_name, name, fields, made_at, None, using)
        fields["lead_photo"] = photo.pk if photo else None
        if photo and fields.get("photo_caption") == photo.caption:
            fields["photo_caption"] = ""
        Version.objects.using(using).filter(pk=version.pk).update(serialized_data=json.dumps(data))


def library_to_lead_photos(apps, schema_editor=None, using="default"):
    """Backwards: each story's photo fields from its library photo (same files)."""
    if schema_editor is not None:
        using = schema_editor.connection.alias
    Story = apps.get_model("articles", "Story")
    for story in Story.objects.using(using).exclude(lead_photo=None).select_related("lead_photo"):
        photo = story.lead_photo
        Story.objects.using(using).filter(pk=story.pk).update(
            lead_photo_file=photo.original.name,
            lead_photo_width=photo.width,
            lead_photo_height=photo.height,
            lead_photo_focal_x=photo.focal_x,
            lead_photo_focal_y=photo.focal_y,
            lead_photo_renditions=photo.renditions,
            photo_caption=story.photo_caption or photo.caption,
            photo_credit=photo.credit,
            photo_alt=photo.alt,
        )
    # Versions name their photo by its original again (a Photo deleted since: none).
    Photo = apps.get_model("articles", "Photo")
    Version = apps.get_model("reversion", "Version")
    names = dict(Photo.objects.using(using).values_list("pk", "original"))
    for version, data, fields in _story_versions(apps, using):
        photo_id = fields.get("lead_photo")
        if photo_id is None or isinstance(photo_id, str):
            continue
        name = names.get(photo_id, "")
        fields["lead_photo"] = name
        photo = Photo.objects.using(using).filter(pk=photo_id).first()
        if photo is not None:
            fields.update(
                lead_photo_width=photo.width,
                lead_photo_height=photo.height,
                lead_photo_focal_x=photo.focal_x,
                lead_photo_focal_y=photo.focal_y,
                lead_photo_renditions=photo.renditions,
                photo_caption=fields.get("photo_caption") or photo.caption,
                photo_credit=photo.credit,
                photo_alt=photo.alt,
            )
        Version.objects.using(using).filter(pk=version.pk).update(serialized_data=json.dumps(data))
