"""A card of camera photos in one go: the bulk upload's request does only what refuses a
file at once, the worker the rest (at a low priority), each file's fate is on the
upload's page, captions are typed for many photos on one page, and a photo deleted
while processing leaves no files behind."""

import json
import os
import shutil
import subprocess
import threading
from unittest import mock

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from PIL import AvifImagePlugin, ImageFile

from articles import images
from articles.models import Photo
from articles.photos import fingerprints
from articles.photos.models import PhotoUploadFile
from articles.photos.tasks import make_photo_renditions
from tests.background_tasks import run_worker
from tests.conftest import require
from tests.live import VNU_JAR
from tests.test_html_validity import VNU_OPTIONS
from tests.test_photo_library import scene, stored_files, upload

BULK = reverse("admin:photos_photo_bulk_upload")
CHANGELIST = reverse("admin:photos_photo_changelist")
CAPTIONS = reverse("admin:photos_photo_captions")


def bulk_upload(client, files, **fields):
    response = client.post(BULK, {"files": files, **fields})
    assert response.status_code == 303, response.content.decode()[:500]
    return response["Location"]


def states(client, page_url):
    response = client.get(page_url)
    assert response.status_code == 200
    return {row["entry"].name: row["state"]["text"] for row in response.context["rows"]}


# ------------------------------------------------------ the request does little


@pytest.mark.django_db(transaction=True)
def test_bulk_upload_request_neither_decodes_nor_fingerprints_the_pixels(editor_client):
    """Each camera photo was decoded in full and fingerprinted twice while the editor
    waited; now the header is read and the bytes hashed once, the worker does the rest."""
    files = [upload(scene(seed), f"{seed}.jpg") for seed in (30, 31, 32)]
    decoded, hashed = [], []
    real_load, real_sha = ImageFile.ImageFile.load, fingerprints.sha256_of

    def counting_load(image):
        decoded.append(image.size)
        return real_load(image)

    def counting_sha(fileobj):
        hashed.append(fileobj)
        return real_sha(fileobj)

    with (
        mock.patch.object(ImageFile.ImageFile, "load", counting_load),
        mock.patch.object(fingerprints, "dhash", side_effect=AssertionError("dHash in request")),
        mock.patch.object(fingerprints, "sha256_of", counting_sha),
    ):
        page = bulk_upload(editor_client, files)
    assert decoded == []  # no pixel decoded in the request
    assert hashed == []  # hashed while stored, not read again
    photos = list(Photo.objects.order_by("pk"))
    assert len(photos) == 3
    assert all(photo.sha256 and photo.dhash is None for photo in photos)
    assert set(states(editor_client, page).values()) == {"Accepted; being checked."}

    run_worker()

    assert all(photo.dhash is not None and not photo.is_processing for photo in Photo.objects.all())
    assert set(states(editor_client, page).values()) == {"Ready."}


@pytest.mark.django_db(transaction=True)
def test_a_look_alike_found_by_the_worker_is_removed_and_named_on_the_upload_page(
    editor_client, tmp_path
):
    existing = Photo.objects.create(original=upload(scene(33)), caption="Harbour at dawn")
    run_worker()
    before = set(stored_files(tmp_path))
    # The same photo re-encoded smaller: another SHA-256, the same dHash.
    page = bulk_upload(
        editor_client,
        [upload(scene(33, 900, 600, quality=50), "again.jpg"), upload(scene(34), "new.jpg")],
    )
    assert Photo.objects.count() == 3  # the request cannot tell a look-alike

    run_worker()

    found = states(editor_client, page)
    assert found == {"again.jpg": "Not added: already in the library.", "new.jpg": "Ready."}
    entry = PhotoUploadFile.objects.get(name="again.jpg")
    assert entry.duplicate_of == existing and entry.photo is None
    html = editor_client.get(page).content.decode()
    assert reverse("admin:photos_photo_change", args=[existing.pk]) in html
    # Nothing of the look-alike is kept: only the new photo's original and renditions.
    new = Photo.objects.get(upload_files__name="new.jpg")
    added = set(stored_files(tmp_path)) - before
    assert len(added) == 1 + len(new.renditions["files"])


