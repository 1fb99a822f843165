"""Live coverage's models: an update, and a deleted update's tombstone.

What they are for: articles/live/__init__.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import Truncator
from django_prose_editor.fields import ProseEditorField

from articles.models import Author
from articles.sanitize import sanitize_body, text_of


class LiveUpdateQuerySet(models.QuerySet):
    def newest_first(self):
        """The order of the live page: the (story, -posted_at, -id) index, read forwards."""
        return self.order_by("-posted_at", "-id")

    def for_page(self):
        """What an update on the page shows: its bylines in one more query."""
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
        "articles.Author",
        blank=True,
        related_name="live_updates",
        verbose_name="bylines",
        db_table="articles_liveupdate_authors",  # kept from when this was the articles app's
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
        db_table = "articles_liveupdate"  # kept from when this was the articles app's model
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
        db_table = "articles_liveupdateremoval"  # kept (see LiveUpdate)
        verbose_name = "removed live update"
        indexes = [
            models.Index(fields=["story_id", "removed_at"], name="live_removal_story_idx"),
        ]

    def __str__(self):
        return f"Update #{self.update_id} (removed)"
