"""Embargo: a story is public nowhere before its embargo, whatever its status says."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from articles.cache import local
from articles.models import Story
from tests.admin_pages import form_fields
from tests.conftest import at
from tests.test_admin import CHANGELIST, change_url

LIFTS = datetime(2031, 3, 4, 0, 0, tzinfo=UTC)
HEADLINE = "Embargoed budget figures"


@pytest.fixture
def embargoed(make_story, make_author):
    author = make_author("Kim Min-ji")
    before = LIFTS - timedelta(days=1)
    out = make_story(
        "Already out",
        authors=[author],
        tags=["Budget"],
        published_at=before,
        live_started_at=before,
    )
    # Published when the embargo lifts, as the admin schedules it.
    story = make_story(
        HEADLINE,
        authors=[author],
        tags=["Budget"],
        published_at=LIFTS,
        embargo_until=LIFTS,
        related=[("", "", out)],
        live_started_at=before,
    )
    # A public story pointing at it: its related headline must not name it early.
    pointing = make_story(
        "Points at the embargoed one", published_at=before, related=[("", "", story)]
    )
    return story, author, pointing


def public_pages(story, author, pointing):
    return [
        "/",
        "/stories/",
        story.section.get_absolute_url(),
        "/tags/budget/",
        author.get_absolute_url(),
        "/search/?q=embargoed",
        "/feeds/rss/",
        "/feeds/atom/",
        "/feed.json",
        "/sitemap-stories.xml",
        "/news-sitemap.xml",
        pointing.get_absolute_url(),
    ]


def test_embargoed_story_is_nowhere_a_second_before_the_embargo(embargoed):
    story, author, pointing = embargoed
    reader = Client()

    with at(LIFTS - timedelta(seconds=1)):
        assert reader.get(story.get_absolute_url()).status_code == 404
        # Live polling answers for public stories only.
        assert reader.get(story.get_absolute_url() + "updates/").status_code == 404
        for url in public_pages(story, author, pointing):
            response = reader.get(url)
            assert response.status_code == 200, url
            assert story.slug not in response.content.decode(), url
            assert HEADLINE not in response.content.decode(), url
        assert not Story.objects.published().filter(pk=story.pk).exists()


def test_embargoed_story_is_everywhere_when_the_embargo_lifts(embargoed):
    story, author, pointing = embargoed
    reader = Client()

    with at(LIFTS):
        page = reader.get(story.get_absolute_url())
        assert page.status_code == 200
        assert '"headline": "Embargoed budget figures"' in page.content.decode()  # JSON-LD
        assert reader.get(story.get_absolute_url() + "updates/").status_code in (200, 204)
        for url in public_pages(story, author, pointing):
            response = reader.get(url)
            assert response.status_code == 200, url
            assert story.slug in response.content.decode(), url


def test_the_page_cache_lets_the_embargo_lift_to_the_minute(client, make_story, settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": True, "SECONDS": 300}
    cache.clear()
    local.pages.clear()
    make_story("Already out")
    lifts = timezone.now() + timedelta(seconds=30)
    make_story(HEADLINE, published_at=lifts, embargo_until=lifts)

    assert HEADLINE.encode() not in client.get("/").content
    assert client.get("/")["X-Cache"] == "hit"
    with at(lifts + timedelta(seconds=1)):
        response = client.get("/")
    assert response["X-Cache"] == "miss"
    assert HEADLINE.encode() in response.content


def test_the_database_refuses_a_story_published_before_its_embargo(make_story):
    story = make_story(HEADLINE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Story.objects.filter(pk=story.pk).update(embargo_until=timezone.now() + timedelta(hours=1))


def test_a_draft_may_carry_any_embargo(make_story):
    story = make_story(status=Story.Status.DRAFT, embargo_until=LIFTS)
    assert story.is_embargoed
    assert not Story.objects.published().exists()


# The admin


def publish_form(client, story, **changes):
    data = form_fields(client.get(change_url(story)))
    data.update({"status": "published", "published_at_0": "", "published_at_1": ""})
    data.update(changes)
    return client.post(change_url(story), data)


def test_publishing_before_the_embargo_is_refused_with_its_time(
    news_editor_client, make_story, settings
):
    settings.TIME_ZONE = "Asia/Seoul"
    story = make_story(HEADLINE, status=Story.Status.DRAFT, embargo_until=LIFTS)

    response = publish_form(news_editor_client, story)

    assert response.status_code == 200
    assert "embargoed until 2031-03-04 09:00 KST" in response.content.decode()
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT


def test_publish_when_the_embargo_lifts_schedules_it(news_editor_client, make_story):
    story = make_story(HEADLINE, status=Story.Status.DRAFT, embargo_until=LIFTS)

    response = publish_form(news_editor_client, story, publish_when_embargo_lifts="on")

    assert response.status_code == 302
    story.refresh_from_db()
    assert (story.status, story.published_at) == (Story.Status.PUBLISHED, LIFTS)
    assert story.is_scheduled
    assert not Story.objects.published().exists()


def test_adding_an_embargo_to_a_published_story_is_refused(news_editor_client, make_story):
    story = make_story(HEADLINE)

    response = publish_form(
        news_editor_client,
        story,
        published_at_0=timezone.localtime(story.published_at).strftime("%Y-%m-%d"),
        published_at_1=timezone.localtime(story.published_at).strftime("%H:%M:%S"),
        embargo_until_0="2031-03-04",
        embargo_until_1="09:00:00",
    )

    assert response.status_code == 200
    assert "embargoed until" in response.content.decode()
    assert Story.objects.published().filter(pk=story.pk).exists()


def test_bulk_publish_leaves_embargoed_stories_as_drafts(news_editor_client, make_story):
    story = make_story(HEADLINE, status=Story.Status.DRAFT, embargo_until=LIFTS)
    other = make_story("Free to go", status=Story.Status.DRAFT)

    response = news_editor_client.post(
        CHANGELIST,
        {"action": "publish", "_selected_action": [story.pk, other.pk]},
        follow=True,
    )

    assert "Embargoed until" in response.content.decode()
    story.refresh_from_db()
    other.refresh_from_db()
    assert story.status == Story.Status.DRAFT
    assert other.status == Story.Status.PUBLISHED


def test_changelist_shows_and_filters_the_embargo(news_editor_client, make_story, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    make_story(HEADLINE, status=Story.Status.DRAFT, embargo_until=LIFTS)
    make_story("No embargo at all")

    content = news_editor_client.get(CHANGELIST).content.decode()
    assert "Embargoed until 2031-03-04 09:00 KST" in content

    filtered = news_editor_client.get(CHANGELIST + "?embargo=active").content.decode()
    assert HEADLINE in filtered and "No embargo at all" not in filtered


def test_the_form_shows_the_embargo_and_the_choice(news_editor_client, make_story):
    story = make_story(HEADLINE, status=Story.Status.DRAFT, embargo_until=LIFTS)
    editor_form = news_editor_client.get(change_url(story)).content.decode()
    assert 'name="embargo_until_0"' in editor_form
    assert 'name="publish_when_embargo_lifts"' in editor_form
