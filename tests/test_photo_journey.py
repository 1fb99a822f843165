"""Issue 17's journey in Chromium: from a bulk upload to a reader's gallery and embed.

An editor bulk-uploads five photos (the worker makes their renditions), captions one and
finds it by searching its caption, makes it the lead of a new story, makes a gallery of
three, places it and a YouTube embed between paragraphs, and publishes. A reader sees
the inline photo, the gallery (a list of figures without JavaScript; with it, a viewer
worked by the keyboard) and the embed's facade; nothing leaves the page before the
click that loads the iframe. Requests to other hosts are answered by a stub here, as in
tests/test_embeds_browser.py.
"""

import re
import shutil
from urllib.parse import urlsplit

import pytest
from django.db import connections
from django.test import Client
from PIL import Image, ImageDraw

from articles.models import Photo, Story
from articles.photos.models import Gallery
from tests.background_tasks import run_worker
from tests.conftest import require
from tests.live import AXE_JS
from tests.test_accessibility import axe_problems
from tests.test_csp_browser import COLLECT_VIOLATIONS
from tests.test_embeds_browser import CHROMIUM_ARGS, STUB
from tests.test_journeys import add_inline_row, choose

YOUTUBE = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
CAPTION = "Night ferry under the Mapo bridge"


def photo_file(path, n):
    """Five photos that do not look alike (the library refuses near-duplicates)."""
    image = Image.new("RGB", (900, 600), (30 + 40 * n, 160 - 25 * n, 90 + 30 * n))
    draw = ImageDraw.Draw(image)
    for stripe in range(n + 1):
        draw.rectangle((stripe * 180, 0, stripe * 180 + 60, 600 - 90 * n), fill=(250, 240, 200))
    draw.ellipse((100 * n, 300, 100 * n + 250, 550), fill=(20, 20, 60))
    image.save(path, "JPEG", quality=85)
    return str(path)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_find_place_publish_and_read_photos_a_gallery_and_an_embed(
    live_server, editor, section, tmp_path, monkeypatch
):
    # The test reads the database and runs the worker between browser steps, inside
    # Playwright's sync API (an event loop in this thread), in the test's own thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    require(shutil.which(chromium), "Chromium (apt-get install chromium)")
    require(AXE_JS.is_file(), f"axe-core at {AXE_JS} (npm ci, which `make test` runs)")
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    client = Client()
    client.force_login(editor)
    session = {"name": "sessionid", "value": client.cookies["sessionid"].value}
    ours = urlsplit(live_server.url).netloc
    outside = []

    def stub_outside(route):
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.fulfill(status=200, content_type="text/html", body=STUB)

    with sync_api.sync_playwright() as playwright:
        # Playwright's sync API runs in a greenlet: the ORM calls below get a connection
        # of their own there, closed here (else PostgreSQL's test database stays in use).
        try:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            desk = browser.new_context(
                base_url=live_server.url, viewport={"width": 1280, "height": 900}
            )
            desk.add_cookies([{**session, "url": live_server.url}])
            admin = desk.new_page()

            # Five photos at once; the worker makes their renditions.
            admin.goto("/admin/photos/photo/upload/")
            admin.set_input_files(
                "#id_files", [photo_file(tmp_path / f"p{n}.jpg", n) for n in range(5)]
            )
            admin.fill("#id_credit", "Newsroom photo")
            admin.click(".photo-upload form [type=submit]")
            expect(admin.locator(".photo-upload__ok")).to_have_count(5)
            expect(admin.locator(".photo-upload__ok code").first).to_have_text(
                re.compile(r"^\[photo \d+\]$")
            )
            expect(admin.locator(".photo-upload__ok").first).to_contain_text("being checked")
            run_worker()
            photos = list(Photo.objects.order_by("pk"))
            assert len(photos) == 5 and not any(p.is_processing for p in photos)
            # The page follows the worker by itself (admin-extra/upload-progress.js).
            expect(admin.locator(".photo-upload__ok").nth(4)).to_contain_text(
                "Ready.", timeout=10_000
            )
            expect(admin.locator("#upload-progress")).to_contain_text("Every file")

            # Caption one, then find it by its caption.
            admin.locator(".photo-upload__ok a").nth(1).click()
            admin.fill("#id_caption", CAPTION)
            admin.fill("#id_alt", "A ferry's lights on dark water")
            admin.click("input[name=_save]")
            admin.fill("#searchbar", "Mapo bridge")
            admin.press("#searchbar", "Enter")
            cards = admin.locator(".photo-grid .photo-card")
            expect(cards).to_have_count(1)
            code = cards.locator(".paste-code code").inner_text()
            assert code == f"[photo {photos[1].pk}]"
            # The grid's "select all" (admin-extra/photo-grid.js: Django's only knows rows).
            admin.check("#action-toggle")
            expect(cards.locator("input.action-select")).to_be_checked()
            expect(admin.locator(".action-counter")).to_have_text("1 of 1 selected")
            # On a phone the cards stack: nothing wider than the screen.
            admin.set_viewport_size({"width": 390, "height": 844})
            assert admin.evaluate("document.documentElement.scrollWidth <= innerWidth")
            admin.set_viewport_size({"width": 1280, "height": 900})

            # A gallery of three, in the order chosen.
            admin.goto("/admin/photos/gallery/add/")
            admin.fill("#id_title", "The river at night")
            for index, photo in enumerate(photos[2:5]):
                add_inline_row(admin, "items")
                choose(admin, f"#items-{index}", "", str(photo))
            admin.click("input[name=_save]")
            expect(admin.locator(".messagelist .success")).to_be_visible()
            gallery = Gallery.objects.get()
            assert [item.photo_id for item in gallery.items.all()] == [p.pk for p in photos[2:5]]

            # The story: the found photo as its lead and inline, the gallery and an embed
            # between its paragraphs.
            admin.goto("/admin/articles/story/add/")
            admin.fill("#id_headline", "Ferries run through the night")
            choose(admin, ".field-section", section.name, section.name)
            choose(admin, ".field-lead_photo", "Mapo", CAPTION)
            admin.locator(".prose-editor .tiptap.ProseMirror").click()
            for line in (
                "The first night ferry left at midnight.",
                f"{code[:-1]} | The ferry, from the bridge]",
                "Commuters filled every seat.",
                f"[gallery {gallery.pk}]",
                YOUTUBE,
                "Service continues all winter.",
            ):
                admin.keyboard.type(line)
                admin.keyboard.press("Enter")
            admin.select_option("#id_status", "published")
            admin.click("input[name=_save]")
            expect(admin.locator(".messagelist .success")).to_be_visible()
            story = Story.objects.get()
            assert story.lead_photo_id == photos[1].pk

            # A reader, with JavaScript.
            reader_context = browser.new_context(base_url=live_server.url)
            reader_context.add_init_script(COLLECT_VIOLATIONS)
            reader_context.route("**/*", stub_outside)
            reader = reader_context.new_page()
            reader.goto(story.get_absolute_url())
            inline = reader.locator(".story__body figure.inline-photo")
            expect(inline).to_have_count(1)
            expect(inline.locator("figcaption")).to_have_text(
                "The ferry, from the bridge Newsroom photo"
            )
            inline.scroll_into_view_if_needed()
            image = inline.locator("img")
            reader.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
            )
            items = reader.locator("figure.gallery .gallery__item")
            expect(items).to_have_count(3)

            # The gallery's viewer: opened from a photo, arrows, Escape, focus back.
            items.nth(0).locator("a.gallery__open").click()
            viewer = reader.get_by_role("dialog", name="The river at night")
            expect(viewer).to_be_visible()
            expect(viewer.locator(".gallery-viewer__status")).to_have_text("Photo 1 of 3")
            reader.keyboard.press("ArrowRight")
            expect(viewer.locator(".gallery-viewer__status")).to_have_text("Photo 2 of 3")
            reader.keyboard.press("ArrowLeft")
            reader.keyboard.press("ArrowLeft")
            expect(viewer.locator(".gallery-viewer__status")).to_have_text("Photo 3 of 3")
            reader.keyboard.press("Escape")
            expect(viewer).to_be_hidden()
            # Focus goes back to the photo last shown (after the dialog's "close" event).
            expect(items.nth(2).locator("a.gallery__open")).to_be_focused()

            # The embed: nothing reached YouTube until the click.
            button = reader.get_by_role("button", name="Load YouTube content")
            expect(button).to_be_visible()
            assert outside == []
            button.click()
            expect(reader.frame_locator("figure.embed iframe").locator("p")).to_have_text(
                "Provider stub"
            )
            assert outside == ["https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"]
            assert reader.evaluate("window.__cspViolations") == []

            # Without JavaScript: the gallery is a list of figures, each linking its photo.
            still = browser.new_context(base_url=live_server.url, java_script_enabled=False)
            still.route("**/*", stub_outside)
            plain = still.new_page()
            plain.goto(story.get_absolute_url())
            figures = plain.locator("figure.gallery li figure")
            expect(figures).to_have_count(3)
            expect(figures.locator("img")).to_have_count(3)
            assert plain.locator("dialog").count() == 0
            href = figures.nth(0).locator("a").get_attribute("href")
            assert re.search(r"\.jpg$", href) and plain.goto(href).status == 200

            # The figures, the gallery and its open viewer, as assistive technology meets them.
            checked = browser.new_context(base_url=live_server.url, bypass_csp=True)
            checked.route("**/*", stub_outside)
            axe_page = checked.new_page()
            axe_page.goto(story.get_absolute_url())
            problems = axe_problems(axe_page, AXE_JS, "story with photos and a gallery")
            axe_page.locator("figure.gallery a.gallery__open").first.click()
            problems += axe_problems(axe_page, AXE_JS, "the gallery's viewer")
            checked.add_cookies([{**session, "url": live_server.url}])
            axe_page.goto("/admin/photos/photo/")
            # The grid only: Django's own sidebar has contrast findings of its own.
            axe_page.add_script_tag(path=AXE_JS)
            grid = axe_page.evaluate(
                "() => axe.run('.photo-library', {resultTypes: ['violations']})"
            )
            problems += [
                f"the library's grid: {violation['impact']} {violation['id']}: {violation['help']}"
                for violation in grid["violations"]
                if violation["impact"] in ("serious", "critical")
            ]
            browser.close()
        finally:
            connections.close_all()

    assert problems == []
