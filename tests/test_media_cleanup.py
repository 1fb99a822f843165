"""No stranded files: photo files belong to library photos; deleting an unused photo (one,
or in bulk) and a failed save remove them, a story's changes never do, and
`manage.py cleanup_media` finds and removes any file no row refers to.

The admin flows run in real transactions (transactional_db), so files are removed when
the change commits, or when it rolls back, as in production.
"""

import gc
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
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from articles import images
from articles.admin import StoryAdmin
from articles.models import Author, Photo, Story
from tests.admin_pages import form_fields
from tests.background_tasks import run_worker
from tests.conftest import image_bytes, library_photo
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
    """(original, rendition names) of a story's lead photo (a library photo) as stored now."""
    story = Story.objects.select_related("lead_photo").get(pk=story.pk)
    photo = story.lead_photo
    return photo.original.name, list(photo.renditions["files"])


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


def delete_photo_in_the_admin(client, story_photo):
    url = reverse("admin:photos_photo_delete", args=[story_photo.pk])
    return client.post(url, {"post": "yes"})


# The admin flows leave cleanup_media nothing to find. Files belong to library photos:
# a story's changes never remove them; deleting an unused photo does.


@pytest.mark.django_db(transaction=True)
def test_upload_in_the_admin_leaves_nothing_stranded(editor_client, section):
    response = editor_client.post(ADD, story_form_data(section, lead_photo=photo()))
    assert response.status_code == 302, response.context["adminform"].form.errors
    run_worker()
    _, renditions = photo_files(Story.objects.get())
    assert_served(editor_client, renditions)
    assert_nothing_stranded(editor_client)


@pytest.mark.django_db(transaction=True)
def test_replacing_a_photo_keeps_the_old_one_in_the_library_until_it_is_deleted(
    editor_client, photo_story
):
    story = photo_story()
    old = Story.objects.get(pk=story.pk).lead_photo
    old_original, old_renditions = photo_files(story)

    data = {**change_form(editor_client, story), "new_photo": photo(color=(200, 30, 30))}
    data.pop("lead_photo", None)
    assert editor_client.post(change_url(story), data).status_code == 302
    run_worker()

    new_original, new_renditions = photo_files(story)
    assert new_original != old_original
    assert_served(editor_client, new_renditions)
    assert_served(editor_client, old_renditions)  # other stories may use it
    assert_nothing_stranded(editor_client)

    assert delete_photo_in_the_admin(editor_client, old).status_code == 302
    assert_nothing_stranded(editor_client, old_renditions, old_original)
    assert_served(editor_client, new_renditions)


@pytest.mark.django_db(transaction=True)
def test_a_photo_in_use_cannot_be_deleted_and_the_admin_says_where(editor_client, photo_story):
    story = photo_story()
    used = Story.objects.get(pk=story.pk).lead_photo
    original, renditions = photo_files(story)

    page = editor_client.get(reverse("admin:photos_photo_delete", args=[used.pk]))
    assert page.status_code == 200
    assert story.headline in page.content.decode()  # Django names the protecting story
    delete_photo_in_the_admin(editor_client, used)

    assert Story.objects.get(pk=story.pk).lead_photo_id == used.pk
    assert_served(editor_client, renditions)
    assert images.originals_storage.exists(original)


