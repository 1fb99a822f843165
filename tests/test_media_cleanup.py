"""No stranded files: whatever takes a photo off every story (replace, clear, delete, bulk
delete, a failed save) removes its files, and `manage.py cleanup_media` finds and removes
any file no row refers to.

The admin flows run in real transactions (transactional_db), so files are removed when
the change commits, or when it rolls back, as in production.
"""

import io
import os
import time
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse

from articles import images
from articles.admin import StoryAdmin
from articles.models import Author, Story
from tests.admin_pages import form_fields
from tests.conftest import image_bytes
from tests.test_admin import ADD, CHANGELIST, change_url, story_form_data
from tests.test_history import revision_url, versions_of

NOTHING_FOUND = "Found 0 unreferenced files"


def photo(color=(40, 90, 140), width=1200, height=800):
    return SimpleUploadedFile("photo.jpg", image_bytes(width, height, color=color))


def cleanup(*args, **options):
    out = io.StringIO()
    call_command("cleanup_media", *args, stdout=out, **options)
    return out.getvalue()


def photo_files(story):
    """(original, rendition names) of a story's lead photo as it is stored now."""
    story.refresh_from_db()
    return story.lead_photo.name, list(story.lead_photo_renditions["files"])


def rendition_urls(names):
    return [default_storage.url(name) for name in names]


def assert_nothing_stranded(client, removed_renditions=(), removed_original=None):
    """cleanup_media finds nothing, and what readers could fetch of a removed photo is gone."""
    assert NOTHING_FOUND in cleanup(min_age=0)
    for url in rendition_urls(removed_renditions):
        assert client.get(url).status_code == 404, url
    if removed_original:
        assert not images.originals_storage.exists(removed_original)


def assert_served(client, names):
    for url in rendition_urls(names):
        assert client.get(url).status_code == 200, url


@pytest.fixture
def photo_story(make_story):
    def make(**kwargs):
        return make_story(lead_photo=photo(), photo_alt="Boats in the harbour", **kwargs)

    return make


def change_form(client, story):
    return form_fields(client.get(change_url(story)))


# The admin flows leave cleanup_media nothing to find


@pytest.mark.django_db(transaction=True)
def test_upload_in_the_admin_leaves_nothing_stranded(editor_client, section):
    response = editor_client.post(ADD, story_form_data(section, lead_photo=photo()))
    assert response.status_code == 302, response.context["adminform"].form.errors
    _, renditions = photo_files(Story.objects.get())
    assert_served(editor_client, renditions)
    assert_nothing_stranded(editor_client)


@pytest.mark.django_db(transaction=True)
def test_replacing_a_photo_in_the_admin_removes_the_old_files(editor_client, photo_story):
    story = photo_story()
    old_original, old_renditions = photo_files(story)
    assert_served(editor_client, old_renditions)

    data = {**change_form(editor_client, story), "lead_photo": photo(color=(200, 30, 30))}
    assert editor_client.post(change_url(story), data).status_code == 302

    new_original, new_renditions = photo_files(story)
    assert new_original != old_original
    assert_served(editor_client, new_renditions)
    assert_nothing_stranded(editor_client, old_renditions, old_original)


@pytest.mark.django_db(transaction=True)
def test_clearing_a_photo_in_the_admin_removes_its_files(editor_client, photo_story):
    story = photo_story()
    original, renditions = photo_files(story)

    data = {**change_form(editor_client, story), "lead_photo-clear": "on"}
    assert editor_client.post(change_url(story), data).status_code == 302

    story.refresh_from_db()
    assert not story.lead_photo and story.lead_photo_renditions == {}
    assert_nothing_stranded(editor_client, renditions, original)


@pytest.mark.django_db(transaction=True)
def test_deleting_a_story_in_the_admin_removes_its_photo_files(editor_client, photo_story):
    story = photo_story()
    original, renditions = photo_files(story)

    url = reverse("admin:articles_story_delete", args=[story.pk])
    assert editor_client.post(url, {"post": "yes"}).status_code == 302

    assert not Story.objects.exists()
    assert_nothing_stranded(editor_client, renditions, original)


@pytest.mark.django_db(transaction=True)
def test_bulk_delete_in_the_admin_removes_every_photo(editor_client, photo_story):
    stories = [photo_story(headline=f"Story {n}") for n in range(3)]
    kept = photo_story(headline="Kept")
    removed = [photo_files(story) for story in stories]

    response = editor_client.post(
        CHANGELIST,
        {
            "action": "delete_selected",
            "_selected_action": [story.pk for story in stories],
            "post": "yes",
        },
    )
    assert response.status_code == 302

    assert list(Story.objects.values_list("headline", flat=True)) == ["Kept"]
    for original, renditions in removed:
        assert_nothing_stranded(editor_client, renditions, original)
    assert_served(editor_client, photo_files(kept)[1])


@pytest.mark.django_db(transaction=True)
def test_queryset_delete_removes_every_photo(client, photo_story):
    removed = [photo_files(photo_story(headline=f"Story {n}")) for n in range(2)]

    Story.objects.all().delete()

    for original, renditions in removed:
        assert_nothing_stranded(client, renditions, original)