def test_upload_page_is_the_uploaders_and_shows_progress_without_javascript(
    editor_client, news_editor_client
):
    page = bulk_upload(editor_client, [upload(scene(35), "a.jpg")])
    html = editor_client.get(page).content.decode()
    assert 'data-upload-pending="1"' in html and "reload</a>" in html
    assert "admin-extra/upload-progress.js" in html  # and with JavaScript, by itself
    assert news_editor_client.get(page).status_code == 404  # another editor's upload
    run_worker()
    html = editor_client.get(page).content.decode()
    assert 'data-upload-pending="0"' in html and "Every file has been checked" in html


# ------------------------------------------------------ captions on one page


def test_captions_credits_and_alt_text_of_an_upload_are_typed_on_its_page(editor_client):
    page = bulk_upload(
        editor_client, [upload(scene(36), "a.jpg"), upload(scene(37), "b.jpg")], credit="Yonhap"
    )
    a, b = Photo.objects.order_by("pk")
    response = editor_client.post(
        page,
        {
            f"photo-{a.pk}-caption": "Ferry leaving Incheon",
            f"photo-{a.pk}-credit": "Yonhap",
            f"photo-{a.pk}-alt": "A white ferry on grey water",
            f"photo-{b.pk}-caption": "Fish market at dawn",
            f"photo-{b.pk}-credit": "Kim Min-ji",
            f"photo-{b.pk}-alt": "Crates of fish under lamps",
        },
    )
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.caption, a.credit, a.alt) == (
        "Ferry leaving Incheon",
        "Yonhap",
        "A white ferry on grey water",
    )
    assert (b.caption, b.credit, b.alt) == (
        "Fish market at dawn",
        "Kim Min-ji",
        "Crates of fish under lamps",
    )
    # A caption is no reason to make renditions again: still one task per photo.
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.count() == 2


