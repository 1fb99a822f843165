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
    The photo's row is locked while its renditions are made, so two workers never make
    two sets for one photo; the set they replace is removed once this commits.
    """
    from .models import Photo, delete_files_unless_used, purge_stories_using

    with transaction.atomic():
        photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
        if photo is None:
            return "deleted"
        if photo.renditions_are_current() and not force:
            return "current"
        previous = photo.renditions
        made = images.make_renditions(photo.original.name, (photo.focal_x, photo.focal_y))
        # An UPDATE, not save(): making renditions is not an edit of the photo.
        Photo.objects.filter(pk=photo.pk).update(renditions=made)
        if previous:
            transaction.on_commit(lambda: delete_files_unless_used(None, previous), robust=True)
        # The stories showing it: from no photo (processing), or the old crops, to these.
        purge_stories_using(photo.pk)
    return "made"
