"""Cache tags: a change purges exactly the pages that could show it, on every host.

Two "hosts" share the shared cache and its state (as several gunicorn hosts share
Redis) but each keeps its own per-process copies (articles/cache/local.py), swapped in
and out around each request. After each change every page that could show the story
must show the new state on both, and pages that could not show it must stay cached.
"""

import contextlib
from collections import OrderedDict
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from articles import cards
from articles.cache import local, purge, tags
from articles.fronts.models import Front
from articles.models import Story, StoryAuthor
from articles.pagination import Cursor

HOSTS = ("host-a", "host-b")
purged_for_cdn = []


def record_purge(purged_tags):
    """A stand-in for a CDN's purge call (NEWSROOM_CACHE_PURGE_HOOK)."""
    purged_for_cdn.append(purged_tags)


class Hosts:
    """Per-host copies of `local.COPIES`, swapped in for each request."""

    def __init__(self):
        self.copies = {host: [(OrderedDict(), 0) for _ in local.COPIES] for host in HOSTS}

    @contextlib.contextmanager
    def on(self, host):
        for copy, (entries, size) in zip(local.COPIES, self.copies[host], strict=True):
            copy.entries, copy.size = entries, size
        try:
            yield
        finally:
            self.copies[host] = [(copy.entries, copy.size) for copy in local.COPIES]
            for copy in local.COPIES:
                copy.clear()


@pytest.fixture
def site(settings, make_story, make_section, make_author):
    client = Client()  # an anonymous reader, whoever else the test logs in
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": True, "SECONDS": 300}
    settings.NEWSROOM = {**settings.NEWSROOM, "STORIES_PER_PAGE": 2}
    nation, world = make_section("Domestic", slug="domestic"), make_section("World", slug="world")
    kim, lee = make_author("Kim Min-ji", slug="kim"), make_author("Lee Ji-eun", slug="lee")
    # Whole seconds, as the admin's form keeps them (a save through it would otherwise
    # move the time by the microseconds it drops: a re-dating, which purges lists).
    now = timezone.now().replace(microsecond=0)
    old = make_story(
        "Archive budget story",
        section=world,
        authors=[lee],
        tags=["Budget"],
        published_at=now - timedelta(days=5 * 365),
    )
    new = [
        make_story(
            f"Ferry news {n}",
            section=nation,
            authors=[kim],
            tags=["Ferry"],
            published_at=now - timedelta(minutes=10 + n),
        )
        for n in range(2)
    ]
    # No front arranged: the home page leads with its newest story and lists the
    # rest, as before fronts (whose own caching is in tests/test_fronts.py); the
    # archive story stays off it.
    Front.objects.filter(section=None).delete()
    hosts = Hosts()

    def get(url, host):
        with hosts.on(host):
            return client.get(url)

    def warm(*urls):
        for url in urls:
            for host in HOSTS:
                get(url, host)
                assert get(url, host)["X-Cache"] == "hit", (url, host)

    def shows(url, *present, absent=(), status=200):
        for host in HOSTS:
            response = get(url, host)
            content = response.content.decode()
            assert response.status_code == status, (url, host, response.status_code)
            for text in present:
                assert text in content, (url, host, text)
            for text in absent:
                assert text not in content, (url, host, text)

    def still_cached(*urls):
        for url in urls:
            for host in HOSTS:
                assert get(url, host)["X-Cache"] == "hit", (url, host)

    return {
        "nation": nation,
        "world": world,
        "kim": kim,
        "lee": lee,
        "old": old,
        "new": new,
        "get": get,
        "warm": warm,
        "shows": shows,
        "still_cached": still_cached,
    }


FEEDS_AND_SITEMAPS = ["/feeds/rss/", "/feed.json", "/sitemap-stories.xml", "/news-sitemap.xml"]


def pages_of_the_new_stories(site):
    return [
        "/",
        "/stories/",
        "/sections/domestic/",
        "/tags/ferry/",
        "/authors/kim/",
        *(story.get_absolute_url() for story in site["new"]),
    ]


