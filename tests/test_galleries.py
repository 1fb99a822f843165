"""Library photos and galleries between the paragraphs of a story (articles/inline_media.py).

The browser half (the viewer, the journey) is tests/test_photo_journey.py.
"""

import json
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from articles import blocks
from articles.models import BodyUse, Story
from articles.photos.models import Gallery, GalleryPhoto
from articles.photos.tasks import make_photo_renditions
from tests.conftest import library_photo, require
from tests.live import VNU_JAR
from tests.test_admin import ADD, inline_rows, story_form_data
from tests.test_embeds import cold_queries
from tests.test_query_counts import MAX_QUERIES


@pytest.fixture
def photos(db):
    """Three ready photos, made once per test (renditions take a moment each)."""
    return [
        library_photo(caption=f"Harbour {n}", credit=f"Agency {n}", alt=f"Boats, view {n}")
        for n in range(3)
    ]


def make_gallery(photos, title="The harbour at dawn", captions=()):
    gallery = Gallery.objects.create(title=title)
    for order, photo in enumerate(photos):
        caption = captions[order] if order < len(captions) else ""
        GalleryPhoto.objects.create(gallery=gallery, photo=photo, order=order, caption=caption)
    return gallery


def page(client, story):
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


# The editor's side: codes in the body


def test_codes_on_their_own_paragraphs_save_as_written(editor_client, section, photos):
    gallery = make_gallery(photos)
    body = (
        f"<p>The vote was close.</p><p>[photo {photos[0].pk}]</p>"
        f"<p>[photo {photos[1].pk} | The old quay, before the vote]</p>"
        f"<p>[gallery {gallery.pk}]</p>"
    )
    response = editor_client.post(ADD, story_form_data(section, body=body))

    assert response.status_code == 302, response.context["adminform"].form.errors
    story = Story.objects.get()
    assert "The old quay, before the vote" in story.body and "<figure" not in story.body
    uses = set(BodyUse.objects.filter(story=story).values_list("photo_id", "gallery_id"))
    assert uses == {(photos[0].pk, None), (photos[1].pk, None), (None, gallery.pk)}


