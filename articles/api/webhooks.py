"""Webhooks: partners told when a story is published, updated, unpublished, killed or its
embargo lifts.

How an event travels:

1. A story's save or delete (articles/api/signal_handlers.py), or its moment coming (a
   scheduled story going live, an embargo lifting: a task enqueued with `run_after`
   at that moment), enqueues `tasks.announce` once the change commits. The editor's
   save never waits on a partner.
2. `announce` (the worker) compares the story now with what partners were last told
   (`AnnouncedStory`): public now and not announced → published (or embargo lifted,
   when the clock lifted its embargo); public and announced → updated (a save);
   announced and no longer public → unpublished (killed when deleted or withdrawn by
   the agency). A story never public (draft, scheduled, embargoed) sends nothing. The
   claim is one conditional UPDATE, so two workers never announce the same change twice.
3. Each subscriber wanting the event gets a `WebhookDelivery` row and a
   `tasks.deliver` task: a signed POST outside any transaction (no write lock held
   while waiting on the network), retried with back-off (`BACKOFF`), the subscriber
   switched off after `NEWSROOM["WEBHOOK_MAX_FAILURES"]` failures in a row.

The signature: `X-Newsroom-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`
keyed with the subscriber's secret, `X-Newsroom-Timestamp` the Unix time of the
attempt. `verify()` is the receiver's check (docs/partners.md).
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from articles.models import Story

from . import ninjs
from .models import AnnouncedStory, Event, WebhookDelivery, WebhookSubscriber

logger = logging.getLogger(__name__)

# Seconds before attempt 2, 3, 4, … of a delivery (the last repeats).
BACKOFF = (60, 300, 1800, 7200, 21600)
TIMEOUT = 5  # seconds: a partner's endpoint answers quickly or is retried later
USER_AGENT = "Newsroom-Webhooks/1"

# Triggers: what made us look at a story (the event is decided by `announce`).
SAVED, DUE, DELETED, KILLED = "saved", "due", "deleted", "killed"


def max_failures():
    return settings.NEWSROOM.get("WEBHOOK_MAX_FAILURES", 8)


def backoff(attempt: int) -> timedelta:
    """The wait after the `attempt`-th failed attempt (1-based)."""
    return timedelta(seconds=BACKOFF[min(attempt, len(BACKOFF)) - 1])


# ------------------------------------------------------------------ signing


def sign(secret: str, timestamp, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret, timestamp, body, signature, tolerance=300, now=None) -> bool:
    """A receiver's check of one POST: the signature over "<timestamp>.<body>" is ours,
    and the timestamp is within `tolerance` seconds of now (a replayed old POST fails).

    `body`: the raw bytes received (not re-serialised JSON); `timestamp` and `signature`:
    the X-Newsroom-Timestamp and X-Newsroom-Signature headers.
    """
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - sent) > tolerance:
        return False
    if isinstance(body, str):
        body = body.encode()
    return hmac.compare_digest(sign(secret, sent, body), str(signature or ""))


# ------------------------------------------------------------------ what is sent


def story_summary(story):
    """What a delivery says of a story. (ninjs: see `payload`.)"""
    return {
        "id": story.pk,
        "headline": story.headline,
        "url": settings.NEWSROOM["BASE_URL"] + story.get_absolute_url(),
        "published_at": story.published_at.isoformat() if story.published_at else None,
        "embargo_until": story.embargo_until.isoformat() if story.embargo_until else None,
    }


def payload(event, summary, story=None):
    """The JSON body of a delivery: the event, the story's summary and, while the story
    is in the database (`story` is None once deleted), its ninjs item, canceled when it
    stopped being public: the partner takes it in with no custom code."""
    body = {"event": event, "story": summary, "sent_at": timezone.now().isoformat()}
    if story is not None:
        detailed = Story.objects.for_detail().get(pk=story.pk)
        canceled = event in (Event.UNPUBLISHED, Event.KILLED)
        body["item"] = ninjs.story_to_ninjs(detailed, canceled=canceled)
    return body


# ------------------------------------------------------------------ announcing


def _claim(story_id, public):
    """Record that partners are told the story is (or is no longer) public; False if
    that was already recorded (another run announced it)."""
    updated = AnnouncedStory.objects.filter(story_id=story_id).exclude(public=public)
    if updated.update(public=public, changed_at=timezone.now()):
        return True
    if public:
        _, created = AnnouncedStory.objects.get_or_create(
            story_id=story_id, defaults={"public": True}
        )
        return created
    return False


def decide(story_id, trigger):
    """(event, story) to announce now for `story_id`, claiming it; or (None, story)."""
    story = Story.objects.filter(pk=story_id).select_related("section").first()
    public = story is not None and story.is_public
    if public:
        if _claim(story_id, True):
            # The clock lifted its embargo (not an editor publishing a story whose
            # embargo has passed long ago).
            lifted = (
                trigger == DUE
                and story.embargo_until is not None
                and story.published_at <= story.embargo_until
            )
            return (Event.EMBARGO_LIFTED if lifted else Event.PUBLISHED), story
        return (Event.UPDATED if trigger == SAVED else None), story
    if _claim(story_id, False):
        killed = trigger in (DELETED, KILLED) or story is None
        return (Event.KILLED if killed else Event.UNPUBLISHED), story
    return None, story


def announce(story_id, trigger, summary=None):
    """Announce what changed of a story to the subscribers wanting it (the worker)."""
    with transaction.atomic():
        event, story = decide(story_id, trigger)
        if event is None:
            return []
        if story is not None:
            summary = story_summary(story)
        if summary is None:
            return []
        body = json.dumps(payload(event, summary, story), sort_keys=True)
        deliveries = [
            WebhookDelivery.objects.create(
                subscriber=subscriber, event=event, story_id=story_id, body=body
            )
            for subscriber in WebhookSubscriber.objects.filter(active=True)
            if subscriber.wants(event)
        ]
    if event == Event.KILLED and story is None:
        AnnouncedStory.objects.filter(story_id=story_id).delete()
    return deliveries


def still_due(story_id):
    """When a story looked at too early (a host's clock behind) goes public, or None."""
    story = Story.objects.filter(pk=story_id).only("status", "published_at").first()
    return story.published_at if story is not None and story.is_scheduled else None


# ------------------------------------------------------------------ delivering


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is an answer (a failure), never followed


_opener = urllib.request.build_opener(_NoRedirects)


def post(url, body: bytes, headers, timeout=TIMEOUT):
    """POST `body`; (status code, error text). Never raises for the network's sake."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return None, "Refused: only http and https addresses."
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:500]


def deliver(delivery_id):
    """One attempt of a delivery; returns the delay before the next attempt (None when
    delivered or given up). The POST happens outside any transaction."""
    delivery = WebhookDelivery.objects.select_related("subscriber").filter(pk=delivery_id).first()
    if delivery is None or delivery.delivered_at is not None:
        return None
    subscriber = delivery.subscriber
    if not subscriber.active:
        return None
    body = delivery.body.encode()
    timestamp = int(time.time())
    status, error = post(
        subscriber.url,
        body,
        {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Newsroom-Event": delivery.event,
            "X-Newsroom-Delivery": str(delivery.pk),
            "X-Newsroom-Timestamp": str(timestamp),
            "X-Newsroom-Signature": sign(subscriber.secret, timestamp, body),
        },
    )
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status = status
    ok = status is not None and 200 <= status < 300
    delivery.last_error = "" if ok else (error or f"HTTP {status}")
    if ok:
        delivery.delivered_at, delivery.next_attempt_at = now, None
        delivery.save()
        WebhookSubscriber.objects.filter(pk=subscriber.pk).update(consecutive_failures=0)
        return None
    # Counted in the database: deliveries to one subscriber may run side by side.
    WebhookSubscriber.objects.filter(pk=subscriber.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    failures = WebhookSubscriber.objects.values_list("consecutive_failures", flat=True).get(
        pk=subscriber.pk
    )
    switch_off = failures >= max_failures()
    wait = None if switch_off else backoff(delivery.attempts)
    delivery.next_attempt_at = now + wait if wait else None
    delivery.save()
    if switch_off:
        WebhookSubscriber.objects.filter(pk=subscriber.pk).update(active=False, switched_off_at=now)
        logger.warning("Webhook subscriber %s switched off after %d failures", subscriber, failures)
    return wait