@pytest.mark.django_db(transaction=True)
def test_clearing_or_deleting_stories_keeps_photos_then_deleting_photos_strands_nothing(
    editor_client, photo_story
):
    cleared, deleted, *bulk = [photo_story(headline=f"Story {n}") for n in range(4)]
    kept = photo_story(headline="Kept")
    photos = [Story.objects.get(pk=s.pk).lead_photo for s in (cleared, deleted, *bulk)]
    removed = [photo_files(s) for s in (cleared, deleted, *bulk)]

    data = {**change_form(editor_client, cleared), "lead_photo": ""}
    assert editor_client.post(change_url(cleared), data).status_code == 302
    url = reverse("admin:articles_story_delete", args=[deleted.pk])
    assert editor_client.post(url, {"post": "yes"}).status_code == 302
    response = editor_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [s.pk for s in bulk], "post": "yes"},
    )
    assert response.status_code == 302
    for _, renditions in removed:
        assert_served(editor_client, renditions)
    assert_nothing_stranded(editor_client)

    response = editor_client.post(
        reverse("admin:photos_photo_changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in photos], "post": "yes"},
    )
    assert response.status_code == 302
    for original, renditions in removed:
        assert_nothing_stranded(editor_client, renditions, original)
    assert_served(editor_client, photo_files(kept)[1])


@pytest.mark.django_db(transaction=True)
def test_a_story_save_that_fails_removes_the_photo_uploaded_with_it(editor_client, photo_story):
    """The database refuses something after the new photo's original was stored: the
    transaction rolls back, and so does the file (and its queued task)."""
    story = photo_story()
    old_original, old_renditions = photo_files(story)
    data = {**change_form(editor_client, story), "new_photo": photo(color=(200, 30, 30))}

    refused = IntegrityError("a constraint failed while saving the bylines")
    with (
        mock.patch.object(StoryAdmin, "save_related", side_effect=refused),
        pytest.raises(IntegrityError),
    ):
        editor_client.post(change_url(story), data)

    assert photo_files(story) == (old_original, old_renditions)
    assert Photo.objects.count() == 1
    assert_served(editor_client, old_renditions)
    gc.collect()  # the rolled-back save's files go when its callback is dropped
    assert_nothing_stranded(editor_client)


@pytest.mark.django_db(transaction=True)
def test_renditions_that_fail_half_way_remove_what_they_wrote_and_are_retried(client):
    made = library_photo(photo(), ready=False)
    real_encode, calls = images._encode, []

    def encode_then_fail(image, fmt):
        calls.append(fmt)
        if len(calls) == 4:
            raise OSError("encoder crashed")
        return real_encode(image, fmt)

    with mock.patch.object(images, "_encode", encode_then_fail):
        run_worker()

    assert len(calls) == 4  # three renditions were written before the failure
    assert Photo.objects.get(pk=made.pk).is_processing
    assert_nothing_stranded(client)
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()  # the retry


@pytest.mark.django_db(transaction=True)
def test_a_photo_refused_by_a_database_constraint_removes_its_original(client):
    with pytest.raises(IntegrityError):
        Photo.objects.create(original=photo(color=(200, 30, 30)), focal_x=2)
    gc.collect()
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
                story.lead_photo = Photo.objects.create(original=photo(color=(200, 30, 30)))
                story.save()
                raise RuntimeError("the caller gives up")
        except RuntimeError:
            pass
        # The caller's own work goes on and commits.
        Story.objects.filter(pk=story.pk).update(dek="Still here")

    story = Story.objects.get(pk=story.pk)
    assert story.dek == "Still here"
    assert photo_files(story) == (old_original, old_renditions)
    gc.collect()
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
def test_a_photo_shared_by_two_stories_stays_while_either_uses_it(client, photo_story, section):
    story = photo_story()
    original, renditions = photo_files(story)
    Story.objects.create(headline="Another", section=section, lead_photo_id=story.lead_photo_id)

    story.delete()

    assert images.originals_storage.exists(original)
    assert_served(client, renditions)
    assert_nothing_stranded(client)


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
def test_reverting_past_a_deleted_photo_keeps_todays_and_strands_nothing(
    editor_client, photo_story
):
    story = photo_story()
    old = Story.objects.get(pk=story.pk).lead_photo
    data = {**change_form(editor_client, story), "headline": "A first headline"}
    assert editor_client.post(change_url(story), data).status_code == 302
    old_original, old_renditions = photo_files(story)
    data = {**change_form(editor_client, story), "new_photo": photo(color=(200, 30, 30))}
    data.pop("lead_photo", None)
    assert editor_client.post(change_url(story), data).status_code == 302
    run_worker()
    current = photo_files(story)
    assert delete_photo_in_the_admin(editor_client, old).status_code == 302  # now unused

    # The first version's photo was deleted since: the revert keeps today's.
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
