"""Timed changes: no cache, ours or a CDN's, keeps a page past the moment it changes by
itself (a scheduled story, an embargo's end, a pin's start or end, a layout, a banner, a
photo's rights), even a page cached before that change was scheduled."""

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone

from articles.cache import pages
from articles.fronts.banner import Banner
from articles.fronts.defaults import ensure_default_fronts
from articles.fronts.models import Front, Layout, Pin, Zone
from tests.conftest import library_photo, require
from tests.servers import ROOT, Gunicorn, base_env, collect_static, migrated_sqlite
from tests.tiers import SERVER, starts

# Home, latest, feeds and sitemaps: the pages a new story enters.
LISTS = [
    "/",
    "/stories/",
    "/feeds/rss/",
    "/feeds/atom/",
    "/feed.json",
    "/sitemap.xml",
    "/sitemap-stories.xml",
    "/news-sitemap.xml",
]
# The sitemap index names the sitemaps, not the stories.
NAMING_STORIES = [url for url in LISTS if url != "/sitemap.xml"]


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": True, "SECONDS": 300}
    return settings.PAGE_CACHE


def lifetimes(cache_control):
    """{directive: seconds} of a Cache-Control value."""
    parts = {}
    for part in cache_control.split(","):
        name, _, value = part.strip().partition("=")
        parts[name] = int(value) if value else True
    return parts


def assert_ends_by(cache_control, seconds, url=""):
    """No cache may keep the response (stale or not) longer than `seconds` (+1 rounding)."""
    found = lifetimes(cache_control)
    shared = found.get("s-maxage", found.get("max-age", 0)) + found.get("stale-while-revalidate", 0)
    assert found.get("max-age", 0) <= seconds + 1, (url, cache_control, seconds)
    assert shared <= seconds + 1, (url, cache_control, seconds)


def warm(client, url):
    """Cache `url` (a miss, then a hit that announces the full lifetimes); its ETag."""
    client.get(url)
    response = client.get(url)
    assert response["X-Cache"] == "hit", url
    assert lifetimes(response["Cache-Control"])["s-maxage"] == 60, url
    return response["ETag"]


@pytest.mark.parametrize("url", LISTS)
def test_a_page_cached_before_a_story_is_scheduled_is_replayed_ending_at_its_time(
    client, make_story, page_cache, url
):
    make_story("Already out")
    etag = warm(client, url)

    make_story("Coming soon", published_at=timezone.now() + timedelta(seconds=40))

    response = client.get(url)
    assert response["X-Cache"] == "hit"  # still the same page: the story is not out yet
    assert b"Coming soon" not in response.content
    assert_ends_by(response["Cache-Control"], 40, url)
    # A browser revalidating its copy: the 304 says the same.
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and response["X-Cache"] == "hit"
    assert_ends_by(response["Cache-Control"], 40, url)

    later = timezone.now() + timedelta(seconds=41)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = client.get(url)
    assert response["X-Cache"] == "miss"
    if url in NAMING_STORIES:
        assert b"Coming soon" in response.content or b"/coming-soon/" in response.content


def test_a_browsers_own_lifetime_ends_at_the_change_too(client, make_story, page_cache, settings):
    settings.PAGE_CACHE = {**page_cache, "MAX_AGE": 120}  # a site that lets browsers keep pages
    make_story("Already out")
    client.get("/")
    assert lifetimes(client.get("/")["Cache-Control"])["max-age"] == 120

    make_story("Coming soon", published_at=timezone.now() + timedelta(seconds=40))

    response = client.get("/")
    assert response["X-Cache"] == "hit"
    assert lifetimes(response["Cache-Control"])["max-age"] <= 40


def _scheduled_story(make_story, stories, when):
    make_story("Embargoed until soon", embargo_until=when, published_at=when)


def _pin_starting(make_story, stories, when):
    layout = Layout.objects.current_for(None).first()
    zone = layout.zones.filter(kind=Zone.Kind.TOP).first()
    Pin.objects.create(layout=layout, zone=zone, story=stories[-1], starts_at=when)