@pytest.mark.django_db(transaction=True)
def test_a_save_that_fails_after_writing_files_removes_them_and_keeps_the_old_photo(
    editor_client, photo_story
):
    """The database refuses something after Story.save() wrote the new original and its
    renditions: the transaction rolls back, and so do the files."""
    story = photo_story()
    old_original, old_renditions = photo_files(story)
    data = {**change_form(editor_client, story), "lead_photo": photo(color=(200, 30, 30))}

    refused = IntegrityError("a constraint failed while saving the bylines")
    with (
        mock.patch.object(StoryAdmin, "save_related", side_effect=refused),
        pytest.raises(IntegrityError),
    ):
        editor_client.post(change_url(story), data)

    assert photo_files(story) == (old_original, old_renditions)
    assert images.originals_storage.exists(old_original)
    assert_served(editor_client, old_renditions)
    assert_nothing_stranded(editor_client)


@pytest.mark.django_db(transaction=True)
def test_a_save_that_fails_while_making_renditions_removes_what_it_wrote(
    editor_client, photo_story
):
    story = photo_story()
    old_original, old_renditions = photo_files(story)
    data = {**change_form(editor_client, story), "lead_photo": photo(color=(200, 30, 30))}

    real_encode, calls = images._encode, []

    def encode_then_fail(image, fmt):
        calls.append(fmt)
        if len(calls) == 4:
            raise OSError("encoder crashed")
        return real_encode(image, fmt)

    with mock.patch.object(images, "_encode", encode_then_fail), pytest.raises(OSError):
        editor_client.post(change_url(story), data)

    assert len(calls) == 4  # three renditions were written before the failure
    assert photo_files(story) == (old_original, old_renditions)
    assert_served(editor_client, old_renditions)
    assert_nothing_stranded(editor_client)


@pytest.mark.django_db(transaction=True)
def test_a_save_refused_by_a_database_constraint_removes_the_new_original(client, photo_story):
    story = photo_story()
    old_original, old_renditions = photo_files(story)

    story.lead_photo = photo(color=(200, 30, 30))
    story.lead_photo_focal_x = 2  # outside the photo: the check constraint refuses it
    with pytest.raises(IntegrityError):
        story.save()

    story = Story.objects.get(pk=story.pk)
    assert photo_files(story) == (old_original, old_renditions)
    assert_served(client, old_renditions)
    assert_nothing_stranded(client)


@pytest.mark.django_db(transaction=True)
def test_a_failed_save_inside_a_larger_transaction_removes_its_files(client, photo_story):
    """A savepoint rolled back (the caller carries on) drops the files written in it."""
    from django.db import transaction

    story = photo_story()
    old_original, old_renditions = photo_files(story)
    with transaction.atomic():
        try:
            with transaction.atomic():
                story.lead_photo = photo(color=(200, 30, 30))
                story.save()
                raise RuntimeError("the caller gives up")
        except RuntimeError:
            pass
        # The caller's own work goes on and commits.
        Story.objects.filter(pk=story.pk).update(dek="Still here")

    story = Story.objects.get(pk=story.pk)
    assert story.dek == "Still here"
    assert photo_files(story) == (old_original, old_renditions)
    assert_nothing_stranded(client)


@pytest.mark.django_db(transaction=True)
def test_replacing_clearing_and_deleting_author_portraits_leaves_nothing(editor_client):
    add = reverse("admin:articles_author_add")
    response = editor_client.post(add, {"name": "Kim Min-ji", "slug": "kim", "photo": photo()})
    assert response.status_code == 302, response.context["adminform"].form.errors
    author = Author.objects.get()
    first = author.photo.name
    change = reverse("admin:articles_author_change", args=[author.pk])

    data = {**form_fields(editor_client.get(change), "author_form"), "photo": photo((9, 9, 9))}
    assert editor_client.post(change, data).status_code == 302
    author.refresh_from_db()
    second = author.photo.name
    assert second != first
    assert editor_client.get(default_storage.url(second)).status_code == 200
    assert editor_client.get(default_storage.url(first)).status_code == 404
    assert_nothing_stranded(editor_client)

    data = {**form_fields(editor_client.get(change), "author_form"), "photo-clear": "on"}
    assert editor_client.post(change, data).status_code == 302
    assert editor_client.get(default_storage.url(second)).status_code == 404
    assert_nothing_stranded(editor_client)

    author.photo.save("again.jpg", ContentFile(image_bytes(400, 400)))
    third = author.photo.name
    delete = reverse("admin:articles_author_delete", args=[author.pk])
    assert editor_client.post(delete, {"post": "yes"}).status_code == 302
    assert editor_client.get(default_storage.url(third)).status_code == 404
    assert_nothing_stranded(editor_client)


@pytest.mark.django_db(transaction=True)
def test_files_another_story_still_uses_are_kept(client, photo_story, section):
    story = photo_story()
    original, renditions = photo_files(story)
    # A second story with the same original (a copy): it gets renditions of its own.
    copy = Story.objects.create(headline="A copy", section=section, lead_photo=original)
    copy_original, copy_renditions = photo_files(copy)
    assert copy_original == original

    story.delete()

    assert images.originals_storage.exists(original)
    assert_served(client, copy_renditions)
    assert_nothing_stranded(client, renditions)


