"""The publication checklist: what a story still lacks; optionally, no publishing until done."""

import pytest

from articles.models import Story
from articles.workflow import StoryFacts, check_readiness, facts_for_stories, problems
from tests.admin_pages import form_fields
from tests.test_admin import change_url, run_action

READY = StoryFacts(
    headline="Council approves the harbour plan",
    dek="A close vote.",
    body="<p>The vote was close.</p>",
    has_photo=True,
    photo_alt="The harbour at dawn",
    tag_count=1,
    byline_count=1,
)


def open_items(facts):
    return {check.key: check.text for check in problems(check_readiness(facts))}


@pytest.fixture
def blocking(settings):
    settings.NEWSROOM = {**settings.NEWSROOM, "READINESS_BLOCKS_PUBLISHING": True}


@pytest.fixture
def incomplete(make_story):
    """A draft with no dek, tags or bylines."""
    return make_story("Incomplete", status=Story.Status.DRAFT, dek="")


# The rules (no database)


def test_a_complete_story_has_nothing_to_do():
    assert open_items(READY) == {}


@pytest.mark.parametrize(
    ("change", "key", "text"),
    [
        ({"dek": " "}, "dek", "Write a dek"),
        ({"body": "<p> </p>"}, "body", "The body is empty."),
        ({"body": "<p>&nbsp;</p>"}, "body", "The body is empty."),
        ({"tag_count": 0}, "tags", "Add at least one tag."),
        ({"byline_count": 0}, "authors", "Add at least one author"),
        ({"photo_alt": ""}, "photo_alt", "Describe the lead photo"),
        ({"unresolved_related": 2}, "related", "2 related headline(s)"),
    ],
)
def test_each_missing_item_is_named(change, key, text):
    facts = StoryFacts(**{**READY.__dict__, **change})

    assert list(open_items(facts)) == [key]
    assert text in open_items(facts)[key]


def test_headline_longer_than_the_setting_is_a_problem(settings):
    settings.NEWSROOM = {**settings.NEWSROOM, "HEADLINE_MAX_CHARS": 20}
    facts = StoryFacts(**{**READY.__dict__, "headline": "x" * 21})

    assert open_items(facts) == {
        "headline": "Headline is 21 characters; shorten it to 20 or fewer."
    }


def test_a_missing_photo_is_advice_not_a_problem():
    facts = StoryFacts(**{**READY.__dict__, "has_photo": False, "photo_alt": ""})

    checks = {check.key: check for check in check_readiness(facts)}
    assert open_items(facts) == {}
    assert (checks["photo"].ok, checks["photo"].soft, checks["photo"].state) == (
        False,
        True,
        "Suggested",
    )
    assert "photo_alt" not in checks


# Facts from saved stories


def test_related_headline_linking_a_draft_without_text_does_not_resolve(make_story):
    draft = make_story(status=Story.Status.DRAFT)
    story = make_story(related=[("", "", draft), ("Own text", "", draft)])

    assert facts_for_stories([story])[story.pk].unresolved_related == 1


def test_facts_count_tags_and_bylines(make_story, make_author):
    story = make_story(tags=["a", "b"], authors=[make_author()])

    facts = facts_for_stories([story])[story.pk]

    assert (facts.tag_count, facts.byline_count) == (2, 1)


def test_facts_cost_the_same_queries_for_many_stories(
    make_story, make_author, django_assert_num_queries
):
    stories = [make_story(tags=["a"], authors=[make_author()]) for _ in range(5)]

    with django_assert_num_queries(3):
        facts_for_stories(stories)


# In the admin


def test_change_form_shows_the_checklist_in_words(editor_client, incomplete):
    content = editor_client.get(change_url(incomplete)).content.decode()

    assert "Publication checklist" in content
    assert "<strong>To do:</strong> Write a dek" in content
    assert "<strong>Done:</strong> Body has text." in content
    assert "<strong>Suggested:</strong> No lead photo (optional)." in content


def test_saving_warns_about_what_is_left(editor_client, incomplete):
    response = editor_client.post(
        change_url(incomplete), form_fields(editor_client.get(change_url(incomplete))), follow=True
    )

    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert "Write a dek" in warnings[0]
    assert "Add at least one tag." in warnings[0]


def test_checklist_reflects_the_saved_story(editor_client, incomplete):
    data = form_fields(editor_client.get(change_url(incomplete)))
    editor_client.post(change_url(incomplete), {**data, "dek": "Now with a dek."})

    content = editor_client.get(change_url(incomplete)).content.decode()

    assert "<strong>Done:</strong> Dek written." in content


def test_without_the_setting_an_incomplete_story_can_be_published(editor_client, incomplete):
    data = form_fields(editor_client.get(change_url(incomplete)))

    response = editor_client.post(change_url(incomplete), {**data, "status": "published"})

    assert response.status_code == 302
    assert list(Story.objects.published()) == [incomplete]


def test_with_the_setting_publishing_from_the_form_is_refused_with_the_list(
    editor_client, incomplete, blocking
):
    data = form_fields(editor_client.get(change_url(incomplete)))

    response = editor_client.post(change_url(incomplete), {**data, "status": "published"})

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "Not published" in errors
    assert "Write a dek" in errors and "Add at least one tag." in errors
    incomplete.refresh_from_db()
    assert incomplete.status == Story.Status.DRAFT


def test_with_the_setting_the_submitted_form_counts_not_the_stored_story(
    editor_client, incomplete, make_author, blocking
):
    data = form_fields(editor_client.get(change_url(incomplete)))
    data.update(
        {
            "status": "published",
            "dek": "Written just now.",
            "tags": "Harbour",
            "story_authors-0-author": str(make_author().pk),
        }
    )

    response = editor_client.post(change_url(incomplete), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(Story.objects.published()) == [incomplete]


def test_with_the_setting_a_draft_may_still_be_saved(editor_client, incomplete, blocking):
    data = form_fields(editor_client.get(change_url(incomplete)))

    response = editor_client.post(change_url(incomplete), {**data, "headline": "Still a draft"})

    assert response.status_code == 302


def test_with_the_setting_the_bulk_action_publishes_only_ready_stories(
    editor_client, incomplete, make_story, make_author, blocking
):
    ready = make_story("Ready", status=Story.Status.DRAFT, tags=["a"], authors=[make_author()])

    response = run_action(editor_client, "publish", [incomplete, ready])

    assert list(Story.objects.published()) == [ready]
    content = response.content.decode()
    assert "Not published: “Incomplete”. Still to do: Write a dek" in content
    assert "Published 1 story." in content
