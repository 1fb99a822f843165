"""History: every save is a revision; compare, revert and recover from the admin."""

import pytest
import reversion
from django.test import Client
from django.urls import reverse
from reversion.models import Version
from taggit.models import Tag, TaggedItem

from articles import history
from articles.importing import import_stories
from articles.models import Correction, RelatedHeadline, Story, StoryAuthor
from tests.admin_pages import form_fields
from tests.test_admin import ADD, CHANGELIST, change_url, run_action, story_form_data


def history_url(story):
    return reverse("admin:articles_story_history", args=[story.pk])


def revision_url(story, version):
    return reverse("admin:articles_story_revision", args=[story.pk, version.pk])


def compare_url(story, old, new):
    return reverse("admin:articles_story_compare", args=[story.pk]) + (
        f"?from={old.pk}&to={new.pk}"
    )


def versions_of(story):
    """The story's versions, oldest first."""
    return list(Version.objects.get_for_object(story).order_by("pk"))


@pytest.fixture
def write(editor_client, section, make_author):
    """Create a story through the admin, then `edit(**fields)` it like a browser would."""
    kim, lee = make_author("Kim Min-ji"), make_author("Lee Jun")

    def create(**fields):
        data = story_form_data(
            section,
            headline="First headline",
            slug="first",
            dek="The first dek.",
            body="<p>One paragraph.</p><p>Another paragraph.</p>",
            tags="Harbour",
            bylines=[{"author": kim.pk}],
            related=[{"target": "", "headline": "Wire: the old plan", "url": ""}],
        )
        data.update(fields)
        response = editor_client.post(ADD, data)
        assert response.status_code == 302, response.context["errors"]
        return Story.objects.get(slug=data["slug"])

    def edit(story, client=editor_client, **fields):
        data = form_fields(client.get(change_url(story)))
        data.update(fields)
        response = client.post(change_url(story), data)
        assert response.status_code == 302, response.context["errors"]
        story.refresh_from_db()
        return story

    create.edit, create.kim, create.lee = edit, kim, lee
    return create


# Recording


def test_admin_save_records_a_revision_with_who_and_when(write, editor):
    story = write()

    (version,) = versions_of(story)
    assert version.revision.user == editor
    assert version.revision.date_created is not None
    assert version.field_dict["headline"] == "First headline"


def test_revision_holds_bylines_related_headlines_tags_and_corrections(write):
    story = write()
    Correction.objects.create(story=story, text="A name was misspelled.")
    with reversion.create_revision():
        reversion.add_to_revision(story)

    revision = versions_of(story)[-1].revision
    models = {version._model for version in revision.version_set.all()}
    assert {Story, StoryAuthor, RelatedHeadline, TaggedItem, Tag, Correction} <= models


def test_every_revision_holds_a_single_story(write, editor_client):
    one, two = write(), write(slug="second", headline="Second story")

    run_action(editor_client, "unpublish", [one, two])
    run_action(editor_client, "publish", [one, two])

    for version in Version.objects.get_for_model(Story):
        stories = version.revision.version_set.filter(content_type=version.content_type)
        assert stories.count() == 1


def test_bulk_publish_records_a_revision_with_the_editor(write, editor_client, editor):
    story = write()

    run_action(editor_client, "publish", [story])

    latest = versions_of(story)[-1]
    assert latest.field_dict["status"] == Story.Status.PUBLISHED
    assert latest.revision.user == editor
    assert latest.revision.get_comment() == "Published with the bulk action."


def test_import_records_one_revision_per_story(tmp_path, section):
    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text(f"- Related {name}\nHeadline {name}\nText.\n")

    import_stories(sorted(tmp_path.glob("*.txt")), section=section, tags=["Imported"])

    for story in Story.objects.all():
        (version,) = versions_of(story)
        assert version.revision.get_comment() == "Imported from a text file."
        assert version.revision.version_set.filter(content_type=version.content_type).count() == 1
        # Bylines and related headlines are written after the story; they are in too.
        models = {v._model for v in version.revision.version_set.all()}
        assert {RelatedHeadline, TaggedItem} <= models


