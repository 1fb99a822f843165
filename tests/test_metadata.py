"""What pages tell search engines and social networks: canonical, OpenGraph, JSON-LD."""

import io
import json
import os
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html.parser import HTMLParser

import feedparser
import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from articles import metadata
from articles.fronts.defaults import ensure_default_fronts
from articles.models import Story


class HeadParser(HTMLParser):
    """Collects <meta>, <link> and JSON-LD <script> contents of a page."""

    def __init__(self):
        super().__init__()
        self.meta, self.links, self.json_ld, self._in_ld = [], [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            self.meta.append((attrs.get("property") or attrs.get("name"), attrs.get("content")))
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_ld = True
            self.json_ld.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld[-1] += data

    def values(self, name):
        return [content for key, content in self.meta if key == name]

    def value(self, name):
        [content] = self.values(name)
        return content

    def canonical(self):
        [link] = [link["href"] for link in self.links if link.get("rel") == "canonical"]
        return link


def head(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    parser = HeadParser()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def story(make_story, make_author, photo_upload):
    return make_story(
        "Seoul’s “bold” plan for the Han River",
        dek="The city wants more ferries.",
        authors=[
            make_author("Kim Min-ji", slug="kim-min-ji"),
            make_author("이서준", slug="이"),
        ],
        tags=["Seoul", "Transport"],
        lead_photo=photo_upload(),
        photo_alt="A white ferry on a wide river at dusk",
    )


def test_story_page_has_title_description_and_canonical(client, story, base_url):
    page = head(client, story.get_absolute_url())
    assert page.value("description") == "The city wants more ferries."
    assert page.canonical() == f"{base_url}{story.get_absolute_url()}"
    html = client.get(story.get_absolute_url()).content.decode()
    assert "<title>Seoul’s “bold” plan for the Han River — The Newsroom</title>" in html


def test_story_page_has_opengraph_article_tags(client, story, base_url):
    page = head(client, story.get_absolute_url())
    assert page.value("og:site_name") == "The Newsroom"
    assert page.value("og:type") == "article"
    assert page.value("og:title") == story.headline
    assert page.value("og:description") == story.dek
    assert page.value("og:url") == f"{base_url}{story.get_absolute_url()}"
    # The social crop: 1200×630 around the focal point, a public rendition.
    assert page.value("og:image") == f"{base_url}{default_storage.url(story.social_image[0])}"
    assert (page.value("og:image:width"), page.value("og:image:height")) == ("1200", "630")
    assert page.value("og:image:type") == "image/jpeg"
    assert page.value("og:image:alt") == "A white ferry on a wide river at dusk"
    published = timezone.localtime(story.published_at).isoformat(timespec="seconds")
    assert page.value("article:published_time") == published
    assert page.value("article:modified_time")
    assert page.value("article:section") == story.section.name
    assert page.values("article:tag") == ["Seoul", "Transport"]
    assert page.value("twitter:card") == "summary_large_image"
    assert page.value("twitter:image") == page.value("og:image")


def test_story_without_photo_falls_back_to_the_site_card(client, make_story, base_url):
    story = make_story("No photo")
    page = head(client, story.get_absolute_url())
    assert page.value("twitter:card") == "summary"
    assert page.value("og:image") == f"{base_url}/static/img/share-default.png"
    assert page.value("twitter:image") == page.value("og:image")
    assert page.value("og:image:width") == "1200"
    assert page.value("og:image:height") == "675"
    article = json.loads(page.json_ld[0])
    assert article["image"] == [f"{base_url}/static/img/share-default.png"]


def test_the_site_card_is_shipped_small_and_the_size_it_says(settings):
    path = finders.find(django_settings.NEWSROOM["DEFAULT_SHARE_IMAGE"])
    assert path, "static/img/share-default.png is missing"
    with Image.open(path) as image:
        assert image.size == (1200, 675)
        assert image.format == "PNG"
    assert os.path.getsize(path) < 50_000


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("https://cdn.example.org/card.jpg", "https://cdn.example.org/card.jpg"),
        ("img/logo.png", "https://news.example.com/static/img/logo.png"),
    ],
)
def test_the_default_share_image_is_a_setting(
    client, make_story, settings, base_url, configured, expected
):
    settings.NEWSROOM = {**settings.NEWSROOM, "DEFAULT_SHARE_IMAGE": configured}
    page = head(client, make_story("No photo either").get_absolute_url())
    assert page.value("og:image") == expected
    assert json.loads(page.json_ld[0])["image"] == [expected]


