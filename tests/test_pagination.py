"""List pages go back in time with "Older stories" links that carry a cursor, never
counting the list; each page shows what numbered pages showed, and its address keeps
showing the same stories while newer ones are published."""

import itertools
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Story
from articles.pagination import Cursor


@pytest.fixture
def twenty_stories(make_story, settings):
    settings.NEWSROOM = {**settings.NEWSROOM, "STORIES_PER_PAGE": 3}
    now = timezone.now()
    stories = [
        make_story(f"Story {n:02d}", published_at=now - timedelta(hours=n)) for n in range(19)
    ]
    # Two stories published at the same moment: the id breaks the tie.
    stories.append(make_story("Story 19", published_at=stories[-1].published_at))
    return stories


def headlines(html):
    return re.findall(r"Story \d\d", html)


def link(html, rel):
    match = re.search(rf'<a rel="{rel}" href="([^"]*)"', html)
    return match and match.group(1).replace("&amp;", "&")


def newest_first():
    return [s.headline for s in Story.objects.published().order_by("-published_at", "-pk")]


def test_older_links_walk_the_whole_list_in_order_and_back(client, twenty_stories):
    expected = newest_first()
    seen, url, pages = [], "/stories/", []
    while url:
        html = client.get(url).content.decode()
        pages.append((url, html))
        seen += headlines(html)
        older = link(html, "next")
        url = f"/stories/{older}" if older else None
    assert seen == expected
    assert len(pages) == 7
    # "Newer stories" goes back page by page to the first page, the list's own address.
    for (newer_url, _), (_, html) in itertools.pairwise(pages):
        back = link(html, "prev")
        assert back == ("./" if newer_url == "/stories/" else newer_url.removeprefix("/stories/"))
    assert link(pages[0][1], "prev") is None


def test_a_page_address_keeps_its_stories_when_newer_ones_are_published(
    client, twenty_stories, make_story
):
    older = link(client.get("/stories/").content.decode(), "next")
    before = headlines(client.get(f"/stories/{older}").content.decode())
    make_story("Story 99", published_at=timezone.now())  # the newest
    assert headlines(client.get(f"/stories/{older}").content.decode()) == before


def test_no_count_and_no_long_offset_even_on_the_deepest_page(client, twenty_stories):
    last = Story.objects.published().order_by("-published_at", "-pk")[17]  # above page 7
    url = f"/stories/?before={Cursor(last.published_at, last.pk)}"
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    assert headlines(html) == newest_first()[18:]
    sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
    assert "COUNT(" not in sql
    # At most a page's worth of rows skipped (the newer page's start), whatever the depth.
    assert all(int(n) <= 3 for n in re.findall(r"OFFSET (\d+)", sql))


def test_former_numbered_pages_redirect_to_the_same_stories(client, twenty_stories):
    response = client.get("/stories/?page=3")
    assert response.status_code == 301
    assert response["Location"].startswith("/stories/?before=")
    html = client.get(response["Location"]).content.decode()
    assert headlines(html) == newest_first()[6:9]
    assert client.get("/stories/?page=1").status_code == 200
    assert client.get("/stories/?page=8").status_code == 404


@pytest.mark.parametrize(
    "before", ["", "x", "20261129T100000Z", "20261329T100000Z-1", "2026-11-29-1", "9" * 40]
)
def test_a_broken_cursor_is_404(client, twenty_stories, before):
    assert client.get(f"/stories/?before={before}").status_code == 404


def test_a_cursor_past_the_oldest_story_is_404(client, twenty_stories):
    oldest = min(twenty_stories, key=lambda s: (s.published_at, s.pk))
    assert (
        client.get(f"/stories/?before={Cursor(oldest.published_at, oldest.pk)}").status_code == 404
    )


def test_an_older_page_has_its_own_canonical_address_and_title(client, twenty_stories, base_url):
    older = link(client.get("/stories/").content.decode(), "next")
    html = client.get(f"/stories/{older}&utm_source=x").content.decode()
    assert f'<link rel="canonical" href="{base_url}/stories/{older}">' in html
    assert "Latest stories — stories before" in html


def test_cursor_round_trips():
    when = timezone.now().replace(microsecond=123456)
    cursor = Cursor(when, 42)
    assert Cursor.parse(str(cursor)) == cursor
    whole = Cursor(when.replace(microsecond=0), 7)
    assert str(whole).endswith("Z-7") and "." not in str(whole)
    assert Cursor.parse(str(whole)) == whole
