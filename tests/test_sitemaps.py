"""Sitemap index, per-kind sitemaps, the Google News sitemap and robots.txt."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from articles import sitemaps
from articles.models import Story

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


def xml(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)


def locations(root):
    return [loc.text for loc in root.iterfind(".//sm:loc", NS)]


def test_index_lists_every_sitemap_on_the_configured_site(
    client, make_story, make_author, base_url
):
    story = make_story(tags=["Seoul"], authors=[make_author()])
    root = xml(client, "/sitemap.xml")
    assert root.tag == f"{{{NS['sm']}}}sitemapindex"
    assert locations(root) == [
        f"{base_url}/sitemap-{name}.xml" for name in ("stories", "sections", "tags", "authors")
    ]
    # No lastmod per file: finding each file's latest change would read the whole table.
    assert root.find("sm:sitemap/sm:lastmod", NS) is None
    assert f"{base_url}{story.get_absolute_url()}" in locations(xml(client, "/sitemap-stories.xml"))


def test_story_sitemap_lists_public_stories_with_lastmod(client, make_story, base_url):
    stories = [make_story() for _ in range(3)]
    make_story(status=Story.Status.DRAFT)
    root = xml(client, "/sitemap-stories.xml")
    assert sorted(locations(root)) == sorted(f"{base_url}{s.get_absolute_url()}" for s in stories)
    lastmods = [element.text for element in root.iterfind("sm:url/sm:lastmod", NS)]
    assert lastmods == [timezone.localdate(stories[0].updated_at).isoformat()] * 3


def test_sitemaps_are_split_into_files_by_id(client, make_story, monkeypatch):
    monkeypatch.setattr(sitemaps.StorySitemap, "limit", 2)
    stories = [make_story() for _ in range(5)]
    # File 1 is the block of two ids holding the lowest id; file N the N-th block on.
    first_block = (stories[0].pk - 1) // 2
    numbers = sorted({(story.pk - 1) // 2 - first_block + 1 for story in stories})
    index = locations(xml(client, "/sitemap.xml"))
    files = [url.rsplit("/", 1)[1] for url in index if "sitemap-stories" in url]
    assert files == [
        "sitemap-stories.xml" if number == 1 else f"sitemap-stories.xml?p={number}"
        for number in range(numbers[0], numbers[-1] + 1)
    ]
    listed = [
        slug.rstrip("/").rsplit("/", 1)[1]
        for number in numbers
        for slug in locations(xml(client, f"/sitemap-stories.xml?p={number}"))
    ]
    assert listed == [story.slug for story in stories]  # every story once, in id order
    assert client.get(f"/sitemap-stories.xml?p={numbers[-1] + 1}").status_code == 404
    assert client.get("/sitemap-stories.xml?p=0").status_code == 404


def test_kind_sitemaps_list_only_pages_with_public_stories(
    client, make_story, make_section, make_author, base_url
):
    empty_section = make_section("Empty", slug="empty")
    writer, idle = make_author("Writer", slug="writer"), make_author("Idle", slug="idle")
    story = make_story(tags=["Public tag"], authors=[writer])
    make_story(tags=["Draft tag"], section=empty_section, authors=[idle], status="draft")
    assert locations(xml(client, "/sitemap-sections.xml")) == [
        f"{base_url}{story.section.get_absolute_url()}"
    ]
    assert locations(xml(client, "/sitemap-tags.xml")) == [f"{base_url}/tags/public-tag/"]
    assert locations(xml(client, "/sitemap-authors.xml")) == [f"{base_url}/authors/writer/"]


def test_unknown_sitemap_is_404(client, db):
    assert client.get("/sitemap-healthz.xml").status_code == 404
    assert client.get("/sitemap-stories.xml?p=abc").status_code == 404
    assert client.get("/sitemap-stories.xml?p=99999999999999999999").status_code == 404


def test_no_sitemap_lists_operator_or_admin_pages(client, make_story):
    make_story(tags=["Seoul"])
    for name in sitemaps.SITEMAPS:
        for url in locations(xml(client, f"/sitemap-{name}.xml")):
            assert "/healthz" not in url and "/readyz" not in url and "/admin/" not in url


def test_news_sitemap_lists_the_last_two_days(client, make_story, base_url, settings):
    now = timezone.now()
    fresh = make_story("Fresh & “new” 서울", published_at=now - timedelta(hours=2))
    make_story("Old", published_at=now - timedelta(days=3))
    make_story("Draft", status=Story.Status.DRAFT)
    make_story("Scheduled", published_at=now + timedelta(hours=2))
    root = xml(client, "/news-sitemap.xml")
    [url] = root.findall("sm:url", NS)
    assert url.findtext("sm:loc", namespaces=NS) == f"{base_url}{fresh.get_absolute_url()}"
    news = url.find("news:news", NS)
    assert news.findtext("news:title", namespaces=NS) == "Fresh & “new” 서울"
    assert news.findtext("news:publication/news:name", namespaces=NS) == "The Newsroom"
    assert news.findtext("news:publication/news:language", namespaces=NS) == "en"
    published = news.findtext("news:publication_date", namespaces=NS)
    assert published == timezone.localtime(fresh.published_at).isoformat(timespec="seconds")


def test_news_sitemap_stops_at_its_limit(client, make_story, monkeypatch):
    monkeypatch.setattr(sitemaps, "NEWS_SITEMAP_LIMIT", 3)
    # Within the news sitemap's two days (make_story's default times drift back a
    # minute for every story the whole run has made).
    for n in range(5):
        make_story(published_at=timezone.now() - timedelta(minutes=n + 1))
    assert len(xml(client, "/news-sitemap.xml").findall("sm:url", NS)) == 3


def test_robots_txt_points_to_sitemaps_and_keeps_out_of_admin(client, db, base_url):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert f"Sitemap: {base_url}/sitemap.xml" in lines
    assert f"Sitemap: {base_url}/news-sitemap.xml" in lines


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize(
    "url",
    [
        "/sitemap.xml",
        "/sitemap-stories.xml",
        "/sitemap-sections.xml",
        "/sitemap-tags.xml",
        "/sitemap-authors.xml",
        "/news-sitemap.xml",
    ],
)
def test_sitemap_query_count_is_bounded(
    client, make_story, make_author, make_section, django_assert_max_num_queries, size, url
):
    for _ in range(size):
        make_story(
            authors=[make_author()], section=make_section(), tags=[f"t{m}" for m in range(size)]
        )
    with django_assert_max_num_queries(4):
        response = client.get(url)
    assert response.status_code == 200
