"""The webhooks' background work (articles/api/webhooks.py), on the project's one task
mechanism (articles/tasks.py): enqueued only once the change that needs it commits."""

from articles.tasks import background_task

from . import webhooks
from .models import WebhookDelivery


def _later(task, when):
    """`task`, to run at `when` if the backend can wait (the immediate backend cannot:
    tests and laptops run it now, and the work re-checks the clock itself)."""
    if when is not None and task.get_backend().supports_defer:
        return task.using(run_after=when)
    return task


@background_task
def announce(story_id, trigger, summary=None):
    """Decide and record the event of a story's change; enqueue each delivery."""
    # The deliveries' rows are committed by now (webhooks.announce's own transaction);
    # with the database backend each task row is written beside them anyway.
    for delivery in webhooks.announce(story_id, trigger, summary):
        deliver.enqueue(delivery.pk)
    if trigger == webhooks.DUE:
        when = webhooks.still_due(story_id)
        again = _later(announce, when)
        if when is not None and again is not announce:  # never an immediate loop
            again.enqueue(story_id, trigger)


@background_task
def deliver(delivery_id):
    """One attempt of a delivery; a failed one is tried again after its back-off."""
    if webhooks.deliver(delivery_id) is None:
        return
    when = WebhookDelivery.objects.values_list("next_attempt_at", flat=True).get(pk=delivery_id)
    retry = _later(deliver, when)
    if retry is not deliver:  # never an immediate loop against a failing endpoint
        retry.enqueue(delivery_id)


def announce_at(story_id, when):
    """Look at the story again at `when` (it goes public then, by the clock)."""
    _later(announce, when).enqueue(story_id, webhooks.DUE)
