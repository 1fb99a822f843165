"""What a change in the photo library sets off, connected by `connect()` from
PhotosConfig.ready (articles/photos/apps.py).

- a photo saved: its renditions' task when they are missing or stale, and a purge of
  what shows it (`models.purge_photo`; the stories whose lead it is are the story
  core's part: articles/signal_handlers.py listens to `photo_changed`);
- a photo deleted: its files, once the deletion commits;
- a gallery or one of its rows changed: the pages showing the gallery;
- time passing: photos whose usage rights end leave public pages on time (with
  NEWSROOM_HIDE_EXPIRED_PHOTOS), a scheduled change.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete

from ..cache.tags import purge
from .models import (
    Gallery,
    GalleryPhoto,
    Photo,
    connect_schedule,
    delete_files_unless_used,
    hide_expired,
    purge_gallery,
    purge_photo,
    renditions_as_stored,
)
from .tasks import make_photo_renditions


def photo_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw:
        return  # a restored backup or fixture, or a revert: no Photo.save ran
    if instance.needs_renditions(update_fields):
        # In the save's transaction: the task exists exactly when this change does.
        make_photo_renditions.enqueue(instance.pk)
    # Caption, credit, alt text or rights changed: every story showing it changes.
    purge_photo(instance.pk)
    if hide_expired():
        # Its rights' end may have moved: the next timed change is looked up again,
        # so that no page or Cache-Control outlives the new one.
        purge((), schedule=True)


def photo_deleting(sender, instance, **kwargs):
    renditions_as_stored(instance)


def photo_deleted(sender, instance, **kwargs):
    """A deleted photo's original and renditions go once the deletion commits. (Only an
    unused photo can be deleted: Story.lead_photo protects the others.)"""
    original, made = instance.original.name, instance.renditions
    if original or made:
        transaction.on_commit(lambda: delete_files_unless_used(original, made), robust=True)


# Raw saves too: reverting a gallery to an earlier version (django-reversion) saves raw.


def gallery_changed(sender, instance, **kwargs):
    purge_gallery(instance.pk)


def gallery_photo_changed(sender, instance, **kwargs):
    purge_gallery(instance.gallery_id)


def connect():
    post_save.connect(photo_saved, sender=Photo, dispatch_uid="photos.photo_saved")
    pre_delete.connect(photo_deleting, sender=Photo, dispatch_uid="photos.photo_deleting")
    post_delete.connect(photo_deleted, sender=Photo, dispatch_uid="photos.photo_deleted")
    for signal in (post_save, post_delete):
        signal.connect(gallery_changed, sender=Gallery, dispatch_uid="photos.gallery")
        signal.connect(
            gallery_photo_changed, sender=GalleryPhoto, dispatch_uid="photos.gallery_photo"
        )
    connect_schedule()
