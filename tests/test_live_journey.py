"""Live coverage as people meet it: a reporter and an editor post in the admin while a
reader's open page follows, in Chromium against the real gunicorn.

Apart from tests/test_live.py because Playwright keeps an event loop running, and
Django refuses ORM calls while one runs: this module talks to its site over HTTP and
through `Site.python` (a separate process) only. Its own site, with a one-second poll
and no jitter (NEWSROOM_LIVE_POLL_SECONDS / _JITTER), so the journey waits for events
(Playwright's expect and wait_for) and never for fixed times.
"""

import json
import os
import re
import shutil
import subprocess

import pytest

from bench.live_photo import start_worker
from bench.server import Site
from tests.conftest import image_bytes, require
from tests.live import VNU_JAR, new_context
from tests.servers import request
from tests.test_html_validity import VNU_OPTIONS
from tests.tiers import SERVER, starts

PASSWORD = "live-journey-password-4c1d"

SEED = f"""
import json
from datetime import timedelta
from django.contrib.auth.models import Group, User
from django.utils import timezone
from articles.live.models import LiveUpdate
from articles.models import Section, Story
reporter = User.objects.create_user("field", password={PASSWORD!r}, is_staff=True)
reporter.groups.add(Group.objects.get(name="Reporter"))
User.objects.create_superuser("desk", "", {PASSWORD!r})
section = Section.objects.create(name="Weather", slug="weather")
now = timezone.now()
story = Story.objects.create(
    headline="Typhoon Hinnamnor makes landfall", dek="Live: the storm hits the south coast.",
    section=section, status="published", published_at=now - timedelta(hours=2),
    live_started_at=now - timedelta(hours=2), created_by=reporter,
)
LiveUpdate.objects.bulk_create(
    LiveUpdate(story=story, posted_at=now - timedelta(minutes=60 - n),
               body=f"<p>Earlier update {{n}}: " + "the wind rises. " * 30 + "</p>")
    for n in range(19)
)
print(json.dumps({{"pk": story.pk, "path": story.get_absolute_url()}}))
"""


@pytest.fixture(scope="module")
@starts(SERVER)
def site(tmp_path_factory):
    site = Site(
        tmp_path_factory.mktemp("live-journey"),
        database_url=os.environ.get("DATABASE_URL"),
        redis_url=os.environ.get("REDIS_URL"),
        database_suffix="livejourney",
        workers=2,
        extra_env={"NEWSROOM_LIVE_POLL_SECONDS": "1", "NEWSROOM_LIVE_POLL_JITTER": "0"},
    )
    worker = None
    try:
        site.prepare()
        site.story = json.loads(site.python(SEED).strip().splitlines()[-1])
        site.start()
        worker = start_worker(site)  # makes the photos' renditions, as in production
        yield site
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        site.stop()


def log_in(context, username):
    page = context.new_page()
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    return page


def post_update(page, story_pk, text, *, photo=None, alt=""):
    page.goto(f"/admin/articles/story/{story_pk}/change/")
    form = page.locator("#live-updates form")
    form.locator("textarea[name=body]").fill(text)
    if photo is not None:
        form.locator("input[name=photo]").set_input_files(photo)
        form.locator("input[name=photo_alt]").fill(alt)
    form.locator("input[type=submit]").click()
    page.wait_for_selector(".messagelist .success")


