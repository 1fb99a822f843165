"""A live story's updates as readers get them: pages of them, and the poll's changes."""

from datetime import UTC, datetime, timedelta

from django.conf import settings

from .models import LiveUpdate, LiveUpdateRemoval

# Key events listed in a live page's summary.
KEY_EVENTS_SHOWN = 10
# Updates one poll answer carries at most (a reader away for longer reloads).
POLL_UPDATES_MAX = 50


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
