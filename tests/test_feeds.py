"""RSS, Atom and JSON Feed: valid, complete, absolute, public stories only."""

import json
from datetime import timedelta

import feedparser
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from articles.feeds import FEED_LENGTH
from articles.models import Story

TRICKY_HEADLINE = "Kim & Lee: 2 < 3, “bold” plan for 서울’s <harbour>"


@pytest.fixture
def story(make_story, make_author, photo_upload):
    first = make_author("Kim Min-ji", slug="kim-min-ji")
    second = make_author("이서준", slug="이서준")
    return make_story(
        TRICKY_HEADLINE,
        dek="Ferries & boats <return>.",
        body="<p>First <strong>paragraph</strong>.</p>",
        authors=[first, second],
        tags=["Seoul", "Transport"],
        lead_photo=photo_upload(),
        photo_alt="A ferry on the river",
    )


def feed_urls(story):
    author = story.authors.first()
    return [
        "/feeds/rss/",
        "/feeds/atom/",
        f"/feeds/section/{story.section.slug}/rss/",
        f"/feeds/section/{story.section.slug}/atom/",
        "/feeds/tag/seoul/rss/",
        "/feeds/tag/seoul/atom/",
        f"/feeds/author/{author.slug}/rss/",
        f"/feeds/author/{author.slug}/atom/",
    ]


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    feed = feedparser.parse(response.content)
    assert not feed.bozo, (url, feed.get("bozo_exception"))
    return response, feed


def test_every_xml_feed_is_valid_and_lists_the_story(client, story, base_url):
    for url in feed_urls(story):
        response, feed = parse(client, url)
        assert response["Content-Type"].startswith(
            "application/rss+xml" if url.endswith("/rss/") else "application/atom+xml"
        )
        assert feed.version == ("rss20" if url.endswith("/rss/") else "atom10")
        [entry] = feed.entries
        assert entry.title == TRICKY_HEADLINE, url
        assert entry.link == f"{base_url}{story.get_absolute_url()}"


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_feed_entry_carries_dates_authors_tags_summary_content_and_photo(
    client, story, base_url, fmt
):
    _, feed = parse(client, f"/feeds/{fmt}/")
    [entry] = feed.entries
    assert entry.published_parsed[:6] == story.published_at.utctimetuple()[:6]
    assert entry.updated_parsed is not None
    assert [author.name for author in entry.authors] == ["Kim Min-ji", "이서준"]
    assert [tag.term for tag in entry.tags] == ["Seoul", "Transport"]
    assert entry.summary == "Ferries &amp; boats &lt;return&gt;."
    assert "First <strong>paragraph</strong>." in entry.content[0].value
    # The enclosure is the 1200×630 social rendition, not the private original.
    [enclosure] = entry.enclosures
    name, _, _, length = story.social_image
    assert enclosure.href == f"{base_url}{default_storage.url(name)}"
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) == length == default_storage.size(name)
    assert (entry.media_content[0]["width"], entry.media_content[0]["height"]) == ("1200", "630")
    assert feed.feed.link == f"{base_url}/"


def test_json_feed_is_json_feed_1_1(client, story, base_url):
    response = client.get("/feed.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/feed+json")
    data = json.loads(response.content)
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["feed_url"] == f"{base_url}/feed.json"
    assert data["home_page_url"] == f"{base_url}/"
    [item] = data["items"]
    assert item["id"] == item["url"] == f"{base_url}{story.get_absolute_url()}"
    assert item["title"] == TRICKY_HEADLINE
    assert item["summary"] == "Ferries & boats <return>."
    assert "<strong>paragraph</strong>" in item["content_html"]
    assert item["image"] == f"{base_url}{default_storage.url(story.social_image[0])}"
    assert item["date_published"] == story.published_at.isoformat()
    assert item["date_modified"] >= item["date_published"]
    assert item["authors"] == [
        {"name": "Kim Min-ji", "url": f"{base_url}/authors/kim-min-ji/"},
        {"name": "이서준", "url": f"{base_url}/authors/%EC%9D%B4%EC%84%9C%EC%A4%80/"},
    ]
    assert item["tags"] == ["Seoul", "Transport"]