def pages_of_the_old_story(site):
    return [
        site["old"].get_absolute_url(),
        "/sections/world/",
        "/tags/budget/",
        "/authors/lee/",
        "/feeds/section/world/rss/",
        "/feeds/tag/budget/atom/",
        "/feeds/author/lee/rss/",
    ]


def test_editing_an_old_story_purges_its_pages_and_leaves_the_front_page_cached(site):
    old = site["old"]
    untouched = pages_of_the_new_stories(site)
    site["warm"](
        *untouched, *pages_of_the_old_story(site), *FEEDS_AND_SITEMAPS, "/search/?q=archive"
    )
    old.headline = "Corrected archive headline"
    old.save()
    for url in [*pages_of_the_old_story(site), "/feeds/rss/", "/feed.json"]:
        site["shows"](url, "Corrected archive headline", absent=["Archive budget story"])
    site["shows"]("/search/?q=archive", "Corrected", absent=["Archive budget story"])
    site["still_cached"](*untouched)


def test_publishing_a_draft_shows_everywhere_it_belongs(site, make_story):
    draft = make_story(
        "Breaking ferry draft",
        status=Story.Status.DRAFT,
        section=site["nation"],
        authors=[site["kim"]],
        tags=["Ferry"],
    )
    url = draft.get_absolute_url()
    site["warm"](*pages_of_the_new_stories(site), *pages_of_the_old_story(site), url)
    site["shows"](url, status=404)
    draft.status = Story.Status.PUBLISHED
    draft.published_at = timezone.now()
    draft.save()
    for page in ["/", "/stories/", "/sections/domestic/", "/tags/ferry/", "/authors/kim/", url]:
        site["shows"](page, "Breaking ferry draft")
    for page in [*FEEDS_AND_SITEMAPS, "/feeds/tag/ferry/rss/", "/search/?q=breaking"]:
        site["shows"](page, "breaking-ferry-draft" if "sitemap" in page else "ferry draft")
    # The old story's own page, section, tag and author pages could not show it.
    site["still_cached"](*pages_of_the_old_story(site)[:4])


def test_unpublishing_and_deleting_remove_a_story_everywhere(site):
    first, second = site["new"]
    site["warm"](*pages_of_the_new_stories(site), *pages_of_the_old_story(site)[:4])
    site["warm"](*FEEDS_AND_SITEMAPS, "/search/?q=ferry")
    first.status = Story.Status.DRAFT
    first.save()
    site["shows"](first.get_absolute_url(), status=404)
    for page in ["/", "/stories/", "/sections/domestic/", "/tags/ferry/", "/authors/kim/"]:
        site["shows"](page, "Ferry news 1", absent=["Ferry news 0"])
    for page in [*FEEDS_AND_SITEMAPS, "/search/?q=ferry"]:
        site["shows"](page, absent=["Ferry news 0", "ferry-news-0"])
    site["still_cached"](site["old"].get_absolute_url(), "/tags/budget/", "/authors/lee/")
    url = second.get_absolute_url()
    second.delete()
    site["shows"](url, status=404)
    # Nation, Ferry and Kim have no public story left: their pages are gone too.
    for page in ["/sections/domestic/", "/tags/ferry/", "/authors/kim/"]:
        site["shows"](page, status=404)
    site["shows"]("/", "Archive budget story", absent=["Ferry news"])
    site["shows"]("/feeds/rss/", absent=["Ferry news"])
    # Domestic lost its last public story: the navigation of every page drops it.
    site["shows"](site["old"].get_absolute_url(), absent=['href="/sections/domestic/"'])


