"""Live coverage: a story that updates while readers watch.

A story is *live* from `Story.live_started_at` until `Story.live_ended_at`; after that
its page is the archive of the coverage. Each `LiveUpdate` is a short dated post (rich
text, optional bylines, an optional photo with alt text, optionally pinned as a key
event) shown newest first on the story's page.

- Posting, editing and deleting an update never saves the story: the story's
  optimistic lock (its `version`) is for the story's own fields, and two reporters
  posting at once each insert a row of their own. What readers see changes through
  the cache tags `live:<story pk>` (the poll endpoint) and `story:<story pk>` (the
  page, cards, feeds), purged by the signals below.
- Editing or deleting an update records a revision of the story (with the update's
  own version in it), so the story's history says who changed which update. Restoring
  an old version of the story writes the story's own fields and rows only
  (articles/history.py), never its updates: updates posted after that version stay.
- Photos go through the same checks as lead photos (`images.validate_photo`, in the
  admin form) and become library photos (`photo_from_upload`, stored and read before
  the update's transaction); the worker makes their renditions outside any transaction
  (articles/photos/tasks.py), and the update shows its photo once they exist. No post
  waits for another's photo: SQLite has one writer, held for a few INSERTs only.
- The poll endpoint (`/stories/<slug>/updates/?after=<id>&since=<stamp>`,
  articles/views.py) is a public page like any other: the page cache answers it, and a
  matching If-None-Match gets a 304 with no SQL. It carries new updates, and the edits
  (`updated_at`) and deletions (`LiveUpdateRemoval` tombstones) since the reader's state.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import Truncator
from django_prose_editor.fields import ProseEditorField
from PIL import Image as PILImage

from . import images
from .cache import purge
from .photos import fingerprints
from .photos.models import Photo, photo_changed
from .sanitize import sanitize_body, text_of

# Key events listed in a live page's summary.
KEY_EVENTS_SHOWN = 10
# Updates one poll answer carries at most (a reader away for longer reloads).
POLL_UPDATES_MAX = 50


class LiveUpdateQuerySet(models.QuerySet):
    def newest_first(self):
        """The order of the live page: the (story, -posted_at, -id) index, read forwards."""
        return self.order_by("-posted_at", "-id")

    def for_page(self):
        """What an update on the page shows: its bylines in one more query."""
        from .models import Author

        return (
            self.newest_first()
            .select_related("photo")
            .prefetch_related(Prefetch("authors", queryset=Author.objects.order_by("name", "pk")))
        )

    def older_than(self, update):
        """Updates after `update` in newest-first order (`update` is (posted_at, id))."""
        posted_at, pk = update
        return self.filter(Q(posted_at__lt=posted_at) | Q(posted_at=posted_at, pk__lt=pk))

    def newer_than(self, update):
        posted_at, pk = update
        return self.filter(Q(posted_at__gt=posted_at) | Q(posted_at=posted_at, pk__gt=pk))


def latest_update_time():
    """A subquery: the outer story's newest update time (NULL without updates)."""
    return Subquery(
        LiveUpdate.objects.filter(story=OuterRef("pk")).newest_first().values("posted_at")[:1]
    )


