"""The library's Photo: entered once, credited always, served in the right sizes.

The original is kept as uploaded in the private originals storage (never served: its
camera metadata, GPS included, stays there); readers get the renditions that
articles/images.py makes from its pixels, in the background
(articles/photos/tasks.py). Until they exist the photo is "processing", and public
pages show no photo rather than a broken one (`Photo.objects.public()`,
`Photo.is_public`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.functional import cached_property
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from .. import images
from ..cache import names
from ..cache.tags import purge, register_schedule
from ..images import get_originals_storage
from ..roles import PHOTO_RIGHTS_PERMISSION, meta_permissions
from . import fingerprints

# The fields renditions are made from: a save of other fields makes none.
RENDITION_INPUTS = {"original", "focal_x", "focal_y"}


class TaggedPhoto(TaggedItemBase):
    """A library photo's tag (Photo.tags), apart from the stories' tagged rows."""

    content_object = models.ForeignKey("Photo", on_delete=models.CASCADE)

    class Meta:
        db_table = "articles_taggedphoto"  # the table it had in the articles app


def hide_expired() -> bool:
    return settings.NEWSROOM.get("HIDE_EXPIRED_PHOTOS", False)


class PhotoQuerySet(models.QuerySet):
    def ready(self):
        """Photos whose renditions exist (the rest are still processing)."""
        return self.exclude(renditions={})

    def rights_expired(self, today=None):
        return self.filter(rights_expire_on__lt=today or timezone.localdate())

    def public(self, today=None):
        """What public pages may show: ready, and (with NEWSROOM_HIDE_EXPIRED_PHOTOS)
        not past its usage rights."""
        photos = self.ready()
        if hide_expired():
            today = today or timezone.localdate()
            photos = photos.filter(Q(rights_expire_on=None) | Q(rights_expire_on__gte=today))
        return photos

    def duplicates_of(self, sha256: str, dhash: int | None):
        """Photos that are this file (same SHA-256) or look the same (dHash within
        NEAR_DUPLICATE_DISTANCE bits), exact matches first.

        The exact match and the exact dHash use their indexes; the Hamming distance
        cannot use a B-tree, so the other hashes are compared here, reading two integer
        columns per photo (about 50 ms for 100,000 photos, at upload time only).
        """
        exact = list(self.filter(sha256=sha256).order_by("pk"))
        if dhash is None:
            return exact
        seen = {photo.pk for photo in exact}
        near = [
            pk
            for pk, other in self.exclude(dhash=None).values_list("pk", "dhash").iterator()
            if pk not in seen
            and fingerprints.distance(other, dhash) <= fingerprints.NEAR_DUPLICATE_DISTANCE
        ]
        return exact + list(self.filter(pk__in=near).order_by("pk"))


class Photo(models.Model):
    original = models.ImageField(
        upload_to="photos/%Y/%m/",
        storage=get_originals_storage,
        max_length=200,
        width_field="width",
        height_field="height",
        help_text="JPEG, PNG, WebP, GIF or AVIF. Published in several sizes, without "
        "its metadata (camera, location).",
    )
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # What articles/images.py made from the original, as Story.lead_photo_renditions:
    # empty while the background task has not made them ("processing").
    renditions = models.JSONField(default=dict, blank=True, editable=False)
    caption = models.CharField(max_length=300, blank=True)
    credit = models.CharField(
        max_length=120, blank=True, help_text="Shown with the photo wherever it is used."
    )
    alt = models.CharField(
        "alt text",
        max_length=250,
        blank=True,
        help_text="What the photo shows, for readers who cannot see it.",
    )
    source = models.CharField(
        "source or photographer",
        max_length=120,
        blank=True,
        help_text="Agency or photographer, e.g. “Yonhap” or “staff”.",
    )
    focal_x = models.FloatField(
        "focal point x",
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="0 is the left edge, 1 the right.",
    )
    focal_y = models.FloatField(
        "focal point y",
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="0 is the top edge, 1 the bottom.",
    )
    rights_note = models.CharField(
        "usage rights",
        max_length=300,
        blank=True,
        help_text="e.g. “Agency photo, licensed for news use”.",
    )
    rights_expire_on = models.DateField(
        "rights expire on",
        null=True,
        blank=True,
        help_text="The last day the photo may be published.",
    )
    # Words to find it by in the library. Kept in a table of their own (TaggedPhoto), so
    # the public tag pages, feeds and sitemaps, which read the stories' tagged rows,
    # never see a tag only photos carry.
    tags = TaggableManager(
        through="TaggedPhoto",
        blank=True,
        help_text="Words to find it by in the library (people, places), comma-separated.",
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # Fingerprints of the original, to find a photo already in the library.
    sha256 = models.CharField(max_length=64, blank=True, editable=False)
    dhash = models.BigIntegerField(null=True, blank=True, editable=False)

    objects = PhotoQuerySet.as_manager()

    class Meta:
        db_table = "articles_photo"  # the table it had in the articles app
        ordering = ["-uploaded_at", "-pk"]
        permissions = meta_permissions(PHOTO_RIGHTS_PERMISSION)
        constraints = [
            models.CheckConstraint(
                condition=Q(focal_x__gte=0, focal_x__lte=1) & Q(focal_y__gte=0, focal_y__lte=1),
                name="photo_focal_point_inside_photo",
                violation_error_message="The focal point must lie inside the photo (0 to 1).",
            ),
        ]
        indexes = [
            # The library's default order, and its upload-date filter.
            models.Index(fields=["-uploaded_at", "-id"], name="photo_uploaded_idx"),
            models.Index(fields=["source"], name="photo_source_idx"),
            models.Index(fields=["rights_expire_on"], name="photo_rights_idx"),
            models.Index(fields=["sha256"], name="photo_sha256_idx"),
            models.Index(fields=["dhash"], name="photo_dhash_idx"),
        ]

    def __str__(self):
        label = self.caption or self.alt or (self.original.name or "").rpartition("/")[2]
        return label[:80] or f"Photo {self.pk}"

    @transaction.atomic(savepoint=False)
    def save(self, *args, **kwargs):
        if self.original and not self.original._committed:
            upload = self.original.file
            # A caller that fingerprinted the file already (a form's duplicate check)
            # set both: a camera photo is not decoded twice.
            if not self.sha256:
                self.sha256 = fingerprints.sha256_of(upload)
                self.dhash = fingerprints.dhash(upload)
            # Stored here rather than by the field's pre_save, so that it is known to be
            # this save's own file, to remove if the save does not commit.
            self.original.save(self.original.name, upload, save=False)
            images.discard_unless_committed(images.originals_storage, [self.original.name])
        # post_save (articles/photos/signal_handlers.py) enqueues the renditions' task
        # when they are missing or stale: in this transaction, so the task exists
        # exactly when this change does.
        super().save(*args, **kwargs)

    def needs_renditions(self, update_fields=None) -> bool:
        """Whether a save (of `update_fields`, or of every field) asks for renditions."""
        if update_fields is not None and not RENDITION_INPUTS & set(update_fields):
            return False  # words only (a caption): the renditions' task has nothing to redo
        return bool(self.original) and not self.renditions_are_current()

    # Renditions

    def renditions_are_current(self) -> bool:
        made = self.renditions or {}
        return (
            made.get("source") == self.original.name
            and made.get("focal") == [float(self.focal_x), float(self.focal_y)]
            and made.get("spec") == images.rendition_spec()
        )

    @property
    def is_processing(self) -> bool:
        """No renditions yet: readers are shown no photo until they exist."""
        return not self.renditions

    @property
    def rights_expired(self) -> bool:
        return bool(self.rights_expire_on and self.rights_expire_on < timezone.localdate())

    @property
    def is_public(self) -> bool:
        return not self.is_processing and not (hide_expired() and self.rights_expired)

    @cached_property
    def lead_picture(self):
        """The photo at its own aspect ratio (an images.Picture), or None."""
        return images.Picture.from_sizes((self.renditions or {}).get("lead"))

    @cached_property
    def card_picture(self):
        """The photo cropped to the card frame around its focal point, or None."""
        return images.Picture.from_sizes((self.renditions or {}).get("card"))

    @property
    def social_image(self):
        """(name, width, height, bytes) of the 1200×630 JPEG for social cards, or None."""
        return (self.renditions or {}).get("social")

    @property
    def thumbnail_url(self) -> str:
        """The smallest card rendition's JPEG, for the admin's lists; "" while processing."""
        cards = (self.renditions or {}).get("card") or []
        if not cards:
            return ""
        return images.public_url_function()(cards[0]["jpeg"][0])


def purge_photo(photo_id):
    """What readers see of the photo changed: purge what shows it. Bodies showing it
    (inline, or in a gallery) depend on its tag (articles/inline_media.py); the
    receivers of `photo_changed` purge the rest (the stories whose lead it is:
    articles/signal_handlers.py; live updates: articles/live/signal_handlers.py)."""
    purge({names.photo(photo_id)})
    photo_changed.send(sender=Photo, photo_id=photo_id)


# Sent when what readers see of a photo changes (its renditions made, its caption, alt
# text or crop edited). The library knows no story: whatever shows a photo listens.
photo_changed = Signal()


def renditions_as_stored(photo):
    """The renditions the row names now, locked until the deletion commits.

    The instance being deleted may have been read before the worker stored the
    renditions (a photo deleted while "processing"): its own `renditions` would miss
    them. Locking the row makes a task finishing meanwhile wait, then find the row gone
    and remove what it made (articles/photos/tasks.py).
    """
    stored = (
        Photo.objects.select_for_update()
        .filter(pk=photo.pk)
        .values_list("renditions", flat=True)
        .first()
    )
    if stored is not None:
        photo.renditions = stored


def delete_files_unless_used(original, renditions):
    """Remove an original and a set of renditions unless a photo still names them (a
    row copied by hand, or a restored database)."""
    if original and Photo.objects.filter(original=original).exists():
        original = None
    social = (renditions or {}).get("social")
    if social and Photo.objects.filter(renditions__social__0=social[0]).exists():
        renditions = None  # one set of renditions, made together: the social image names it
    images.delete_files(original, renditions)


# Usage rights ending: with NEWSROOM_HIDE_EXPIRED_PHOTOS, a photo leaves public pages at
# the end of its last day, with no save: a scheduled change, like a story publishing
# itself (articles/cache/tags.py), so no cached page keeps showing it.


def _end_of(day):
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def next_rights_expiry():
    """When the next photo in use leaves public pages, or None (none, or not hidden)."""
    if not hide_expired():
        return None  # no query: the default costs cold starts nothing
    # In use: a story's lead, between a body's paragraphs, in a gallery or a live update
    # (the reverse relations the story core and live coverage declare: no import).
    in_use = (
        Q(stories__isnull=False)
        | Q(body_uses__isnull=False)
        | Q(gallery_items__isnull=False)
        | Q(live_updates__isnull=False)
    )
    day = (
        Photo.objects.filter(in_use, rights_expire_on__gte=timezone.localdate())
        .order_by("rights_expire_on")
        .values_list("rights_expire_on", flat=True)
        .first()
    )
    return _end_of(day) if day else None


def rights_expired_since(since):
    """The tags of the stories whose photo's rights ended between `since` and now."""
    if not hide_expired():
        return set()
    now = timezone.localtime()
    # The rights of day D end at the start of D + 1: those that ended in (since, now].
    last_days = (timezone.localtime(since).date(), now.date() - timedelta(days=1))
    photos = Photo.objects.filter(rights_expire_on__range=last_days)
    # The stories whose lead it is, through the story core's reverse relation
    # (Story.lead_photo, "stories"): the library imports no story. Bodies showing one
    # inline or in a gallery depend on its own tag.
    leads = photos.filter(stories__isnull=False).values_list("stories", flat=True)
    return {names.story(pk) for pk in leads} | {
        names.photo(pk) for pk in photos.values_list("pk", flat=True)
    }


