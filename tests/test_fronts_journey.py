"""The front-page desk in Chromium: an editor arranges the home page, a reader sees it.

Against a real gunicorn started for this module with production settings and a clock
the test sets (tests/clock_settings.py): the lead's end time and the evening edition's
publication are reached by moving that clock, never by sleeping. The banner's part of
the journey belongs to the banner's own tests.
"""

import html
import os
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from bench.server import Site
from tests.live import LiveSite, log_in, new_context, screenshot_path, seed_live_site
from tests.test_journeys import add_inline_row, choose
from tests.tiers import SERVER, starts

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(scope="module")
@starts(SERVER)
def clocked(tmp_path_factory):
    """(the live site, set_clock): a site whose `timezone.now()` the test sets."""
    folder = tmp_path_factory.mktemp("fronts-site")
    clock = folder / "clock"
    clock.write_text("")
    site = Site(
        folder,
        database_url=os.environ.get("DATABASE_URL"),
        redis_url=os.environ.get("REDIS_URL"),
        database_suffix="fronts_live",
        workers=2,
        extra_env={
            "DJANGO_SETTINGS_MODULE": "tests.clock_settings",
            "NEWSROOM_TEST_CLOCK": str(clock),
        },
    )

    def set_clock(moment):
        clock.write_text(moment.isoformat())

    try:
        site.prepare()
        manifest = seed_live_site(site)
        site.start()
        yield LiveSite(site, manifest), set_clock
    finally:
        site.stop()


def zone_headlines(page_html, marker):
    """Headlines of the cards in the zone whose opening tag contains `marker`."""
    start = page_html.index(marker)
    end = page_html.find("<section", start + 1)
    chunk = page_html[start : end if end != -1 else None]
    found = re.findall(r'class="card__headline"><a href="[^"]+">([^<]+)</a>', chunk)
    return [html.unescape(text) for text in found]


def reader_sees(site, marker):
    response = site.get("/")
    assert response.status == 200
    return zone_headlines(response.text, marker)


LEAD = 'class="lead"'
TOP = "zone--top"


def local_fields(moment):
    local = moment.astimezone(SEOUL)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")


def test_editor_arranges_the_home_page_and_readers_see_it_on_time(browser, clocked):
    site, set_clock = clocked
    start = datetime.now(SEOUL).replace(second=0, microsecond=0) + timedelta(minutes=1)
    set_clock(start)
    # Stories below the front, to pin: the reader's "Latest" list.
    latest = reader_sees(site, 'id="latest-heading"')
    newest_lead = reader_sees(site, LEAD)
    assert len(latest) >= 4 and newest_lead
    lead, first, second, evening_lead = latest[:4]

    editor = new_context(browser, site).new_page()
    log_in(editor, site)
    editor.goto("/admin/fronts/front/")
    editor.locator("tr", has_text="Home page").get_by_role("link", name="Arrange").click()
    editor.get_by_role("link", name="Default").click()
    expect(editor.locator("#pins-group")).to_be_visible()
    layout_url = editor.url

    # The lead until an hour from now.
    choose(editor, "#pins-0", lead[:25], lead)
    editor.select_option("#id_pins-0-zone", label="Lead")
    until = start + timedelta(hours=1)
    date, time = local_fields(until)
    editor.fill("#id_pins-0-ends_at_0", date)
    editor.fill("#id_pins-0-ends_at_1", time)
    # Two top stories.
    for row, headline in ((1, first), (2, second)):
        add_inline_row(editor, "pins")
        choose(editor, f"#pins-{row}", headline[:25], headline)
        editor.select_option(f"#id_pins-{row}-zone", label="Top stories")
    editor.click("input[name=_continue]")
    expect(editor.locator(".messagelist .success")).to_be_visible()
    assert reader_sees(site, LEAD) == [lead]
    assert reader_sees(site, TOP)[:2] == [first, second]

    # Reordered by dragging: the second top story above the first.
    editor.locator("#pins-2 td.original p").drag_to(editor.locator("#pins-1 td.original p"))
    editor.click("input[name=_continue]")
    expect(editor.locator(".messagelist .success")).to_be_visible()
    assert reader_sees(site, TOP)[:2] == [second, first]
    # For the README's tour of the desks (docs/fronts-desk.png is a copy).
    editor.set_viewport_size({"width": 1100, "height": 800})
    editor.locator("#pins-group").screenshot(path=str(screenshot_path("fronts-desk.png")))

    # The evening edition: a copy, being prepared, with its own lead.
    editor.goto("/admin/fronts/layout/")
    editor.locator("tr", has_text="Home page").filter(has_text="Default").locator(
        "input.action-select"
    ).check()
    editor.select_option("select[name=action]", "prepare_next_edition")
    editor.click("button[name=index]")
    expect(editor.locator(".messagelist .success")).to_be_visible()
    assert editor.url != layout_url
    editor.fill("#id_name", "Evening edition")
    pin_rows = editor.locator("#pins-group tr.form-row.has_original")
    expect(pin_rows).to_have_count(3)
    choose(editor, "#pins-0", evening_lead[:25], evening_lead)
    editor.fill("#id_pins-0-ends_at_0", "")
    editor.fill("#id_pins-0-ends_at_1", "")
    editor.click("input[name=_continue]")
    expect(editor.locator(".messagelist .success")).to_be_visible()

    # Its preview shows it; readers still see the current front.
    with editor.expect_popup() as popup:
        editor.get_by_role("link", name="Preview as readers will see it").click()
    preview = popup.value
    expect(preview.locator("section.lead .card__headline")).to_have_text(evening_lead)
    assert reader_sees(site, LEAD) == [lead]

    # Scheduled for two hours from now.
    goes_live = start + timedelta(hours=2)
    date, time = local_fields(goes_live)
    editor.fill("#id_publish_at_0", date)
    editor.fill("#id_publish_at_1", time)
    editor.click("input[name=_continue]")
    expect(editor.locator(".messagelist .success")).to_be_visible()
    assert reader_sees(site, LEAD) == [lead]

    # A reader's browser, at each moment.
    reader = new_context(browser, site).new_page()
    reader.goto("/")
    expect(reader.locator("section.lead .card__headline")).to_have_text(lead)

    set_clock(until - timedelta(seconds=1))
    assert reader_sees(site, LEAD) == [lead]
    set_clock(until)  # the lead's pin has ended: the newest story leads again
    reader.goto("/")
    expect(reader.locator("section.lead .card__headline")).to_have_text(newest_lead[0])
    assert reader_sees(site, TOP)[:2] == [second, first]

    set_clock(goes_live - timedelta(seconds=1))
    assert reader_sees(site, LEAD) == newest_lead
    set_clock(goes_live)  # the evening edition replaces the default layout
    reader.goto("/")
    expect(reader.locator("section.lead .card__headline")).to_have_text(evening_lead)
    assert reader_sees(site, TOP)[:2] == [second, first]
