"""Deep list pages read from the far end of the list and show the same stories."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Story
from articles.pagination import NewestFirstPaginator


@pytest.fixture
def twenty_stories(make_story):
    return [make_story(f"Story {n:02d}") for n in range(20)]


def newest_first():
    return Story.objects.published().order_by("-published_at", "-pk")


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5, 6, 7])
def test_every_page_matches_plain_offset_pagination(twenty_stories, number):
    expected = list(newest_first())[(number - 1) * 3 : number * 3]
    page = NewestFirstPaginator(newest_first(), 3).page(number)
    assert list(page.object_list) == expected


def test_last_page_with_orphans_matches(twenty_stories):
    plain = list(newest_first())
    page = NewestFirstPaginator(newest_first(), 3, orphans=2).page(6)
    assert list(page.object_list) == plain[15:]


def test_last_page_does_not_skip_past_most_rows(twenty_stories):
    paginator = NewestFirstPaginator(newest_first(), 3)
    paginator.count  # noqa: B018 - counted beforehand, as a list view does
    with CaptureQueriesContext(connection) as queries:
        list(paginator.page(7).object_list)
    sql = queries.captured_queries[-1]["sql"]
    assert "OFFSET 18" not in sql
    assert "ASC" in sql


def test_deep_list_page_over_http_shows_the_oldest_stories(client, settings, twenty_stories):
    settings.NEWSROOM = {**settings.NEWSROOM, "STORIES_PER_PAGE": 3}
    html = client.get("/stories/?page=7").content.decode()
    assert "Story 19" in html  # published last in the factory's order: the oldest
    assert "Page 7 of 7" in html