def test_one_bad_caption_saves_none_and_says_which(editor_client):
    page = bulk_upload(editor_client, [upload(scene(38), "a.jpg"), upload(scene(39), "b.jpg")])
    a, b = Photo.objects.order_by("pk")
    response = editor_client.post(
        page,
        {
            f"photo-{a.pk}-caption": "Fine caption",
            f"photo-{b.pk}-caption": "x" * 301,  # the photo form's own limit
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ensure this value has at most 300 characters" in html
    assert "Fine caption" in html  # what was typed is kept
    assert set(Photo.objects.values_list("caption", flat=True)) == {""}


def test_edit_captions_action_describes_the_chosen_photos_together(reporter_client):
    photos = [Photo.objects.create(original=upload(scene(seed))) for seed in (40, 41, 42)]
    chosen = photos[:2]
    response = reporter_client.post(
        CHANGELIST,
        {"action": "edit_captions", "_selected_action": [p.pk for p in chosen]},
    )
    assert response.status_code == 302
    page = reporter_client.get(response["Location"])
    assert [row["photo"] for row in page.context["rows"]] == chosen
    data = {"ids": ",".join(str(p.pk) for p in chosen)}
    for photo in chosen:
        data |= {
            f"photo-{photo.pk}-caption": f"Caption {photo.pk}",
            f"photo-{photo.pk}-alt": f"Alt {photo.pk}",
        }
    response = reporter_client.post(CAPTIONS, data)
    assert response.status_code == 302
    assert {p.caption for p in Photo.objects.filter(pk__in=[p.pk for p in chosen])} == {
        f"Caption {p.pk}" for p in chosen
    }
    assert Photo.objects.get(pk=photos[2].pk).caption == ""


def test_editing_captions_needs_the_permission_to_change_photos(db, reporter_client):
    photo = Photo.objects.create(original=upload(scene(43)))
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(
        *Group.objects.get(name="Reporter").permissions.filter(codename="view_photo")
    )
    client = Client()
    client.force_login(viewer)
    url = f"{CAPTIONS}?ids={photo.pk}"
    assert client.get(url).status_code == 403
    assert (
        client.post(CAPTIONS, {"ids": photo.pk, f"photo-{photo.pk}-caption": "x"}).status_code
        == 403
    )
    assert Photo.objects.get().caption == ""


# --------------------------------------------------- renditions at low priority


def test_image_work_runs_niced_in_its_own_thread_with_bounded_encoder_threads(db, settings):
    """Renditions took both cores at full priority: a story save waited 7 s."""
    settings.NEWSROOM = {**settings.NEWSROOM, "PHOTO_WORKER_NICE": 7, "PHOTO_ENCODER_THREADS": 1}
    photo = Photo.objects.create(original=upload(scene(44)))
    seen = {}
    real_make, real_save = images.make_renditions, AvifImagePlugin._save

    def spying_make(*args, **kwargs):
        tid = threading.get_native_id()
        seen["thread"] = tid
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, tid)
        return real_make(*args, **kwargs)

    def spying_save(image, fp, filename, save_all=False):
        seen.setdefault("max_threads", set()).add(image.encoderinfo.get("max_threads"))
        return real_save(image, fp, filename, save_all)

    with (
        mock.patch.object(images, "make_renditions", spying_make),
        mock.patch.object(AvifImagePlugin, "_save", spying_save),
        mock.patch.dict("PIL.Image.SAVE", {"AVIF": spying_save}),
    ):
        assert make_photo_renditions.call(photo.pk) == "made"
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen["thread"] != threading.get_native_id()
    assert seen["nice"] == min(19, mine + 7)
    assert seen["max_threads"] == {1}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine  # the task's own


# ------------------------------------------------- deleted while processing


@pytest.mark.django_db(transaction=True)
def test_photo_deleted_while_its_renditions_are_made_leaves_no_files(tmp_path):
    photo = Photo.objects.create(original=upload(scene(45)))
    real_make = images.make_renditions

    def deleted_meanwhile(*args, **kwargs):
        made = real_make(*args, **kwargs)
        # An editor deletes the photo while the worker is encoding.
        Photo.objects.get(pk=photo.pk).delete()
        return made

    with mock.patch.object(images, "make_renditions", deleted_meanwhile):
        assert make_photo_renditions.call(photo.pk) == "deleted"

    assert not Photo.objects.exists()
    assert stored_files(tmp_path) == []


@pytest.mark.django_db(transaction=True)
def test_photo_deleted_from_a_page_opened_while_processing_leaves_no_files(
    tmp_path, news_editor_client
):
    photo = Photo.objects.create(original=upload(scene(46)))
    opened_while_processing = Photo.objects.get(pk=photo.pk)
    assert opened_while_processing.is_processing
    run_worker()  # the renditions are stored after the page was read
    made = Photo.objects.get(pk=photo.pk).renditions["files"]
    assert all(default_storage.exists(name) for name in made)

    opened_while_processing.delete()

    assert stored_files(tmp_path) == []


# ------------------------------------------------------------ valid pages


@pytest.mark.server
def test_upload_and_captions_pages_are_valid_html(editor_client, tmp_path):
    java = shutil.which("java")
    require(java, "Java for vnu.jar (apt-get install default-jre-headless)")
    require(VNU_JAR.is_file(), f"vnu.jar at {VNU_JAR} (npm ci, which `make test` runs)")
    page = bulk_upload(editor_client, [upload(scene(47), "a.jpg"), upload(b"<svg/>", "b.jpg")])
    photo = Photo.objects.get()
    files = []
    for name, url in (("upload", page), ("captions", f"{CAPTIONS}?ids={photo.pk}")):
        path = tmp_path / f"{name}.html"
        path.write_bytes(editor_client.get(url).content)
        files.append(str(path))
    result = subprocess.run(
        [java, "-Xss16m", "-XX:TieredStopAtLevel=1", "-jar", str(VNU_JAR), *VNU_OPTIONS, *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(result.stderr)["messages"]
    assert [(m.get("url"), m.get("lastLine"), m["message"]) for m in messages] == []
