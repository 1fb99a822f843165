"""What a change of a live update does besides saving it: a tombstone for each deleted
update (the poll tells open pages to take it away) and the purge of what shows it.

Connected from `LiveConfig.ready()` (`connect`).
"""

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from articles.cache import names, purge
from articles.photos.models import photo_changed

from .models import LiveUpdate, LiveUpdateRemoval


def connect():
    # The tombstone first, then the purge (the poll's answer names the removal).
    post_delete.connect(leave_tombstone, sender=LiveUpdate, dispatch_uid="live_tombstone")
    post_save.connect(purge_live, sender=LiveUpdate, dispatch_uid="live_purge_saved")
    post_delete.connect(purge_live, sender=LiveUpdate, dispatch_uid="live_purge_deleted")
    photo_changed.connect(photo_changed_handler, dispatch_uid="live_photo_changed")


def leave_tombstone(sender, instance, **kwargs):
    LiveUpdateRemoval.objects.create(story_id=instance.story_id, update_id=instance.pk)


def purge_live(sender, instance, using="default", **kwargs):
    """The poll (`live:<pk>`) and everything showing the story (`story:<pk>`)."""
    purge({names.live(instance.story_id), names.story(instance.story_id)}, using=using)


def photo_changed_handler(sender, photo_id, **kwargs):
    """A photo an update shows has its renditions now (or a new caption, alt text,
    crop): the update changed for readers, and open pages get it at their next poll."""
    updates = LiveUpdate.objects.filter(photo_id=photo_id)
    stories = set(updates.values_list("story_id", flat=True))
    if stories:
        updates.update(updated_at=timezone.now())
        purge({tag for pk in stories for tag in (names.live(pk), names.story(pk))})
