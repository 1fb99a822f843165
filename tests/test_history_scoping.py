"""History, compare, revert and recover act on the story in the URL, and on nothing else.

A revert or recovery restores the story's own state: its row, bylines, related
headlines, notes and which tags it uses; never another story's rows, never the fields
of shared tags; it keeps the lead photo unless the version's own photo can come back.
"""

import pytest
import reversion
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from reversion.models import Version
from taggit.models import Tag, TaggedItem

from articles import history, images
from articles.models import (
    Author,
    Correction,
    Photo,
    RelatedHeadline,
    Section,
    Story,
    StoryAuthor,
)
from tests.admin_pages import form_fields
from tests.conftest import image_bytes, library_photo
from tests.test_admin import change_url
from tests.test_history import compare_url, history_url, revision_url, versions_of

# A primary key no other row of any model takes by itself in these tests (PostgreSQL's
# sequences do not move for rows inserted with an explicit key).
SHARED_PK = 4242


def record(*stories, comment="Saved."):
    """One revision per story, as every write path records them."""
    history.record_story_revisions(
        history.stories_for_revisions([story.pk for story in stories]), comment=comment
    )


def revert(client, story, version):
    """Open the revert page of `version` and press "Revert to this version"."""
    page = client.get(revision_url(story, version))
    assert page.status_code == 200
    return client.post(revision_url(story, version), form_fields(page))


def recover_url(version):
    return reverse("admin:articles_story_recover", args=[version.pk])


def messages_of(response):
    return [str(message) for message in response.wsgi_request._messages]


@pytest.fixture
def reporter_b(role_user):
    return role_user("Reporter", "reporter-b", first_name="Jun", last_name="Lee")


# Only versions of the story in the URL


def rows_with_the_same_pk(other, author, model):
    """A row of `model` belonging to `other`, with SHARED_PK as its primary key."""
    if model is StoryAuthor:
        return StoryAuthor.objects.create(pk=SHARED_PK, story=other, author=author)
    if model is RelatedHeadline:
        return RelatedHeadline.objects.create(pk=SHARED_PK, story=other, headline="Wire copy")
    if model is Correction:
        return Correction.objects.create(pk=SHARED_PK, story=other, text="A name was wrong.")
    tag = Tag.objects.create(pk=SHARED_PK if model is Tag else None, name="Harbour", slug="h")
    return TaggedItem.objects.create(
        pk=SHARED_PK if model is TaggedItem else None, content_object=other, tag=tag
    )