# The history page and comparing


def test_history_page_lists_versions_with_compare_and_revert(write, editor_client):
    story = write.edit(write(), headline="Second headline")
    old, new = versions_of(story)

    content = editor_client.get(history_url(story)).content.decode()

    assert compare_url(story, old, new).replace("&", "&amp;") in content
    assert f'href="{revision_url(story, old)}"' in content
    assert "Revert to this version" in content


def test_compare_shows_word_changes_in_headline_dek_and_body(write, editor_client):
    story = write()
    story = write.edit(
        story,
        headline="Second headline",
        dek="The first dek.",
        body="<p>One paragraph.</p><p>Another, longer paragraph.</p><p>A new one.</p>",
    )
    old, new = versions_of(story)

    response = editor_client.get(compare_url(story, old, new))

    diffs = {field.label: str(field.diff) for field in response.context["diffs"]}
    assert diffs["Headline"] == (
        '<p class="diff-changed"><del>First</del><ins>Second</ins> headline</p>'
    )
    assert diffs["Dek"] == "<p>The first dek.</p>"
    assert "<p>One paragraph.</p>" in diffs["Body"]
    assert "Another<ins>, longer</ins> paragraph." in diffs["Body"]
    assert '<p class="diff-added"><ins>A new one.</ins></p>' in diffs["Body"]


def test_compare_escapes_what_the_text_contains(write, editor_client):
    story = write.edit(write(), headline="<script>alert(1)</script> & more")
    old, new = versions_of(story)

    content = editor_client.get(compare_url(story, old, new)).content.decode()

    assert "<script>alert(1)" not in content
    assert "&lt;script&gt;alert" in content


def test_compare_without_choices_shows_the_latest_change(write, editor_client):
    story = write.edit(write(), headline="Second headline")

    response = editor_client.get(reverse("admin:articles_story_compare", args=[story.pk]))

    assert response.status_code == 200
    assert [v.pk for v in (response.context["old"], response.context["new"])] == [
        v.pk for v in versions_of(story)
    ]


def test_compare_refuses_a_version_of_another_story(write, editor_client):
    story, other = write(), write(slug="other", headline="Other")
    (foreign,) = versions_of(other)
    (own,) = versions_of(story)

    response = editor_client.get(compare_url(story, foreign, own))

    assert response.status_code == 404


def test_compare_is_closed_to_a_reporter_who_does_not_own_the_story(write, reporter_client):
    story = write.edit(write(), headline="Second headline")
    old, new = versions_of(story)

    assert reporter_client.get(compare_url(story, old, new)).status_code == 404


def test_body_text_puts_each_block_on_a_line():
    html = "<h2>Title</h2><p>One &amp; <strong>two</strong>.</p><ul><li>A</li><li>B</li></ul>"

    assert history.body_text(html) == "Title\nOne & two.\nA\nB"


def test_text_diff_marks_removed_and_added_paragraphs():
    diff = history.text_diff("Kept\nGone", "Kept\nNew")

    assert str(diff) == '<p>Kept</p><p class="diff-changed"><del>Gone</del><ins>New</ins></p>'


# Reverting


def test_revert_page_shows_the_old_version_and_a_revert_button(write, editor_client):
    story = write.edit(write(), headline="Second headline")
    old, _ = versions_of(story)

    response = editor_client.get(revision_url(story, old))

    content = response.content.decode()
    assert 'value="First headline"' in content
    assert 'value="Revert to this version"' in content
    story.refresh_from_db()
    assert story.headline == "Second headline"  # Looking is not reverting.


