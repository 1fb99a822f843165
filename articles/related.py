"""Automatic related headlines: ranking each story's list of public stories sharing its
tags, when stories change (connected from articles/signal_handlers.py), never when a page
is read.
"""

import contextlib
import contextvars

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from taggit.models import TaggedItem

from .models import Story, StoryRelation

# ------------------------------------------------- automatic related headlines
#
# A story with no curated related headlines shows the public stories that share most of
# its tags, newest first. Ranking them reads every story carrying those tags (tens of
# thousands for a busy tag), so it is done when stories change, not when a page is
# read: each story keeps its ranked list in StoryRelation, and its page reads it with
# one indexed query (Story.automatic_related), filtered through published() then.


def related_kept():
    """Stories kept per list: twice what a page shows, so that some may go private
    (unpublished, rescheduled) and the page still shows a full list until the next
    refresh."""
    return 2 * settings.NEWSROOM["RELATED_HEADLINES_AUTO"]


# When a story is published, retagged or unpublished, the lists of this many of the
# newest stories sharing a tag with it take it in (or drop it) at once. Older stories'
# lists drop it at once too (they name it), but take a newly published story in only
# when they are ranked again (their own next change, or `rebuild_related_stories`).
RELATED_NEIGHBOURS = 200


def _story_tags(story_ids):
    """{story pk: set of tag pks} for `story_ids`, in one query."""
    tags = {pk: set() for pk in story_ids}
    rows = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Story), object_id__in=list(story_ids)
    ).values_list("object_id", "tag_id")
    for story_id, tag_id in rows:
        tags[story_id].add(tag_id)
    return tags


def _ranked_for(story_pk, tag_ids):
    """[(pk, shared tags, published_at)] of the stories `story_pk`'s list should hold.

    Candidates are published stories, scheduled ones included: they are ranked before
    they go live and shown from that moment (the page filters with published()).
    """
    if not tag_ids:
        return []
    return list(
        Story.objects.filter(status=Story.Status.PUBLISHED)
        .sharing_tags_with(Story(pk=story_pk), tag_ids)
        .values_list("pk", "shared_tags", "published_at")[: related_kept()]
    )


def _newest_sharing(story_pk, tag_ids):
    """The newest published stories carrying any of `tag_ids` (`RELATED_NEIGHBOURS`)."""
    if not tag_ids:
        return []
    tagged = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Story), tag_id__in=tag_ids
    ).values("object_id")
    return list(
        Story.objects.filter(status=Story.Status.PUBLISHED, pk__in=tagged)
        .exclude(pk=story_pk)
        .order_by("-published_at", "-pk")
        .values_list("pk", flat=True)[:RELATED_NEIGHBOURS]
    )


# Sent with `story_ids` after their lists of automatic related stories were rewritten:
# those stories' pages show something else now (for a cache that purges by story).
related_lists_changed = Signal()


def _replace_lists(lists, attempts=3):
    """Write {story pk: [(related pk, shared tags, …)]} over those stories' lists."""
    if not lists:
        return
    relations = [
        StoryRelation(story_id=story_pk, related_id=row[0], shared_tags=row[1], rank=rank)
        for story_pk, rows in lists.items()
        for rank, row in enumerate(rows)
    ]
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                StoryRelation.objects.filter(story__in=list(lists)).delete()
                StoryRelation.objects.bulk_create(relations, batch_size=1000)
            break
        except IntegrityError:
            # Two saves rewrote one list at once (stories sharing tags, saved together):
            # the other committed first. Its rows are visible now; write over them. The
            # list may miss the other save's story until its next ranking.
            if attempt == attempts - 1:
                raise
    related_lists_changed.send(sender=StoryRelation, story_ids=set(lists))


def _rank_key(row):
    """(shared tags, publication time, pk) of a (pk, shared tags, published_at) row."""
    related_pk, shared, published_at = row
    return shared, published_at.timestamp() if published_at else 0.0, related_pk


# While set (a set of pks), refreshes are collected rather than run: see `batched_related`.
_batched = contextvars.ContextVar("newsroom_related_batch", default=None)


@contextlib.contextmanager
def batched_related():
    """Collect the refreshes of many writes (an import, a bulk action) and run them
    once at the end, so a story saved and then retagged is ranked once."""
    if _batched.get() is not None:
        yield  # an outer batch runs them
        return
    token = _batched.set(set())
    try:
        yield
        pending = _batched.get()
    finally:
        _batched.reset(token)
    refresh_related_stories(pending)


def refresh_related_stories(story_ids):
    """Rank again after `story_ids` changed (saved, published, unpublished, retagged).

    Each changed story's own list is ranked afresh. The lists of the stories that name
    a changed story, and of the newest `RELATED_NEIGHBOURS` sharing a tag with it, are
    merged instead: the changed story is taken out and, while it is published and still
    shares tags with them, put back at its new place; no list is ranked from scratch.
    A constant number of queries plus one ranking per changed story.
    """
    changed = set(story_ids)
    batch = _batched.get()
    if batch is not None:
        batch.update(changed)
        return
    if not changed:
        return
    tags = _story_tags(changed)
    published = dict(
        Story.objects.filter(pk__in=changed, status=Story.Status.PUBLISHED).values_list(
            "pk", "published_at"
        )
    )
    lists = {pk: _ranked_for(pk, tags[pk]) for pk in changed}
    neighbours = set(
        StoryRelation.objects.filter(related__in=changed).values_list("story", flat=True)
    )
    for pk in published:
        neighbours.update(_newest_sharing(pk, tags[pk]))
    neighbours -= changed
    if neighbours:
        tags.update(_story_tags(neighbours))
        current = {pk: [] for pk in neighbours}
        rows = (
            StoryRelation.objects.filter(story__in=neighbours)
            .order_by("story", "rank")
            .values_list("story", "related", "shared_tags", "related__published_at")
        )
        for story_pk, *row in rows:
            current[story_pk].append(tuple(row))
        for story_pk, rows in current.items():
            merged = [row for row in rows if row[0] not in changed]
            for pk, published_at in published.items():
                shared = len(tags[pk] & tags[story_pk])
                if shared:
                    merged.append((pk, shared, published_at))
            merged.sort(key=_rank_key, reverse=True)
            merged = merged[: related_kept()]
            if merged != rows:
                lists[story_pk] = merged
    _replace_lists(lists)


def rebuild_related_stories(batch_size=500, progress=None, stories=None):
    """Rank every story's list (or those of the `stories` queryset) from scratch.

    For an upgrade or a bulk import. One ranking query per story that has tags.
    `progress(done, total)` is called after each batch. Returns the number of stories.
    """
    stories = Story.objects.all() if stories is None else stories
    pks = list(stories.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), batch_size):
        batch = pks[start : start + batch_size]
        tags = _story_tags(batch)
        with transaction.atomic():
            _replace_lists({pk: _ranked_for(pk, tags[pk]) for pk in batch})
        if progress is not None:
            progress(start + len(batch), len(pks))
    return len(pks)


def refresh_related_on_retag(sender, instance, action, pk_set=None, **kwargs):
    """A story's tags changed (admin, importer, shell): its lists change with them."""
    changed = (action in ("post_add", "post_remove") and pk_set) or action == "post_clear"
    if changed and isinstance(instance, Story):
        refresh_related_stories([instance.pk])


def refresh_related_on_visibility(sender, story_ids, **kwargs):
    """A story new, published, unpublished or moved in time (`Story.save`)."""
    refresh_related_stories(story_ids)