def test_retagging_resectioning_and_rebylining(site, make_story):
    old = site["old"]
    # World keeps a story: moving the old one out leaves the navigation as it is.
    make_story("Another world story", section=site["world"], published_at=old.published_at)
    site["warm"](*pages_of_the_new_stories(site), *pages_of_the_old_story(site))
    # The page below the two new stories in each of their lists ("Older stories").
    oldest_new = site["new"][-1]
    older = f"?before={Cursor(oldest_new.published_at, oldest_new.pk)}"
    site["warm"](f"/sections/domestic/{older}", f"/tags/ferry/{older}", f"/authors/kim/{older}")
    # Retag: Budget -> Ferry.
    old.tags.set(["Ferry"])
    site["shows"]("/tags/budget/", status=404)
    site["shows"](f"/tags/ferry/{older}", "Archive budget story")
    site["shows"](old.get_absolute_url(), 'href="/tags/ferry/"', absent=['href="/tags/budget/"'])
    site["shows"]("/feeds/tag/ferry/atom/", "Archive budget story")
    site["still_cached"]("/", "/sections/domestic/", "/authors/kim/")
    # Another section: World -> Domestic.
    old.section = site["nation"]
    old.save()
    site["shows"]("/sections/world/", "Another world story", absent=["Archive budget story"])
    site["shows"](f"/sections/domestic/{older}", "Archive budget story")
    site["shows"](old.get_absolute_url(), "Domestic")
    # (The new stories' pages list it among their automatic related headlines now.)
    site["still_cached"]("/", "/stories/", "/authors/kim/")
    # Another byline: Lee -> Kim.
    StoryAuthor.objects.filter(story=old).delete()
    StoryAuthor.objects.create(story=old, author=site["kim"], order=0)
    site["shows"]("/authors/lee/", status=404)
    site["shows"](f"/authors/kim/{older}", "Archive budget story")
    site["shows"](old.get_absolute_url(), "Kim Min-ji", absent=["Lee Ji-eun"])
    site["still_cached"]("/", "/stories/", "/sections/world/")


def test_renaming_a_section_or_author_shows_on_every_card(site):
    site["warm"](*pages_of_the_new_stories(site), *pages_of_the_old_story(site)[:4])
    kim = site["kim"]
    kim.name = "Kim Min-ji (Seoul)"
    kim.save()
    for page in ["/", "/authors/kim/", site["new"][0].get_absolute_url(), "/feeds/rss/"]:
        site["shows"](page, "Kim Min-ji (Seoul)")
    site["still_cached"](site["old"].get_absolute_url(), "/tags/budget/", "/authors/lee/")


def test_a_scheduled_story_appears_at_its_minute_on_both_hosts(site, make_story):
    soon = timezone.now() + timedelta(minutes=5)
    make_story(
        "Scheduled ferry story",
        section=site["nation"],
        authors=[site["kim"]],
        tags=["Ferry"],
        published_at=soon,
    )
    pages = ["/", "/stories/", "/sections/domestic/", "/tags/ferry/", "/authors/kim/"]
    pages += ["/feeds/rss/", "/news-sitemap.xml"]
    site["warm"](*pages)
    for page in pages:
        site["shows"](page, absent=["Scheduled ferry story", "scheduled-ferry-story"])
    with mock.patch("django.utils.timezone.now", return_value=soon + timedelta(seconds=1)):
        for page in pages:
            site["shows"](page, "Scheduled ferry" if "sitemap" not in page else "scheduled-ferry")


def test_pages_send_their_tags_for_a_cdn(site):
    old, new = site["old"], site["new"][0]
    home = site["get"]("/", "host-a")
    keys = home["Surrogate-Key"].split()
    assert {"site", "list:latest", f"story:{new.pk}", "sections"} <= set(keys)
    assert f"story:{old.pk}" not in keys
    assert home["Cache-Tag"] == ",".join(keys)
    story = site["get"](old.get_absolute_url(), "host-a")
    assert {f"story:{old.pk}", f"section:{site['world'].pk}", f"author:{site['lee'].pk}"} <= set(
        story["Surrogate-Key"].split()
    )
    hit = site["get"]("/", "host-a")
    assert hit["X-Cache"] == "hit" and hit["Surrogate-Key"] == home["Surrogate-Key"]
    assert "missing" in site["get"]("/stories/no-such-story/", "host-a")["Surrogate-Key"]


def test_a_cdn_is_told_what_to_purge_after_commit(
    site, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "PURGE_HOOK": f"{__name__}.record_purge"}
    purged_for_cdn.clear()
    # The fixtures' own purges wait for a commit the test's transaction never makes.
    connection.run_on_commit.clear()
    old = site["old"]
    with django_capture_on_commit_callbacks(execute=True):
        old.headline = "Edited for the CDN"
        old.save()
    assert purged_for_cdn and f"story:{old.pk}" in purged_for_cdn[-1]
    assert "list:latest" not in purged_for_cdn[-1]


