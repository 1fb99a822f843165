"""Corrections and updates: dated notes on a story, shown to readers, counted as changes."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from articles.models import Correction, Story
from tests.admin_pages import form_fields
from tests.test_admin import change_url
from tests.test_query_counts import MAX_QUERIES


@pytest.fixture
def story(make_story):
    story = make_story("Harbour vote", published_at=timezone.now() - timedelta(days=2))
    # As if last saved long ago, so a change is visible in updated_at.
    Story.objects.filter(pk=story.pk).update(updated_at=timezone.now() - timedelta(days=1))
    story.refresh_from_db()
    return story


def note(story, text="The vote was 7-5, not 8-4.", **fields):
    return Correction.objects.create(story=story, text=text, **fields)


def test_notes_show_below_the_body_with_kind_and_time(client, story, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    note(story, noted_at=datetime(2026, 11, 28, 1, 30, tzinfo=UTC))
    note(story, "Police named the driver.", kind=Correction.Kind.UPDATE)

    content = client.get(story.get_absolute_url()).content.decode()

    body_end = content.index('<div class="story__body">')
    notes = content.index("Corrections and updates")
    assert notes > body_end
    assert '<time datetime="2026-11-28T10:30:00+0900">November 28, 2026, 10:30 KST</time>' in (
        content
    )
    assert content.index("The vote was 7-5") < content.index("Police named the driver.")
    assert "<strong>Correction</strong>" in content and "<strong>Update</strong>" in content


def test_note_text_is_shown_as_text(client, story):
    note(story, "<b>bold</b> claim")

    content = client.get(story.get_absolute_url()).content.decode()

    assert "&lt;b&gt;bold&lt;/b&gt; claim" in content


def test_a_story_without_notes_has_no_notes_section(client, story):
    assert "Corrections and updates" not in client.get(story.get_absolute_url()).content.decode()


@pytest.mark.parametrize("change", ["add", "edit", "delete"])
def test_changing_a_note_changes_the_story(story, change):
    before = (story.updated_at, story.version)
    if change == "add":
        note(story)
    else:
        existing = note(story)
        Story.objects.filter(pk=story.pk).update(updated_at=timezone.now() - timedelta(days=1))
        story.refresh_from_db()
        before = (story.updated_at, story.version)
        if change == "edit":
            existing.text = "Reworded."
            existing.save()
        else:
            existing.delete()

    story.refresh_from_db()
    assert story.updated_at > before[0]
    assert story.version > before[1]


def test_a_note_moves_date_modified_in_the_page_metadata(client, story):
    note(story)
    story.refresh_from_db()

    html = client.get(story.get_absolute_url()).content.decode()

    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    modified = datetime.fromisoformat(json.loads(block.group(1))["dateModified"])
    assert modified == story.updated_at.replace(microsecond=0)


def test_editor_adds_a_note_in_the_story_form(editor_client, story):
    data = form_fields(editor_client.get(change_url(story)))
    data.update(
        {
            "corrections-TOTAL_FORMS": "1",
            "corrections-0-kind": "correction",
            "corrections-0-noted_at_0": "2026-11-28",
            "corrections-0-noted_at_1": "10:30:00",
            "corrections-0-text": "An earlier version misspelled the mayor's name.",
        }
    )

    response = editor_client.post(change_url(story), data)

    assert response.status_code == 302, response.context["errors"]
    (saved,) = story.corrections.all()
    assert saved.text == "An earlier version misspelled the mayor's name."


def test_reporters_do_not_write_notes(reporter_client, reporter, make_story):
    draft = make_story(status=Story.Status.DRAFT, created_by=reporter)

    content = reporter_client.get(change_url(draft)).content.decode()

    assert 'name="corrections-TOTAL_FORMS"' not in content


def test_notes_of_a_draft_are_not_public(make_story):
    draft = make_story(status=Story.Status.DRAFT)
    note(draft, "Secret note")

    assert Client().get(draft.get_absolute_url()).status_code == 404


def test_story_page_with_notes_stays_within_the_query_bound(
    client, make_story, django_assert_max_num_queries
):
    # Corrections come with the story's own query (StoryQuerySet.for_detail), so a
    # page with notes and automatic related headlines costs what any story page does.
    for n in range(5):
        make_story(f"Neighbour {n}", tags=["alpha"])
    story = make_story("Main", tags=["alpha"])
    for n in range(5):
        note(story, f"Note {n}")

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(story.get_absolute_url())
    assert "Note 4" in response.content.decode()