def test_revert_restores_text_tags_bylines_and_related_headlines(write, editor_client):
    story = write()
    story = write.edit(
        story,
        headline="Second headline",
        tags="Weather",
        **{
            "story_authors-0-author": str(write.lee.pk),
            "related_headlines-0-headline": "Wire: the new plan",
        },
    )
    old = versions_of(story)[0]

    form = form_fields(editor_client.get(revision_url(story, old)))
    response = editor_client.post(revision_url(story, old), form)

    assert response.status_code == 302
    story.refresh_from_db()
    assert story.headline == "First headline"
    assert list(story.tags.names()) == ["Harbour"]
    assert [b.author for b in story.story_authors.all()] == [write.kim]
    assert [r.headline for r in story.related_headlines.all()] == ["Wire: the old plan"]
    latest = versions_of(story)[-1]
    assert latest.revision.get_comment().startswith("Reverted to previous version")


def test_reverting_one_story_leaves_others_of_a_bulk_action_alone(write, editor_client):
    one, two = write(), write(slug="second", headline="Second story")
    run_action(editor_client, "publish", [one, two])
    two = write.edit(two, headline="Second story, edited")
    bulk_version = versions_of(one)[-1]

    form = form_fields(editor_client.get(revision_url(one, bulk_version)))
    editor_client.post(revision_url(one, bulk_version), form)

    two.refresh_from_db()
    assert two.headline == "Second story, edited"


def test_reporter_reverting_to_a_published_version_keeps_the_story_a_draft(
    write, editor_client, reporter, reporter_client, section
):
    story = write(status=Story.Status.PUBLISHED)
    Story.objects.filter(pk=story.pk).update(created_by=reporter)
    run_action(editor_client, "unpublish", [story])
    published_version = versions_of(story)[0]
    assert published_version.field_dict["status"] == Story.Status.PUBLISHED

    page = reporter_client.get(revision_url(story, published_version))
    response = reporter_client.post(revision_url(story, published_version), form_fields(page))

    assert response.status_code == 302
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT
    assert not Story.objects.published().exists()


def test_reporter_cannot_revert_their_published_story_to_a_draft(
    write, editor_client, reporter, reporter_client
):
    story = write()
    Story.objects.filter(pk=story.pk).update(created_by=reporter)
    run_action(editor_client, "publish", [story])
    draft_version = versions_of(story)[0]

    response = reporter_client.post(
        revision_url(story, draft_version), form_fields(editor_client.get(change_url(story)))
    )

    assert response.status_code == 403
    assert list(Story.objects.published()) == [story]


# Deleting and recovering


def delete(client, story):
    response = client.post(reverse("admin:articles_story_delete", args=[story.pk]), {"post": "yes"})
    assert response.status_code == 302


def recover(client, version):
    url = reverse("admin:articles_story_recover", args=[version.pk])
    return client.post(url, form_fields(client.get(url)))


@pytest.mark.parametrize("status", [Story.Status.PUBLISHED, Story.Status.DRAFT])
def test_deleted_story_is_recovered_with_its_status(write, editor_client, status):
    reader = Client()
    story = write(status=status)
    pk, url = story.pk, story.get_absolute_url()
    delete(editor_client, story)
    assert reader.get(url).status_code == 404

    listing = editor_client.get(reverse("admin:articles_story_recoverlist"))
    (deleted,) = listing.context["deleted"]
    response = recover(editor_client, deleted)

    assert response.status_code == 302
    story = Story.objects.get(pk=pk)
    assert story.status == status
    assert [b.author for b in story.story_authors.all()] == [write.kim]
    assert list(story.tags.names()) == ["Harbour"]
    assert reader.get(url).status_code == (200 if status == Story.Status.PUBLISHED else 404)


def test_deleted_story_is_not_public(write, editor_client):
    story = write(status=Story.Status.PUBLISHED)
    delete(editor_client, story)

    assert not Story.objects.published().exists()
    assert "First headline" not in Client().get("/").content.decode()


def test_changelist_links_the_recover_list(editor_client):
    content = editor_client.get(CHANGELIST).content.decode()

    assert reverse("admin:articles_story_recoverlist") in content
