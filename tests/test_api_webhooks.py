"""Webhooks (articles/api/webhooks.py): a partner's receiver on 127.0.0.1 (http.server in
a thread of this process) gets a signed POST when a story is published, updated,
unpublished, killed or its embargo lifts; failures are retried with back-off and a
subscriber failing again and again is switched off; drafts, scheduled and embargoed
stories never leave."""

import importlib
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
import reversion
from django.apps import apps as django_apps
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from reversion.models import Version

from articles.api import tasks, webhooks
from articles.api.models import AnnouncedStory, Event, WebhookDelivery, WebhookSubscriber
from articles.models import Story
from articles.wire.formats import ninjs as wire_ninjs
from articles.wire.models import WireItem, WireSource
from tests.background_tasks import run_worker
from tests.conftest import at

SECRET = "s3cret-shared-with-the-partner"


class Receiver:
    """A partner's endpoint: answers each POST with the next of `statuses` (then 200)."""

    def __init__(self):
        self.received = []
        self.statuses = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url + "elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/"
        # A short poll: shutdown() waits for it, and every test stops a receiver.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def events(self):
        return [json.loads(body)["event"] for _, body in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def subscriber(db, receiver):
    return WebhookSubscriber.objects.create(
        name="Partner", url=receiver.url, secret=SECRET, events=[e.value for e in Event]
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a change as committed (its on-commit work, then the worker's queue)."""

    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            result = change()
        run_worker()
        return result

    return run


def deliveries():
    return list(WebhookDelivery.objects.order_by("pk"))


# ---------------------------------------------------------------- signed, once


def test_publishing_posts_a_signed_event_the_partner_can_verify(
    committed, make_story, receiver, subscriber
):
    story = committed(lambda: make_story("Harbour reopens"))

    ((headers, body),) = receiver.received
    assert webhooks.verify(
        SECRET, headers["X-Newsroom-Timestamp"], body, headers["X-Newsroom-Signature"]
    )
    sent = json.loads(body)
    assert sent["event"] == "story.published"
    assert sent["story"]["id"] == story.pk
    assert sent["story"]["headline"] == "Harbour reopens"
    assert sent["story"]["url"].endswith(story.get_absolute_url())
    # The story as a ninjs item, valid against the IPTC schema the wire desk reads.
    assert sent["item"]["headlines"][0]["value"] == "Harbour reopens"
    assert sent["item"]["pubstatus"] == "usable"
    assert wire_ninjs.validate(sent["item"]) == 2
    assert headers["Content-Type"] == "application/json"
    (delivery,) = deliveries()
    assert (delivery.attempts, delivery.last_status) == (1, 200)
    assert delivery.delivered_at is not None


def test_a_tampered_body_an_old_timestamp_or_another_secret_fails_verification():
    body = b'{"event": "story.published"}'
    now = int(time.time())
    signature = webhooks.sign(SECRET, now, body)

    assert webhooks.verify(SECRET, now, body, signature)
    assert not webhooks.verify(SECRET, now, body + b" ", signature)
    assert not webhooks.verify("another secret", now, body, signature)
    assert not webhooks.verify(SECRET, now + 1, body, signature)
    # A POST recorded and replayed ten minutes later.
    assert not webhooks.verify(SECRET, now, body, signature, now=now + 600)
    assert not webhooks.verify(SECRET, "not a time", body, signature)


def test_the_editors_save_only_enqueues_after_commit(
    make_story, subscriber, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_story("Harbour reopens")

    # Nothing sent, nothing queued, until the change commits.
    assert receiver.received == []
    assert not DBTaskResult.objects.exists()
    for callback in callbacks:
        callback()
    assert DBTaskResult.objects.filter(task_path__endswith="announce").count() == 1
    assert receiver.received == []  # the worker sends it, not the request


def test_update_unpublish_and_delete_each_tell_the_partner(
    committed, make_story, receiver, subscriber
):
    story = committed(lambda: make_story("Harbour reopens"))

    def edit():
        story.headline = "Harbour reopens at dawn"
        story.save()

    def unpublish():
        story.status = Story.Status.DRAFT
        story.save()

    def republish():
        story.status = Story.Status.PUBLISHED
        story.save()

    for change in (edit, unpublish, republish, story.delete):
        committed(change)

    assert receiver.events() == [
        "story.published",
        "story.updated",
        "story.unpublished",
        "story.published",
        "story.killed",
    ]
    unpublished = json.loads(receiver.received[2][1])
    assert unpublished["item"]["pubstatus"] == "canceled"
    assert "bodies" not in unpublished["item"]
    killed = json.loads(receiver.received[-1][1])
    assert killed["story"]["headline"] == "Harbour reopens at dawn"


def test_reverting_to_an_unpublished_version_tells_the_partner(
    committed, make_story, receiver, subscriber
):
    def draft():
        with reversion.create_revision():
            return make_story("Harbour reopens", status=Story.Status.DRAFT)

    story = committed(draft)
    story.status, story.published_at = Story.Status.PUBLISHED, timezone.now()
    committed(story.save)

    # django-reversion restores the stored version with a raw save.
    committed(Version.objects.get_for_object(story).get().revert)

    assert receiver.events() == ["story.published", "story.unpublished"]


def test_an_agency_kill_is_announced_once_as_a_kill(committed, make_story, receiver, subscriber):
    story = committed(lambda: make_story("Agency copy"))
    source = WireSource.objects.create(name="Agency", slug="agency", format="ninjs")

    def kill():
        # As the wire desk's ingest does it: one transaction, the story then its item.
        with transaction.atomic():
            story.status = Story.Status.DRAFT
            story.save()
            WireItem.objects.create(
                source=source,
                guid="urn:agency:1",
                headline="Agency copy",
                story=story,
                attention=WireItem.Attention.KILLED,
            )

    committed(kill)

    assert receiver.events() == ["story.published", "story.killed"]


def test_only_the_events_a_subscriber_chose_are_sent(committed, make_story, receiver, subscriber):
    subscriber.events = [Event.UNPUBLISHED]
    subscriber.save()
    story = committed(lambda: make_story("Harbour reopens"))

    story.status = Story.Status.DRAFT
    committed(story.save)

    assert receiver.events() == ["story.unpublished"]


# ---------------------------------------------------------------- never early


def test_drafts_scheduled_and_embargoed_stories_send_nothing(
    committed, make_story, receiver, subscriber
):
    later = timezone.now() + timedelta(hours=2)
    draft = committed(lambda: make_story("Draft", status=Story.Status.DRAFT))
    scheduled = committed(lambda: make_story("Scheduled", published_at=later))
    embargoed = committed(lambda: make_story("Embargoed", published_at=later, embargo_until=later))
    for story in (draft, scheduled, embargoed):
        story.dek = "Edited."
        committed(story.save)
        committed(story.delete)

    assert receiver.received == []
    assert deliveries() == []


def test_a_scheduled_story_is_announced_when_its_time_comes(
    committed, make_story, receiver, subscriber
):
    later = timezone.now() + timedelta(hours=2)
    story = committed(lambda: make_story("Scheduled", published_at=later))

    # A look at the story is queued for its publication time (the worker waits).
    (due,) = DBTaskResult.objects.filter(task_path__endswith="announce", status="READY")
    assert due.run_after == later
    assert receiver.received == []
    # A worker whose clock is behind looks too early: it looks again at the time.
    with at(later - timedelta(seconds=5)):
        tasks.announce.call(story.pk, webhooks.DUE)
    again = DBTaskResult.objects.filter(task_path__endswith="announce", status="READY")
    again = again.exclude(pk=due.pk)
    assert [task.run_after for task in again] == [later]
    assert receiver.received == []

    with at(later + timedelta(seconds=1)):
        tasks.announce.call(story.pk, webhooks.DUE)
        tasks.announce.call(story.pk, webhooks.DUE)  # run twice: announced once
        for delivery in deliveries():
            webhooks.deliver(delivery.pk)

    assert receiver.events() == ["story.published"]


def test_an_embargo_lifting_is_its_own_event(committed, make_story, receiver, subscriber):
    lifts = timezone.now() + timedelta(hours=2)
    story = committed(lambda: make_story("Embargoed", published_at=lifts, embargo_until=lifts))

    with at(lifts - timedelta(minutes=1)):  # too early: the task checks the clock
        webhooks.announce(story.pk, webhooks.DUE)
    with at(lifts):
        for _ in range(2):
            for delivery in webhooks.announce(story.pk, webhooks.DUE):
                webhooks.deliver(delivery.pk)

    assert receiver.events() == ["story.embargo_lifted"]
    sent = json.loads(receiver.received[0][1])
    assert sent["story"]["embargo_until"] == lifts.isoformat()


# ---------------------------------------------------------------- retries, switch-off


def test_a_500_is_retried_after_a_back_off_then_delivered(make_story, receiver, subscriber):
    story = make_story("Harbour reopens")
    receiver.statuses = [500]
    (delivery,) = webhooks.announce(story.pk, webhooks.SAVED)

    before = timezone.now()
    tasks.deliver.call(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status, delivery.delivered_at) == (1, 500, None)
    assert delivery.last_error == "HTTP 500"
    (retry,) = DBTaskResult.objects.filter(task_path__endswith="deliver")
    assert retry.run_after >= before + timedelta(seconds=webhooks.BACKOFF[0])
    assert delivery.next_attempt_at == retry.run_after
    subscriber.refresh_from_db()
    assert subscriber.consecutive_failures == 1

    with at(retry.run_after):
        tasks.deliver.call(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status) == (2, 200)
    assert delivery.delivered_at is not None
    subscriber.refresh_from_db()
    assert (subscriber.consecutive_failures, subscriber.active) == (0, True)
    # Both attempts carried a valid signature for the same body.
    assert len(receiver.received) == 2
    for headers, body in receiver.received:
        assert webhooks.verify(
            SECRET, headers["X-Newsroom-Timestamp"], body, headers["X-Newsroom-Signature"]
        )


def test_back_off_grows(db):
    waits = [webhooks.backoff(attempt) for attempt in range(1, 8)]

    assert waits == sorted(waits)
    assert waits[0] == timedelta(minutes=1)


def test_repeated_failures_switch_the_subscriber_off(
    make_story, receiver, subscriber, settings, news_editor_client
):
    settings.NEWSROOM = {**settings.NEWSROOM, "WEBHOOK_MAX_FAILURES": 3}
    story = make_story("Harbour reopens")
    receiver.statuses = [500] * 10
    (delivery,) = webhooks.announce(story.pk, webhooks.SAVED)

    waits = [webhooks.deliver(delivery.pk) for _ in range(4)]

    assert waits[:2] == [webhooks.backoff(1), webhooks.backoff(2)]
    assert waits[2:] == [None, None]  # given up; the fourth never posts
    assert len(receiver.received) == 3
    subscriber.refresh_from_db()
    assert subscriber.active is False
    assert subscriber.switched_off_at is not None
    # Switched off: nothing more is announced to it.
    story.headline = "Edited"
    story.save()
    assert webhooks.announce(story.pk, webhooks.SAVED) == []
    # The desk sees why in the delivery log.
    log = news_editor_client.get(reverse("admin:api_webhookdelivery_changelist"))
    assert log.status_code == 200
    assert "story.published" in log.content.decode()


def test_redirects_are_not_followed(make_story, receiver, subscriber):
    story = make_story("Harbour reopens")
    receiver.statuses = [302]
    (delivery,) = webhooks.announce(story.pk, webhooks.SAVED)

    webhooks.deliver(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.last_status == 302 and delivery.delivered_at is None
    assert len(receiver.received) == 1  # "elsewhere" never asked


def test_an_unreachable_receiver_is_a_failure_not_an_error(make_story, subscriber):
    subscriber.url = "http://127.0.0.1:9/closed/"
    subscriber.save()
    story = make_story("Harbour reopens")
    (delivery,) = webhooks.announce(story.pk, webhooks.SAVED)

    assert webhooks.deliver(delivery.pk) == webhooks.backoff(1)
    delivery.refresh_from_db()
    assert delivery.last_status is None and delivery.last_error


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x"])
def test_only_http_addresses_are_posted_to(url):
    assert webhooks.post(url, b"{}", {}) == (None, "Refused: only http and https addresses.")


# ---------------------------------------------------------------- the admin


def test_the_subscriber_form_refuses_other_schemes_and_needs_events(news_editor_client):
    response = news_editor_client.post(
        reverse("admin:api_webhooksubscriber_add"),
        {"name": "Partner", "url": "ftp://partner.example/hook", "secret": "x", "active": "on"},
    )

    assert response.status_code == 200
    assert not WebhookSubscriber.objects.exists()


def test_an_editor_adds_a_subscriber_and_switches_it_back_on(news_editor_client, receiver):
    news_editor_client.post(
        reverse("admin:api_webhooksubscriber_add"),
        {
            "name": "Partner",
            "url": receiver.url,
            "secret": SECRET,
            "events": [Event.PUBLISHED, Event.KILLED],
            "active": "on",
        },
    )
    subscriber = WebhookSubscriber.objects.get()
    assert subscriber.events == [Event.PUBLISHED, Event.KILLED]
    WebhookSubscriber.objects.update(
        active=False, consecutive_failures=8, switched_off_at=timezone.now()
    )

    news_editor_client.post(
        reverse("admin:api_webhooksubscriber_changelist"),
        {"action": "switch_on", "_selected_action": [subscriber.pk]},
    )

    subscriber.refresh_from_db()
    assert (subscriber.active, subscriber.consecutive_failures) == (True, 0)


def test_the_delivery_log_is_read_only_and_reporters_never_see_it(
    news_editor_client, reporter_client, make_story, subscriber
):
    (delivery,) = webhooks.announce(make_story().pk, webhooks.SAVED)
    change = reverse("admin:api_webhookdelivery_change", args=[delivery.pk])

    page = news_editor_client.get(change)
    refused = news_editor_client.post(change, {"event": Event.KILLED})

    assert page.status_code == 200 and 'name="event"' not in page.content.decode()
    assert refused.status_code == 403
    for name in ("webhookdelivery", "webhooksubscriber"):
        assert reporter_client.get(reverse(f"admin:api_{name}_changelist")).status_code == 403


def test_stories_public_before_the_webhooks_count_as_announced(make_story, receiver, subscriber):
    """The data migration marks them, so their next save is an update, not news."""
    public = make_story("Old news")
    make_story("Old draft", status=Story.Status.DRAFT)
    AnnouncedStory.objects.all().delete()  # as before the webhooks existed
    migration = importlib.import_module("articles.api.migrations.0002_editor_permissions")

    migration.announce_public_stories(django_apps, SimpleNamespace(connection=connection))

    assert list(AnnouncedStory.objects.values_list("story_id", "public")) == [(public.pk, True)]
    assert [d.event for d in webhooks.announce(public.pk, webhooks.SAVED)] == ["story.updated"]
