"""Live coverage's public pages: its part of the story page, the poll, an update's link.

The story page itself is the core's (articles/views.py StoryDetailView); it asks
`live_context` for a live story's updates (registered in articles/extensions.py).
"""

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string

from articles import cache
from articles.cache import names, pages
from articles.models import Story

from . import coverage
from .models import LiveUpdate


def live_context(view, story):
    """A live story's part of its page (articles/extensions.py): a page of its updates,
    the key events, the latest time; None for a story not covered live.

    Three queries for the page and its bylines, one for the key events, whatever
    the number of updates (`?before=<id>`: the page below that update).
    """
    if not story.is_live_coverage:
        return None
    before = view.request.GET.get("before")
    updates, older = coverage.live_page(story, int(before) if before else None)
    if updates is None:
        raise Http404("No such update.")
    key_events = list(
        LiveUpdate.objects.filter(story=story, pinned=True)
        .newest_first()
        .only("pk", "story_id", "headline", "body", "posted_at")[: coverage.KEY_EVENTS_SHOWN]
    )
    if before is None:
        latest = updates[0] if updates else None
    else:
        latest = LiveUpdate.objects.filter(story=story).newest_first().first()
    polls = story.is_live and before is None and not view.is_preview
    # Their photos: a photo leaving public pages (its rights ended) purges its tag.
    cache.depends_on(*(names.photo(update.photo_id) for update in updates if update.photo_id))
    # Read by story_json_ld (liveBlogUpdate: the updates on this page).
    story.live_page_updates = updates
    story.live_latest_at = latest.posted_at if latest else None
    return {
        "cache_tags": {names.live(story.pk)},
        "live_updates": updates,
        "live_older": older,
        "live_is_first_page": before is None,
        "live_key_events": key_events,
        "live_latest": latest,
        "live_polls": polls,
        # The last change this page shows: its script asks for edits and deletions
        # since then (articles/live/coverage.py).
        "live_since": coverage.last_change(story.pk) if polls else 0,
        "live_poll_ms": settings.NEWSROOM["LIVE_POLL_SECONDS"] * 1000,
        "live_jitter_ms": settings.NEWSROOM["LIVE_POLL_JITTER"] * 1000,
    }


def live_update_permalink(request, slug, update_id):
    """`/stories/<slug>/updates/<id>/`: the story's page that shows the update, opened at
    it (a redirect to `?before=…#update-<id>`). Public stories only."""
    if update_id >= 2**63:  # past any id: PostgreSQL would refuse the comparison
        raise Http404("No such update.")
    story = get_object_or_404(
        Story.objects.published().filter(live_started_at__isnull=False).only("pk", "slug"),
        slug=slug,
    )
    cache.depends_on(names.live(story.pk), names.story(story.pk))
    update = get_object_or_404(LiveUpdate.objects.filter(story=story), pk=update_id)
    before = coverage.page_holding(update)
    query = f"?before={before}" if before else ""
    return HttpResponseRedirect(f"{story.get_absolute_url()}{query}#{update.anchor}")


def live_updates_poll(request, slug):
    """`/stories/<slug>/updates/?after=<id>&since=<stamp>`: what a live page's script
    asks every poll.

    A small JSON answer, the same for every reader at the same point (cached under
    `live:<pk>`, so an unchanged answer is a 304 from the page cache, no SQL): whether
    the coverage is still live, the newest update's id, the updates after `after`,
    newest first, as the HTML the page shows them in; and, since `since` (the stamp
    of the last change the page has seen, articles/live/coverage.py), the updates edited
    (`changed`, their new HTML) and the ids of those deleted (`removed`), with the
    stamp to ask from next. Drafts and scheduled stories answer 404 like their pages.
    """
    after = request.GET.get("after", "0")
    since = request.GET.get("since", "")
    if not after.isdecimal() or len(after) > 18 or not _stamp_like(since):
        raise Http404("No such update.")
    story = get_object_or_404(
        Story.objects.published()
        .filter(live_started_at__isnull=False)
        .only("pk", "slug", "live_started_at", "live_ended_at"),
        slug=slug,
    )
    cache.depends_on(names.live(story.pk), names.story(story.pk))
    limit = coverage.POLL_UPDATES_MAX
    after = int(after)
    wanted = Q(pk__gt=after)
    if since:
        # One query for the new and the edited: the edited are a range of the
        # (story, updated_at) index.
        wanted |= Q(updated_at__gt=coverage.moment_of(int(since)) - coverage.CHANGE_MARGIN)
    rows = list(LiveUpdate.objects.filter(story=story).filter(wanted).for_page()[: 2 * limit + 1])
    updates = [update for update in rows if update.pk > after]
    cache.depends_on(*(names.photo(update.photo_id) for update in rows if update.photo_id))
    changed = [update for update in rows if update.pk <= after][:limit]
    newest = max((update.pk for update in updates), default=after)

    def item(update):
        return {
            "id": update.pk,
            "pinned": update.pinned,
            "html": render_to_string(
                "includes/live_update.html", {"update": update, "story": story}
            ),
        }

    response = JsonResponse(
        {
            "live": story.is_live,
            "latest": newest,
            "more": len(updates) > limit,
            "updates": [item(update) for update in updates[:limit]],
            "changed": [item(update) for update in changed],
            "removed": coverage.removed_since(story.pk, int(since)) if since else [],
            "since": coverage.last_change(story.pk),
        }
    )
    if not settings.PAGE_CACHE["PURGE_HOOK"]:
        # A CDN that is not told of new updates keeps the answer at most one interval
        # (revalidation grace included): readers behind it are one poll late, not 90 s.
        setattr(response, pages.SHARED_MAX_ATTRIBUTE, settings.NEWSROOM["LIVE_POLL_SECONDS"])
    return response


def _stamp_like(value):
    return value == "" or (value.isdecimal() and len(value) <= 18)
