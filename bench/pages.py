"""What the benchmark drives, worked out inside Django (`Site.python(...)`).

`benchmark_paths()` picks one URL per page type from the seeded database, plus the two
references. `home-utm` is the front page as newsletters and social networks link it:
wrk gives every request its own `utm_campaign` (`LUA`), and with the cache on it must
match the plain front page (tracking parameters are not part of the page's key).
`measure_pages(paths)` makes one request per page with Django's test client and
reports its SQL queries and body size (the cache-on figure is a cache hit: the request
after a first one that filled the cache).

The module itself imports no Django, so `bench.run` can read the page names.
"""

import json
import math

# Page types in table order; the two references come last.
PAGES = (
    "home",
    "home-utm",
    "latest",
    "deep",
    "story",
    "tag",
    "section",
    "author",
    "search",
    "sitemap",
    "feed",
    "live",
    "live-poll",
)
REFERENCES = ("constant", "static")
# Pages measured with the page cache on only: what they show is how the cache keys them.
CACHE_ON_ONLY = ("home-utm",)
# A random utm_campaign per request (a counter makes each one new): wrk's request()
# hook, appended to bench.wrk's reporting script.
RANDOM_UTM_LUA = r"""
local sent = 0
math.randomseed(os.time())

function request()
  sent = sent + 1
  local campaign = string.format("utm_campaign=%d-%d", math.random(1000000000), sent)
  local path = wrk.path:gsub("utm_campaign=[^&]*", campaign)
  return wrk.format(nil, path)
end
"""
# A reader's page asking whether a live story has news, as static/js/live.js does: the
# first answer's ETag goes back as If-None-Match, so every later answer is a 304.
IF_NONE_MATCH_LUA = r"""
local report_response = response
local held_etag = nil

function request()
  if held_etag then
    return wrk.format(nil, nil, {["If-None-Match"] = held_etag})
  end
  return wrk.format(nil)
end

function response(status, headers, body)
  report_response(status, headers, body)
  if status == 200 then
    held_etag = headers["ETag"] or headers["etag"]
  end
end
"""
# Page → Lua for wrk, for pages whose requests are not all the same.
LUA = {"home-utm": RANDOM_UTM_LUA, "live-poll": IF_NONE_MATCH_LUA}
# Pages whose every request differs (a new query string): the cache is filled by another.
VARIED_PAGES = ("home-utm",)
# Pages whose answer is meant to be 304 Not Modified (not counted as errors).
NOT_MODIFIED_PAGES = ("live-poll",)
# Updates on the benchmark's live story (issue 16: within the story page's bound).
LIVE_UPDATES = 500
# Demo stories mention Korea, generated ones never do: the result count stays the same
# at every size, so the growth comparison shows whether search scans the table.
SEARCH_QUERY = "korea"


def _story():
    """A public demo story that shows everything: tags, bylines, related headlines, photo."""
    from django.db.models import Count

    from articles.models import Story
    from bench.seed import PREFIX

    public = Story.objects.published().exclude(slug__startswith=PREFIX)
    rich = public.annotate(
        n_tags=Count("tags", distinct=True),
        n_related=Count("related_headlines", distinct=True),
    ).filter(lead_photo__isnull=False, n_tags__gt=0, n_related__gt=0)
    return rich.order_by("-published_at", "-pk").first() or public.first()


def _story_with_automatic_related():
    """The newest public generated story with tags and no curated related headlines."""
    from articles.models import Story
    from bench.seed import PREFIX

    public = Story.objects.published().filter(slug__startswith=PREFIX)
    chosen = public.filter(related_headlines__isnull=True, tagged_items__isnull=False)
    return chosen.order_by("-published_at", "-pk").first() or _story()


def _live_story():
    """A public live story with `LIVE_UPDATES` updates (made on the first call)."""
    from datetime import timedelta

    from django.utils import timezone

    from articles.live.models import LiveUpdate
    from articles.models import Section, Story

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
    from django.conf import settings
    from django.db.models import Count
    from django.templatetags.static import static
    from django.urls import reverse
    from taggit.models import Tag

    from articles.models import Author, Section, Story
    from articles.pagination import cursor_for_page_number

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
        "constant": reverse("bench_constant"),
        "static": static("bench/reference.html"),
    }
    return json.dumps({"paths": paths, "stories": stories})


def measure_pages(paths, cached):
    """Path name → {"queries", "bytes", "status"} for one anonymous request, as JSON."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

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
