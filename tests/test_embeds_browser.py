"""Embeds in a real browser: no request to a provider before the reader clicks.

Also: the admin's body editor opens at a writing height (static/admin-extra/story-form.css).

Every request the page makes is recorded; those for other hosts are answered here by a
stub (nothing leaves this machine, and Chromium resolves no outside name), so the test
sees exactly what a reader's browser would have asked a provider, and when.
"""

import shutil
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.conftest import require
from tests.live import AXE_JS
from tests.test_accessibility import axe_problems
from tests.test_csp_browser import COLLECT_VIOLATIONS

# Outside names resolve to nothing: a request that escaped the stub would fail, not leave.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
YOUTUBE = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
STUB = "<!doctype html><title>provider</title><p>Provider stub</p>"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_nothing_reaches_a_provider_before_the_click_and_the_link_works_without_js(
    live_server, make_story, editor
):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    require(shutil.which(chromium), "Chromium (apt-get install chromium)")
    require(AXE_JS.is_file(), f"axe-core at {AXE_JS} (npm ci, which `make test` runs)")
    sync_api = pytest.importorskip("playwright.sync_api")
    story = make_story(
        "Harbour vote",
        body=f'<p>Lead.</p><p><a href="{YOUTUBE}">The vote, in full</a></p><p>After.</p>',
    )
    url = live_server.url + story.get_absolute_url()
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
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_init_script(COLLECT_VIOLATIONS)
        context.route("**/*", stub_outside)
        page = context.new_page()
        page.goto(url)
        button = page.get_by_role("button", name="Load YouTube content")
        sync_api.expect(button).to_be_visible()
        page.mouse.wheel(0, 2000)  # scrolling past it or hovering loads nothing either
        button.hover()
        page.wait_for_timeout(300)
        assert outside == []
        assert page.locator("iframe").count() == 0

        button.click()
        frame = page.locator("figure.embed iframe")
        sync_api.expect(frame).to_have_attribute("title", "YouTube: The vote, in full")
        sync_api.expect(page.frame_locator("figure.embed iframe").locator("p")).to_have_text(
            "Provider stub"
        )
        assert outside == ["https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"]
        assert "allow-scripts" in frame.get_attribute("sandbox")
        assert frame.evaluate("f => document.activeElement === f")
        # The CSP's frame-src let the provider's frame in, and blocked nothing else.
        assert page.evaluate("window.__cspViolations") == []

        # Without JavaScript: no button, and the caption's link opens the original.
        outside.clear()
        still = browser.new_context(java_script_enabled=False)
        still.route("**/*", stub_outside)
        plain = still.new_page()
        plain.goto(url)
        assert plain.get_by_role("button").filter(has_text="Load").count() == 0
        assert outside == []
        with plain.expect_navigation():
            plain.get_by_role("link", name="Open on YouTube").click()
        assert plain.url == YOUTUBE

        # The facade, as readers with and without assistive technology meet it.
        checked = browser.new_context(bypass_csp=True)
        checked.route("**/*", stub_outside)
        axe_page = checked.new_page()
        axe_page.goto(url)
        problems = axe_problems(axe_page, AXE_JS, "story with an embed")

        # The editor: a new story's body editor opens at a writing height.
        desk = browser.new_context(viewport={"width": 1280, "height": 900})
        desk.add_cookies([{**session, "url": live_server.url}])
        admin = desk.new_page()
        admin.goto(live_server.url + "/admin/articles/story/add/")
        body = admin.locator(".prose-editor .tiptap.ProseMirror").first
        sync_api.expect(body).to_be_visible()
        box = body.bounding_box()
        assert box["height"] >= 300, box
        browser.close()

    assert problems == []
