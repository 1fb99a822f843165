"""A browser journey with the breaking-news banner, on a clock the test controls.

An editor adds a banner with an expiry in the admin; a reader sees it on the front page
and on a story at once, still a second before its expiry, and no more at it.

The gunicorn live site (tests/live.py) runs on the real clock, so this journey uses
Django's in-process live server instead: its threads read `timezone.now`, which the
test replaces with a clock it moves (no sleeps). The database is set up before
Chromium starts: Playwright's event loop then forbids ORM calls in this thread.
"""

import re
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.live import CHROMIUM_ARGS, chromium_path, screenshot_path
from tests.test_journeys import choose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

START = datetime(2031, 5, 6, 0, 0, tzinfo=UTC)  # 09:00 in Seoul, the site's zone
TEXT = "Strong earthquake felt across the capital region"
PASSWORD = "banner-journey-password-5d1e"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    clock = Clock(START)
    with mock.patch("django.utils.timezone.now", side_effect=clock):
        yield clock


def test_editor_adds_a_banner_reader_sees_it_until_its_expiry(
    clock, live_server, role_user, make_story, settings
):
    settings.TIME_ZONE = "Asia/Seoul"
    editor = role_user("Editor", "banner-desk")
    editor.set_password(PASSWORD)
    editor.save()
    story = make_story("Quake shakes Seoul high-rises", published_at=START - timedelta(hours=2))
    other = make_story("Ferries return to the river", published_at=START - timedelta(hours=3))
    executable = chromium_path()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        desk = browser.new_context(base_url=live_server.url).new_page()
        reader = browser.new_context(base_url=live_server.url).new_page()

        # The editor: a "developing" banner linking the story, ending at 10:30 Seoul time.
        desk.goto("/admin/login/")
        desk.fill("#id_username", "banner-desk")
        desk.fill("#id_password", PASSWORD)
        desk.click("input[type=submit]")
        desk.wait_for_selector("#user-tools")
        desk.goto("/admin/fronts/banner/add/")
        expect(desk.locator("#banner_form")).to_contain_text("one banner at a time")
        desk.fill("#id_text", TEXT)
        desk.select_option("#id_level", "developing")
        choose(desk, ".field-story", "Quake", "Quake shakes Seoul high-rises")
        desk.fill("#id_expires_at_0", "2031-05-06")
        desk.fill("#id_expires_at_1", "10:30:00")
        desk.click("input[name=_save]")
        expect(desk.locator(".messagelist")).to_contain_text("was added successfully")

        # The reader, at once: on the front page and on another story, at the top.
        reader.goto("/")
        banner = reader.get_by_role("complementary", name="Developing story")
        expect(banner).to_contain_text("Developing")
        expect(banner).to_contain_text(TEXT)
        reader.goto(other.get_absolute_url())
        expect(banner).to_contain_text(TEXT)
        # Reachable from the keyboard: the first Tab after the skip link is its link.
        reader.keyboard.press("Tab")
        reader.keyboard.press("Tab")
        expect(banner.get_by_role("link", name=TEXT)).to_be_focused()
        reader.keyboard.press("Enter")
        expect(reader).to_have_url(re.compile(re.escape(story.get_absolute_url()) + "$"))
        reader.screenshot(path=screenshot_path("banner.png"))

        # A second before the expiry (10:30 Seoul = 01:30 UTC) it is still there …
        clock.now = START + timedelta(hours=1, minutes=30) - timedelta(seconds=1)
        reader.goto("/")
        expect(banner).to_contain_text(TEXT)
        # … and at the expiry it is gone, from the page cache too, with no save.
        clock.now = START + timedelta(hours=1, minutes=30)
        reader.goto("/")
        expect(reader.locator(".breaking-banner")).to_have_count(0)
        reader.goto(story.get_absolute_url())
        expect(reader.locator(".breaking-banner")).to_have_count(0)
        expect(reader.locator("h1")).to_have_text("Quake shakes Seoul high-rises")

        browser.close()
