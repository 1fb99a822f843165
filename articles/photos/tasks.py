"""The library's background work: renditions are made by the worker, not the upload.

An upload stores the original and returns at once (a camera photo's renditions take
about a second each); the photo is "processing" until this task has run.
"""

from django.db import transaction

from .. import images
from ..tasks import background_task


@background_task
def make_photo_renditions(photo_id: int, force: bool = False) -> str:
    """Make a photo's renditions if they are missing or stale (or `force`: again, as
    `manage.py rebuild_renditions --all` asks); otherwise do nothing.

    Idempotent: a retried, requeued or duplicated task finds them current and stops.
    The original is read and encoded outside any transaction (SQLite has one writer:
    nobody's save may wait for an encoder); the photo's row is then locked for a short
    write, and renditions that lost a race (the photo deleted or changed meanwhile, or
    another worker first) are removed. The set they replace is removed once this commits.
    """
    from .models import Photo, delete_files_unless_used, purge_stories_using

    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:
        return "deleted"
    if photo.renditions_are_current() and not force:
        return "current"
    source, focal = photo.original.name, (photo.focal_x, photo.focal_y)
    made = images.make_renditions(source, focal)
    with transaction.atomic():
        photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
        lost = None
        if photo is None:
            lost = "deleted"
        elif (photo.original.name, (photo.focal_x, photo.focal_y)) != (source, focal):
            lost = "changed"
        elif photo.renditions_are_current() and not force:
            lost = "current"
        if lost:  # a changed photo has a task of its own queued
            transaction.on_commit(lambda: images.delete_files(None, made), robust=True)
            return lost
        previous = photo.renditions
        # An UPDATE, not save(): making renditions is not an edit of the photo.
        Photo.objects.filter(pk=photo.pk).update(renditions=made)
        if previous:
            transaction.on_commit(lambda: delete_files_unless_used(None, previous), robust=True)
        # The stories showing it: from no photo (processing), or the old crops, to these.
        purge_stories_using(photo.pk)
    return "made"
