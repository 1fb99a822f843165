"""The Content-Security-Policy in a real browser: nothing blocked, the admin works."""

import shutil

import pytest
from django.test import Client

from tests.conftest import require

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_add_story_and_story_page_work_under_the_csp(live_server, editor, make_story):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    require(shutil.which(chromium), "Chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    story = make_story("A story under the policy", tags=["Seoul"])
    client = Client()
    client.force_login(editor)
    # Everything that touches the database happens before Playwright starts its loop.
    session = {"name": "sessionid", "value": client.cookies["sessionid"].value}

    messages = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        # The reader: no session.
        page = browser.new_page()
        page.on("console", lambda m: messages.append(("story", m.type, m.text)))
        response = page.goto(live_server.url + story.get_absolute_url())
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert page.locator('script[type="application/ld+json"]').count() >= 1
        # The editor: the rich-text toolbar starts in the add form.
        context = browser.new_context()
        context.add_cookies([{**session, "url": live_server.url}])
        admin = context.new_page()
        admin.on("console", lambda m: messages.append(("admin", m.type, m.text)))
        admin.on("pageerror", lambda e: messages.append(("admin", "pageerror", str(e))))
        admin.goto(live_server.url + "/admin/articles/story/add/")
        sync_api.expect(admin.locator(".prose-editor .prose-menubar").first).to_be_visible()
        browser.close()

    violations = [m for m in messages if "Content Security Policy" in m[2] or m[1] == "pageerror"]
    assert violations == []
