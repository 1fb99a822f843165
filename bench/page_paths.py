"""The Django side of the benchmark's pages (bench/pages.py names them), run inside the
site's own process by `Site.python(...)`: one URL per page type from the seeded database,
and each page's SQL queries and body size through Django's test client.
"""

import json
import math
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.templatetags.static import static
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from articles.live.models import LiveUpdate
from articles.models import Author, Section, Story
from articles.pagination import cursor_for_page_number
from bench.pages import VARIED_PAGES
from bench.seed import PREFIX

# Updates on the benchmark's live story (issue 16: within the story page's bound).
LIVE_UPDATES = 500
# Demo stories mention Korea, generated ones never do: the result count stays the same
# at every size, so the growth comparison shows whether search scans the table.
SEARCH_QUERY = "korea"


def _story():
    """A public demo story that shows everything: tags, bylines, related headlines, photo."""
    public = Story.objects.published().exclude(slug__startswith=PREFIX)
    rich = public.annotate(
        n_tags=Count("tags", distinct=True),
        n_related=Count("related_headlines", distinct=True),
    ).filter(lead_photo__isnull=False, n_tags__gt=0, n_related__gt=0)
    return rich.order_by("-published_at", "-pk").first() or public.first()


def _story_with_automatic_related():
    """The newest public generated story with tags and no curated related headlines."""
    public = Story.objects.published().filter(slug__startswith=PREFIX)
    chosen = public.filter(related_headlines__isnull=True, tagged_items__isnull=False)
    return chosen.order_by("-published_at", "-pk").first() or _story()


def _live_story():
    """A public live story with `LIVE_UPDATES` updates (made on the first call)."""
    story = Story.objects.published().filter(slug="bench-live-coverage").first()
    if story is None:
        now = timezone.now()
        story = Story.objects.create(
            headline="Election night, live",
            slug="bench-live-coverage",
            dek="Results as they come in, constituency by constituency.",
            section=Section.objects.order_by("pk").first(),
            status=Story.Status.PUBLISHED,
            published_at=now - timedelta(days=1),
            live_started_at=now - timedelta(days=1),
        )
        LiveUpdate.objects.bulk_create(
            LiveUpdate(
                story=story,
                posted_at=now - timedelta(minutes=LIVE_UPDATES - n),
                headline=f"Result {n}" if n % 5 == 0 else "",
                body=f"<p>Constituency {n} declared: a result, then reactions.</p>",
                pinned=n % 50 == 0,
            )
            for n in range(LIVE_UPDATES)
        )
    latest = LiveUpdate.objects.filter(story=story).newest_first().first()
    return story, latest


def benchmark_paths():
    """Page type → path, as JSON, with the number of public stories."""
    story = _story()
    live_story, latest_update = _live_story()
    tag = Tag.objects.annotate(n=Count("taggit_taggeditem_items")).order_by("-n", "name").first()
    section = Section.objects.annotate(n=Count("stories")).order_by("-n", "pk").first()
    author = Author.objects.annotate(n=Count("stories")).order_by("-n", "pk").first()
    stories = Story.objects.published().count()
    last_page = max(1, math.ceil(stories / settings.NEWSROOM["STORIES_PER_PAGE"]))
    latest = reverse("articles:story_list")
    per_page = settings.NEWSROOM["STORIES_PER_PAGE"]
    deep = cursor_for_page_number(Story.objects.published(), per_page, max(2, last_page - 1))
    paths = {
        "home": reverse("articles:home"),
        "home-utm": f"{reverse('articles:home')}?utm_campaign=newsletter",
        "latest": latest,
        # The page next to the last, as "Older stories" links reach it (a keyset
        # cursor, articles/pagination.py); the first page when there is no other.
        "deep": f"{latest}?before={deep}" if deep else latest,
        "story": story.get_absolute_url(),
        # A story with no curated related headlines: its automatic ones, ranked by
        # shared tags (the growth comparison's second story page).
        "story_auto": _story_with_automatic_related().get_absolute_url(),
        "tag": reverse("articles:tag_detail", args=[tag.slug]),
        "section": section.get_absolute_url(),
        "author": author.get_absolute_url(),
        "search": f"{reverse('articles:search')}?q={SEARCH_QUERY}",
        "sitemap": reverse("articles:sitemap", kwargs={"section": "stories"}),
        # Not a page of the main table: the growth comparison's second sitemap.
        "sitemap_index": reverse("articles:sitemap_index"),
        "feed": reverse("articles:feed_rss"),
        "live": live_story.get_absolute_url(),
        # What every open live page asks every 15–30 s: nothing new since its update.
        "live-poll": f"{reverse('articles:live_updates', args=[live_story.slug])}"
        f"?after={latest_update.pk}",
        "api-stories": reverse("api-v1:story_list"),
        "api-story": reverse("api-v1:story_detail", kwargs={"story_id": story.pk}),
        "constant": reverse("bench_constant"),
        "static": static("bench/reference.html"),
    }
    return json.dumps({"paths": paths, "stories": stories})


def measure_pages(paths, cached):
    """Path name → {"queries", "bytes", "status"} for one anonymous request, as JSON."""
    client = Client(HTTP_HOST="127.0.0.1")
    measured = {}
    for name, path in paths.items():
        if cached:
            # Fills the cache: what is measured is a hit (for a page whose requests
            # differ, a hit on what another request stored).
            client.get(path + "-first" if name in VARIED_PAGES else path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        measured[name] = {
            "queries": len(queries),
            "bytes": len(body),
            "status": response.status_code,
        }
    return json.dumps(measured)