def connect_schedule():
    """Called from PhotosConfig.ready (articles/photos/signal_handlers.py)."""
    register_schedule("photo-rights", next_at=next_rights_expiry, due_tags=rights_expired_since)


# Galleries: placed in a story's body by their code (articles/photos/inline.py); which
# story's body shows which photo or gallery is the story core's BodyUse (articles/models.py).


class Gallery(models.Model):
    """An ordered set of library photos, placed in a story's body as `[gallery <id>]`."""

    title = models.CharField(
        max_length=200, help_text="Names the gallery for readers using a screen reader, too."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "articles_gallery"
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "galleries"

    def __str__(self):
        return self.title or f"Gallery {self.pk}"


class GalleryPhoto(models.Model):
    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="items")
    # PROTECT: a photo in a gallery is in use, like a lead photo.
    photo = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="gallery_items")
    caption = models.CharField(
        "caption in this gallery",
        max_length=300,
        blank=True,
        help_text="Leave empty to use the library's caption.",
    )
    order = models.PositiveIntegerField(default=0, db_index=True)

    class Meta:
        db_table = "articles_galleryphoto"
        ordering = ["order", "pk"]
        verbose_name = "photo of the gallery"
        verbose_name_plural = "photos of the gallery"

    def __str__(self):
        return str(self.photo)