@pytest.mark.parametrize(
    "code, message",
    [
        ("[photo 999999]", "There is no photo 999999 in the library"),
        ("[gallery 999999]", "There is no gallery 999999"),
        ("[photo twelve]", "is not a photo or gallery code"),
        ("[gallery 1 | A caption]", "a gallery takes no caption here"),
        (f"[photo 1 | {'x' * 301}]", "at most 300"),
    ],
)
def test_a_code_naming_nothing_in_the_library_is_a_form_error(
    editor_client, section, code, message
):
    response = editor_client.post(ADD, story_form_data(section, body=f"<p>Lead.</p><p>{code}</p>"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["body"]
    assert len(errors) == 1 and message in errors[0], errors
    assert not Story.objects.exists()


def test_the_library_tells_the_editor_what_to_paste(editor_client, photos):
    gallery = make_gallery(photos[:1])
    changelist = editor_client.get(reverse("admin:photos_photo_changelist")).content.decode()
    change = editor_client.get(
        reverse("admin:photos_photo_change", args=[photos[0].pk])
    ).content.decode()
    gallery_page = editor_client.get(
        reverse("admin:photos_gallery_change", args=[gallery.pk])
    ).content.decode()

    assert f"<code>[photo {photos[2].pk}]</code>" in changelist
    assert f'data-copy="[photo {photos[0].pk}]"' in change and "copy-code.js" in change
    assert f"<code>[gallery {gallery.pk}]</code>" in gallery_page
    story_form = editor_client.get(ADD).content.decode()
    assert "[photo 12 | A caption for this story]" in story_form


def test_a_reporter_makes_a_gallery_with_its_photos_in_order(reporter_client, photos):
    data = {
        "title": "Harbour vote in pictures",
        **inline_rows(
            "items",
            [
                {"photo": photos[2].pk, "caption": "Last light", "order": "1"},
                {"photo": photos[0].pk, "caption": "", "order": "2"},
            ],
        ),
    }
    response = reporter_client.post(reverse("admin:photos_gallery_add"), data)

    assert response.status_code == 302, response.context["errors"]
    gallery = Gallery.objects.get()
    assert [(i.photo_id, i.caption) for i in gallery.items.all()] == [
        (photos[2].pk, "Last light"),
        (photos[0].pk, ""),
    ]


# Readers


def test_readers_get_a_figure_with_responsive_picture_caption_and_credit(
    client, make_story, photos
):
    story = make_story(
        body=f"<p>Lead.</p><p>[photo {photos[0].pk}]</p><p>Middle.</p>"
        f"<p>[photo {photos[1].pk} | Words for this story]</p>"
    )
    html = page(client, story)

    figures = re.findall(r'<figure class="inline-photo">.*?</figure>', html, re.S)
    assert len(figures) == 2 and "[photo" not in html
    first, second = figures
    assert '<picture><source type="image/avif"' in first
    assert 'loading="lazy"' in first and 'alt="Boats, view 0"' in first
    assert re.search(r'width="\d+" height="\d+"', first)
    assert "Harbour 0" in first and '<span class="credit">Agency 0</span>' in first
    # The story's own caption; the credit is always the photo's.
    assert "Words for this story" in second and "Harbour 1" not in second
    assert '<span class="credit">Agency 1</span>' in second
    assert html.index("Lead.") < html.index(first) < html.index("Middle.") < html.index(second)


def test_a_photo_processing_deleted_or_past_its_rights_shows_nothing(
    client, make_story, photos, settings
):
    settings.NEWSROOM = {**settings.NEWSROOM, "HIDE_EXPIRED_PHOTOS": True}
    processing = library_photo(ready=False, caption="Still processing")
    expired = library_photo(
        caption="Agency photo", rights_expire_on=timezone.localdate() - timedelta(days=1)
    )
    gallery = make_gallery([processing, expired])
    story = make_story(
        body=f"<p>Lead.</p><p>[photo {processing.pk}]</p><p>[photo {expired.pk}]</p>"
        f"<p>[gallery {gallery.pk}]</p><p>[photo 999999]</p><p>End.</p>"
    )
    html = page(client, story)

    assert "<figure" not in html.split('class="story__body"')[1].split("</article>")[0]
    assert "Still processing" not in html and "Agency photo" not in html
    assert "[photo" not in html and "[gallery" not in html and "gallery.js" not in html

    # Once the worker has made its renditions, the page shows the photo, inline and in
    # the gallery (the story's query brought the gallery's photo with its state).
    make_photo_renditions.call(processing.pk)
    html = page(client, story)
    assert html.count('<figure class="inline-photo">') == 1
    assert html.count('class="gallery__item"') == 1


def test_a_body_whose_uses_were_not_recorded_still_shows_its_photos(client, make_story, photos):
    """A body written without Story.save (a restored backup brings no BodyUse rows):
    its photos and gallery are loaded by their codes, as before."""
    from articles.models import BodyUse

    gallery = make_gallery(photos[:2])
    story = make_story(body=f"<p>[photo {photos[2].pk}]</p><p>[gallery {gallery.pk}]</p>")
    BodyUse.objects.filter(story=story).delete()
    html = page(client, story)
    assert html.count('<figure class="inline-photo">') == 1
    assert html.count('class="gallery__item"') == 2


def test_the_gallery_is_a_list_of_figures_and_loads_its_viewer(client, make_story, photos):
    gallery = make_gallery(photos, captions=["", "A gallery caption"])
    story = make_story(body=f"<p>Lead.</p><p>[gallery {gallery.pk}]</p>")
    html = page(client, story)

    block = re.search(r'<figure class="gallery" data-gallery.*?</ul></figure>', html, re.S)[0]
    assert 'aria-labelledby="gallery-1-title"' in block and 'id="gallery-1-title"' in block
    assert "The harbour at dawn" in block and "(3 photos)" in block
    items = re.findall(r'<li class="gallery__item".*?</li>', block, re.S)
    assert len(items) == 3
    assert "Harbour 0" in items[0] and "A gallery caption" in items[1] and "Harbour 1" not in block
    assert all('<span class="credit">Agency' in item for item in items)
    # Without JavaScript each photo links its full-size image.
    assert all(re.search(r'<a class="gallery__open" href="[^"]+\.jpg"', item) for item in items)
    assert 'aria-label="Photo 2 of 3, full size: Boats, view 1"' in items[1]
    assert re.search(r'<script src="[^"]*js/gallery\.[^"]*js" defer></script>', html)
    plain = make_story(body="<p>No gallery here.</p>")
    assert "gallery.js" not in page(client, plain)


def test_story_page_query_count_is_the_same_with_0_3_and_30_photos_and_galleries(
    client, make_story, photos
):
    gallery = make_gallery(photos)
    counts = []
    for n in (0, 3, 30):
        body = "<p>Lead.</p>" + "".join(
            f"<p>[gallery {gallery.pk}]</p>" if i % 3 == 2 else f"<p>[photo {photos[i % 2].pk}]</p>"
            for i in range(n)
        )
        story = make_story(body=body)
        count, response = cold_queries(client, story.get_absolute_url())
        html = response.content.decode()
        assert html.count('<figure class="inline-photo">') == n - n // 3
        assert html.count("data-gallery") == n // 3
        counts.append(count)
    # The photos and the galleries' items come inside the story's own query.
    assert counts[0] == counts[1] == counts[2] <= MAX_QUERIES, counts


def test_a_warm_story_page_with_photos_and_a_gallery_needs_no_query(
    client, make_story, photos, django_assert_num_queries
):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    gallery = make_gallery(photos)
    story = make_story(body=f"<p>[photo {photos[0].pk}]</p><p>[gallery {gallery.pk}]</p>")
    client.get(story.get_absolute_url())
    with django_assert_num_queries(0):
        assert client.get(story.get_absolute_url()).status_code == 200


def test_changing_a_photo_or_gallery_changes_the_pages_showing_it(client, make_story, photos):
    gallery = make_gallery(photos[1:])
    story = make_story(body=f"<p>[photo {photos[0].pk}]</p><p>[gallery {gallery.pk}]</p>")
    assert "Harbour 0" in page(client, story)

    photos[0].credit = "New credit"
    photos[0].save()
    assert "New credit" in page(client, story)

    photos[2].caption = "A better caption"
    photos[2].save()
    assert "A better caption" in page(client, story)

    item = gallery.items.get(photo=photos[1])
    item.caption = "Caption for the gallery"
    item.save()
    html = page(client, story)
    assert "Caption for the gallery" in html

    gallery.items.filter(photo=photos[2]).delete()
    assert "A better caption" not in page(client, story)


def test_feeds_get_plain_figures_and_no_script(client, make_story, photos):
    gallery = make_gallery(photos[1:])
    make_story(body=f"<p>Lead.</p><p>[photo {photos[0].pk}]</p><p>[gallery {gallery.pk}]</p>")
    for url in ("/feeds/rss/", "/feeds/atom/", "/feed.json"):
        content = client.get(url).content.decode()
        if url == "/feed.json":
            content = json.loads(content)["items"][0]["content_html"]
        else:
            content = content.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
        assert "<script" not in content and "data-gallery" not in content, url
        assert content.count('<figure><img src="http') == 3, url
        assert "Harbour 0" in content and "Agency 2" in content, url


# Deleting what a story shows


def test_a_photo_or_gallery_a_story_shows_cannot_be_deleted(editor_client, make_story, photos):
    gallery = make_gallery(photos[1:2])
    story = make_story(
        "Harbour vote", body=f"<p>[photo {photos[0].pk}]</p><p>[gallery {gallery.pk}]</p>"
    )

    for photo in photos[:2]:
        response = editor_client.get(reverse("admin:photos_photo_delete", args=[photo.pk]))
        assert response.status_code == 200
        assert "Cannot delete photo" in response.content.decode()
    response = editor_client.get(reverse("admin:photos_gallery_delete", args=[gallery.pk]))
    assert "the body of “Harbour vote”" in response.content.decode()
    change = editor_client.get(reverse("admin:photos_photo_change", args=[photos[1].pk]))
    assert (
        "Harbour vote" in change.content.decode()
        and "The harbour at dawn" in change.content.decode()
    )
    shows = editor_client.get(reverse("admin:photos_gallery_change", args=[gallery.pk]))
    assert "Used in" in shows.content.decode() and "Harbour vote" in shows.content.decode()
    with pytest.raises(ProtectedError):
        photos[0].delete()

    # Once no body shows them, they can go.
    story.body = "<p>Words only.</p>"
    story.save()
    gallery.delete()
    photos[0].delete()
    photos[1].delete()
    assert not BodyUse.objects.exists()


def test_a_body_without_photos_renders_without_the_database():
    # No database access is allowed in this test: any query would raise.
    html = blocks.for_readers("<p>Just words.</p><p>[not a code]</p>")
    assert html == "<p>Just words.</p><p>[not a code]</p>"


def test_search_excerpts_leave_out_the_codes(client, make_story, photos):
    make_story(body=f"<p>Ferries at dawn.</p><p>[photo {photos[0].pk}]</p><p>Ferries at dusk.</p>")
    html = client.get("/search/?q=ferries").content.decode()
    assert "dawn" in html and "[photo" not in html


@pytest.mark.server
def test_inline_photos_and_galleries_are_valid_html(client, make_story, photos, tmp_path):
    java = shutil.which("java")
    require(java, "Java for vnu.jar (apt-get install default-jre-headless)")
    require(VNU_JAR.is_file(), f"vnu.jar at {VNU_JAR} (npm ci, which `make test` runs)")
    gallery = make_gallery(photos, captions=["One & <two>"])
    story = make_story(
        body=f"<p>Lead.</p><p>[photo {photos[0].pk} | Ours]</p><p>[gallery {gallery.pk}]</p>"
        f"<p>[gallery {gallery.pk}]</p><p>End.</p>"
    )
    path = tmp_path / "story.html"
    path.write_bytes(client.get(story.get_absolute_url()).content)
    assert path.read_text().count("data-gallery") == 2

    result = subprocess.run(
        [java, "-Xss16m", "-XX:TieredStopAtLevel=1", "-jar", str(VNU_JAR), "--errors-only",
         "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert json.loads(result.stderr)["messages"] == []


def test_a_feed_loads_the_photos_of_all_its_items_at_once(client, make_story, photos):
    gallery = make_gallery(photos[1:])
    body = f"<p>[photo {photos[0].pk}]</p><p>[gallery {gallery.pk}]</p>"
    make_story(body=body)
    one, _ = cold_queries(client, "/feeds/rss/")
    for _ in range(4):
        make_story(body=body)
    many, response = cold_queries(client, "/feeds/rss/")
    assert many == one, (one, many)
    assert response.content.decode().count("&lt;figure&gt;&lt;img") == 15


def test_a_photo_shown_inline_leaves_pages_when_its_rights_end(make_story, photos, settings):
    from articles.photos.models import next_rights_expiry, rights_expired_since

    settings.NEWSROOM = {**settings.NEWSROOM, "HIDE_EXPIRED_PHOTOS": True}
    today = timezone.localdate()
    photos[0].rights_expire_on = today
    photos[0].save()
    photos[1].rights_expire_on = today + timedelta(days=3)
    photos[1].save()
    make_story(body=f"<p>[photo {photos[0].pk}]</p>")
    make_gallery(photos[1:2])
    assert timezone.localtime(next_rights_expiry()).date() == today + timedelta(days=1)

    photos[0].rights_expire_on = today - timedelta(days=1)
    photos[0].save()
    assert f"photo:{photos[0].pk}" in rights_expired_since(timezone.now() - timedelta(days=1))
    assert timezone.localtime(next_rights_expiry()).date() == today + timedelta(days=4)


def test_a_gallerys_photo_is_chosen_from_the_library_with_thumbnails(reporter_client, photos):
    query = "app_label=photos&model_name=galleryphoto&field_name=photo&term=harbour 1"
    answer = reporter_client.get(f"{reverse('admin:autocomplete')}?{query}").json()

    [choice] = answer["results"]
    assert choice["id"] == str(photos[1].pk) and "Harbour 1" in choice["text"]
    assert choice["thumbnail"] == photos[1].thumbnail_url


def test_reverting_a_gallery_changes_the_pages_showing_it(client, make_story, photos):
    import reversion
    from reversion.models import Version

    with reversion.create_revision():
        gallery = make_gallery(photos[:1], captions=["First words"])
    story = make_story(body=f"<p>[gallery {gallery.pk}]</p>")
    with reversion.create_revision():
        item = gallery.items.get()
        item.caption = "Second words"
        item.save()
        gallery.save()
    assert "Second words" in page(client, story)

    Version.objects.get_for_object(gallery).order_by("pk").first().revision.revert(delete=True)
    assert "First words" in page(client, story)
