"""No lost edits: a save based on an outdated form is refused, and says who changed what when."""

import os
import shutil
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from articles import workflow
from articles.importing import import_stories
from articles.models import Story, StoryAuthor
from tests.admin_pages import form_fields
from tests.conftest import require
from tests.test_admin import change_url, run_action

CONFLICT = "saved this story at"


@pytest.fixture
def story(make_story):
    return make_story("The original headline", status=Story.Status.DRAFT)


@pytest.fixture
def two_editors(role_user, login):
    """Two editors by role, each in their own session."""
    first = role_user("Editor", "first", first_name="Ji-ho", last_name="Park")
    second = role_user("Editor", "second", first_name="Soo-ah", last_name="Lee")
    return login(first), login(second)


def open_form(client, story):
    return form_fields(client.get(change_url(story)))


def errors(response):
    return " ".join(response.context["adminform"].form.non_field_errors())


def test_each_save_gives_the_story_a_new_version(story):
    before = story.version

    story.save()

    assert story.version == before + 1
    assert Story.objects.get(pk=story.pk).version == before + 1


def test_second_save_is_refused_naming_who_saved_first_and_when(two_editors, story, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    first, second = two_editors
    first_form, second_form = open_form(first, story), open_form(second, story)
    saved_at = timezone.now().replace(hour=5, minute=7, second=0, microsecond=0)

    with mock.patch("django.utils.timezone.now", return_value=saved_at):
        assert (
            first.post(change_url(story), {**first_form, "headline": "First's"}).status_code == 302
        )
    response = second.post(change_url(story), {**second_form, "headline": "Second's"})

    assert response.status_code == 200
    assert f"Ji-ho Park {CONFLICT} 14:07 KST" in errors(response)
    story.refresh_from_db()
    assert story.headline == "First's"


def test_refused_form_comes_back_with_the_second_editors_text(two_editors, story):
    first, second = two_editors
    first_form, second_form = open_form(first, story), open_form(second, story)
    first.post(change_url(story), {**first_form, "dek": "First's dek"})

    response = second.post(
        change_url(story), {**second_form, "headline": "Second's", "dek": "Second's dek"}
    )

    content = response.content.decode()
    assert 'value="Second&#x27;s"' in content
    assert "Second&#x27;s dek</textarea>" in content


def test_refused_save_writes_no_inline_rows(two_editors, story, make_author):
    first, second = two_editors
    first_form, second_form = open_form(first, story), open_form(second, story)
    first.post(change_url(story), first_form)

    second.post(
        change_url(story),
        {**second_form, "story_authors-0-author": str(make_author().pk)},
    )

    assert not StoryAuthor.objects.exists()


def test_refused_save_records_no_revision(two_editors, story):
    first, second = two_editors
    first_form, second_form = open_form(first, story), open_form(second, story)
    first.post(change_url(story), first_form)
    revisions = Version.objects.get_for_object(story).count()

    second.post(change_url(story), {**second_form, "headline": "Second's"})

    assert Version.objects.get_for_object(story).count() == revisions


def test_saving_again_after_reloading_works(two_editors, story):
    first, second = two_editors
    first_form, stale = open_form(first, story), open_form(second, story)
    first.post(change_url(story), first_form)
    second.post(change_url(story), stale)

    response = second.post(change_url(story), {**open_form(second, story), "headline": "Merged"})

    assert response.status_code == 302
    story.refresh_from_db()
    assert story.headline == "Merged"


def test_the_same_editor_in_two_tabs_is_protected_too(editor_client, story):
    tab_one, tab_two = open_form(editor_client, story), open_form(editor_client, story)
    editor_client.post(change_url(story), {**tab_one, "headline": "Tab one"})

    response = editor_client.post(change_url(story), {**tab_two, "headline": "Tab two"})

    assert CONFLICT in errors(response)


def test_a_form_without_its_version_is_refused(editor_client, story):
    data = open_form(editor_client, story)
    del data["loaded_version"]

    response = editor_client.post(change_url(story), data)

    assert "missing the story's version" in errors(response)


def test_a_bulk_action_after_the_form_was_opened_refuses_the_save(two_editors, story):
    first, second = two_editors
    second_form = open_form(second, story)
    run_action(first, "publish", [story])

    response = second.post(change_url(story), {**second_form, "headline": "Second's"})

    assert f"Ji-ho Park {CONFLICT}" in errors(response)
    story.refresh_from_db()
    assert story.status == Story.Status.PUBLISHED


def test_an_import_after_the_form_was_opened_refuses_the_save(editor_client, tmp_path, section):
    path = tmp_path / "wire-story.txt"
    path.write_text("Wire headline\nFirst version.\n")
    ((story, _),) = import_stories([path], section=section)
    form = open_form(editor_client, story)
    path.write_text("Wire headline\nCorrected version.\n")
    import_stories([path])

    response = editor_client.post(change_url(story), {**form, "headline": "Edited"})

    assert "an import or a script" in errors(response)


def test_reverting_after_someone_saved_is_refused(two_editors, section):
    first, second = two_editors
    first.post(
        reverse("admin:articles_story_add"),
        {
            **form_fields(first.get(reverse("admin:articles_story_add"))),
            "headline": "One",
            "slug": "one",
            "section": str(section.pk),
        },
    )
    story = Story.objects.get()
    first.post(change_url(story), {**open_form(first, story), "headline": "Two"})
    oldest = Version.objects.get_for_object(story).order_by("pk").first()
    revert_url = reverse("admin:articles_story_revision", args=[story.pk, oldest.pk])
    revert_form = form_fields(second.get(revert_url))
    first.post(change_url(story), {**open_form(first, story), "headline": "Three"})

    response = second.post(revert_url, revert_form)

    assert response.status_code == 200
    assert f"Ji-ho Park {CONFLICT}" in errors(response)
    story.refresh_from_db()
    assert story.headline == "Three"


# Warnings before saving


def test_change_page_warns_when_someone_else_saved_recently(two_editors, story):
    first, second = two_editors
    first.post(change_url(story), open_form(first, story))

    response = second.get(change_url(story))

    (message,) = [str(m) for m in response.context["messages"]]
    assert f"Ji-ho Park {CONFLICT}" in message
    assert "may still be editing" in message


def test_change_page_does_not_warn_about_your_own_or_old_saves(two_editors, story):
    first, second = two_editors
    first.post(change_url(story), open_form(first, story))

    own = first.get(change_url(story))
    later = timezone.now() + timedelta(minutes=workflow.RECENT_EDIT_MINUTES + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        old = second.get(change_url(story))

    for response in (own, old):
        assert not [m for m in response.context["messages"] if "may still be editing" in str(m)]


def test_version_endpoint_says_who_saved_last(two_editors, story):
    first, second = two_editors
    first.post(change_url(story), open_form(first, story))

    data = second.get(reverse("admin:articles_story_version", args=[story.pk])).json()

    story.refresh_from_db()
    assert data["version"] == story.version
    assert data["saved_by"] == "Ji-ho Park"
    assert "your save will be refused" in data["message"]


def test_version_endpoint_is_closed_to_a_reporter_who_does_not_own_the_story(
    reporter_client, story
):
    url = reverse("admin:articles_story_version", args=[story.pk])

    assert reporter_client.get(url).status_code == 404


def test_change_form_carries_the_version_and_where_to_check_it(editor_client, story):
    content = editor_client.get(change_url(story)).content.decode()

    assert f'name="loaded_version" value="{story.version}"' in content
    assert f'data-version-url="{reverse("admin:articles_story_version", args=[story.pk])}"' in (
        content
    )
    assert "admin-extra/story-concurrency.js" in content


# In a browser


@pytest.fixture
def async_unsafe_allowed(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test still reads
    # the database between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_shows_the_change_and_refuses_the_stale_save(
    live_server, role_user, make_story, monkeypatch, async_unsafe_allowed
):
    chromium = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
    require(chromium, "Chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setattr(workflow, "EDIT_POLL_SECONDS", 1)
    story = make_story("The original headline", status=Story.Status.DRAFT)
    sessions = []
    for name, first_name in (("first", "Ji-ho"), ("second", "Soo-ah")):
        client = Client()
        client.force_login(role_user("Editor", name, first_name=first_name, last_name="Park"))
        sessions.append({"name": "sessionid", "value": client.cookies["sessionid"].value})
    url = live_server.url + change_url(story)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        pages = []
        for session in sessions:
            context = browser.new_context()
            context.add_cookies([{**session, "url": live_server.url}])
            page = context.new_page()
            page.goto(url)
            pages.append(page)
        first, second = pages

        first.fill("#id_headline", "The first editor's headline")
        first.click("input[name=_continue]")
        first.wait_for_load_state()

        banner = second.locator("#story-conflict-banner")
        sync_api.expect(banner).to_contain_text("Ji-ho Park saved this story at", timeout=10_000)
        sync_api.expect(banner).to_have_attribute("role", "alert")
        second.fill("#id_headline", "The second editor's headline")
        second.click("input[name=_continue]")
        second.wait_for_load_state()
        sync_api.expect(second.locator(".errornote")).to_be_visible()
        sync_api.expect(second.locator("ul.errorlist")).to_contain_text("Ji-ho Park")
        sync_api.expect(second.locator("#id_headline")).to_have_value(
            "The second editor's headline"
        )
        browser.close()

    story.refresh_from_db()
    assert story.headline == "The first editor's headline"
