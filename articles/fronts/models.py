"""The front-page desk's data: fronts, their layouts (editions), zones and pins.

A front is the home page (no section) or one section's page. It has layouts: the one
readers see is the latest whose `publish_at` has come; one with no `publish_at` is
being prepared (the evening edition), and one with a future `publish_at` replaces the
current one at that moment by itself (articles/fronts/signal_handlers.py registers the
schedule). A layout is an ordered list of zones (lead, top stories, a section's rail),
each with a number of slots that editors change in the admin; pins put chosen stories
in a zone's slots, in order, optionally from a start and until an end time. Slots
without a pin fill themselves with the newest public stories (articles/fronts/resolve.py).

Models of the `fronts` app (they were the `articles` app's: each keeps its table); the
breaking-news banner's model is in articles/fronts/banner.py, imported below.
"""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from ..cache import names
from ..roles import ARRANGE_FRONTS_PERMISSION, meta_permissions
from .banner import Banner  # noqa: F401  (a model of this app)

# Default layouts are live "since always": a clock a test sets in the past still finds
# the front readers have always had.
ALWAYS = datetime(2000, 1, 1, tzinfo=UTC)


class Front(models.Model):
    section = models.OneToOneField(
        "articles.Section",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="front",
        help_text="Empty for the home page.",
    )

    class Meta:
        db_table = "articles_front"
        # The front-page desk's one permission (fronts, pins, the banner): editors only.
        permissions = meta_permissions(ARRANGE_FRONTS_PERMISSION)
        constraints = [
            # One front per section (OneToOne) and one home page: NULLs are never equal
            # to each other in a unique index, their COALESCE to 0 is.
            models.UniqueConstraint(Coalesce("section", Value(0)), name="one_front_per_page"),
        ]

    def __str__(self):
        return "Home page" if self.section_id is None else f"{self.section} front"

    def get_absolute_url(self):
        if self.section_id is None:
            return reverse("articles:home")
        return self.section.get_absolute_url()

    @property
    def cache_tag(self):
        return names.front(self.section_id)


class LayoutQuerySet(models.QuerySet):
    def live_at(self, moment):
        """Layouts readers may have seen by `moment` (the current one is the latest)."""
        return self.filter(publish_at__lte=moment).order_by("-publish_at", "-pk")

    def current_for(self, section_id, moment=None):
        """The layout readers see on a page at `moment` (now): the home page for
        `section_id` None."""
        moment = moment or timezone.now()
        if section_id is None:
            return self.live_at(moment).filter(front__section__isnull=True)
        return self.live_at(moment).filter(front__section_id=section_id)


class Layout(models.Model):
    """One arrangement of a front. Readers see the current one: the latest whose
    publication time has come."""

    front = models.ForeignKey(Front, on_delete=models.CASCADE, related_name="layouts")
    name = models.CharField(max_length=120, help_text="For editors, e.g. “Evening edition”.")
    publish_at = models.DateTimeField(
        "goes live at",
        null=True,
        blank=True,
        help_text="Empty: being prepared (only its preview shows it). A time: it replaces "
        "the current layout then, by itself.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LayoutQuerySet.as_manager()

    class Meta:
        db_table = "articles_layout"
        ordering = ["front", "-publish_at", "-pk"]
        indexes = [
            # The current layout of a front, and the next one due (the schedule).
            models.Index(fields=["front", "-publish_at", "-id"], name="layout_front_live_idx"),
            models.Index(fields=["publish_at"], name="layout_publish_at_idx"),
        ]

    def __str__(self):
        return f"{self.front}: {self.name}"

    @property
    def state(self):
        if self.publish_at is None:
            return "being prepared"
        if self.publish_at > timezone.now():
            return "scheduled"
        return "published"


class Zone(models.Model):
    class Kind(models.TextChoices):
        LEAD = "lead", "Lead"
        TOP = "top", "Top stories"
        RAIL = "rail", "Section rail"

    layout = models.ForeignKey(Layout, on_delete=models.CASCADE, related_name="zones")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TOP)
    section = models.ForeignKey(
        "articles.Section",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Backfill from this section (a rail's section). Empty: the front's "
        "own stories (all sections on the home page).",
    )
    slots = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    position = models.PositiveIntegerField(default=0, db_index=False)

    class Meta:
        db_table = "articles_zone"
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["layout", "position"], name="zone_layout_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(slots__gte=1, slots__lte=24),
                name="zone_slots_range",
                violation_error_message="A zone has 1 to 24 slots.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="rail") | Q(section__isnull=False),
                name="rail_has_section",
                violation_error_message="A section rail needs its section.",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self):
        if self.kind == self.Kind.RAIL and self.section_id:
            return self.section.name
        return self.get_kind_display()


class Pin(models.Model):
    """A story an editor put in a zone, in order, optionally for a time."""

    layout = models.ForeignKey(Layout, on_delete=models.CASCADE, related_name="pins")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="pins")
    story = models.ForeignKey("articles.Story", on_delete=models.CASCADE, related_name="pins")
    position = models.PositiveIntegerField(default=0, db_index=False)
    starts_at = models.DateTimeField("from", null=True, blank=True)
    ends_at = models.DateTimeField("until", null=True, blank=True)

    class Meta:
        db_table = "articles_pin"
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["layout", "position"], name="pin_layout_idx"),
            # The schedule's lookups: the next start or end, and those just passed.
            models.Index(fields=["starts_at"], name="pin_starts_at_idx"),
            models.Index(fields=["ends_at"], name="pin_ends_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="pin_ends_after_start",
                violation_error_message="A pin ends after it starts.",
            ),
        ]

    def __str__(self):
        return f"{self.story} in {self.zone}"

    def clean(self):
        super().clean()
        if self.zone_id and self.layout_id and self.zone.layout_id != self.layout_id:
            raise ValidationError({"zone": "Choose a zone of this layout."})

    def live_at(self, moment):
        return (self.starts_at is None or self.starts_at <= moment) and (
            self.ends_at is None or moment < self.ends_at
        )
