"""A bulk upload's request: only what refuses a file at once, then the worker.

A camera photo (24 megapixels) takes about a second to decode and fingerprint; thirty
of them in one request would outlast gunicorn's timeout. So the request reads each
file's header (type, size, pixel count: `images.validate_photo(decode=False)`), hashes
it once (SHA-256) while it is written to storage, refuses an exact copy of a library
photo, and leaves the rest to the worker (articles/photos/tasks.py): the dHash and the
look-alike check, a full decode, the renditions. Each file's fate is a PhotoUploadFile
row, shown on the upload's page as the worker goes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from .. import images
from .models import Photo, PhotoUpload, PhotoUploadFile


class _HashingFile(File):
    """The upload as storage reads it, chunk by chunk, with its SHA-256 taken on the way.

    Without `temporary_file_path`, so that FileSystemStorage copies the chunks (rather
    than moving the temporary file unread)."""

    def __init__(self, upload, name):
        super().__init__(upload.file, name)
        self.digest, self.seen = hashlib.sha256(), 0

    def chunks(self, chunk_size=None):
        self.file.seek(0)
        for chunk in super().chunks(chunk_size):
            self.digest.update(chunk)
            self.seen += len(chunk)
            yield chunk


def store_original(upload, name: str) -> tuple[str, str]:
    """Write the upload to the originals storage under the library's folder; return
    (stored name, SHA-256), the bytes read once."""
    field = Photo._meta.get_field("original")
    hashing = _HashingFile(upload, name)
    stored = images.originals_storage.save(
        field.generate_filename(None, name), hashing, max_length=field.max_length
    )
    if hashing.seen != upload.size:
        # A storage that read the file its own way (object storage): hash it here.
        upload.seek(0)
        hashing.digest = hashlib.sha256()
        for chunk in iter(lambda: upload.read(1 << 20), b""):
            hashing.digest.update(chunk)
    return stored, hashing.digest.hexdigest()


def receive(batch: PhotoUpload, position: int, upload, shared: dict) -> PhotoUploadFile:
    """Check one file of a bulk upload as far as the request does, and store it as a
    library photo ("checking" until the worker has looked at it), or say why not."""
    entry = PhotoUploadFile(upload=batch, position=position, name=upload.name[:255])
    try:
        info = images.validate_photo(upload, decode=False)
    except ValidationError as error:
        entry.state, entry.message = PhotoUploadFile.State.REFUSED, " ".join(error.messages)
        entry.save()
        return entry
    stem = Path(upload.name).stem[:80] or "photo"
    # Outside any transaction: no database lock is held while the file is written.
    stored, sha256 = store_original(upload, f"{stem}.{info.extension}")
    try:
        with transaction.atomic():
            existing = Photo.objects.filter(sha256=sha256).order_by("pk").first()
            if existing is not None:
                entry.state = PhotoUploadFile.State.DUPLICATE
                entry.message = "This photo is already in the library. Use it instead."
                entry.duplicate_of = existing
                entry.save()
            else:
                photo = Photo(
                    original=stored,
                    width=info.width,
                    height=info.height,
                    sha256=sha256,  # the dHash is the worker's
                    credit=shared.get("credit", ""),
                    source=shared.get("source", ""),
                    rights_note=shared.get("rights_note") or "",
                    rights_expire_on=shared.get("rights_expire_on"),
                    uploaded_by=batch.uploaded_by,
                )
                photo.full_clean(exclude=["original"])
                photo.save()  # queues the worker's task, in this transaction
                entry.state, entry.photo = PhotoUploadFile.State.CHECKING, photo
                entry.save()
    except ValidationError as error:
        images.originals_storage.delete(stored)
        entry.state, entry.message = PhotoUploadFile.State.REFUSED, " ".join(error.messages)
        entry.save()
        return entry
    except BaseException:
        images.originals_storage.delete(stored)
        raise
    if entry.state == PhotoUploadFile.State.DUPLICATE:
        images.originals_storage.delete(stored)
    return entry


def receive_all(user, files, shared) -> PhotoUpload:
    batch = PhotoUpload.objects.create(uploaded_by=user)
    for position, upload in enumerate(files):
        receive(batch, position, upload, shared)
    return batch
