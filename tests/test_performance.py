"""What keeps public pages fast: no per-row work on load, fragments rendered once."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from articles import cards
from articles.models import Correction, Photo, Story
from tests.conftest import image_bytes, library_photo


def test_loading_a_story_never_measures_its_photo(make_story):
    story = make_story(lead_photo=library_photo(ContentFile(image_bytes(300, 200), "p.jpg")))
    # A photo stored without its size (old rows, scripts) stays unmeasured on load.
    Photo.objects.filter(pk=story.lead_photo_id).update(width=None, height=None)
    with mock.patch("django.core.files.images.get_image_dimensions") as measure:
        loaded = Story.objects.select_related("lead_photo").get(pk=story.pk)
    assert loaded.lead_photo and loaded.lead_photo.width is None
    measure.assert_not_called()


def test_uploading_a_photo_still_records_its_size(db, photo_upload):
    photo = library_photo(photo_upload(width=300, height=200), ready=False)
    assert Photo.objects.values("width", "height").get(pk=photo.pk) == {
        "width": 300,
        "height": 200,
    }


# Fragments: rendered once until what they show changes, never stale.


@pytest.fixture
def no_page_cache(settings):
    """Every request renders; only fragments (cards, story pages, counts) are kept."""
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}


def test_each_card_is_rendered_once_until_it_changes(client, make_story, no_page_cache):
    for n in range(3):
        make_story(f"Card {n}")
    with mock.patch.object(cards, "render_card", wraps=cards.render_card) as render:
        client.get("/")
        assert render.call_count == 3
        client.get("/")
        client.get("/stories/")  # the same stories in another form (h2): rendered once
        client.get("/stories/")
    assert render.call_count == 6


def test_an_edited_headline_shows_at_once_on_lists_and_story_page(
    client, make_story, make_author, no_page_cache
):
    author = make_author(name="Kim Min-ji")
    story = make_story("Original headline", authors=[author], tags=["Seoul"])
    pages = ["/", "/stories/", story.section.get_absolute_url(), "/tags/seoul/"]
    pages += [author.get_absolute_url(), story.get_absolute_url()]
    for url in pages:
        assert b"Original headline" in client.get(url).content, url
    story.headline = "Edited headline"
    story.save()
    for url in pages:
        content = client.get(url).content
        assert b"Edited headline" in content and b"Original headline" not in content, url


def test_section_and_author_renames_show_on_cards_and_navigation(
    client, make_story, make_author, no_page_cache
):
    author = make_author(name="Kim Min-ji")
    story = make_story(authors=[author])
    client.get("/")
    client.get(story.get_absolute_url())
    story.section.name = "Renamed section"
    story.section.save()
    author.name = "Lee Ji-eun"
    author.save()
    for url in ("/", story.get_absolute_url()):
        content = client.get(url).content.decode()
        assert content.count("Renamed section") >= 2, url  # navigation and card/kicker
        assert "Lee Ji-eun" in content, url


def test_a_correction_shows_at_once_on_the_story_page(client, make_story, no_page_cache):
    story = make_story()
    client.get(story.get_absolute_url())
    Correction.objects.create(story=story, text="The minister's name was misspelt.")
    assert b"misspelt" in client.get(story.get_absolute_url()).content


def test_lists_follow_publication_at_once(client, make_story, settings, no_page_cache):
    settings.NEWSROOM = {**settings.NEWSROOM, "STORIES_PER_PAGE": 2}
    make_story("Listed 0", published_at=timezone.now() - timedelta(hours=2))
    assert b'rel="next"' not in client.get("/stories/").content
    make_story("One more", published_at=timezone.now() - timedelta(minutes=1))
    make_story("And another", published_at=timezone.now())
    first_page = client.get("/stories/").content
    assert b"And another" in first_page and b"Listed 0" not in first_page
    assert b'rel="next"' in first_page  # "Older stories": the list grew past a page


def test_a_scheduled_story_appears_on_time_without_any_save(client, make_story, no_page_cache):
    older = make_story("Already out", tags=["ferry"])
    soon = timezone.now() + timedelta(minutes=5)
    make_story("Coming soon", status="published", published_at=soon, tags=["ferry"])
    for url in ("/", "/stories/", "/tags/ferry/", older.get_absolute_url()):
        assert b"Coming soon" not in client.get(url).content, url
    later = soon + timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        for url in ("/", "/stories/", "/tags/ferry/", older.get_absolute_url()):
            assert b"Coming soon" in client.get(url).content, url


def test_drafts_never_reach_a_cached_fragment(editor_client, make_story, no_page_cache):
    from django.test import Client

    reader = Client()
    draft = make_story("Secret draft", status="draft")
    preview = editor_client.get(draft.get_absolute_url())
    assert preview.status_code == 200 and b"Secret draft" in preview.content
    assert reader.get(draft.get_absolute_url()).status_code == 404
    assert b"Secret draft" not in reader.get("/").content


def test_warm_up_renders_the_first_pages_before_any_reader(client, make_story, no_page_cache):
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    from newsroom import warmup

    story = make_story("Warm story", tags=["Seoul"])
    # The master closes its connections before forking; not the test's own, which
    # (like the test client does) requests must not close either.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with mock.patch.object(warmup.connections, "close_all") as close_all:
            warmup.warm_up(get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    close_all.assert_called_once()
    with mock.patch.object(cards, "render_card") as render:
        for url in ("/", "/stories/", story.get_absolute_url(), "/tags/seoul/"):
            assert b"Warm story" in client.get(url).content
    render.assert_not_called()


def test_a_failed_warm_up_never_stops_start_up(caplog):
    from newsroom import warmup

    with (
        mock.patch.object(warmup, "sample_paths", side_effect=RuntimeError("no tables yet")),
        mock.patch.object(warmup.connections, "close_all"),
    ):
        warmup.warm_up(application=None)
    assert "Warm-up incomplete" in caplog.text


def test_story_sitemap_builds_the_same_addresses_as_reverse(client, make_story, base_url):
    from django.urls import reverse

    story = make_story("서울 시장 선거", slug="서울-시장-선거")
    content = client.get("/sitemap-stories.xml").content.decode()
    expected = reverse("articles:story_detail", kwargs={"slug": story.slug})
    assert f"<loc>{base_url}{expected}</loc>" in content
    assert "%EC%84%9C%EC%9A%B8" in expected  # percent-encoded, as reverse() does


def test_sitemap_index_costs_the_same_whatever_the_archive(
    client, make_story, no_page_cache, django_assert_num_queries
):
    """Lowest and highest id of each kind: no count of the stories, tags or authors."""
    make_story(tags=["Seoul"])
    with django_assert_num_queries(3):  # stories, tags, authors (sections: one file)
        client.get("/sitemap.xml")
    for n in range(30):
        make_story(tags=[f"tag {n}"])
    with django_assert_num_queries(3):
        client.get("/sitemap.xml")


def test_sitemap_files_hold_a_thousand_urls_by_id(client, make_story, monkeypatch):
    from articles import sitemaps

    assert sitemaps.StorySitemap.limit == 1000
    monkeypatch.setattr(sitemaps.StorySitemap, "limit", 2)
    stories = [make_story() for _ in range(5)]
    middle = stories[2]  # its file is full: ids pk - 1 and pk, or pk and pk + 1
    number = (middle.pk - 1) // 2 - (stories[0].pk - 1) // 2 + 1
    before = client.get(f"/sitemap-stories.xml?p={number}").content.decode()
    assert middle.slug in before and before.count("<url>") == 2
    # A full file keeps its addresses as more stories are published.
    make_story()
    make_story()
    assert client.get(f"/sitemap-stories.xml?p={number}").content.decode() == before


def test_a_workers_copy_stays_within_its_size():
    from articles.cache.local import LocalCache

    copy = LocalCache(max_bytes=10_000)
    for n in range(100):
        copy.set(f"page {n}", "x" * 1000)
    assert copy.size <= 10_000
    assert copy.get("page 99") is not None and copy.get("page 0") is None
    copy.delete("page 99")
    assert copy.get("page 99") is None and copy.size <= 9_000


def test_a_published_story_is_in_the_sitemap_at_once(client, make_story, no_page_cache):
    make_story("First")
    client.get("/sitemap-stories.xml")
    story = make_story("Second one")
    assert story.slug.encode() in client.get("/sitemap-stories.xml").content
    assert client.get("/sitemap-stories.xml?p=9").status_code == 404


def test_the_site_styles_never_restyle_every_element_when_a_phone_applies_its_viewport():
    """A phone lays a page out at 980px until it has read the viewport meta tag. A media
    query on the viewport's width then flips, which restyled all 450 elements of the home
    page and built its layout tree again (Lighthouse: twice the style and layout work).
    The columns follow container queries instead, and the front's zones below the first
    screen are laid out only as they near the viewport (`make bench-lighthouse`)."""
    css = (settings.BASE_DIR / "static" / "css" / "site.css").read_text()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    width_queries = re.findall(r"@media[^{]*\b(?:min|max)-(?:device-)?width[^{]*", css)
    assert width_queries == []
    assert re.search(r"@container \(min-width: 38rem\)", css)
    assert re.search(r"\.zone, \.latest \{[^}]*content-visibility: auto", css)