def purge_gallery(gallery_id):
    purge({names.gallery(gallery_id)})


# Bulk uploads: what became of each file (articles/photos/admin.py, tasks.py)


class PhotoUpload(models.Model):
    """One bulk upload: its page lists each file's fate, updated as the worker goes."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "articles_photoupload"
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"Upload of {self.uploaded_at:%Y-%m-%d %H:%M}"


class PhotoUploadFile(models.Model):
    """A file of a bulk upload. The request refuses what its header gives away (type,
    size, pixels) and exact copies; the worker finds the rest (a look-alike of a library
    photo, pixels that cannot be decoded) and removes the photo it had been given."""

    class State(models.TextChoices):
        CHECKING = "checking", "accepted, being checked"
        ACCEPTED = "accepted", "accepted"
        DUPLICATE = "duplicate", "already in the library"
        REFUSED = "refused", "refused"

    upload = models.ForeignKey(PhotoUpload, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=255)
    state = models.CharField(max_length=10, choices=State.choices)
    message = models.CharField(max_length=500, blank=True)
    photo = models.ForeignKey(
        Photo, on_delete=models.SET_NULL, null=True, blank=True, related_name="upload_files"
    )
    duplicate_of = models.ForeignKey(
        Photo, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "articles_photouploadfile"
        ordering = ["upload", "position"]

    def __str__(self):
        return self.name
