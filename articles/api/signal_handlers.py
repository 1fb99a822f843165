"""What a change of a story tells partners (webhooks), connected by `connect()` from
ApiConfig.ready().

A handler only notes which stories changed and how (saved, deleted, killed by the
agency); once the transaction commits, one `tasks.announce` per story is enqueued and
the worker decides the event (articles/api/webhooks.py). The editor's save writes at
most a task row and never waits on a partner. Notes are gathered per transaction, so
an agency's kill (the story unpublished, then its wire item saved, in one transaction)
is announced once, as a kill rather than as an unpublishing.

A story that goes public later by itself (scheduled, or held by an embargo) has no
save at that moment: its save enqueues an `announce` to run at its publication time.
"""

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_save, pre_delete

from articles.models import Story

from . import tasks, webhooks

_BATCH = "_newsroom_webhook_batch"
# The strongest trigger noted for a story in one transaction wins.
_RANK = {webhooks.SAVED: 0, webhooks.DELETED: 1, webhooks.KILLED: 2}


class _Batch:
    def __init__(self, using):
        self.using = using
        self.stories = {}  # story id -> (trigger, summary)
        self.timed = {}  # story id -> when it goes public

    def note(self, story_id, trigger, summary=None):
        known = self.stories.get(story_id)
        if known is None or _RANK[trigger] >= _RANK[known[0]]:
            self.stories[story_id] = (trigger, summary or (known[1] if known else None))

    def flush(self):
        connection = transaction.get_connection(self.using)
        if getattr(connection, _BATCH, None) is self:
            delattr(connection, _BATCH)
        for story_id, (trigger, summary) in self.stories.items():
            tasks.announce.enqueue(story_id, trigger, summary)
        for story_id, when in self.timed.items():
            tasks.announce_at(story_id, when)


def _batch(using):
    """This transaction's notes; a new batch, flushed on commit, if none is pending."""
    connection = transaction.get_connection(using)
    batch = getattr(connection, _BATCH, None)
    # A batch whose transaction was rolled back is gone from run_on_commit: start anew.
    pending = batch is not None and any(
        entry[1] == batch.flush for entry in connection.run_on_commit
    )
    if not pending:
        batch = _Batch(using)
        if connection.in_atomic_block:
            setattr(connection, _BATCH, batch)
            transaction.on_commit(batch.flush, using=using, robust=True)
    return batch


def _run_now_unless_atomic(batch, using):
    # Outside a transaction (autocommit) the change is already committed.
    if not transaction.get_connection(using).in_atomic_block:
        batch.flush()


def story_saved(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    # Raw saves too: reverting to an unpublished version is one (the worker compares
    # the story with what partners were told, so a restore that changes nothing is no
    # news).
    batch = _batch(using)
    batch.note(instance.pk, webhooks.SAVED)
    # Going public by itself later (scheduled, or when its embargo lifts).
    if instance.is_scheduled:
        batch.timed[instance.pk] = instance.published_at
    _run_now_unless_atomic(batch, using)


def story_deleting(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    if not instance.is_public:
        return  # partners never knew of it
    batch = _batch(using)
    batch.note(instance.pk, webhooks.DELETED, webhooks.story_summary(instance))
    _run_now_unless_atomic(batch, using)


def wire_item_saved(sender, instance, raw=False, using=DEFAULT_DB_ALIAS, **kwargs):
    """The agency's kill: the story made from the item was unpublished."""
    if raw or instance.attention != type(instance).Attention.KILLED or not instance.story_id:
        return
    batch = _batch(using)
    batch.note(instance.story_id, webhooks.KILLED)
    _run_now_unless_atomic(batch, using)


def connect():
    post_save.connect(story_saved, sender=Story, dispatch_uid="api.webhooks.story_saved")
    pre_delete.connect(story_deleting, sender=Story, dispatch_uid="api.webhooks.story_deleting")
    # By label: this app sits in the story core's room (bench/structure.py) and may not
    # import a desk; the wire desk's items are only listened to.
    post_save.connect(
        wire_item_saved, sender="wire.WireItem", dispatch_uid="api.webhooks.wire_kill"
    )