def _pin_ending(make_story, stories, when):
    layout = Layout.objects.current_for(None).first()
    zone = layout.zones.filter(kind=Zone.Kind.TOP).first()
    Pin.objects.create(layout=layout, zone=zone, story=stories[-1], ends_at=when)


def _layout_going_live(make_story, stories, when):
    Layout.objects.create(front=Front.objects.get(section=None), name="Evening", publish_at=when)


def _banner_starting(make_story, stories, when):
    Banner.objects.create(
        text="Polls close soon",
        level=Banner.Level.ALERT,
        starts_at=when,
        expires_at=when + timedelta(hours=1),
    )


def _banner_ending(make_story, stories, when):
    Banner.objects.create(
        text="Storm warning", level=Banner.Level.BREAKING, starts_at=timezone.now(), expires_at=when
    )


@pytest.mark.parametrize(
    "schedule",
    [
        _scheduled_story,
        _pin_starting,
        _pin_ending,
        _layout_going_live,
        _banner_starting,
        _banner_ending,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_every_kind_of_timed_change_ends_the_lifetime_of_pages_cached_before_it(
    client, make_story, page_cache, schedule
):
    ensure_default_fronts()  # the migration's (a test that flushes removes them)
    stories = [make_story(f"Story {n}") for n in range(6)]
    etags = {url: warm(client, url) for url in ("/", "/stories/", "/feed.json")}

    schedule(make_story, stories, timezone.now() + timedelta(seconds=40))

    for url, etag in etags.items():
        assert_ends_by(client.get(url)["Cache-Control"], 40, url)
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert_ends_by(response["Cache-Control"], 40, url)


def test_a_photos_rights_ending_tonight_ends_the_lifetime_of_the_pages_showing_it(
    client, make_story, page_cache, settings
):
    settings.NEWSROOM = {**settings.NEWSROOM, "HIDE_EXPIRED_PHOTOS": True}
    local = timezone.localtime()
    midnight = timezone.make_aware(
        datetime.combine(local.date() + timedelta(days=1), datetime.min.time())
    )
    before_midnight = midnight - timedelta(seconds=40)
    with mock.patch("django.utils.timezone.now", return_value=before_midnight):
        photo = library_photo(caption="Agency picture", rights_expire_on=None)
        story = make_story("With a picture", lead_photo=photo)
        urls = ("/", story.get_absolute_url(), "/stories/")
        for url in urls:
            warm(client, url)

        # The agency says the picture may be shown until tonight only.
        photo.rights_expire_on = timezone.localdate()
        photo.save()

        for url in urls:
            assert_ends_by(client.get(url)["Cache-Control"], 40, url)


def test_a_lead_photo_whose_rights_end_tonight_ends_the_lifetime_of_the_pages(
    client, make_story, page_cache, settings
):
    settings.NEWSROOM = {**settings.NEWSROOM, "HIDE_EXPIRED_PHOTOS": True}
    local = timezone.localtime()
    midnight = timezone.make_aware(
        datetime.combine(local.date() + timedelta(days=1), datetime.min.time())
    )
    with mock.patch("django.utils.timezone.now", return_value=midnight - timedelta(seconds=40)):
        photo = library_photo(caption="Tonight only", rights_expire_on=timezone.localdate())
        story = make_story("Picture to come")
        urls = ("/", story.get_absolute_url(), "/stories/")
        for url in urls:
            warm(client, url)

        story.lead_photo = photo  # an editor picks it as the lead photo
        story.save()

        for url in urls:
            assert_ends_by(client.get(url)["Cache-Control"], 40, url)


# A render that a schedule overtakes: made on another host while this page renders.
_while_rendering = []


def _schedules_while_rendering(request):
    for step in _while_rendering:
        step()
    return HttpResponse("<p>Rendered</p>")


urlpatterns = [path("overtaken/", pages.cache_public_page(_schedules_while_rendering))]


@pytest.mark.urls(__name__)
def test_a_render_overtaken_by_a_schedule_ends_its_lifetime_at_it(client, make_story, page_cache):
    make_story("Already out")
    when = timezone.now() + timedelta(seconds=40)
    _while_rendering[:] = [lambda: make_story("Coming soon", published_at=when)]
    try:
        response = client.get("/overtaken/")
    finally:
        _while_rendering.clear()
    assert response["X-Cache"] == "miss"
    assert_ends_by(response["Cache-Control"], 40)
    assert_ends_by(client.get("/overtaken/")["Cache-Control"], 40)


# Two hosts: two gunicorn processes sharing one database and one cache.

LEAD = 20  # seconds between scheduling the story and its time

SEED = """
from datetime import timedelta
from django.utils import timezone
from articles.models import Section, Story
section = Section.objects.create(name="Timed", slug="timed")
Story.objects.create(headline="Already on the front page", dek="Out.", body="<p>Out.</p>",
    section=section, status="published", published_at=timezone.now() - timedelta(hours=1))
Story.objects.create(headline="Coming on time", dek="Soon.", body="<p>Soon.</p>",
    section=section, status="draft")
"""

# As an editor's save in the admin does: the same model save and signals, from a third
# process sharing the database and the cache.
SCHEDULE = """
import os
from datetime import UTC, datetime
from articles.models import Story
story = Story.objects.get(headline="Coming on time")
story.status = "published"
story.published_at = datetime.fromtimestamp(float(os.environ["TIMED_MOMENT"]), UTC)
story.save()
"""


def _shell(env, code):
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
@starts(SERVER)
def static_root(tmp_path_factory):
    return collect_static(tmp_path_factory.mktemp("timed-static"))


@pytest.fixture
@starts(SERVER)
def two_hosts_env(tmp_path):
    """(DATABASE_URL, cache settings) two hosts share: the suite's PostgreSQL database
    and Redis on PostgreSQL, else a SQLite file and one cache folder."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        require(os.environ.get("REDIS_URL"), "REDIS_URL: a Redis server shared by the hosts")
        from tests.servers import shared_database_url

        # Its own key prefix: nothing another test left in Redis is taken for ours.
        prefix = f"timed-{tmp_path.name}"
        return shared_database_url(), {
            "REDIS_URL": os.environ["REDIS_URL"],
            "CACHE_KEY_PREFIX": prefix,
        }
    return migrated_sqlite(tmp_path), {
        "REDIS_URL": "",
        "NEWSROOM_LOCAL_CACHE": "file",
        "NEWSROOM_CACHE_DIR": str(tmp_path / "cache"),
    }


@pytest.mark.django_db(transaction=True)  # on PostgreSQL the hosts see committed rows
def test_two_hosts_end_every_lifetime_by_a_story_scheduled_while_pages_are_cached(
    two_hosts_env, static_root
):
    database_url, cache_env = two_hosts_env
    env = base_env(DATABASE_URL=database_url, STATIC_ROOT=static_root, **cache_env)
    _shell(env, SEED)
    hosts = [
        Gunicorn(database_url=database_url, static_root=static_root, workers=1, **cache_env)
        for _ in range(2)
    ]
    with hosts[0], hosts[1]:
        for host in hosts + hosts:
            for url in LISTS:
                status, headers, body = host.get(url)
                assert status == 200 and b"Coming on time" not in body, url
        assert headers["X-Cache"] == "hit"
        assert lifetimes(headers["Cache-Control"])["s-maxage"] == 60

        moment = time.time() + LEAD
        _shell({**env, "TIMED_MOMENT": str(moment)}, SCHEDULE)

        answers, hits = 0, 0
        while time.time() < moment - 1.5:
            for host in hosts:
                for url in LISTS:
                    asked = time.time()
                    status, headers, body = host.get(url)
                    assert status == 200 and b"Coming on time" not in body, url
                    assert_ends_by(headers["Cache-Control"], moment - asked, url)
                    answers += 1
                    hits += headers["X-Cache"] == "hit"
            # Readers come and go: a round every quarter second, not a busy loop that
            # takes the cores from the rest of the suite for the whole lead.
            time.sleep(0.25)
        assert answers > 2 * len(LISTS) and hits > len(LISTS)  # hits (replays) included

        time.sleep(max(0, moment + 0.5 - time.time()))
        for host in hosts:
            for url in NAMING_STORIES:
                status, headers, body = host.get(url)
                shown = b"Coming on time" in body or b"/coming-on-time/" in body
                assert status == 200 and shown, (url, headers["X-Cache"])