def test_a_page_rendered_while_a_purge_happens_is_not_stored(site):
    site["get"]("/", "host-a")
    purge({f"story:{story.pk}" for story in site["new"]})  # their cards render again
    real = cards.render_card

    def render_while_an_editor_saves(story, variant):
        purge({f"story:{story.pk}"})  # another worker, mid-render
        return real(story, variant)

    with mock.patch.object(cards, "render_card", side_effect=render_while_an_editor_saves):
        assert site["get"]("/", "host-a")["X-Cache"] == "miss"
    assert site["get"]("/", "host-a")["X-Cache"] == "miss"  # the page above was not kept
    assert site["get"]("/", "host-a")["X-Cache"] == "hit"


def test_a_lost_tag_version_makes_its_pages_miss(site):
    site["warm"]("/", site["old"].get_absolute_url())
    tags.state_cache().delete(tags.tag_key(f"story:{site['old'].pk}"))
    # Copies already checked are trusted until the next purge, of anything.
    purge({"story:0"})
    assert site["get"](site["old"].get_absolute_url(), "host-a")["X-Cache"] == "miss"
    site["still_cached"]("/")


def test_a_story_scheduled_after_a_page_was_cached_still_appears_at_its_minute(site, make_story):
    site["warm"]("/", "/tags/ferry/")
    soon = timezone.now() + timedelta(minutes=2)  # well before the pages would expire
    make_story("Scheduled later", section=site["nation"], tags=["Ferry"], published_at=soon)
    site["still_cached"]("/")  # scheduling it changes no list yet
    with mock.patch("django.utils.timezone.now", return_value=soon + timedelta(seconds=1)):
        for page in ["/", "/tags/ferry/", "/feeds/rss/"]:
            site["shows"](page, "Scheduled later")


def test_reverting_to_an_unpublished_version_takes_a_story_off_every_list(site, make_story):
    import reversion
    from reversion.models import Version

    from articles import history

    # No tags, bylines or notes: restoring rewrites no rows of its own, whose signals
    # would have purged its page and cards anyway.
    story = make_story("Reverted later", status=Story.Status.DRAFT, section=site["nation"])
    with reversion.create_revision():
        reversion.add_to_revision(story)
    story.status, story.published_at = Story.Status.PUBLISHED, timezone.now()
    story.save()
    site["warm"]("/", "/sections/domestic/", story.get_absolute_url())
    site["shows"]("/", "Reverted later")
    (draft,) = Version.objects.get_for_object(story)
    history.restore(draft)  # an update(): no signal for the story's own row
    for page in ["/", "/sections/domestic/", "/feeds/rss/"]:
        site["shows"](page, absent=["Reverted later"])
    site["shows"](story.get_absolute_url(), status=404)


def test_an_admin_edit_of_an_old_story_leaves_the_front_page_cached(site, editor_client):
    from tests.admin_pages import form_fields
    from tests.test_admin import change_url

    old = site["old"]
    site["warm"](*pages_of_the_new_stories(site), *pages_of_the_old_story(site))
    data = form_fields(editor_client.get(change_url(old)))
    data["headline"] = "Edited in the admin"
    response = editor_client.post(change_url(old), data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    for url in pages_of_the_old_story(site):
        site["shows"](url, "Edited in the admin", absent=["Archive budget story"])
    site["still_cached"](*pages_of_the_new_stories(site))


def test_a_checked_copy_costs_two_state_reads_until_the_next_purge(site):
    site["warm"]("/")
    state = tags.state_cache()
    with mock.patch.object(state, "get_many", wraps=state.get_many) as reads:
        assert site["get"]("/", "host-a")["X-Cache"] == "hit"
    assert [len(call.args[0]) for call in reads.call_args_list] == [2]
    purge({"story:0"})  # anything, anywhere: every copy is checked once more
    with mock.patch.object(state, "get_many", wraps=state.get_many) as reads:
        assert site["get"]("/", "host-a")["X-Cache"] == "hit"
    assert len(reads.call_args_list) == 2 and len(reads.call_args_list[1].args[0]) > 2
