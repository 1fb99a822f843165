"""Live updates in their story's history (django-reversion).

An update is recorded in a revision of its story when it is edited or deleted
(`record_live_change`), so the story's history says who changed which update. It is
not followed by the story's own revisions, and restoring a version of the story
(articles/history.py) writes the story's own fields and rows only: every update stays,
including those posted after that version.
"""

import reversion

from articles.history import stories_for_revisions

from .models import LiveUpdate


def register():
    """Register LiveUpdate with django-reversion (idempotent; from `LiveConfig.ready`)."""
    if not reversion.is_registered(LiveUpdate):
        reversion.register(LiveUpdate)


def record_live_change(update, *, user=None, comment=""):
    """One revision of `update`'s story, with `comment`, holding the update as it is now
    (left out once deleted): editing or deleting an update shows in the story's history.

    The story is recorded as it is (nothing of it changed); `restore` writes back the
    story's own fields and rows only, so restoring this or an older version keeps every
    update, including those posted after it.
    """
    story = stories_for_revisions([update.story_id]).get()
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(comment)
        reversion.add_to_revision(story)
        if update.pk is not None and LiveUpdate.objects.filter(pk=update.pk).exists():
            reversion.add_to_revision(update)
