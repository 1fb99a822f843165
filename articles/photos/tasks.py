"""The library's background work: renditions are made by the worker, not the upload.

An upload stores the original and returns at once (a camera photo's renditions take
about a second each); the photo is "processing" until this task has run. A file of a
bulk upload is checked here too, beyond what its header told the request: its dHash
against the library (a look-alike is removed, as the request removes an exact copy)
and whether its pixels decode to the end.

Image work runs outside any transaction, in a niced thread with a bounded AVIF encoder
(`images.at_low_priority`), so that editors' requests neither wait for the database nor
for a core. What it made is stored only if the photo is still there and unchanged;
otherwise the files are removed here, so a photo deleted while processing leaves none.
"""

import logging

from django.db import transaction
from django.db.models import ProtectedError

from .. import images
from ..tasks import background_task
from . import fingerprints
from .models import (
    Photo,
    PhotoUploadFile,
    delete_files_unless_used,
    purge_photo,
)

logger = logging.getLogger(__name__)


@background_task
def make_photo_renditions(photo_id: int, force: bool = False) -> str:
    """Make a photo's renditions if they are missing or stale (or `force`: again, as
    `manage.py rebuild_renditions --all` asks); otherwise do nothing.

    Idempotent: a retried, requeued or duplicated task finds them current and stops.
    Two workers making a set for one photo at once store only one; the other's files,
    and the set a new one replaces, are removed.
    """
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:
        return "deleted"
    entry = (
        PhotoUploadFile.objects.filter(photo_id=photo_id)
        .exclude(state__in=[PhotoUploadFile.State.DUPLICATE, PhotoUploadFile.State.REFUSED])
        .first()
    )
    checking = entry is not None and entry.state == PhotoUploadFile.State.CHECKING
    if checking and not check_uploaded(photo, entry):
        return "not added"
    if photo.renditions_are_current() and not force:
        return "current"
    source, focal = photo.original.name, (photo.focal_x, photo.focal_y)
    try:
        made = images.at_low_priority(images.make_renditions, source, focal)
    except images.UnreadablePhoto as problem:
        if entry is None:
            raise  # a checked upload that no longer decodes: retried, then failed
        refuse(photo, entry, PhotoUploadFile.State.REFUSED, str(problem))
        return "refused"

    with transaction.atomic():
        # The row as it is now, locked: deleted, given another focal point, or given a
        # set by another worker while this one was encoding?
        current = Photo.objects.select_for_update().filter(pk=photo_id).first()
        stale = (
            current is None
            or current.original.name != source
            or (current.focal_x, current.focal_y) != focal
            or (current.renditions_are_current() and not force)
        )
        if not stale:
            # An UPDATE, not save(): making renditions is not an edit of the photo.
            Photo.objects.filter(pk=photo_id).update(renditions=made)
            previous = current.renditions
            if previous:
                transaction.on_commit(lambda: delete_files_unless_used(None, previous), robust=True)
            # The stories showing it: from no photo (processing), or old crops, to these.
            purge_photo(photo_id)
    if stale:
        # Nothing names these files: remove them now rather than leave them to
        # cleanup_media. (A newer focal point has its own task queued.)
        images.delete_files(None, made)
        return "deleted" if current is None else "stale"
    return "made"


def check_uploaded(photo, entry) -> bool:
    """A bulk upload's file, beyond its header: fingerprint it and look for a photo of
    the library that looks the same. False when it was one (and is gone now)."""
    with images.originals_storage.open(photo.original.name, "rb") as fileobj:
        try:
            dhash = images.at_low_priority(fingerprints.dhash, fileobj)
        except (OSError, SyntaxError, ValueError, EOFError):
            refuse(photo, entry, PhotoUploadFile.State.REFUSED, images.CORRUPT_MESSAGE)
            return False
    Photo.objects.filter(pk=photo.pk).update(dhash=dhash)
    photo.dhash = dhash
    # Photos uploaded before this one: of two look-alikes in one upload, the first stays.
    found = [
        other
        for other in Photo.objects.filter(pk__lt=photo.pk).duplicates_of(photo.sha256, dhash)
        if other.pk != photo.pk
    ]
    if found:
        refuse(
            photo,
            entry,
            PhotoUploadFile.State.DUPLICATE,
            "This photo is already in the library. Use it instead.",
            duplicate_of=found[0],
        )
        return False
    PhotoUploadFile.objects.filter(pk=entry.pk).update(state=PhotoUploadFile.State.ACCEPTED)
    entry.state = PhotoUploadFile.State.ACCEPTED
    return True


def refuse(photo, entry, state, message, duplicate_of=None):
    """Take a bulk upload's photo out of the library again (its files go once this
    commits) and say why on the upload's page. A story that used it meanwhile keeps
    it: then it stays, with the reason noted."""
    try:
        with transaction.atomic():
            photo.delete()
    except ProtectedError:
        message = f"{message} Kept: a story already uses it."
        state = PhotoUploadFile.State.ACCEPTED
    PhotoUploadFile.objects.filter(pk=entry.pk).update(
        state=state, message=message[:500], duplicate_of=duplicate_of
    )
