"""The editors' workspace: story changelist, story form, bulk actions, autocomplete."""

import re
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import RelatedHeadline, Story, StoryAuthor
from tests.conftest import require

CHANGELIST = reverse("admin:articles_story_changelist")
ADD = reverse("admin:articles_story_add")


def change_url(story):
    return reverse("admin:articles_story_change", args=[story.pk])


def inline_rows(prefix, rows=(), initial=0):
    """POST data for an inline formset: the management form plus one dict per row."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def story_form_data(section, *, bylines=(), related=(), **fields):
    """A complete story form submission; `fields` override the defaults."""
    data = {
        "headline": "Council approves the harbour plan",
        "slug": "council-approves-the-harbour-plan",
        "dek": "",
        "section": section.pk,
        "tags": "",
        "body": "<p>The vote was close.</p>",
        "photo_caption": "",
        "new_photo_credit": "",
        "new_photo_alt": "",
        "status": Story.Status.DRAFT,
        "published_at_0": "",
        "published_at_1": "",
        **inline_rows("story_authors", bylines),
        **inline_rows("related_headlines", related),
        **inline_rows("corrections"),
    }
    # A photo uploaded with the story goes to the library, with its credit and alt text.
    for old, new in (
        ("lead_photo", "new_photo"),
        ("photo_credit", "new_photo_credit"),
        ("photo_alt", "new_photo_alt"),
    ):
        if old in fields and (old != "lead_photo" or hasattr(fields[old], "read")):
            fields[new] = fields.pop(old)
    data.update(fields)
    return data


def listed(response):
    """Headlines on a changelist page, in order."""
    return [story.headline for story in response.context["cl"].result_list]


def run_action(client, action, stories):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [story.pk for story in stories]},
        follow=True,
    )


# Changelist


def test_changelist_labels_draft_published_and_scheduled(editor_client, make_story, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    make_story("A draft", status=Story.Status.DRAFT)
    make_story("A live story")
    make_story("A later story", published_at=datetime(2099, 5, 1, 0, 30, tzinfo=UTC))

    content = editor_client.get(CHANGELIST).content.decode()

    assert '<td class="field-status_label">Draft</td>' in content
    assert '<td class="field-status_label">Published</td>' in content
    assert "Scheduled for 2099-05-01 09:30 KST" in content


def test_changelist_query_count_does_not_grow_with_rows(
    editor_client, make_story, make_author, make_section, django_assert_max_num_queries
):
    def add_stories(count):
        for n in range(count):
            make_story(
                section=make_section(),
                authors=[make_author(), make_author()],
                tags=[f"tag {n}", f"other {n}"],
                related=[(f"Related {n}", "https://example.com/", None)],
            )

    add_stories(5)
    with CaptureQueriesContext(connection) as few:
        assert editor_client.get(CHANGELIST).status_code == 200
    add_stories(20)

    with django_assert_max_num_queries(len(few)):
        response = editor_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 25


def test_search_finds_a_word_in_the_body(editor_client, make_story):
    make_story("Harbour vote", body="<p>The councillors argued about dredging.</p>")
    make_story("Weather", body="<p>Rain tomorrow.</p>")

    response = editor_client.get(CHANGELIST, {"q": "dredging"})

    assert listed(response) == ["Harbour vote"]


def test_status_filter_shows_only_scheduled_stories(editor_client, make_story):
    make_story("Live")
    make_story("Draft", status=Story.Status.DRAFT)
    make_story("Later", published_at=timezone.now() + timedelta(days=2))

    response = editor_client.get(CHANGELIST, {"status": "scheduled"})

    assert listed(response) == ["Later"]


def test_section_filter_narrows_the_list(editor_client, make_story, make_section):
    sport = make_section("Sport")
    make_story("Match report", section=sport)
    make_story("Budget")

    response = editor_client.get(CHANGELIST, {"section__id__exact": sport.pk})

    assert listed(response) == ["Match report"]


def test_tag_filter_narrows_the_list(editor_client, make_story):
    tagged = make_story("Tagged", tags=["Elections"])
    make_story("Untagged", tags=["Weather"])
    tag = tagged.tags.get()

    response = editor_client.get(CHANGELIST, {"tags__id__exact": tag.pk})

    assert listed(response) == ["Tagged"]


def test_author_filter_narrows_the_list(editor_client, make_story, make_author):
    kim, lee = make_author("Kim Min-ji"), make_author("Lee Jun")
    make_story("By Kim", authors=[kim])
    make_story("By Lee", authors=[lee])

    response = editor_client.get(CHANGELIST, {"authors__id__exact": kim.pk})

    assert listed(response) == ["By Kim"]


def test_view_on_site_link_goes_to_the_story(editor_client, make_story):
    story = make_story()

    response = editor_client.get(change_url(story))

    assert f'href="{story.get_absolute_url()}"' in response.content.decode()
    assert response.context["has_absolute_url"]


def test_changelist_links_drafts_to_their_preview(editor_client, make_story):
    story = make_story(status=Story.Status.DRAFT)

    content = editor_client.get(CHANGELIST).content.decode()

    assert f'<a href="{story.get_absolute_url()}" target="_blank" rel="noopener">Preview</a>' in (
        content
    )


# Story form


def test_add_page_has_the_prose_editor_and_both_inlines(editor_client, section):
    content = editor_client.get(ADD).content.decode()

    assert "data-django-prose-editor-configurable" in content
    assert '<script type="importmap"' in content
    assert "django_prose_editor/editor.js" in content
    assert "django_prose_editor/editor.css" in content
    assert 'name="story_authors-TOTAL_FORMS"' in content
    assert 'name="related_headlines-TOTAL_FORMS"' in content


def test_add_page_loads_no_external_assets(editor_client, section):
    content = editor_client.get(ADD).content.decode()

    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', content)
    assert sources
    assert all(source.startswith("/") for source in sources), sources


def test_add_form_saves_story_bylines_tags_related_and_photo(
    editor_client, editor, section, make_author, photo_upload
):
    kim, lee = make_author("Kim Min-ji"), make_author("Lee Jun")
    data = story_form_data(
        section,
        tags="Harbour, Council",
        photo_alt="The harbour at dawn",
        lead_photo=photo_upload(),
        # Lee first: the byline order is the editor's, not alphabetical.
        bylines=[{"author": lee.pk, "order": "1"}, {"author": kim.pk, "order": "2"}],
        related=[{"target": "", "headline": "Archive: the 1998 plan", "url": "https://a.kr/1"}],
    )

    response = editor_client.post(ADD, data)

    assert response.status_code == 302, response.context["errors"]
    story = Story.objects.get()
    assert story.created_by == editor
    assert [b.author for b in StoryAuthor.objects.filter(story=story)] == [lee, kim]
    assert sorted(story.tags.names()) == ["Council", "Harbour"]
    related = story.related_headlines.get()
    assert (related.headline, related.url) == ("Archive: the 1998 plan", "https://a.kr/1")
    # Uploaded on the spot: a library photo, with the credit and alt text typed here.
    photo = story.lead_photo
    assert photo.original.name.startswith("photos/")
    assert (photo.width, photo.height, photo.alt) == (1200, 800, "The harbour at dawn")
    assert photo.uploaded_by == editor


def test_edit_form_changes_the_headline(editor_client, make_story, section):
    story = make_story(status=Story.Status.DRAFT)

    response = editor_client.post(
        change_url(story),
        story_form_data(
            section, headline="New headline", slug=story.slug, loaded_version=story.version
        ),
    )

    assert response.status_code == 302
    story.refresh_from_db()
    assert story.headline == "New headline"


def test_body_scripts_handlers_and_javascript_links_are_stripped(editor_client, section):
    body = (
        '<p onclick="steal()">Hello <a href="javascript:alert(1)">there</a></p>'
        "<script>alert(1)</script>"
    )

    editor_client.post(ADD, story_form_data(section, body=body))

    stored = Story.objects.get().body
    assert "script" not in stored
    assert "onclick" not in stored
    assert "javascript:" not in stored
    assert "Hello" in stored


def test_publishing_without_a_time_publishes_now(editor_client, section):
    before = timezone.now().replace(microsecond=0)  # kept in whole seconds

    response = editor_client.post(ADD, story_form_data(section, status=Story.Status.PUBLISHED))

    assert response.status_code == 302
    story = Story.objects.get()
    assert story.status == Story.Status.PUBLISHED
    assert before <= story.published_at <= timezone.now()


def test_empty_slug_is_made_from_the_headline(editor_client, section):
    editor_client.post(ADD, story_form_data(section, headline="항만 계획 승인", slug=""))

    assert Story.objects.get().slug == "항만-계획-승인"


def test_bad_slug_is_a_form_error(editor_client, section):
    response = editor_client.post(ADD, story_form_data(section, slug="no spaces/allowed"))

    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    assert not Story.objects.exists()


def test_related_headline_without_story_or_text_is_a_form_error(editor_client, section):
    data = story_form_data(
        section, related=[{"target": "", "headline": "", "url": "https://example.com/"}]
    )

    response = editor_client.post(ADD, data)

    assert response.status_code == 200
    assert "Link a story or write the headline." in response.content.decode()
    assert not Story.objects.exists()
    assert not RelatedHeadline.objects.exists()


def test_related_headline_linking_the_story_itself_is_a_form_error(
    editor_client, make_story, section
):
    story = make_story()
    data = story_form_data(
        section,
        headline=story.headline,
        slug=story.slug,
        loaded_version=story.version,
        related=[{"target": story.pk, "headline": "", "url": ""}],
    )

    response = editor_client.post(change_url(story), data)

    assert response.status_code == 200
    assert "A story cannot be related to itself." in response.content.decode()
    assert not RelatedHeadline.objects.exists()


def test_duplicate_byline_is_a_form_error(editor_client, section, make_author):
    kim = make_author("Kim Min-ji")
    data = story_form_data(section, bylines=[{"author": kim.pk}, {"author": kim.pk}])

    response = editor_client.post(ADD, data)

    assert response.status_code == 200
    assert "Please correct the duplicate data for author." in response.content.decode()
    assert not Story.objects.exists()


def test_reordering_bylines_on_the_change_form_saves_the_new_order(
    editor_client, make_story, make_author, section
):
    kim, lee = make_author("Kim Min-ji"), make_author("Lee Jun")
    story = make_story(authors=[kim, lee])
    kim_row, lee_row = StoryAuthor.objects.filter(story=story)
    bylines = [
        {"id": kim_row.pk, "story": story.pk, "author": kim.pk, "order": "2"},
        {"id": lee_row.pk, "story": story.pk, "author": lee.pk, "order": "1"},
    ]
    data = story_form_data(
        section, headline=story.headline, slug=story.slug, loaded_version=story.version
    )
    data.update(inline_rows("story_authors", bylines, initial=2))

    response = editor_client.post(change_url(story), data)

    assert response.status_code == 302
    assert [b.author for b in StoryAuthor.objects.filter(story=story)] == [lee, kim]


def test_change_page_shows_the_photo_preview(editor_client, make_story, photo_upload):
    story = make_story(lead_photo=photo_upload(), photo_alt="Boats in the harbour")

    content = editor_client.get(change_url(story)).content.decode()

    # A public rendition (the original is private), at most 480 wide, the photo's
    # credit and alt text, and where to change them: the library.
    picture = story.lead_picture
    assert f'<img src="{picture.src}" alt="Boats in the harbour" width="480" height="320">' in (
        content
    )
    assert reverse("admin:photos_photo_change", args=[story.lead_photo.pk]) in content
    assert story.lead_photo.original.url not in content
    assert 'name="new_photo"' in content  # or upload another on the spot


def test_deleting_a_story_that_others_link_to_works(editor_client, make_story):
    linked = make_story("Linked")
    make_story("Linking", related=[("", "", linked), ("Kept", "", linked)])

    response = editor_client.post(
        reverse("admin:articles_story_delete", args=[linked.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert list(RelatedHeadline.objects.values_list("headline", "target")) == [("Kept", None)]


# Bulk actions


def test_publish_action_publishes_drafts_now(editor_client, make_story):
    drafts = [make_story(status=Story.Status.DRAFT) for _ in range(2)]

    response = run_action(editor_client, "publish", drafts)

    assert "Published 2 stories." in response.content.decode()
    assert set(Story.objects.published()) == set(drafts)


def test_unpublish_action_turns_stories_back_into_drafts(editor_client, make_story):
    story = make_story()

    response = run_action(editor_client, "unpublish", [story])

    assert "Unpublished 1 story" in response.content.decode()
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT


def test_publish_action_keeps_a_future_time_scheduled(editor_client, make_story):
    later = timezone.now() + timedelta(days=1)
    story = make_story(status=Story.Status.DRAFT, published_at=later)

    response = run_action(editor_client, "publish", [story])

    assert "1 scheduled for later" in response.content.decode()
    story.refresh_from_db()
    assert story.status == Story.Status.PUBLISHED
    assert story.published_at == later
    assert story.is_scheduled


@pytest.fixture
def staff_writer_client(client, django_user_model):
    """A staff user who may edit stories but not publish them."""
    writer = django_user_model.objects.create_user("writer", is_staff=True)
    writer.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="articles",
            codename__in=["view_story", "change_story", "add_story"],
        )
    )
    client.force_login(writer)
    return client


def test_publishing_needs_the_publish_permission(staff_writer_client, make_story):
    story = make_story(status=Story.Status.DRAFT)

    response = staff_writer_client.get(CHANGELIST)
    run_action(staff_writer_client, "publish", [story])

    assert 'value="publish"' not in response.content.decode()
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT


def test_story_form_without_publish_permission_cannot_publish(staff_writer_client, section):
    data = story_form_data(section, status=Story.Status.PUBLISHED)

    response = staff_writer_client.post(ADD, data)

    assert response.status_code == 302
    assert Story.objects.get().status == Story.Status.DRAFT


# Sections and authors


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:articles_section_changelist",
        "admin:articles_section_add",
        "admin:articles_author_changelist",
        "admin:articles_author_add",
    ],
)
def test_section_and_author_pages_load(editor_client, make_author, section, url_name):
    make_author("Kim Min-ji")

    assert editor_client.get(reverse(url_name)).status_code == 200


# Autocomplete


@pytest.mark.parametrize(
    ("model_name", "field_name", "term", "expected"),
    [
        ("story", "section", "Nat", "Nation"),
        ("storyauthor", "author", "Kim", "Kim Min-ji"),
        ("relatedheadline", "target", "harbour", "The harbour plan"),
    ],
)
def test_autocomplete_answers(
    editor_client, make_story, make_author, model_name, field_name, term, expected
):
    make_story("The harbour plan")
    make_author("Kim Min-ji")

    response = editor_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "articles", "model_name": model_name, "field_name": field_name, "term": term},
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == [expected]


# In a browser


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_body_editor_starts_in_the_change_form(live_server, editor, make_story):
    """The rich-text editor really starts: a bad extension set leaves a bare textarea."""
    chromium = shutil.which("chromium")
    require(chromium, "Chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    story = make_story(body="<p>First paragraph.</p><ul><li>A point</li></ul>")
    client = Client()
    client.force_login(editor)
    # Everything that touches the database happens before Playwright starts its loop.
    session = {"name": "sessionid", "value": client.cookies["sessionid"].value}

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context()
        context.add_cookies([{**session, "url": live_server.url}])
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(live_server.url + change_url(story))
        editor_area = page.locator(".prose-editor .tiptap.ProseMirror")
        sync_api.expect(editor_area).to_contain_text("A point")
        browser.close()

    # Chromium asks for /favicon.ico, which the admin does not have.
    assert [error for error in errors if "404" not in error] == []


def test_a_story_published_in_bulk_keeps_its_time_when_its_form_is_saved_unchanged(
    editor_client, make_story, django_user_model
):
    from tests.admin_pages import form_fields

    story = make_story("Published in bulk", status=Story.Status.DRAFT)
    editor_client.post(CHANGELIST, {"action": "publish", "_selected_action": [story.pk]})
    story.refresh_from_db()
    published_at = story.published_at

    form = form_fields(editor_client.get(change_url(story)))
    assert editor_client.post(change_url(story), form).status_code == 302

    story.refresh_from_db()
    # Not re-dated by the form's whole seconds: its place in every list stays as it was.
    assert story.published_at == published_at
