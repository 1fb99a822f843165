"""The content API's own tables: partners' keys and webhook subscribers.

- `ApiKey`: a partner's key. Only its SHA-256 hash is stored (the token is random, 256
  bits: a slow password hash would add nothing but time per request); the token is
  shown once, when the admin creates it. Its public prefix names it in lists and logs.
- `WebhookSubscriber` / `WebhookDelivery`: who is told what (articles/api/webhooks.py),
  and the log of each POST and its retries.
- `AnnouncedStory`: what partners were last told of a story (public or not), so an
  event is sent once per change, whether a save or the clock (a schedule, an embargo
  lifting) made it.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "nrk"  # tokens read "nrk_<prefix>_<secret>": easy to spot in a leak scan


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    class Scope(models.TextChoices):
        # Embargoed stories before their embargo lifts, the embargo stated in each item.
        EMBARGO = "embargo", "Embargoed stories before the embargo lifts"

    name = models.CharField(max_length=100, help_text="Who holds the key (a partner's name).")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, blank=True)
    rate_limit = models.PositiveIntegerField(
        "requests per minute", default=120, help_text="Beyond this the key is answered 429."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["name", "pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def new_token(self) -> str:
        """Give the key a fresh token and return it (the only time it exists in clear)."""
        self.prefix = secrets.token_hex(4)
        token = f"{TOKEN_PREFIX}_{self.prefix}_{secrets.token_urlsafe(32)}"
        self.key_hash = hash_token(token)
        return token

    def matches(self, token: str) -> bool:
        return hmac.compare_digest(self.key_hash, hash_token(token))

    @staticmethod
    def prefix_of(token: str):
        """The public prefix a token names, or None if it is not shaped like one."""
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1]:
            return None
        return parts[1]

    def has_scope(self, scope) -> bool:
        return scope in (self.scopes or [])

    @property
    def is_revoked(self):
        return self.revoked_at is not None


class Event(models.TextChoices):
    PUBLISHED = "story.published", "Story published"
    UPDATED = "story.updated", "Public story updated"
    UNPUBLISHED = "story.unpublished", "Story unpublished"
    KILLED = "story.killed", "Story killed (deleted, or withdrawn by the agency)"
    EMBARGO_LIFTED = "story.embargo_lifted", "Embargo lifted"


class WebhookSubscriber(models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField(
        "URL", max_length=500, help_text="http(s) only; redirects are not followed."
    )
    secret = models.CharField(
        max_length=100,
        help_text="Shared with the subscriber: each POST is signed with it (HMAC-SHA256).",
    )
    events = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    switched_off_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "webhook subscriber"
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def wants(self, event) -> bool:
        return self.active and event in (self.events or [])


class WebhookDelivery(models.Model):
    subscriber = models.ForeignKey(
        WebhookSubscriber, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=Event)
    story_id = models.BigIntegerField(db_index=True)
    body = models.TextField()
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveIntegerField("last status code", null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.event} of story {self.story_id} to {self.subscriber}"


class AnnouncedStory(models.Model):
    """What partners were last told of a story: public (published) or not."""

    story_id = models.BigIntegerField(primary_key=True)
    public = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "announced story"

    def __str__(self):
        return f"story {self.story_id}: {'public' if self.public else 'not public'}"
