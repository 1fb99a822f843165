"""The page cache: fast for anonymous readers, never stale, never private."""

import os
import re
from datetime import timedelta
from html import unescape
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import path, reverse
from django.utils import timezone

from articles.cache import backends, keys, local, pages, purge, tags
from articles.models import RelatedHeadline, Story
from tests.conftest import require
from tests.servers import TcpProxy


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": True, "SECONDS": 300}
    return settings.PAGE_CACHE


def cache_control(response):
    parts = {}
    for part in response["Cache-Control"].split(","):
        name, _, value = part.strip().partition("=")
        parts[name] = int(value) if value else True
    return parts


PUBLIC_URLS = [
    "/",
    "/stories/",
    "/search/?q=story",
    "/feeds/rss/",
    "/feeds/atom/",
    "/feed.json",
    "/sitemap.xml",
    "/news-sitemap.xml",
    "/robots.txt",
]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_page_hit_costs_no_query(
    client, make_story, page_cache, url, django_assert_num_queries
):
    make_story("Cached story", tags=["politics"])
    first = client.get(url)
    assert first.status_code == 200
    assert first["X-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get(url)
    assert second["X-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    control = cache_control(second)
    assert control["public"] is True
    # Browsers revalidate every time (max-age=0); a CDN may keep the page a while.
    assert control["max-age"] == 0 and control["s-maxage"] > 0
    assert "stale-while-revalidate" in control
    assert "Cookie" in second["Vary"]
    assert "Set-Cookie" not in second


def test_story_section_tag_and_author_pages_are_cached(client, make_story, make_author, page_cache):
    author = make_author()
    story = make_story(authors=[author], tags=["Seoul"])
    for url in (
        story.get_absolute_url(),
        story.section.get_absolute_url(),
        "/tags/seoul/",
        author.get_absolute_url(),
    ):
        assert client.get(url)["X-Cache"] == "miss"
        assert client.get(url)["X-Cache"] == "hit", url


def test_etag_and_304(client, make_story, page_cache):
    make_story()
    response = client.get("/")
    etag = response["ETag"]
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    fresh = client.get("/")  # a hit carries the same ETag
    assert fresh["ETag"] == etag


def test_publishing_editing_and_unpublishing_show_at_once(client, make_story, page_cache):
    story = make_story("Original headline")
    assert b"Original headline" in client.get("/").content
    story.headline = "Edited headline"
    story.save()
    assert b"Edited headline" in client.get("/").content
    draft = make_story("Brand new story", status=Story.Status.DRAFT)
    assert b"Brand new story" not in client.get("/").content
    draft.status = Story.Status.PUBLISHED
    draft.save()
    assert b"Brand new story" in client.get("/").content
    story.delete()
    assert b"Edited headline" not in client.get("/").content


def test_section_tag_byline_and_related_edits_invalidate(
    client, make_story, make_author, page_cache
):
    author = make_author(name="Kim Min-ji")
    target = make_story("Linked target")
    story = make_story("Main story", authors=[author], tags=["Seoul"])
    url = story.get_absolute_url()
    client.get(url)

    section = story.section
    section.name = "Renamed section"
    section.save()
    assert b"Renamed section" in client.get(url).content

    author.name = "Lee Ji-eun"
    author.save()
    assert b"Lee Ji-eun" in client.get(url).content

    story.tags.add("Busan")
    assert b"Busan" in client.get(url).content

    RelatedHeadline.objects.create(story=story, target=target, order=0)
    assert b"Linked target" in client.get(url).content

    second = make_author(name="Park Seo-yeon")
    story.authors.add(second, through_defaults={"order": 5})
    assert b"Park Seo-yeon" in client.get(url).content


def test_admin_bulk_actions_invalidate(client, admin_client, make_story, page_cache):
    # admin_client has a session cookie; readers use the plain `client`.
    from django.test import Client

    reader = Client()
    story = make_story("Bulk story")
    assert b"Bulk story" in reader.get("/").content
    changelist = reverse("admin:articles_story_changelist")
    admin_client.post(changelist, {"action": "unpublish", "_selected_action": [story.pk]})
    assert Story.objects.get(pk=story.pk).status == Story.Status.DRAFT
    assert b"Bulk story" not in reader.get("/").content
    admin_client.post(changelist, {"action": "publish", "_selected_action": [story.pk]})
    assert b"Bulk story" in reader.get("/").content


def test_import_invalidates(client, page_cache, tmp_path, section):
    client.get("/")
    path = tmp_path / "imported.txt"
    path.write_text("Imported headline for the cache\nA paragraph.\n", encoding="utf-8")
    call_command("import_stories", str(path), "--status", "published", "--section", "nation")
    assert b"Imported headline for the cache" in client.get("/").content


def test_tags_are_purged_again_after_commit_once_per_transaction(make_story, page_cache):
    from django.db import connection

    state = tags.state_cache()
    before = state.get(tags.tag_key("list:latest"))
    one = make_story(tags=["one"])
    two = make_story(tags=["two"])
    latest = state.get(tags.tag_key("list:latest"))
    assert latest != before  # at once, for the writer's next request
    pending = [cb for _, cb, *_ in connection.run_on_commit if isinstance(cb, tags._AfterCommit)]
    assert len(pending) == 1  # and once after commit, however many signals
    assert {"list:latest", f"story:{one.pk}", f"story:{two.pk}"} <= pending[0].tags
    pending[0]()
    assert state.get(tags.tag_key("list:latest")) != latest


def test_scheduled_story_caps_cache_lifetime(client, make_story, page_cache):
    make_story("Already out")
    make_story(
        "Coming soon",
        status=Story.Status.PUBLISHED,
        published_at=timezone.now() + timedelta(seconds=40),
    )
    response = client.get("/")
    assert b"Coming soon" not in response.content
    control = cache_control(response)
    assert control["max-age"] <= 40 and control["s-maxage"] <= 40
    assert control["s-maxage"] + control["stale-while-revalidate"] <= 40
    cache.clear()  # pages and fragments; the tag versions (in the state cache) stay
    local.pages.clear()
    with mock.patch.object(pages, "cache", wraps=cache) as spy:
        client.get("/")
    page_sets = [c for c in spy.set.call_args_list if "newsroom:page:" in c.args[0]]
    assert page_sets and page_sets[0].kwargs["timeout"] <= 40


def test_scheduled_story_appears_on_time(client, make_story, page_cache):
    make_story("Already out")
    soon = timezone.now() + timedelta(seconds=30)
    make_story("Coming soon", status=Story.Status.PUBLISHED, published_at=soon)
    assert b"Coming soon" not in client.get("/").content
    assert client.get("/")["X-Cache"] == "hit"
    later = soon + timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = client.get("/")
    assert response["X-Cache"] == "miss"
    assert b"Coming soon" in response.content


def test_staff_never_get_or_fill_the_cache(editor_client, make_story, page_cache):
    from django.test import Client

    client = Client()
    story = make_story("Staff story")
    reader_page = client.get("/")
    assert reader_page["X-Cache"] == "miss"
    staff_page = editor_client.get("/")
    assert "X-Cache" not in staff_page
    assert staff_page["Cache-Control"] == "private, no-store"
    draft = make_story("Secret draft", status=Story.Status.DRAFT)
    preview = editor_client.get(draft.get_absolute_url())
    assert preview.status_code == 200 and preview["Cache-Control"] == "private, no-store"
    # The reader still gets a 404 for the draft, not the staff preview.
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(story.get_absolute_url()).status_code == 200


def test_404_and_redirects_are_cached_but_errors_are_not(client, make_story, page_cache):
    assert client.get("/stories/nothing-here/").status_code == 404
    assert client.get("/stories/nothing-here/")["X-Cache"] == "hit"
    story = make_story("Old name")
    old = story.get_absolute_url()
    story.slug = "new-name"
    story.save()
    assert client.get(old).status_code == 301
    again = client.get(old)
    assert again.status_code == 301 and again["Location"] == "/stories/new-name/"
    assert again["X-Cache"] == "hit"
    # A 404 for a draft becomes the story once it is published.
    draft = make_story("Later", status=Story.Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    draft.status = Story.Status.PUBLISHED
    draft.save()
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_cache_off_by_setting(client, make_story, settings, django_assert_max_num_queries):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    make_story()
    client.get("/")
    response = client.get("/")
    assert response["X-Cache"] == "miss"
    assert cache_control(response)["public"] is True


def test_a_hit_carries_the_security_headers_of_the_page(client, make_story, page_cache):
    make_story()
    miss = client.get("/")
    hit = client.get("/")
    assert hit["X-Cache"] == "hit"
    for header in (
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "Content-Type",
        "ETag",
    ):
        assert hit[header] == miss[header], header
    assert "script-src 'self'" in hit["Content-Security-Policy"]
    assert hit["X-Frame-Options"] == "DENY"


def test_a_hit_answers_if_none_match_with_304(client, make_story, page_cache):
    make_story()
    etag = client.get("/")["ETag"]
    assert client.get("/")["X-Cache"] == "hit"
    revalidated = client.get("/", headers={"If-None-Match": etag})
    assert revalidated.status_code == 304
    assert revalidated.content == b""
    assert revalidated["ETag"] == etag
    assert "public" in revalidated["Cache-Control"]
    changed = client.get("/", headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.content


def test_a_304_from_a_hit_matches_any_listed_or_weak_etag_and_keeps_vary(
    client, make_story, page_cache
):
    make_story()
    etag = client.get("/")["ETag"]
    assert client.get("/")["X-Cache"] == "hit"
    for sent in (f'"older", {etag}', f"W/{etag}", "*"):
        revalidated = client.get("/", headers={"If-None-Match": sent})
        assert revalidated.status_code == 304, sent
        assert revalidated["ETag"] == etag
        assert "Cookie" in revalidated["Vary"]
        assert revalidated["X-Cache"] == "hit"


def test_a_checked_copy_is_trusted_until_a_purge_even_in_a_new_state_cache(
    client, make_story, page_cache
):
    """A state cache that never saw a purge (a fresh Redis, a new host) still lets a hit
    skip its tags: it reads the two small keys, not one version per story shown."""
    make_story("First")
    make_story("Second")
    tags.state_cache().clear()
    local.pages.clear()
    assert client.get("/")["X-Cache"] == "miss"
    assert client.get("/")["X-Cache"] == "hit"  # checks the copy's tags once
    state = tags.state_cache()
    with mock.patch.object(state, "get_many", wraps=state.get_many) as reads:
        assert client.get("/")["X-Cache"] == "hit"
    assert [len(call.args[0]) for call in reads.call_args_list] == [2]


def test_a_page_stored_by_an_older_release_is_rendered_again(client, make_story, page_cache):
    """An operator who keeps NEWSROOM_BUILD_ID across a deploy still gets pages, never a
    500 from an entry in the previous release's form (headers as a list of pairs)."""
    make_story("Still here")
    client.get("/")
    key = keys.page_key(client.get("/").wsgi_request)
    status, headers, content, expires_at, stamp, *rest = cache.get(key)
    cache.set(key, (status, list(headers.values()), content, expires_at, stamp, *rest))
    local.pages.clear()
    response = client.get("/")
    assert response.status_code == 200 and b"Still here" in response.content
    assert response["X-Cache"] == "miss"


def test_a_revalidation_on_a_miss_is_not_stored(client, make_story, page_cache):
    make_story()
    etag = client.get("/")["ETag"]
    cache.clear()
    local.pages.clear()
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304
    full = client.get("/")
    assert full.status_code == 200 and b"Story number" in full.content


def test_a_hit_in_another_process_still_sees_an_edit(client, make_story, page_cache):
    story = make_story("Before the edit")
    assert client.get("/")["X-Cache"] == "miss"
    assert client.get("/")["X-Cache"] == "hit"  # now in this process's copy too
    # Another worker publishes the edit: only the shared tag versions move.
    Story.objects.filter(pk=story.pk).update(headline="After the edit")
    purge({f"story:{story.pk}"})
    assert b"After the edit" in client.get("/").content


@pytest.fixture
def redis_down(settings):
    """A Redis cache at an address where nothing listens (connection refused)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "articles.cache.backends.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    local.pages.clear()


def test_pages_are_served_while_redis_is_down(
    client, make_story, make_author, page_cache, redis_down
):
    author = make_author(name="Kim Min-ji")
    story = make_story("Served without a cache", authors=[author], tags=["Seoul"])
    for url in (
        "/",
        story.get_absolute_url(),
        "/tags/seoul/",
        author.get_absolute_url(),
        "/feeds/rss/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "X-Cache" not in response or response["X-Cache"] == "miss"
    # Edits still show at once: nothing was cached anywhere meanwhile.
    story.headline = "Edited while the cache is down"
    story.save()
    assert b"Edited while the cache is down" in client.get("/").content
    assert b"Edited while the cache is down" in client.get(story.get_absolute_url()).content


@pytest.mark.postgres  # the pass of the suite that has Redis (.ci/run)
def test_no_page_stored_before_a_redis_outage_is_served_after_it(
    client, make_story, page_cache, settings, monkeypatch
):
    require(os.environ.get("REDIS_URL"), "REDIS_URL: a Redis server to cut off and restore")
    redis = urlsplit(os.environ["REDIS_URL"])
    proxy = TcpProxy(redis.hostname, redis.port or 6379).start()
    settings.CACHES = {
        "default": {
            "BACKEND": "articles.cache.backends.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{proxy.port}{redis.path or '/0'}",
            "KEY_PREFIX": f"outage-test-{proxy.port}",
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        }
    }
    monkeypatch.setattr(backends, "RETRY_EVERY", 0)
    local.pages.clear()
    story = make_story("Before the outage")
    try:
        assert client.get("/")["X-Cache"] == "miss"
        assert client.get("/")["X-Cache"] == "hit"
        proxy.stop()  # Redis goes away; an editor unpublishes the story meanwhile
        story.status = Story.Status.DRAFT
        story.save()
        assert b"Before the outage" not in client.get("/").content
        proxy.start()  # Redis is back, still holding the page stored before
        response = client.get("/")
        assert b"Before the outage" not in response.content
        assert response["X-Cache"] == "miss"
    finally:
        proxy.stop()


def test_the_file_cache_culls_now_and_then(settings, tmp_path):
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "articles.cache.backends.FileCache",
            "LOCATION": str(tmp_path / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 10, "CULL_FREQUENCY": 2},
        }
    }
    file_cache = caches["default"]
    for n in range(120):
        file_cache.set(f"key-{n}", n)
    stored = len(list((tmp_path / "cache").glob("*.djcache")))
    assert stored < 120  # culled along the way
    assert file_cache.get("key-119") == 119


# A full cache culls pages, never the keys that keep it correct.


@pytest.fixture(params=["file", "memory"])
def ten_entry_cache(request, settings, tmp_path, monkeypatch, page_cache):
    """A cache that holds ten entries, with the state cache the settings give it."""
    if request.param == "file":
        # The production default, culling on every write as Django's file cache does.
        monkeypatch.setattr(backends.FileCache, "CULL_EVERY", 1)
        backend = "articles.cache.backends.FileCache"
        locations = str(tmp_path / "cache"), str(tmp_path / "cache" / "state")
    else:
        backend = "django.core.cache.backends.locmem.LocMemCache"
        locations = f"ten-{tmp_path.name}", f"ten-state-{tmp_path.name}"
    settings.CACHES = {
        "default": {"BACKEND": backend, "LOCATION": locations[0], "OPTIONS": {"MAX_ENTRIES": 10}},
        "state": {"BACKEND": backend, "LOCATION": locations[1]},
    }
    for copy in local.COPIES:
        copy.clear()
    yield
    from django.core.cache import caches

    for alias in settings.CACHES:
        caches[alias].clear()


def test_a_full_cache_keeps_the_tag_versions_and_the_next_scheduled_publication(
    client, make_story, ten_entry_cache
):
    make_story("Already out")
    soon = timezone.now() + timedelta(seconds=30)
    make_story("Coming soon", status=Story.Status.PUBLISHED, published_at=soon)
    state = tags.state_cache()
    assert b"Coming soon" not in client.get("/stories/").content
    versions = state.get_many([tags.EPOCH_KEY, tags.tag_key("list:latest")])
    assert len(versions) == 2
    for n in range(40):  # four times what the cache holds
        assert client.get(f"/stories/nothing-{n}/").status_code == 404
    assert client.get("/stories/nothing-0/")["X-Cache"] == "hit"  # this worker's copy
    # so no page went cold
    assert state.get_many([tags.EPOCH_KEY, tags.tag_key("list:latest")]) == versions
    # The list's stories are kept in this worker's copy; the scheduled moment must
    # still purge the list.
    with mock.patch("django.utils.timezone.now", return_value=soon + timedelta(seconds=1)):
        response = client.get("/stories/")
    assert b"Coming soon" in response.content
    assert state.get(tags.tag_key("list:latest")) != versions[tags.tag_key("list:latest")]


# A deploy never serves what the previous code rendered.


def test_a_new_build_misses_every_page_and_fragment(client, make_story, page_cache, settings):
    from django.utils.safestring import mark_safe

    from articles import cards

    story = make_story("Rendered by the old code")
    settings.NEWSROOM_BUILD_ID = "build-1"
    assert client.get("/")["X-Cache"] == "miss"
    assert client.get(story.get_absolute_url())["X-Cache"] == "miss"
    assert client.get("/")["X-Cache"] == "hit"
    # A deploy whose card template changed: new processes (their own copies empty),
    # the same shared cache, the same tag versions.
    settings.NEWSROOM_BUILD_ID = "build-2"
    for copy in local.COPIES:
        copy.clear()
    new_card = mark_safe('<article class="card">New card markup</article>')
    with mock.patch.object(cards, "render_card", return_value=new_card) as render:
        response = client.get("/")
    assert response["X-Cache"] == "miss"
    assert render.called and new_card in response.content.decode()
    assert client.get(story.get_absolute_url())["X-Cache"] == "miss"
    # Going back to the first build finds what it stored.
    settings.NEWSROOM_BUILD_ID = "build-1"
    local.pages.clear()
    assert client.get("/")["X-Cache"] == "hit"


def test_the_build_identity_follows_the_sources(settings, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text("<p>Old</p>")
    settings.BASE_DIR = tmp_path
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [templates]}]
    settings.STATIC_ROOT = tmp_path / "static"
    settings.NEWSROOM_BUILD_ID = ""

    def digest():
        keys.source_digest.cache_clear()
        return keys.build_id()

    try:
        assert keys.source_roots() == [templates]
        old = digest()
        assert digest() == old
        (templates / "page.html").write_text("<p>New</p>")
        changed = digest()
        assert changed != old
        settings.STATIC_ROOT.mkdir()
        (settings.STATIC_ROOT / "staticfiles.json").write_text('{"paths": {}}')
        assert digest() not in (old, changed)  # collectstatic wrote a new manifest
        settings.NEWSROOM_BUILD_ID = "set-at-deploy"
        assert keys.build_id() == "set-at-deploy"
    finally:
        keys.source_digest.cache_clear()


# Query strings: only the parameters a page reads are part of its key.


def page_sets(spy):
    return [c.args[0] for c in spy.set.call_args_list if "newsroom:page:" in c.args[0]]


@pytest.mark.parametrize(
    "parameter", ["utm_campaign", "utm_source", "fbclid", "gclid", "mc_cid", "mc_eid", "x"]
)
def test_tracking_parameters_neither_miss_nor_add_entries(
    client, make_story, page_cache, parameter, django_assert_num_queries
):
    make_story("Shared in a newsletter")
    with mock.patch.object(pages, "cache", wraps=cache) as spy:
        first = client.get(f"/?{parameter}=first")
        assert first["X-Cache"] == "miss"
        for n in range(20):
            with django_assert_num_queries(0):
                response = client.get(f"/?{parameter}=value-{n}")
            assert response["X-Cache"] == "hit"
            assert response.content == first.content
        assert client.get("/")["X-Cache"] == "hit"
    assert len(page_sets(spy)) == 1


def test_a_page_is_keyed_by_the_parameters_it_reads_sorted_and_once_each(
    client, settings, make_story, page_cache
):
    settings.NEWSROOM = {**settings.NEWSROOM, "STORIES_PER_PAGE": 2}
    for _ in range(7):
        make_story(tags=["seoul"])
    second = client.get("/stories/?page=2")
    assert second["X-Cache"] == "miss"
    for url in (
        "/stories/?page=2&utm_x=1",
        "/stories/?utm_source=a&page=2&fbclid=b",
        "/stories/?page=1&page=2",  # a repeated parameter: the last one counts
    ):
        response = client.get(url)
        assert response["X-Cache"] == "hit", url
        assert response.content == second.content
    assert client.get("/stories/?page=3")["X-Cache"] == "miss"
    assert client.get("/search/?q=story&tag=seoul")["X-Cache"] == "miss"
    assert client.get("/search/?tag=seoul&utm_medium=x&q=story")["X-Cache"] == "hit"
    # A story, a feed and a sitemap read no parameters at all.
    story_url = Story.objects.first().get_absolute_url()
    for url in (story_url, "/feeds/rss/", "/news-sitemap.xml"):
        assert client.get(f"{url}?page=2")["X-Cache"] == "miss"
        assert client.get(f"{url}?fbclid=abc&page=7")["X-Cache"] == "hit", url


def test_canonical_urls_leave_out_what_the_page_does_not_read(
    client, make_story, page_cache, base_url
):
    make_story("Searchable story", tags=["seoul"])
    story = make_story("Shared story")
    for url, canonical in (
        (f"{story.get_absolute_url()}?utm_source=x&fbclid=y", story.get_absolute_url()),
        ("/search/?utm_campaign=z&tag=seoul&q=story", "/search/?q=story&tag=seoul"),
        ("/?gclid=1", "/"),
    ):
        html = client.get(url).content.decode()
        [href] = re.findall(r'<link rel="canonical" href="([^"]*)">', html)
        assert unescape(href) == f"{base_url}{canonical}", url


def _show_query(request):
    from django.http import JsonResponse

    return JsonResponse(
        {"query_string": request.META["QUERY_STRING"], "GET": sorted(request.GET.lists())}
    )


urlpatterns = [path("shown/", pages.cache_public_page(_show_query, ("b", "page")))]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("enabled", [True, False])
def test_a_view_sees_only_the_parameters_it_declares(client, settings, enabled, editor):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": enabled}
    expected = {"query_string": "b=2&page=3", "GET": [["b", ["2"]], ["page", ["3"]]]}
    url = "/shown/?utm_source=x&page=1&b=2&page=3&fbclid=y"
    assert client.get(url).json() == expected
    client.force_login(editor)  # editors, who bypass the cache, see the same
    assert client.get(url).json() == expected