class LiveUpdate(models.Model):
    """One post in a story's live coverage."""

    # No index of its own: (story, -posted_at, -id) below serves it.
    story = models.ForeignKey(
        "articles.Story", on_delete=models.CASCADE, related_name="live_updates", db_index=False
    )
    posted_at = models.DateTimeField("time", default=timezone.now)
    headline = models.CharField(
        max_length=200, blank=True, help_text="Optional: a few words, shown in bold."
    )
    body = ProseEditorField(
        "text",
        extensions={
            "Bold": True,
            "Italic": True,
            "BulletList": True,
            "OrderedList": True,
            "ListItem": True,
            "Blockquote": True,
            "HardBreak": True,
            "Link": {"enableTarget": False},
            "History": True,
        },
        sanitize=sanitize_body,
    )
    authors = models.ManyToManyField(
        "articles.Author", blank=True, related_name="live_updates", verbose_name="bylines"
    )
    # A photo of the library (articles/photos/), made from the upload: its renditions
    # are made by the worker, outside any transaction, and the update shows it once they
    # exist (never a broken one). PROTECT: a photo an update shows is in use.
    photo = models.ForeignKey(
        "photos.Photo",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="live_updates",
    )
    photo_alt = models.CharField(
        "photo alt text",
        max_length=250,
        blank=True,
        help_text="What the photo shows, for readers who cannot see it.",
    )
    pinned = models.BooleanField(
        "key event", default=False, help_text="Pinned to the summary at the top of the page."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LiveUpdateQuerySet.as_manager()

    class Meta:
        app_label = "articles"
        ordering = ["-posted_at", "-id"]
        verbose_name = "live update"
        indexes = [
            # The live page, "show older updates" and the poll: one range of one story.
            models.Index(fields=["story", "-posted_at", "-id"], name="live_update_story_idx"),
            # The summary's key events.
            models.Index(fields=["story", "pinned"], name="live_update_pinned_idx"),
            # The poll's "changed since": edited updates reach open pages.
            models.Index(fields=["story", "updated_at"], name="live_update_changed_idx"),
        ]

    def __str__(self):
        return self.headline or Truncator(self.text).words(12) or f"Update #{self.pk}"

    def save(self, *args, **kwargs):
        self.body = sanitize_body(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """Opens the story's page at this update (redirects to the page that holds it)."""
        return reverse(
            "articles:live_update", kwargs={"slug": self.story.slug, "update_id": self.pk}
        )

    @cached_property
    def picture(self):
        """The photo as readers see it, or None while it is processing (or hidden)."""
        photo = self.photo if self.photo_id else None
        return photo.lead_picture if photo is not None and photo.is_public else None

    @property
    def picture_alt(self):
        return self.photo_alt or (self.photo.alt if self.photo_id else "")

    @property
    def text(self):
        # One helper for the JSON-LD, the key events and the admin's rows: paragraphs and
        # line breaks stay separate words even when the HTML has no space between them.
        return text_of(self.body)

    @property
    def title(self):
        """A headline for structured data and the summary: its own, or its first words."""
        return self.headline or Truncator(self.text).chars(110)

    @property
    def anchor(self):
        return f"update-{self.pk}"


class LiveUpdateRemoval(models.Model):
    """A deleted update's tombstone: the poll tells open pages to take it away.

    The story is a plain number, not a key: a tombstone outlives nothing it needs, and
    deleting a story (which deletes its updates, leaving tombstones) is not held up.
    """

    story_id = models.BigIntegerField()
    update_id = models.BigIntegerField()
    removed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "articles"
        verbose_name = "removed live update"
        indexes = [
            models.Index(fields=["story_id", "removed_at"], name="live_removal_story_idx"),
        ]

    def __str__(self):
        return f"Update #{self.update_id} (removed)"


@receiver(post_delete, sender=LiveUpdate)
def _leave_tombstone(sender, instance, **kwargs):
    LiveUpdateRemoval.objects.create(story_id=instance.story_id, update_id=instance.pk)


@receiver(post_save, sender=LiveUpdate)
@receiver(post_delete, sender=LiveUpdate)
def _purge_live(sender, instance, using="default", **kwargs):
    """The poll (`live:<pk>`) and everything showing the story (`story:<pk>`)."""
    purge({f"live:{instance.story_id}", f"story:{instance.story_id}"}, using=using)


@receiver(photo_changed)
def _photo_changed(sender, photo_id, **kwargs):
    """A photo an update shows has its renditions now (or a new caption, alt text,
    crop): the update changed for readers, and open pages get it at their next poll."""
    updates = LiveUpdate.objects.filter(photo_id=photo_id)
    stories = set(updates.values_list("story_id", flat=True))
    if stories:
        updates.update(updated_at=timezone.now())
        purge({tag for pk in stories for tag in (f"live:{pk}", f"story:{pk}")})


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


def live_page(story, before=None, per_page=None):
    """(updates, older cursor or None) of one page of `story`'s updates, newest first.

    `before` is an update id (the last one of the previous page); None for the first
    page. Constant queries at any depth: one to place the cursor, one for the page (a
    range of the (story, -posted_at, -id) index), one for the bylines.
    """
    per_page = per_page or settings.NEWSROOM["LIVE_UPDATES_PER_PAGE"]
    updates = LiveUpdate.objects.filter(story=story)
    if before is not None:
        cursor = updates.filter(pk=before).values_list("posted_at", "pk").first()
        if cursor is None:
            return None, None
        updates = updates.older_than(cursor)
    rows = list(updates.for_page()[: per_page + 1])
    older = rows[per_page - 1].pk if len(rows) > per_page else None
    return rows[:per_page], older


def page_holding(update, per_page=None):
    """The `before` id of the page showing `update` (None: the first page).

    Pages are counted from the newest update: one COUNT over the index range of the
    updates newer than this one, then one read of the id the page starts below.
    """
    per_page = per_page or settings.NEWSROOM["LIVE_UPDATES_PER_PAGE"]
    siblings = LiveUpdate.objects.filter(story_id=update.story_id)
    newer = siblings.newer_than((update.posted_at, update.pk)).count()
    pages_above = newer // per_page
    if pages_above == 0:
        return None
    return siblings.newest_first().values_list("pk", flat=True)[pages_above * per_page - 1]


# Changes since a reader's state (the poll's `since`): edits and deletions. A reader's
# state is the time of the story's last change it has seen, a number shared by every
# reader at that point (so the poll's answer, its ETag and 304s are shared too).
# Changes up to CHANGE_MARGIN before it are sent again: a change is stamped when it is
# saved, and its transaction may commit just after a poll read the stamp.
CHANGE_MARGIN = timedelta(seconds=5)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def stamp_of(moment):
    """A time as the poll's `since` number (microseconds since 1970); 0 for None."""
    return (moment - _EPOCH) // timedelta(microseconds=1) if moment else 0


def moment_of(stamp):
    return _EPOCH + timedelta(microseconds=stamp)


def last_change(story_id):
    """The stamp of `story_id`'s last edit, new update or deletion (two index reads)."""
    edited = (
        LiveUpdate.objects.filter(story_id=story_id)
        .order_by("-updated_at")
        .values_list("updated_at", flat=True)
        .first()
    )
    removed = (
        LiveUpdateRemoval.objects.filter(story_id=story_id)
        .order_by("-removed_at")
        .values_list("removed_at", flat=True)
        .first()
    )
    return stamp_of(max(filter(None, (edited, removed)), default=None))


def removed_since(story_id, stamp):
    """Ids of `story_id`'s updates deleted since `stamp` (and a margin before it)."""
    return list(
        LiveUpdateRemoval.objects.filter(
            story_id=story_id, removed_at__gt=moment_of(stamp) - CHANGE_MARGIN
        )
        .order_by("update_id")
        .values_list("update_id", flat=True)
        .distinct()[: POLL_UPDATES_MAX + 1]
    )
