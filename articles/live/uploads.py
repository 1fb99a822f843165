"""An update's photo: a library photo (articles/photos/) made from the upload.

The file is stored and read here, before the update's transaction opens; the worker
makes its renditions outside any transaction (articles/photos/tasks.py).
"""

from PIL import Image as PILImage

from articles import images
from articles.photos import fingerprints
from articles.photos.models import Photo


def photo_from_upload(upload, *, alt="", user=None):
    """A new, unsaved library Photo for `upload`, its file already stored.

    The file is written and fingerprinted here, before the caller's transaction: with
    SQLite's one writer, nobody's post waits while a camera photo is read. The caller
    saves the photo in its own short transaction (the worker then makes the renditions)
    and calls `discard_stored(photo)` if that transaction fails.
    """
    upload.seek(0)
    sha256, dhash = fingerprints.sha256_of(upload), fingerprints.dhash(upload)
    field = Photo._meta.get_field("original")
    name = field.storage.save(field.generate_filename(None, upload.name), upload)
    width, height = _dimensions(upload)
    return Photo(
        original=name,
        width=width,
        height=height,
        alt=alt,
        uploaded_by=user,
        sha256=sha256,
        dhash=dhash,
    )


def _dimensions(upload):
    upload.seek(0)
    with PILImage.open(upload) as image:  # the header only
        return image.size


def discard_stored(photo):
    """Remove the file `photo_from_upload` stored, its transaction having failed."""
    if photo is not None and photo.original.name:
        images.originals_storage.delete(photo.original.name)