def test_story_without_photo_has_no_enclosure(client, make_story):
    make_story("No photo")
    _, feed = parse(client, "/feeds/rss/")
    assert feed.entries[0].enclosures == []
    assert "image" not in json.loads(client.get("/feed.json").content)["items"][0]


def test_removed_photo_is_no_longer_advertised(client, story):
    story.lead_photo = None
    story.save()
    _, feed = parse(client, "/feeds/rss/")
    assert feed.entries[0].enclosures == []


def test_control_characters_in_a_headline_do_not_break_the_feed(client, make_story):
    make_story("Bell\x07 and \x0bvertical tab")
    for url in ["/feeds/rss/", "/feeds/atom/"]:
        _, feed = parse(client, url)
        assert feed.entries[0].title == "Bell and vertical tab"


def test_feeds_list_the_newest_stories_up_to_the_limit(client, make_story):
    for n in range(FEED_LENGTH + 2):
        make_story(f"Story {n}", published_at=timezone.now() - timedelta(minutes=n + 1))
    _, feed = parse(client, "/feeds/rss/")
    assert len(feed.entries) == FEED_LENGTH
    assert feed.entries[0].title == "Story 0"
    assert len(json.loads(client.get("/feed.json").content)["items"]) == FEED_LENGTH


@pytest.mark.parametrize(
    "url",
    [
        "/feeds/section/no-such-section/rss/",
        "/feeds/tag/no-such-tag/atom/",
        "/feeds/author/no-such-author/rss/",
        "/feeds/topic/seoul/rss/",
        "/feeds/section/nation/json/",
    ],
)
def test_unknown_feeds_are_404(client, make_story, url):
    make_story(tags=["Seoul"])
    assert client.get(url).status_code == 404


def test_tag_used_only_by_drafts_has_no_feed(client, make_story):
    make_story(tags=["Embargoed"], status=Story.Status.DRAFT)
    assert client.get("/feeds/tag/embargoed/rss/").status_code == 404


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize(
    "url",
    ["/feeds/rss/", "/feeds/atom/", "/feed.json", "/feeds/tag/tag-0/rss/", "author", "section"],
)
def test_feed_query_count_is_bounded(
    client, make_story, make_author, make_section, django_assert_max_num_queries, size, url
):
    authors = [make_author() for _ in range(size)]
    section = make_section()
    for _ in range(size):
        make_story(authors=authors, section=section, tags=[f"tag {m}" for m in range(size)])
    url = {
        "author": f"/feeds/author/{authors[0].slug}/atom/",
        "section": f"/feeds/section/{section.slug}/rss/",
    }.get(url, url)
    with django_assert_max_num_queries(4):
        response = client.get(url)
    assert response.status_code == 200


def test_pages_link_their_feeds(client, story):
    author = story.authors.first()
    site_links = [
        '<link rel="alternate" type="application/rss+xml" title="The Newsroom (RSS)" '
        'href="/feeds/rss/">',
        '<link rel="alternate" type="application/atom+xml" title="The Newsroom (Atom)" '
        'href="/feeds/atom/">',
        '<link rel="alternate" type="application/feed+json" title="The Newsroom (JSON Feed)" '
        'href="/feed.json">',
    ]
    section = story.section
    own = {
        "/": None,
        story.get_absolute_url(): (section.name, f"/feeds/section/{section.slug}/rss/"),
        section.get_absolute_url(): (section.name, f"/feeds/section/{section.slug}/rss/"),
        "/tags/seoul/": ("Seoul", "/feeds/tag/seoul/rss/"),
        author.get_absolute_url(): (author.name, f"/feeds/author/{author.slug}/rss/"),
    }
    for url, own_feed in own.items():
        html = client.get(url).content.decode()
        for link in site_links:
            assert link in html, url
        if own_feed:
            title, feed_url = own_feed
            link = f'type="application/rss+xml" title="{title} (RSS)" href="{feed_url}"'
            assert link in html, url
