"""The public rule: published and not in the future, decided by one queryset method."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles.models import Story


def test_published_story_in_the_past_is_public(make_story):
    story = make_story()
    assert list(Story.objects.published()) == [story]


def test_draft_is_not_public(make_story):
    make_story(status=Story.Status.DRAFT)
    assert not Story.objects.published().exists()


def test_scheduled_story_is_not_public_until_its_time(make_story):
    story = make_story(published_at=timezone.now() + timedelta(minutes=5))
    assert not Story.objects.published().exists()
    Story.objects.filter(pk=story.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    assert list(Story.objects.published()) == [story]


def test_database_refuses_published_story_without_publication_time(make_story):
    story = make_story(status=Story.Status.DRAFT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Story.objects.filter(pk=story.pk).update(status=Story.Status.PUBLISHED)


def test_publishing_without_a_time_stamps_now(make_story):
    story = make_story(status=Story.Status.DRAFT)
    story.status = Story.Status.PUBLISHED
    story.save()
    assert story.published_at is not None
    assert story.published_at <= timezone.now()


@pytest.mark.parametrize("status", [Story.Status.DRAFT, "scheduled"])
def test_hidden_story_is_404_on_its_page(client, make_story, status):
    if status == "scheduled":
        story = make_story(published_at=timezone.now() + timedelta(days=1))
    else:
        story = make_story(status=status)
    assert client.get(story.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("status", [Story.Status.DRAFT, "scheduled"])
def test_hidden_story_is_absent_from_every_list(client, make_story, make_author, status):
    author = make_author()
    visible = make_story("Visible headline", authors=[author], tags=["Shared"])
    if status == "scheduled":
        hidden = make_story(
            "Secret headline",
            authors=[author],
            tags=["Shared"],
            published_at=timezone.now() + timedelta(days=1),
        )
    else:
        hidden = make_story("Secret headline", authors=[author], tags=["Shared"], status=status)
    pages = [
        "/",
        "/stories/",
        visible.section.get_absolute_url(),
        author.get_absolute_url(),
        "/tags/shared/",
        visible.get_absolute_url(),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert hidden.headline not in response.content.decode(), url


def test_tag_used_only_by_drafts_is_404(client, make_story):
    make_story(tags=["Embargoed"], status=Story.Status.DRAFT)
    assert client.get("/tags/embargoed/").status_code == 404


def test_related_headline_to_draft_shows_its_own_text_not_the_draft(client, make_story):
    draft = make_story("Unpublished scoop", status=Story.Status.DRAFT)
    story = make_story(related=[("Wire headline text", "", draft)])
    html = client.get(story.get_absolute_url()).content.decode()
    assert "Wire headline text" in html
    assert "Unpublished scoop" not in html
    assert draft.get_absolute_url() not in html


def test_related_headline_to_draft_without_text_is_hidden(client, make_story):
    draft = make_story("Unpublished scoop", status=Story.Status.DRAFT)
    story = make_story(related=[("", "", draft)])
    html = client.get(story.get_absolute_url()).content.decode()
    assert "Unpublished scoop" not in html
    assert "Related headlines" not in html


def test_staff_preview_of_draft_is_marked_and_not_cached(editor_client, make_story):
    draft = make_story("Draft in progress", status=Story.Status.DRAFT)
    response = editor_client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "Preview." in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert 'name="robots" content="noindex' in response.content.decode()