@pytest.mark.parametrize(
    "model", [StoryAuthor, RelatedHeadline, Correction, TaggedItem, Tag], ids=lambda m: m.__name__
)
def test_a_version_of_another_object_with_the_storys_pk_is_refused(
    model, make_story, make_author, reporter, reporter_client
):
    mine = make_story("My draft", pk=SHARED_PK, status=Story.Status.DRAFT, created_by=reporter)
    other = make_story("The front-page story")
    rows_with_the_same_pk(other, make_author(), model)
    record(other)
    Story.objects.filter(pk=other.pk).update(headline="The front-page story, updated")
    ctype_version = Version.objects.get_for_model(model).get(object_id=str(SHARED_PK))

    url = revision_url(mine, ctype_version)
    assert reporter_client.get(url).status_code == 404
    assert reporter_client.post(url, {"headline": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.headline == "The front-page story, updated"
    assert other.status == Story.Status.PUBLISHED


def test_a_deleted_story_does_not_come_back_through_another_storys_url(
    make_story, make_author, reporter, reporter_client, editor_client
):
    mine = make_story("My draft", pk=SHARED_PK, status=Story.Status.DRAFT, created_by=reporter)
    other = make_story("A story the desk deleted")
    rows_with_the_same_pk(other, make_author(), TaggedItem)
    record(other)
    other_pk = other.pk
    other.delete()
    item_version = Version.objects.get_for_model(TaggedItem).get(object_id=str(SHARED_PK))

    assert reporter_client.post(revision_url(mine, item_version), {}).status_code == 404
    # Nor through the recover view, which is for versions of deleted stories only.
    assert editor_client.post(recover_url(item_version), {}).status_code == 404
    assert not Story.objects.filter(pk=other_pk).exists()
    assert Story.objects.get(pk=mine.pk).headline == "My draft"


def test_recover_refuses_a_version_of_a_story_that_exists(make_story, editor_client):
    story = make_story("Still here")
    record(story)
    Story.objects.filter(pk=story.pk).update(headline="Still here, edited")
    (version,) = versions_of(story)

    assert editor_client.get(recover_url(version)).status_code == 404
    assert editor_client.post(recover_url(version), {}).status_code == 404
    assert Story.objects.get(pk=story.pk).headline == "Still here, edited"


def test_a_version_of_another_story_is_refused_everywhere(make_story, editor_client):
    story, other = make_story("Mine"), make_story("Other")
    record(story, other)
    (own,), (foreign,) = versions_of(story), versions_of(other)

    assert editor_client.get(revision_url(story, foreign)).status_code == 404
    assert editor_client.post(revision_url(story, foreign), {}).status_code == 404
    assert editor_client.get(compare_url(story, foreign, own)).status_code == 404


def test_a_story_id_that_is_not_a_number_is_not_found(editor_client):
    assert editor_client.get("/admin/articles/story/abc/history/1/").status_code == 404


def test_reverting_an_old_shared_revision_writes_only_this_story(
    make_story, make_author, editor_client
):
    """Revisions made before one-story-per-revision held several stories at once."""
    author = make_author()
    one, two = make_story("One", authors=[author]), make_story("Two", authors=[author])
    with reversion.create_revision():
        reversion.add_to_revision(one)
        reversion.add_to_revision(two)
    Story.objects.filter(pk=one.pk).update(headline="One, edited")
    Story.objects.filter(pk=two.pk).update(headline="Two, edited")
    two_byline = two.story_authors.get()
    two_byline.delete()
    shared = versions_of(one)[0]

    response = revert(editor_client, one, shared)

    assert response.status_code == 302
    assert Story.objects.get(pk=one.pk).headline == "One"
    assert Story.objects.get(pk=two.pk).headline == "Two, edited"
    assert not two.story_authors.exists()


def test_revert_to_an_old_address_keeps_the_current_one_working(make_story, editor_client):
    story = make_story("Moved", slug="first-address")
    record(story)
    Story.objects.filter(pk=story.pk).update(slug="second-address")

    assert revert(editor_client, story, versions_of(story)[0]).status_code == 302

    story.refresh_from_db()
    assert story.slug == "first-address"
    response = Client().get("/stories/second-address/")
    assert response.status_code == 301
    assert response.url == story.get_absolute_url()


def test_revert_keeps_the_address_when_another_story_took_the_old_one(make_story, editor_client):
    story = make_story("Moved", slug="first-address")
    record(story)
    Story.objects.filter(pk=story.pk).update(slug="second-address", headline="Moved, edited")
    other = make_story("Newcomer", slug="first-address")

    response = revert(editor_client, story, versions_of(story)[0])

    assert response.status_code == 302
    story.refresh_from_db()
    assert (story.headline, story.slug) == ("Moved", "second-address")
    assert Story.objects.get(pk=other.pk).slug == "first-address"


def test_revert_keeps_fields_the_version_did_not_record(make_story, editor_client):
    story = make_story("Old", photo_caption="A caption written later")
    record(story)
    version = versions_of(story)[0]
    # As a version recorded before the field existed.
    version.serialized_data = version.serialized_data.replace('"photo_caption":', '"gone":')
    version.save()
    Story.objects.filter(pk=story.pk).update(headline="Old, edited")

    assert revert(editor_client, story, version).status_code == 302

    story.refresh_from_db()
    assert (story.headline, story.photo_caption) == ("Old", "A caption written later")


# Shared objects: which ones, never their fields


def test_revert_keeps_a_renamed_tags_new_name(make_story, editor_client):
    story = make_story("Tagged", tags=["Harbour"])
    record(story)
    Tag.objects.filter(name="Harbour").update(name="Harbor", slug="harbor")
    story.tags.add("Weather")
    Story.objects.filter(pk=story.pk).update(headline="Tagged, edited")

    assert revert(editor_client, story, versions_of(story)[0]).status_code == 302

    story.refresh_from_db()
    assert story.headline == "Tagged"
    assert list(story.tags.names()) == ["Harbor"]
    assert set(Tag.objects.values_list("name", "slug")) == {
        ("Harbor", "harbor"),
        ("Weather", "weather"),
    }


def test_revert_brings_back_a_deleted_tag_without_overwriting_an_existing_one(
    make_story, editor_client
):
    story = make_story("Tagged", tags=["Harbour", "Weather"])
    record(story)
    Tag.objects.filter(name="Harbour").delete()
    Tag.objects.filter(name="Weather").delete()
    # Another tag took the deleted one's name since: the story gets that one.
    taken = Tag.objects.create(name="Weather", slug="the-weather")

    assert revert(editor_client, story, versions_of(story)[0]).status_code == 302

    story.refresh_from_db()
    assert sorted(story.tags.names()) == ["Harbour", "Weather"]
    assert story.tags.get(name="Weather") == taken
    taken.refresh_from_db()
    assert taken.slug == "the-weather"


def test_revert_to_a_version_whose_byline_author_was_deleted_changes_nothing(
    make_story, make_author, editor_client
):
    gone, kept = make_author("Gone Reporter"), make_author("Kept Reporter")
    story = make_story("Bylined", authors=[gone])
    record(story)
    StoryAuthor.objects.filter(story=story).update(author=kept)
    Story.objects.filter(pk=story.pk).update(headline="Bylined, edited")
    gone.delete()
    old = versions_of(story)[0]

    page = editor_client.get(revision_url(story, old))
    response = editor_client.post(revision_url(story, old), {})

    for answer in (page, response):
        assert answer.status_code == 302
        assert answer.url == history_url(story)
        assert any("Gone Reporter" in message for message in messages_of(answer))
    story.refresh_from_db()
    assert story.headline == "Bylined, edited"
    assert [byline.author for byline in story.story_authors.all()] == [kept]
    assert not Author.objects.filter(name="Gone Reporter").exists()


def test_revert_to_a_version_whose_section_was_deleted_changes_nothing(
    make_story, make_section, editor_client
):
    gone, kept = make_section("Gone"), make_section("Kept")
    story = make_story("Sectioned", section=gone)
    record(story)
    Story.objects.filter(pk=story.pk).update(section=kept, headline="Sectioned, edited")
    gone.delete()

    response = editor_client.post(revision_url(story, versions_of(story)[0]), {})

    assert response.status_code == 302
    assert any("section" in message for message in messages_of(response))
    story.refresh_from_db()
    assert (story.headline, story.section) == ("Sectioned, edited", kept)
    assert not Section.objects.filter(name="Gone").exists()


def test_revert_leaves_out_a_related_link_to_a_story_deleted_since(make_story, editor_client):
    linked = make_story("Linked")
    story = make_story("Linking", related=[("", "", linked), ("Wire copy", "", None)])
    record(story)
    Story.objects.filter(pk=story.pk).update(headline="Linking, edited")
    linked.delete()

    response = revert(editor_client, story, versions_of(story)[0])

    assert response.status_code == 302
    story.refresh_from_db()
    assert story.headline == "Linking"
    assert [(r.headline, r.target_id) for r in story.related_headlines.all()] == [
        ("Wire copy", None)
    ]


# The lead photo


@pytest.fixture
def photo_story(make_story):
    def make(**kwargs):
        upload = SimpleUploadedFile("photo.jpg", image_bytes(1200, 800))
        return make_story(
            "With a photo",
            lead_photo=upload,
            photo_alt="Boats",
            status=Story.Status.DRAFT,
            lead_photo_focal_x=0.3,
            **kwargs,
        )

    return make


def photo_state(story):
    """(photo id, original, renditions) of the story's library photo as stored now."""
    story.refresh_from_db()
    photo = Photo.objects.get(pk=story.lead_photo_id)
    return (photo.pk, photo.original.name, photo.renditions)


def files_exist(name, renditions):
    return images.originals_storage.exists(name) and all(
        default_storage.exists(file) for file in renditions["files"]
    )


def edit_headline(client, story, headline):
    form = form_fields(client.get(change_url(story)))
    response = client.post(change_url(story), {**form, "headline": headline})
    assert response.status_code == 302


def test_revert_keeps_the_lead_photo(
    photo_story, editor_client, django_capture_on_commit_callbacks
):
    story = photo_story()
    record(story)
    edit_headline(editor_client, story, "A new headline")
    before = photo_state(story)

    history_page = editor_client.get(history_url(story)).content.decode()
    revert_page = editor_client.get(revision_url(story, versions_of(story)[0])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = revert(editor_client, story, versions_of(story)[0])

    assert response.status_code == 302
    assert "Reverting keeps the current photo." in history_page
    assert "It keeps the current photo." in revert_page
    assert photo_state(story) == before
    assert story.headline == "With a photo"
    assert files_exist(before[1], before[2])


def test_revert_keeps_the_photo_of_a_version_recorded_without_one(
    photo_story, editor_client, django_capture_on_commit_callbacks
):
    story = photo_story()
    with reversion.create_revision():
        reversion.add_to_revision(story)
    # Versions recorded before photos were: no photo fields at all.
    version = versions_of(story)[0]
    version.serialized_data = version.serialized_data.replace('"lead_photo":', '"ignored":')
    version.save()
    edit_headline(editor_client, story, "A new headline")
    before = photo_state(story)

    with django_capture_on_commit_callbacks(execute=True):
        response = revert(editor_client, story, version)

    assert response.status_code == 302
    assert photo_state(story) == before
    assert files_exist(before[1], before[2])


def replace_photo(story):
    """Another library photo; the old one stays in the library."""
    upload = SimpleUploadedFile("new.jpg", image_bytes(1500, 1000, color=(200, 0, 0)))
    story.lead_photo = library_photo(upload)
    story.save()


def test_revert_restores_an_older_photo_still_in_the_library(
    photo_story, editor_client, django_capture_on_commit_callbacks
):
    story = photo_story()
    record(story)
    old_photo = photo_state(story)
    replace_photo(story)
    record(story)
    new_photo = photo_state(story)
    old_version = versions_of(story)[0]

    history_page = editor_client.get(history_url(story)).content.decode()
    revert_page = editor_client.get(revision_url(story, old_version)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = revert(editor_client, story, old_version)

    assert "Reverting restores this version's photo." in history_page
    assert "It restores this version's photo" in revert_page
    assert response.status_code == 302
    assert photo_state(story) == old_photo
    assert files_exist(old_photo[1], old_photo[2])
    # The photo it replaced stays in the library, for other stories.
    assert files_exist(new_photo[1], new_photo[2])


def test_revert_keeps_the_current_photo_when_the_older_one_was_deleted(
    photo_story, editor_client, django_capture_on_commit_callbacks
):
    story = photo_story()
    record(story)
    old_photo = photo_state(story)
    replace_photo(story)
    record(story)
    with django_capture_on_commit_callbacks(execute=True):
        Photo.objects.get(pk=old_photo[0]).delete()  # unused since the replacement
    new_photo = photo_state(story)

    history_page = editor_client.get(history_url(story)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = revert(editor_client, story, versions_of(story)[0])

    assert "Reverting keeps the current photo." in history_page
    assert response.status_code == 302
    assert photo_state(story) == new_photo
    assert files_exist(new_photo[1], new_photo[2])


@pytest.mark.parametrize("files_kept", [True, False], ids=["photo-kept", "photo-deleted"])
def test_a_recovered_story_gets_its_photo_only_if_it_is_still_in_the_library(
    photo_story, editor_client, django_capture_on_commit_callbacks, files_kept
):
    story = photo_story()
    record(story)
    pk, photo = story.pk, photo_state(story)
    response = editor_client.post(
        reverse("admin:articles_story_delete", args=[pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    if not files_kept:
        with django_capture_on_commit_callbacks(execute=True):
            Photo.objects.get(pk=photo[0]).delete()
    (deleted,) = editor_client.get(reverse("admin:articles_story_recoverlist")).context["deleted"]

    page = editor_client.get(recover_url(deleted))
    response = editor_client.post(recover_url(deleted), form_fields(page))

    assert response.status_code == 302
    story = Story.objects.get(pk=pk)
    if files_kept:
        assert "Its photo comes back with it." in page.content.decode()
        assert photo_state(story) == photo
    else:
        assert story.lead_photo is None


# Who may use the history views


def history_urls(story, old, new):
    return [
        history_url(story),
        compare_url(story, old, new),
        revision_url(story, old),
        reverse("admin:articles_story_recoverlist"),
        recover_url(old),
    ]


def test_anonymous_visitors_are_sent_to_log_in(make_story):
    story = make_story()
    record(story)
    record(story)
    old, new = versions_of(story)

    for url in history_urls(story, old, new):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url


def test_a_reporter_cannot_use_another_reporters_history(
    make_story, reporter, reporter_b, login, editor_client
):
    theirs = make_story("B's draft", status=Story.Status.DRAFT, created_by=reporter_b)
    record(theirs)
    Story.objects.filter(pk=theirs.pk).update(headline="B's draft, edited")
    record(theirs)
    old, new = versions_of(theirs)
    client = login(reporter)

    for url in history_urls(theirs, old, new)[:3]:
        assert client.get(url).status_code == 404, url
    assert client.post(revision_url(theirs, old), {"headline": "x"}).status_code == 404
    for url in history_urls(theirs, old, new)[3:]:
        assert client.get(url).status_code == 403, url
    assert Story.objects.get(pk=theirs.pk).headline == "B's draft, edited"


def test_a_reporter_can_read_but_not_revert_their_published_story(
    make_story, reporter, reporter_client
):
    story = make_story("Live", created_by=reporter)
    record(story)
    Story.objects.filter(pk=story.pk).update(headline="Live, edited")
    record(story)
    old, new = versions_of(story)

    assert reporter_client.get(history_url(story)).status_code == 200
    assert reporter_client.get(compare_url(story, old, new)).status_code == 200
    page = reporter_client.get(revision_url(story, old))
    assert page.status_code == 200
    assert 'value="Revert to this version"' not in page.content.decode()
    response = reporter_client.post(revision_url(story, old), form_fields(page))
    assert response.status_code == 403
    assert Story.objects.get(pk=story.pk).headline == "Live, edited"


def test_a_reporter_can_revert_their_own_draft(make_story, reporter, reporter_client):
    story = make_story("Draft", status=Story.Status.DRAFT, created_by=reporter)
    record(story)
    Story.objects.filter(pk=story.pk).update(headline="Draft, edited")

    assert revert(reporter_client, story, versions_of(story)[0]).status_code == 302
    assert Story.objects.get(pk=story.pk).headline == "Draft"


def test_out_of_range_ids_are_not_found(make_story, editor_client):
    story = make_story()
    huge = "9" * 30

    assert editor_client.get(f"/admin/articles/story/{story.pk}/history/{huge}/").status_code == 404
    assert editor_client.get(f"/admin/articles/story/{huge}/history/1/").status_code == 404
    assert editor_client.get(f"/admin/articles/story/recover/{huge}/").status_code == 404
    assert editor_client.get(f"/admin/articles/story/{huge}/history/").status_code == 404
    compare = reverse("admin:articles_story_compare", args=[story.pk])
    assert editor_client.get(f"{compare}?from={huge}&to={huge}").status_code == 404
