"""The wire desk in Chromium: an item dropped in the folder becomes a published story;
an embargoed one cannot be published early and appears by itself when it lifts.

Against a real gunicorn with a clock the test sets (tests/clock_settings.py): the
embargo is reached by moving that clock, never by sleeping.
"""

import os
import shutil
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from bench.server import Site
from tests.live import EDITOR_PASSWORD, EDITOR_USERNAME, LiveSite, log_in, new_context
from tests.tiers import SERVER, starts

pytestmark = pytest.mark.browser

SAMPLES = os.path.join(os.path.dirname(__file__), "wire_samples")
LIFTS = datetime(2031, 3, 4, tzinfo=UTC)  # ninjs2-embargoed.json's embargo
SEED = f"""
from django.contrib.auth import get_user_model
from articles.models import Section
from articles.wire.models import WireSource
section = Section.objects.create(name="Economy", slug="economy")
WireSource.objects.create(name="Agency", slug="agency", format="ninjs",
                          default_section=section, folder="agency")
get_user_model().objects.create_superuser({EDITOR_USERNAME!r}, "", {EDITOR_PASSWORD!r})
"""


@pytest.fixture(scope="module")
@starts(SERVER)
def wire_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wire-site")
    clock = folder / "clock"
    clock.write_text("")
    (folder / "wire" / "agency").mkdir(parents=True)
    site = Site(
        folder,
        database_url=os.environ.get("DATABASE_URL"),
        redis_url=os.environ.get("REDIS_URL"),
        database_suffix="wire_live",
        workers=1,
        extra_env={
            "DJANGO_SETTINGS_MODULE": "tests.clock_settings",
            "NEWSROOM_TEST_CLOCK": str(clock),
            "NEWSROOM_WIRE_ROOT": str(folder / "wire"),
        },
    )
    try:
        site.prepare()
        site.python(SEED)
        site.start()
        yield LiveSite(site, {}), folder / "wire" / "agency", clock
    finally:
        site.stop()


def drop(inbox, name):
    shutil.copy(os.path.join(SAMPLES, name), inbox / name)
    os.utime(inbox / name, (0, 0))  # arrived long ago: nothing is still writing it


def make_draft_of(page, headline):
    page.goto("/admin/wire/wireitem/")
    row = page.locator("#result_list tbody tr").filter(has_text=headline)
    row.get_by_role("button", name="Make a draft story").click()
    expect(page.locator("#id_headline")).to_have_value(headline)


def test_wire_copy_becomes_a_story_and_the_embargo_holds(browser, wire_site):
    site, inbox, clock = wire_site
    drop(inbox, "ninjs1-budget.json")
    drop(inbox, "ninjs2-embargoed.json")
    site.site.manage("wire_ingest", "--once")

    editor = new_context(browser, site).new_page()
    log_in(editor, site)
    editor.goto("/admin/wire/wireitem/")
    expect(editor.locator("#result_list")).to_contain_text("Parliament passes the 2031 budget")
    expect(editor.locator("#result_list")).to_contain_text("BULLETIN (2)")
    expect(editor.locator("#result_list")).to_contain_text("Embargoed until 2031-03-04")

    # Plain copy: a draft in one click, published.
    budget = "Parliament passes the 2031 budget after all-night session"
    make_draft_of(editor, budget)
    editor.select_option("#id_status", "published")
    editor.locator("input[name=_continue]").click()
    expect(editor.locator(".messagelist")).to_contain_text("was changed successfully")
    path = editor.locator(".viewsitelink").get_attribute("href")
    assert site.get(path).status == 200

    # Embargoed copy: refused with the embargo's time, then scheduled for it.
    rates = "Central bank cuts its base rate to 2.25 percent"
    make_draft_of(editor, rates)
    editor.select_option("#id_status", "published")
    editor.locator("input[name=_continue]").click()
    expect(editor.locator(".errorlist")).to_contain_text("embargoed until 2031-03-04")
    editor.check("#id_publish_when_embargo_lifts")
    editor.locator("input[name=_continue]").click()
    expect(editor.locator(".messagelist")).to_contain_text("was changed successfully")
    embargoed = editor.locator(".viewsitelink").get_attribute("href")
    assert site.get(embargoed).status == 404
    assert rates not in site.get("/").text

    clock.write_text(LIFTS.isoformat())
    assert site.get(embargoed).status == 200
    assert rates in site.get("/").text