def test_every_demo_story_has_an_image_in_its_json_ld(db, client, monkeypatch):
    from django.core.management import call_command

    from articles.demo.management.commands import load_demo

    monkeypatch.setattr(load_demo, "draw_photo", lambda *args: _tiny_jpeg())
    call_command("load_demo", stdout=io.StringIO())
    stories = list(Story.objects.published())
    assert any(not story.lead_photo for story in stories)  # some have no photo
    for story in stories:
        article = json.loads(head(client, story.get_absolute_url()).json_ld[0])
        assert article["image"] and all(url.startswith("http") for url in article["image"]), (
            story.slug
        )


def _tiny_jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (16, 10), (40, 90, 140)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_story_json_ld_is_a_complete_news_article(client, story, base_url):
    page = head(client, story.get_absolute_url())
    article, breadcrumbs = (json.loads(text) for text in page.json_ld)
    url = f"{base_url}{story.get_absolute_url()}"
    assert article["@context"] == "https://schema.org"
    assert article["@type"] == "NewsArticle"
    assert article["headline"] == story.headline
    assert article["description"] == story.dek
    largest_jpeg = story.photo_renditions["lead"][-1]["jpeg"][0]
    assert article["image"] == [
        f"{base_url}{default_storage.url(story.social_image[0])}",
        f"{base_url}{default_storage.url(largest_jpeg)}",
    ]
    assert article["datePublished"] == page.value("article:published_time")
    assert article["dateModified"] == page.value("article:modified_time")
    assert article["author"] == [
        {"@type": "Person", "name": "Kim Min-ji", "url": f"{base_url}/authors/kim-min-ji/"},
        {
            "@type": "Person",
            "name": "이서준",
            "url": f"{base_url}/authors/%EC%9D%B4/",
        },
    ]
    publisher = article["publisher"]
    assert publisher["@type"] == "NewsMediaOrganization"
    assert publisher["name"] == "The Newsroom"
    assert publisher["logo"]["@type"] == "ImageObject"
    assert publisher["logo"]["url"] == f"{base_url}/static/img/logo.png"
    assert article["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert article["articleSection"] == story.section.name
    assert article["keywords"] == ["Seoul", "Transport"]
    assert breadcrumbs["@type"] == "BreadcrumbList"
    assert [item["item"] for item in breadcrumbs["itemListElement"]] == [
        f"{base_url}/",
        f"{base_url}{story.section.get_absolute_url()}",
        url,
    ]
    assert [item["position"] for item in breadcrumbs["itemListElement"]] == [1, 2, 3]


def test_json_ld_cannot_be_broken_out_of(client, make_story):
    headline = "</script><script>alert(1)</script> <!-- & \u2028"
    story = make_story(headline, dek="</SCRIPT> dek")
    html = client.get(story.get_absolute_url()).content.decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 2
    assert json.loads(blocks[0])["headline"] == headline
    assert json.loads(blocks[0])["description"] == "</SCRIPT> dek"
    assert "<script>alert(1)" not in html
    assert "<!--" not in "".join(blocks)


def test_staff_preview_carries_no_structured_data(make_story):
    # The preview page itself needs the admin (for its edit link); the metadata does not.
    draft = Story.objects.for_detail().get(pk=make_story("Scoop", status="draft").pk)
    meta = metadata.story_page_meta(draft, [], is_preview=True)
    assert meta.json_ld == []
    assert meta.published_time == meta.modified_time == ""


@pytest.mark.parametrize("url", ["/", "/stories/", "section", "/tags/seoul/", "author"])
def test_list_pages_have_website_metadata(client, story, base_url, url):
    ensure_default_fronts()  # the migration's, unless a flushing test removed it
    url = {
        "section": story.section.get_absolute_url(),
        "author": story.authors.first().get_absolute_url(),
    }.get(url, url)
    page = head(client, url)
    assert page.value("og:type") == "website"
    assert page.value("og:url") == page.canonical() == f"{base_url}{url}"
    assert page.value("og:title")
    assert page.value("description") == page.value("og:description")
    assert page.value("og:image") == f"{base_url}/static/img/logo.png"
    assert page.value("twitter:card") == "summary"
    # The home page's curated stories as an ItemList (tests/test_fronts.py); no other.
    expected = ["ItemList"] if url == "/" else []
    assert [json.loads(data)["@type"] for data in page.json_ld] == expected


def test_paginated_list_canonical_includes_the_page(client, settings, make_story, base_url):
    settings.NEWSROOM = {**settings.NEWSROOM, "STORIES_PER_PAGE": 2}
    for _ in range(5):
        make_story()
    assert head(client, "/stories/").canonical() == f"{base_url}/stories/"
    assert head(client, "/stories/?page=1").canonical() == f"{base_url}/stories/"
    older = client.get("/stories/?page=2")["Location"]  # a former address: redirected
    assert older.startswith("/stories/?before=")
    assert head(client, f"{older}&utm_source=x").canonical() == f"{base_url}{older}"
    html = client.get(older).content.decode()
    assert re.search(r"<title>Latest stories — stories before [^<]+ — The Newsroom</title>", html)


def test_error_pages_still_link_the_site_feed(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'type="application/rss+xml"' in response.content.decode()


def test_publisher_logo_is_a_static_file_of_the_configured_size():
    path = finders.find(django_settings.NEWSROOM["PUBLISHER_LOGO"])
    with Image.open(path) as logo:
        assert logo.size == (
            django_settings.NEWSROOM["PUBLISHER_LOGO_WIDTH"],
            django_settings.NEWSROOM["PUBLISHER_LOGO_HEIGHT"],
        )


@pytest.mark.parametrize("status", ["draft", "scheduled"])
def test_hidden_story_is_on_no_discovery_surface(client, make_story, make_author, status):
    author = make_author("Shared Reporter", slug="shared-reporter")
    public = make_story("Visible harbour news", authors=[author], tags=["Harbour"])
    hidden_kwargs = {"status": Story.Status.DRAFT}
    if status == "scheduled":
        hidden_kwargs = {"published_at": timezone.now() + timedelta(hours=3)}
    hidden = make_story(
        "Secret harbour scoop", authors=[author], tags=["Harbour", "Secret"], **hidden_kwargs
    )
    secret = [hidden.headline, hidden.slug, "secret"]

    def assert_hidden(text, where):
        for marker in secret:
            assert marker not in text.lower() if marker == "secret" else marker not in text, where

    # Search.
    assert_hidden(client.get("/search/", {"q": "harbour"}).content.decode(), "search")
    # Every feed.
    slug = public.section.slug
    for url in [
        "/feeds/rss/",
        "/feeds/atom/",
        f"/feeds/section/{slug}/rss/",
        "/feeds/tag/harbour/atom/",
        "/feeds/author/shared-reporter/rss/",
    ]:
        feed = feedparser.parse(client.get(url).content)
        assert [entry.title for entry in feed.entries] == [public.headline], url
    assert_hidden(client.get("/feed.json").content.decode(), "json feed")
    assert client.get("/feeds/tag/secret/rss/").status_code == 404
    # Sitemaps and the news sitemap.
    for url in [
        "/sitemap.xml",
        "/sitemap-stories.xml",
        "/sitemap-tags.xml",
        "/sitemap-authors.xml",
        "/news-sitemap.xml",
    ]:
        response = client.get(url)
        ET.fromstring(response.content)
        assert_hidden(response.content.decode(), url)
    # Page metadata on lists and on the public story.
    for url in ["/", "/stories/", public.section.get_absolute_url(), public.get_absolute_url()]:
        assert_hidden(client.get(url).content.decode(), url)