def revert_in_the_admin(client, story, version):
    page = client.get(revision_url(story, version))
    assert page.status_code == 200
    response = client.post(revision_url(story, version), form_fields(page))
    assert response.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_reverting_in_the_admin_keeps_the_photo_and_strands_nothing(editor_client, photo_story):
    story = photo_story()
    data = {**change_form(editor_client, story), "headline": "A new headline"}
    assert editor_client.post(change_url(story), data).status_code == 302
    original, renditions = photo_files(story)

    revert_in_the_admin(editor_client, story, versions_of(story)[0])

    assert photo_files(story) == (original, renditions)
    assert_served(editor_client, renditions)
    assert_nothing_stranded(editor_client)


@pytest.mark.django_db(transaction=True)
def test_reverting_past_a_replaced_photo_strands_nothing(editor_client, photo_story):
    story = photo_story()
    data = {**change_form(editor_client, story), "headline": "A first headline"}
    assert editor_client.post(change_url(story), data).status_code == 302
    old_original, old_renditions = photo_files(story)
    data = {**change_form(editor_client, story), "lead_photo": photo(color=(200, 30, 30))}
    assert editor_client.post(change_url(story), data).status_code == 302
    current = photo_files(story)

    # The first version's photo was deleted when it was replaced: the revert keeps today's.
    revert_in_the_admin(editor_client, story, versions_of(story)[0])

    assert photo_files(story) == current
    assert_served(editor_client, current[1])
    assert_nothing_stranded(editor_client, old_renditions, old_original)


# cleanup_media


def stray(storage, name, data=b"stray bytes"):
    return storage.save(name, ContentFile(data))


def make_old(storage, name, minutes=60):
    then = time.time() - minutes * 60
    os.utime(storage.path(name), (then, then))


@pytest.fixture
def strays(db):
    """One unreferenced file in each place cleanup_media looks, an hour old."""
    names = [
        ("default", stray(default_storage, "renditions/0123abcd/lead-480.jpg")),
        ("default", stray(default_storage, "authors/gone-1234.jpg")),
        ("originals", stray(images.originals_storage, "photos/2026/11/gone.jpg")),
    ]
    for label, name in names:
        make_old(default_storage if label == "default" else images.originals_storage, name)
    return names


def referenced_names(story, author):
    original, renditions = photo_files(story)
    return [original, *renditions, author.photo.name]


def test_dry_run_lists_unreferenced_files_with_sizes_and_changes_nothing(
    photo_story, make_author, strays
):
    story = photo_story()
    author = make_author(photo=photo())

    output = cleanup()

    for label, name in strays:
        assert f"{label}: {name} (11 bytes)" in output
    for name in referenced_names(story, author):
        assert name not in output
    assert "Found 3 unreferenced files, 33 bytes (33 bytes)." in output
    assert "run again with --delete" in output
    assert default_storage.exists("renditions/0123abcd/lead-480.jpg")
    assert images.originals_storage.exists("photos/2026/11/gone.jpg")


def test_delete_removes_unreferenced_files_and_empty_folders_only(photo_story, make_author, strays):
    story = photo_story()
    author = make_author(photo=photo())

    output = cleanup("--delete")

    assert "Removed 3 unreferenced files" in output
    assert not default_storage.exists("renditions/0123abcd/lead-480.jpg")
    assert not os.path.exists(default_storage.path("renditions/0123abcd"))
    assert not default_storage.exists("authors/gone-1234.jpg")
    assert not images.originals_storage.exists("photos/2026/11/gone.jpg")
    original, renditions = photo_files(story)
    assert images.originals_storage.exists(original)
    assert all(default_storage.exists(name) for name in renditions)
    assert default_storage.exists(author.photo.name)
    assert NOTHING_FOUND in cleanup(min_age=0)


def test_files_written_a_moment_ago_are_left_alone(db):
    name = stray(default_storage, "renditions/fresh000/lead-480.jpg")

    output = cleanup("--delete")

    assert name not in output
    assert "1 newer than 10 minutes left alone" in output
    assert default_storage.exists(name)
    assert name in cleanup("--min-age", "0")


def test_works_with_any_storage_backend(settings, make_story, tmp_path):
    """Only the Storage API (listdir, size, delete…): here, storages kept in memory."""
    memory = {"BACKEND": "django.core.files.storage.InMemoryStorage"}
    settings.STORAGES = {**settings.STORAGES, "default": memory, "originals": memory}
    story = make_story(lead_photo=photo())
    _, renditions = photo_files(story)
    assert default_storage.exists(renditions[0])
    name = stray(default_storage, "renditions/0123abcd/card-400.jpg")

    assert name in cleanup(min_age=0)
    assert "Removed 1 unreferenced file," in cleanup("--delete", min_age=0)

    assert not default_storage.exists(name)
    assert all(default_storage.exists(name) for name in renditions)
    assert not any(tmp_path.rglob("*.jpg"))  # nothing went to the file system
