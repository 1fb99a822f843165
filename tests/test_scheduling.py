"""Scheduling: a story set to a future time goes live at that moment, by itself."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from articles.models import Story
from tests.admin_pages import form_fields
from tests.conftest import at
from tests.test_admin import CHANGELIST, change_url

GO_LIVE = datetime(2031, 3, 4, 0, 0, tzinfo=UTC)
HEADLINE = "Embargoed budget figures"


@pytest.fixture
def scheduled(make_story, make_author):
    author = make_author("Kim Min-ji")
    # Something public on every list, so each page answers 200 either way.
    make_story(
        "Already out",
        authors=[author],
        tags=["Budget"],
        published_at=GO_LIVE - timedelta(days=1),
    )
    story = make_story(HEADLINE, authors=[author], tags=["Budget"], published_at=GO_LIVE)
    return story, author


def public_pages(story, author):
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
    ]


def test_scheduled_story_is_nowhere_a_second_before_its_time(scheduled):
    story, author = scheduled
    reader = Client()

    with at(GO_LIVE - timedelta(seconds=1)):
        assert reader.get(story.get_absolute_url()).status_code == 404
        for url in public_pages(story, author):
            response = reader.get(url)
            assert response.status_code == 200, url
            assert story.slug not in response.content.decode(), url


def test_scheduled_story_is_everywhere_at_its_time(scheduled):
    story, author = scheduled
    reader = Client()

    with at(GO_LIVE):
        assert reader.get(story.get_absolute_url()).status_code == 200
        for url in public_pages(story, author):
            response = reader.get(url)
            assert response.status_code == 200, url
            assert story.slug in response.content.decode(), url


def test_editor_schedules_from_the_form(news_editor_client, make_story, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    story = make_story(HEADLINE, status=Story.Status.DRAFT)
    data = form_fields(news_editor_client.get(change_url(story)))
    data.update(
        {"status": "published", "published_at_0": "2031-03-04", "published_at_1": "09:00:00"}
    )

    response = news_editor_client.post(change_url(story), data)

    assert response.status_code == 302
    story.refresh_from_db()
    assert story.published_at == GO_LIVE
    assert story.is_scheduled
    content = news_editor_client.get(CHANGELIST).content.decode()
    assert '<td class="field-status_label">Scheduled for 2031-03-04 09:00 KST</td>' in content
    assert not Story.objects.published().exists()


def test_changelist_tells_scheduled_from_published(news_editor_client, make_story):
    make_story("Live now")
    make_story("Later", published_at=GO_LIVE)

    content = news_editor_client.get(CHANGELIST).content.decode()

    assert content.count('<td class="field-status_label">Published</td>') == 1
    assert content.count('<td class="field-status_label">Scheduled for ') == 1