def test_the_live_page_is_valid_html_and_accessible(browser, site, tmp_path):
    """The live page (label, key events, updates, older-updates link, the polling
    section) passes the Nu HTML Checker and axe-core, like every public page type."""
    from tests.test_accessibility import AXE_JS, axe_problems

    java = shutil.which("java")
    require(java, "Java for vnu.jar (apt-get install default-jre-headless)")
    require(VNU_JAR.is_file() and AXE_JS.is_file(), "vnu.jar and axe-core (npm ci)")
    status, _, body = request(site.url(site.story["path"]))
    assert status == 200 and b'data-live-poll="' in body
    page_file = tmp_path / "live.html"
    page_file.write_bytes(body)
    vnu = [java, "-Xss16m", "-XX:TieredStopAtLevel=1", "-jar", str(VNU_JAR), *VNU_OPTIONS]
    result = subprocess.run(
        [*vnu, str(page_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(result.stderr)["messages"]
    assert messages == [], messages

    context = new_context(browser, site, bypass_csp=True)
    page = context.new_page()
    page.goto(site.story["path"])
    assert axe_problems(page, AXE_JS, "live page") == []
    context.close()


def test_reporter_posts_editor_pins_reader_follows(browser, site, tmp_path):
    from playwright.sync_api import expect

    story_pk, story_path = site.story["pk"], site.story["path"]
    photo = tmp_path / "harbour.jpg"
    photo.write_bytes(image_bytes(1200, 800))

    reader_context = new_context(browser, site, viewport={"width": 800, "height": 600})
    reader = reader_context.new_page()
    reader.goto(story_path)
    section = reader.locator("section.live")
    expect(section).to_have_attribute("data-live-polling", "")
    # The reader has scrolled down into the updates and reads one of them.
    reading_id = reader.locator(".live-update").nth(8).get_attribute("id")
    reading = reader.locator(f"#{reading_id}")
    reading.scroll_into_view_if_needed()
    reader.evaluate("window.scrollBy(0, 100)")
    top_before = reading.bounding_box()["y"]
    assert reader.evaluate("window.scrollY") > 0

    reporter = log_in(new_context(browser, site), "field")
    notice = reader.locator(".live__notice")
    texts = [
        "Winds of 180 km/h recorded in Busan.",
        "Ferries to Jeju are cancelled for the day.",
        "The harbour wall at Yeosu is breached.",
    ]
    for number, text in enumerate(texts):
        extra = {"photo": str(photo), "alt": "Waves over the harbour wall"} if number == 2 else {}
        post_update(reporter, story_pk, text, **extra)
        arrived = reader.locator(".live__updates > .live-update").first
        expect(arrived).to_contain_text(text)
        expect(notice).to_have_text("1 new update")
        # What the reader was reading has not moved on the screen.
        assert abs(reading.bounding_box()["y"] - top_before) < 2
    # The photo shows once the worker has made its renditions (never a broken one).
    expect(reader.locator(".live__updates > .live-update").first.locator("img")).to_have_attribute(
        "alt", "Waves over the harbour wall", timeout=30_000
    )
    assert reader.locator("section.live").get_attribute("aria-labelledby") == "live-heading"
    assert notice.get_attribute("aria-live") == "polite"

    # An editor pins the second one as a key event.
    desk = log_in(new_context(browser, site), "desk")
    desk.goto(f"/admin/articles/story/{story_pk}/live/")
    row = desk.locator("tr", has_text="Ferries to Jeju")
    row.get_by_role("link", name="Edit").click()
    desk.check("input[name=pinned]")
    desk.click("input[type=submit]")
    desk.wait_for_selector(".messagelist .success")
    # The reader's open page shows the edit, and loses a deleted update, at once.
    ferries = reader.locator(".live-update", has_text="Ferries to Jeju")
    expect(ferries.locator(".live-update__key")).to_have_text("Key event")
    row = desk.locator("tr", has_text="Winds of 180 km/h")
    row.get_by_role("link", name="Delete").click()
    desk.click("input[value='Yes, delete it']")
    desk.wait_for_selector(".messagelist .success")
    expect(reader.locator(".live-update", has_text="Winds of 180 km/h")).to_have_count(0)
    assert abs(reading.bounding_box()["y"] - top_before) < 2  # the reader's place kept

    # The permalink opens the page at the update (also a new reader's key event link).
    fresh = reader_context.new_page()
    fresh.goto(story_path)
    key_event = fresh.locator(".live__key-events a", has_text="Ferries to Jeju")
    href = key_event.get_attribute("href")
    assert re.fullmatch(r"/stories/[^/]+/updates/\d+/", href)
    fresh.goto(href)
    update_id = href.rstrip("/").rsplit("/", 1)[1]
    assert fresh.url.endswith(f"#update-{update_id}")
    expect(fresh.locator(f"#update-{update_id}")).to_be_in_viewport()
    fresh.close()

    # The editor ends the coverage: the reader's page stops asking.
    desk.goto(f"/admin/articles/story/{story_pk}/change/")
    desk.locator("summary", has_text="Live coverage").click()
    ended = desk.locator(".field-live_ended_at")
    ended.get_by_role("link", name="Today").click()
    ended.get_by_role("link", name="Now").click()
    desk.click("input[name=_continue]")
    desk.wait_for_selector(".messagelist .success")
    expect(section).to_have_attribute("data-live-stopped", "")
    polls = []
    reader.on("request", lambda request: polls.append(request.url))
    reader.wait_for_timeout(2500)  # longer than two poll intervals: none may come
    assert polls == []
