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


# Every Content-Security-Policy violation the page reports, from before its first script.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""

# What a stored script would do if escaping ever failed: an inline script without the
# response's nonce. It must not run.
INJECT_INLINE_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.__injectedScriptRan = true";
  document.head.appendChild(script);
  return window.__injectedScriptRan === true;
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_story_form_works_under_a_policy_without_unsafe_inline(
    live_server, editor, make_story, make_author
):
    from django.urls import reverse

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    require(shutil.which(chromium), "Chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    first, second = make_author("First Byline"), make_author("Second Byline")
    story = make_story("Edited under the policy", authors=[first, second], tags=["Seoul"])
    client = Client()
    client.force_login(editor)
    session = {"name": "sessionid", "value": client.cookies["sessionid"].value}
    url = live_server.url + reverse("admin:articles_story_change", args=[story.pk])
    admin_pages = [
        reverse("admin:index"),
        reverse("admin:articles_story_changelist") + "?status=live",
        reverse("admin:articles_story_add"),
        reverse("admin:articles_story_history", args=[story.pk]),
        reverse("admin:articles_section_add"),
        reverse("admin:articles_author_change", args=[first.pk]),
        reverse("admin:taggit_tag_changelist"),
    ]

    messages = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_cookies([{**session, "url": live_server.url}])
        context.add_init_script(COLLECT_VIOLATIONS)
        page = context.new_page()
        page.on("console", lambda m: messages.append((m.type, m.text)))
        page.on("pageerror", lambda e: messages.append(("pageerror", str(e))))
        response = page.goto(url)
        policy = response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in policy
        assert "script-src 'self' 'nonce-" in policy and "style-src 'self' 'nonce-" in policy

        # The rich-text editor starts (its import map ran), with Tiptap's base styles
        # (which it would have injected without a nonce), and typing works.
        body = page.locator(".prose-editor .tiptap.ProseMirror")
        sync_api.expect(body).to_contain_text("Body of story")
        assert body.evaluate("e => getComputedStyle(e).whiteSpace") in {"break-spaces", "pre-wrap"}
        body.click()
        page.keyboard.press("End")
        page.keyboard.type(" Typed under the policy.")
        sync_api.expect(body).to_contain_text("Typed under the policy.")

        # A script that escaping let through would not run.
        assert page.evaluate(INJECT_INLINE_SCRIPT) is False
        # The violation is reported by an event the browser queues: wait for it. Polled
        # from here: wait_for_function would poll by eval in the page, which this very
        # policy refuses (an EvalError whenever the event was not there at once).
        for _ in range(100):
            if page.evaluate("window.__cspViolations.length") > 0:
                break
            page.wait_for_timeout(100)
        injected = page.evaluate("window.__cspViolations")
        assert len(injected) == 1 and injected[0].startswith("script-src-elem inline")

        # Sortable bylines: move the second to the top, then save.
        bylines = page.locator(".inline-group").filter(has_text="Second Byline")
        row = bylines.locator("tr.has_original").filter(has_text="Second Byline")
        row.locator(".move-begin").click()
        sync_api.expect(bylines.locator("tr.has_original").first).to_contain_text("Second Byline")
        page.evaluate("window.__cspViolations = []")
        with page.expect_navigation():
            page.locator('input[name="_continue"]').click()
        sync_api.expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
        violations = page.evaluate("window.__cspViolations")
        # The rest of the admin an editor walks through, and the log-in page.
        for path in admin_pages:
            page.goto(live_server.url + path)
            violations += [f"{path}: {v}" for v in page.evaluate("window.__cspViolations")]
        anonymous = browser.new_context()
        anonymous.add_init_script(COLLECT_VIOLATIONS)
        login = anonymous.new_page()
        login.goto(live_server.url + reverse("admin:login"))
        violations += login.evaluate("window.__cspViolations")
        browser.close()

    assert violations == []
    # The console reports one violation: the script injected above.
    assert len([m for m in messages if "Content Security Policy" in m[1]]) == 1, messages
    assert [m for m in messages if m[0] == "pageerror"] == []
    story.refresh_from_db()
    assert "Typed under the policy." in story.body
    assert [b.author.name for b in story.story_authors.all()] == ["Second Byline", "First Byline"]
