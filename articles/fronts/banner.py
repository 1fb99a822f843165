"""The breaking-news banner: one line above every public page while it is live.

**One at a time.** Several banners may be live at once (one prepared for later, one
left running); readers see only the most recently started live one. Ending it early
brings back the one it covered, if that one is still live.

- A banner is live from `starts_at` (default: now) until `expires_at` (required: a
  banner nobody remembers to take down is worse than none). Both are honoured to the
  minute with no save and no cron: the next start or expiry is a scheduled change
  (`register_schedule` in articles/fronts/signal_handlers.py), like a scheduled story.
- Saving or deleting a banner purges the "banner" tag, which every public page carries
  (base.html reads the live banner through a fragment that depends on it: the
  `breaking_banner` of articles/fronts/context_processors.py).
- It may link a story, shown only while that story is public (never a draft's address
  or headline), or an http(s) URL.
"""

from dataclasses import dataclass

import reversion
from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from ..cache import names
from ..cache import tags as cache_tags
from ..cache.fragments import get_or_set
from ..models import Story

SCHEDULE = "banner"  # the name of its starts and expiries (register_schedule)
FRAGMENT_KEY = "banner"
URL_SCHEMES = ["http", "https"]
URL_MESSAGE = "Enter a web address starting with http:// or https://."


class BannerQuerySet(models.QuerySet):
    def live(self, now=None):
        """Banners showing now: started, not yet expired."""
        now = now or timezone.now()
        return self.filter(starts_at__lte=now, expires_at__gt=now)


def starts_now():
    # Looked up when called (not bound at import), so a test's clock applies to it too.
    return timezone.now()


@reversion.register()  # no `follow`: a revert writes the banner row, never its story
class Banner(models.Model):
    class Level(models.TextChoices):
        BREAKING = "breaking", "Breaking"
        DEVELOPING = "developing", "Developing"
        ALERT = "alert", "Alert"

    text = models.CharField(max_length=200, help_text="One line: what happened.")
    level = models.CharField(
        max_length=12,
        choices=Level.choices,
        default=Level.BREAKING,
        help_text="Shown as a label (Breaking, Developing, Alert) and a colour.",
    )
    story = models.ForeignKey(
        "articles.Story",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="linked story",
        help_text="Linked only while the story is public.",
    )
    url = models.URLField(
        "or web address",
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=URL_SCHEMES, message=URL_MESSAGE)],
    )
    starts_at = models.DateTimeField("shows from", default=starts_now)
    expires_at = models.DateTimeField("shows until", help_text="Removed by itself then.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = BannerQuerySet.as_manager()

    class Meta:
        db_table = "articles_banner"  # made in the `articles` app: the table kept its name
        ordering = ["-starts_at", "-pk"]
        verbose_name = "breaking-news banner"
        # The live banner and the next start or expiry are read from expires_at onwards:
        # only banners not yet expired, however many old ones there are.
        indexes = [models.Index(fields=["expires_at", "starts_at"], name="banner_live_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("starts_at")),
                name="banner_expires_after_start",
                violation_error_message="The banner must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(story__isnull=True) | Q(url=""),
                name="banner_story_or_url",
                violation_error_message="Link a story or a web address, not both.",
            ),
        ]

    def __str__(self):
        return self.text

    def get_absolute_url(self):
        # Shown on every page; the front page is where an editor checks it.
        return reverse("articles:home")


@dataclass(frozen=True)
class ShownBanner:
    """What base.html shows: kept as a fragment, no model row."""

    text: str
    level: str
    label: str
    region_label: str
    href: str


REGION_LABELS = {
    Banner.Level.BREAKING: "Breaking news",
    Banner.Level.DEVELOPING: "Developing story",
    Banner.Level.ALERT: "News alert",
}


def _load_live():
    """The live banner, with its story's address if that story is public: one query."""
    if cache_tags.next_moment_of(SCHEDULE) == 0.0:
        # No banner has yet to end (as of the last change or moment): none is live.
        return None
    public_slug = Story.objects.published().filter(pk=OuterRef("story_id")).values("slug")[:1]
    row = (
        Banner.objects.live()
        .annotate(story_slug=Subquery(public_slug))
        .order_by("-starts_at", "-pk")
        .values("text", "level", "url", "story_id", "story_slug")
        .first()
    )
    if row is None:
        return None
    if row["story_id"]:
        # Not public (yet): the banner shows, unlinked.
        href = (
            reverse("articles:story_detail", kwargs={"slug": row["story_slug"]})
            if row["story_slug"]
            else ""
        )
    else:
        href = row["url"] if row["url"].lower().startswith(("http://", "https://")) else ""
    level = Banner.Level(row["level"])
    shown = ShownBanner(row["text"], level.value, level.label, REGION_LABELS[level], href)
    return {"shown": shown, "story_id": row["story_id"]}


def live_banner():
    """The banner base.html shows, or None; kept as a fragment until "banner" is purged
    (a save, a delete, a start or expiry) or its linked story changes."""

    def depends(found):
        if found and found["story_id"]:
            return {names.BANNER, names.story(found["story_id"])}
        return {names.BANNER}

    found = get_or_set(FRAGMENT_KEY, _load_live, depends)
    return found["shown"] if found else None


# Timed changes: starts and expiries


def upcoming():
    """Candidates for the next start or expiry: banners not yet expired (an index range)."""
    now = timezone.now()
    ahead = Banner.objects.filter(expires_at__gt=now)
    return [(ahead, "expires_at"), (ahead.filter(starts_at__gt=now), "starts_at")]


def changed_since(since):
    """{"banner"} if a banner started or expired between `since` and now."""
    now = timezone.now()
    came = Q(starts_at__gt=since, starts_at__lte=now)
    went = Q(expires_at__gt=since, expires_at__lte=now)
    return {names.BANNER} if Banner.objects.filter(came | went).exists() else set()
