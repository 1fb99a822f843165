"""The photo library (articles/photos/): photos entered once, renditions made in the
background, duplicates found, uploads checked file by file, files never stranded."""

import io
import random
import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from PIL import Image, ImageDraw

from articles import images
from articles.models import Photo, Story
from articles.photos import fingerprints
from articles.photos.tasks import make_photo_renditions
from tests.background_tasks import run_worker
from tests.test_photo_uploads import png_header_only

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:photos_photo_changelist")
ADD = reverse("admin:photos_photo_add")
BULK = reverse("admin:photos_photo_bulk_upload")


def scene(seed, width=1200, height=800, fmt="JPEG", **options):
    """A photo-like picture (shapes of many colours, different for every seed), drawn at
    1200×800 and resized: the same seed at another size is the same photo resized."""
    rng = random.Random(seed)
    image = Image.new("RGB", (1200, 800), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(1200), rng.randrange(800)
        box = (x, y, x + rng.randrange(600), y + rng.randrange(400))
        draw.rectangle(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    if (width, height) != image.size:
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(data, name="photo.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def fresh(photo):
    """The photo as stored now (its pictures are cached on the instance)."""
    return Photo.objects.get(pk=photo.pk)


def stored_files(tmp_path):
    return sorted(p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".sqlite3")


def cleanup():
    out = io.StringIO()
    call_command("cleanup_media", min_age=0, stdout=out)
    return out.getvalue()


# ------------------------------------------------------------------- the model


def test_photo_keeps_its_original_private_and_is_processing_until_the_worker_runs():
    photo = Photo.objects.create(original=upload(scene(1)), caption="Harbour", credit="Yonhap")

    assert photo.original.name.startswith("photos/")
    assert images.originals_storage.exists(photo.original.name)
    assert (photo.width, photo.height) == (1200, 800)
    assert photo.is_processing and photo.lead_picture is None
    assert not Photo.objects.public().exists()  # readers get no photo, not a broken one
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY

    run_worker()

    photo = fresh(photo)
    assert not photo.is_processing
    assert photo.renditions["source"] == photo.original.name
    assert photo.lead_picture.width == 960
    assert photo.social_image[1:3] == [1200, 630]
    assert list(Photo.objects.public()) == [photo]
    for name in photo.renditions["files"]:
        assert default_storage.exists(name)
        assert name.startswith("renditions/")


def test_renditions_carry_no_camera_metadata():
    exif = Image.Exif()
    exif[0x010F] = "Spy camera"  # Make
    photo = Photo.objects.create(original=upload(scene(2, exif=exif.tobytes())))
    run_worker()
    photo = fresh(photo)
    with images.originals_storage.open(photo.original.name) as original:
        assert b"Spy camera" in original.read()
    for name in photo.renditions["files"]:
        with default_storage.open(name) as rendition:
            assert b"Spy camera" not in rendition.read()


def test_rendition_task_is_idempotent_and_a_new_focal_point_makes_new_ones():
    photo = Photo.objects.create(original=upload(scene(3)))
    run_worker()
    photo = fresh(photo)
    first = photo.renditions

    assert make_photo_renditions.call(photo.pk) == "current"
    photo = fresh(photo)
    assert photo.renditions == first

    photo.focal_x = 0.1
    photo.save()
    run_worker()
    photo = fresh(photo)
    assert photo.renditions["focal"] == [0.1, 0.5]
    assert photo.renditions["files"] != first["files"]
    assert make_photo_renditions.call(photo.pk + 1000) == "deleted"


def test_expired_rights_are_flagged_and_hidden_only_with_the_setting(settings):
    photo = Photo.objects.create(
        original=upload(scene(4)), rights_expire_on=timezone.localdate() - timedelta(days=1)
    )
    run_worker()
    photo = fresh(photo)
    assert photo.rights_expired
    assert photo.is_public and list(Photo.objects.public()) == [photo]

    settings.NEWSROOM = {**settings.NEWSROOM, "HIDE_EXPIRED_PHOTOS": True}
    assert not photo.is_public and not Photo.objects.public().exists()
    photo.rights_expire_on = timezone.localdate()  # the last day it may be published
    assert photo.is_public


# ------------------------------------------------------------------ duplicates


def test_dhash_matches_a_resized_reencoded_copy_and_not_another_photo():
    original = fingerprints.dhash(io.BytesIO(scene(5)))
    copy = fingerprints.dhash(io.BytesIO(scene(5, 600, 400, quality=40)))
    png = fingerprints.dhash(io.BytesIO(scene(5, fmt="PNG")))
    other = fingerprints.dhash(io.BytesIO(scene(6)))

    assert fingerprints.distance(original, copy) <= fingerprints.NEAR_DUPLICATE_DISTANCE
    assert fingerprints.distance(original, png) <= fingerprints.NEAR_DUPLICATE_DISTANCE
    assert fingerprints.distance(original, other) > fingerprints.NEAR_DUPLICATE_DISTANCE
    # A flat picture has no usable dHash: it would match every other flat picture.
    flat = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 20, 30)).save(flat, "JPEG")
    assert fingerprints.dhash(flat) is None


def test_uploading_a_photo_already_in_the_library_offers_the_existing_one(editor_client):
    existing = Photo.objects.create(original=upload(scene(7)), caption="Minister portrait")
    change = reverse("admin:photos_photo_change", args=[existing.pk])

    for data in (scene(7), scene(7, 900, 600, quality=50)):  # the same file; re-encoded
        response = editor_client.post(
            ADD, {"original": upload(data), "focal_x": 0.5, "focal_y": 0.5}
        )
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors["original"]
        assert "already in the library" in errors[0]
        assert f'href="{change}"' in response.content.decode()
    assert Photo.objects.count() == 1


# --------------------------------------------------------------- bulk upload


def test_bulk_upload_adds_each_good_file_and_names_each_refused_one(editor_client, tmp_path):
    existing = Photo.objects.create(original=upload(scene(8)))
    files = [
        upload(scene(9), "harbour.jpg"),
        upload(scene(10, fmt="PNG"), "market.png"),
        upload(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "logo.jpg"),
        upload(scene(11, 320, 200), "tiny.jpg"),
        upload(scene(8), "again.jpg"),
    ]
    response = editor_client.post(BULK, {"files": files, "credit": "Yonhap", "source": "Yonhap"})

    # The upload's own page: each file's fate, to reload as the worker goes.
    assert response.status_code == 303
    page = editor_client.get(response["Location"])
    results = {row["entry"].name: row for row in page.context["rows"]}
    assert results["harbour.jpg"]["entry"].photo and results["market.png"]["entry"].photo
    assert "not a photo" in results["logo.jpg"]["state"]["text"]
    assert "at least 640×360" in results["tiny.jpg"]["state"]["text"]
    assert "already in the library" in results["again.jpg"]["state"]["text"]
    assert reverse("admin:photos_photo_change", args=[existing.pk]) in page.content.decode()
    added = Photo.objects.exclude(pk=existing.pk)
    assert added.count() == 2
    assert set(added.values_list("credit", "source")) == {("Yonhap", "Yonhap")}
    # Returned at once: renditions wait for the worker, one task per photo.
    assert all(photo.is_processing for photo in added)
    run_worker()
    assert not any(photo.is_processing for photo in Photo.objects.all())
    # Only the accepted files were stored.
    originals = {p.name for p in stored_files(tmp_path / "originals")}
    assert len(originals) == 3


# Committed for real: the worker's removal of a refused file happens once it commits.
@pytest.mark.django_db(transaction=True)
def test_upload_attacks_through_bulk_upload_are_refused_per_file_and_nothing_stored(
    editor_client, tmp_path, settings
):
    settings.NEWSROOM = {**settings.NEWSROOM, "PHOTO_MAX_BYTES": 3_000_000}
    truncated = scene(12, quality=95)
    files = [
        upload(png_header_only(40_000, 40_000), "bomb.png"),
        upload(png_header_only(10_000, 10_000), "warning-bomb.png"),
        upload(truncated[: len(truncated) // 2], "truncated.jpg"),
        upload(b"<!DOCTYPE html><script>document.cookie</script>", "page.png"),
        upload(scene(13, 800, 600, fmt="BMP"), "bitmap.jpg"),
        upload(scene(14, fmt="PNG") + b"\0" * 3_000_000, "huge.png"),
    ]
    response = editor_client.post(BULK, {"files": files})
    assert response.status_code == 303
    # The truncated JPEG's header is sound: the worker, decoding it, refuses it.
    run_worker()

    rows = editor_client.get(response["Location"]).context["rows"]
    errors = {row["entry"].name: row["state"]["text"] for row in rows}
    assert "too many pixels" in errors["bomb.png"]
    assert "too many pixels" in errors["warning-bomb.png"]
    assert "damaged or incomplete" in errors["truncated.jpg"]
    assert "not a photo" in errors["page.png"]
    assert "BMP image" in errors["bitmap.jpg"]
    assert "at most" in errors["huge.png"]
    assert not Photo.objects.exists()
    assert stored_files(tmp_path) == []


def test_bulk_upload_refuses_more_files_than_the_setting(editor_client, settings):
    settings.NEWSROOM = {**settings.NEWSROOM, "PHOTO_BULK_MAX_FILES": 2}
    files = [upload(scene(seed), f"{seed}.jpg") for seed in (15, 16, 17)]
    response = editor_client.post(BULK, {"files": files})
    assert "At most 2 photos" in str(response.context["form"].errors["files"])
    assert not Photo.objects.exists()


# --------------------------------------------------------- admin and permissions


def test_library_lists_thumbnails_searches_and_flags_expired_rights(editor_client):
    ready = Photo.objects.create(
        original=upload(scene(18)),
        caption="Typhoon over Busan",
        credit="Kim",
        rights_expire_on=timezone.localdate() - timedelta(days=2),
    )
    run_worker()
    Photo.objects.create(original=upload(scene(19)), caption="Election night")
    ready = fresh(ready)

    page = editor_client.get(CHANGELIST).content.decode()
    assert ready.thumbnail_url in page
    assert "photo-thumb--processing" in page  # the second is still processing
    found = editor_client.get(CHANGELIST, {"q": "typhoon"}).context["cl"].result_list
    assert list(found) == [ready]
    expired = editor_client.get(CHANGELIST, {"rights": "expired"}).context["cl"].result_list
    assert list(expired) == [ready]
    change = editor_client.get(reverse("admin:photos_photo_change", args=[ready.pk]))
    assert "Rights expired on" in change.content.decode()


def test_reporter_uploads_but_neither_deletes_nor_sets_rights(reporter_client, news_editor_client):
    response = reporter_client.post(
        ADD,
        {
            "original": upload(scene(20)),
            "caption": "Harbour at dawn",
            "focal_x": 0.5,
            "focal_y": 0.5,
            "rights_expire_on": "2020-01-01",  # not a field for a reporter: ignored
        },
    )
    assert response.status_code == 302
    photo = Photo.objects.get()
    assert photo.rights_expire_on is None
    assert photo.uploaded_by.username == "reporter"
    delete = reverse("admin:photos_photo_delete", args=[photo.pk])
    assert reporter_client.post(delete, {"post": "yes"}).status_code == 403
    assert news_editor_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Photo.objects.exists()


# ------------------------------------------------------------ no stranded files


@pytest.mark.django_db(transaction=True)
def test_deleting_a_photo_removes_its_files_after_commit_and_cleanup_keeps_library_files(
    tmp_path, client
):
    photo = Photo.objects.create(original=upload(scene(21)))
    run_worker()
    photo = fresh(photo)
    assert "Found 0 unreferenced files" in cleanup()  # the library's files are referred to
    original, renditions = photo.original.name, photo.renditions["files"]

    photo.delete()

    assert not images.originals_storage.exists(original)
    assert not any(default_storage.exists(name) for name in renditions)
    assert stored_files(tmp_path / "originals") == []
    assert "Found 0 unreferenced files" in cleanup()


# ------------------------------------------------------ migrating lead photos


def test_migration_makes_each_lead_photo_a_library_photo_with_the_same_files(at_migration):
    from articles.photos.migration import lead_photos_to_library

    # The story's own photo, as before the library (made the old way: the same files).
    upload = upload_then_render(scene(30))
    apps = at_migration([("articles", "0015_story_lead_photo_library")])
    OldStory = apps.get_model("articles", "Story")
    section = apps.get_model("articles", "Section").objects.create(name="Nation", slug="nation")
    fields = {
        "lead_photo_file": upload["original"],
        "lead_photo_width": 1200,
        "lead_photo_height": 800,
        "lead_photo_focal_x": 0.3,
        "lead_photo_focal_y": 0.6,
        "lead_photo_renditions": upload["renditions"],
        "photo_credit": "Yonhap",
        "photo_alt": "A ferry at dawn",
        "section": section,
        "status": "published",
        "published_at": timezone.now(),
    }
    first = OldStory.objects.create(headline="First", slug="first", photo_caption="Ferry", **fields)
    # A copy sharing the same original, with its own caption.
    second = OldStory.objects.create(
        headline="Second", slug="second", photo_caption="Another caption", **fields
    )
    OldStory.objects.create(headline="No photo", slug="no-photo", section=section)
    # Its history names the photo by file, as versions did before the library (the field
    # was called lead_photo then; at this step it is lead_photo_file).
    import json

    from django.core import serializers

    recorded = json.loads(serializers.serialize("json", [first]))
    recorded[0]["fields"]["lead_photo"] = recorded[0]["fields"].pop("lead_photo_file")

    content_type = apps.get_model("contenttypes", "ContentType").objects.get(
        app_label="articles", model="story"
    )
    revision = apps.get_model("reversion", "Revision").objects.create(date_created=timezone.now())
    apps.get_model("reversion", "Version").objects.create(
        revision=revision,
        object_id=str(first.pk),
        content_type=content_type,
        db="default",
        format="json",
        serialized_data=json.dumps(recorded),
        object_repr="First",
    )

    lead_photos_to_library(apps)
    lead_photos_to_library(apps)  # idempotent: nothing doubled

    Library = apps.get_model("articles", "Photo")
    photo = Library.objects.get()
    assert photo.original.name == upload["original"]  # the same file, not a copy
    assert photo.renditions == upload["renditions"]  # the same renditions and URLs
    assert (photo.width, photo.height, photo.focal_x, photo.focal_y) == (1200, 800, 0.3, 0.6)
    assert (photo.caption, photo.credit, photo.alt) == ("Ferry", "Yonhap", "A ferry at dawn")
    assert photo.sha256 and photo.dhash is not None
    by_headline = {s.headline: s for s in OldStory.objects.all()}
    assert by_headline["First"].lead_photo_id == photo.pk
    assert by_headline["First"].photo_caption == ""  # the photo's own caption
    assert by_headline["Second"].lead_photo_id == photo.pk
    assert by_headline["Second"].photo_caption == "Another caption"
    assert by_headline["No photo"].lead_photo_id is None

    # Forward to today: the story reads the library photo, current, not re-made.
    at_migration()
    story = Story.objects.select_related("lead_photo").get(pk=first.pk)
    assert story.lead_photo.renditions_are_current()
    assert story.lead_picture.src.endswith(upload["renditions"]["lead"][1]["jpeg"][0])
    assert (story.lead_caption, story.photo_credit) == ("Ferry", "Yonhap")
    assert Story.objects.get(pk=second.pk).lead_caption == "Another caption"
    # The version now names the library photo: history can still restore it.
    from reversion.models import Version

    version = Version.objects.get_for_object(story).get()
    assert version._object_version.object.lead_photo_id == photo.pk

    # And back: lossless.
    apps = at_migration([("articles", "0014_photo_library")])
    old = apps.get_model("articles", "Story").objects.get(pk=second.pk)
    assert old.lead_photo.name == upload["original"]
    assert old.lead_photo_renditions == upload["renditions"]
    assert (old.photo_caption, old.photo_credit, old.photo_alt) == (
        "Another caption",
        "Yonhap",
        "A ferry at dawn",
    )
    assert (old.lead_photo_focal_x, old.lead_photo_focal_y) == (0.3, 0.6)


def upload_then_render(data):
    """An original stored and rendered the way stories stored theirs before the library."""
    from django.core.files.base import ContentFile

    name = images.originals_storage.save("photos/2026/11/old.jpg", ContentFile(data))
    return {"original": name, "renditions": images.make_renditions(name, (0.3, 0.6))}


# ------------------------------------------------------------- public pages


def test_story_pages_show_the_library_photo_only_when_ready_and_within_rights(
    client, make_story, settings
):
    from tests.conftest import library_photo

    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    photo = library_photo(
        upload(scene(40)), caption="Library caption", credit="Yonhap", alt="A ferry at dawn"
    )
    story = make_story("Ferry returns", lead_photo=photo, photo_caption="Caption for this story")
    other = make_story("Ferry again", lead_photo=photo)

    page = client.get(story.get_absolute_url()).content.decode()
    assert fresh(photo).lead_picture.src in page
    assert "Caption for this story" in page and "Yonhap" in page  # credit: always the photo's
    assert "Library caption" in client.get(other.get_absolute_url()).content.decode()
    assert 'alt="A ferry at dawn"' in client.get("/").content.decode()

    # Still processing: no photo at all, never a broken one.
    processing = library_photo(upload(scene(41)), ready=False)
    waiting = make_story("Waiting", lead_photo=processing)
    page = client.get(waiting.get_absolute_url()).content.decode()
    assert "<picture" not in page.split("</header>")[1].split("story__body")[0]
    run_worker()  # the renditions are made, and the story's pages purged
    assert (
        fresh(processing).lead_picture.src
        in client.get(waiting.get_absolute_url()).content.decode()
    )

    # Past its rights, with the setting: no longer shown.
    Photo.objects.filter(pk=photo.pk).update(
        rights_expire_on=timezone.localdate() - timedelta(days=1)
    )
    settings.NEWSROOM = {**settings.NEWSROOM, "HIDE_EXPIRED_PHOTOS": True}
    story = Story.objects.get(pk=story.pk)
    assert story.lead_picture is None and story.social_image is None


def test_photo_page_says_where_it_is_used_without_showing_others_drafts(
    make_story, reporter, reporter_client, news_editor_client
):
    photo = Photo.objects.create(original=upload(scene(50)))
    make_story("Public harbour story", lead_photo=photo)
    make_story("Secret draft by someone else", lead_photo=photo, status=Story.Status.DRAFT)
    change = reverse("admin:photos_photo_change", args=[photo.pk])

    mine = reporter_client.get(change).content.decode()
    assert "Public harbour story" in mine
    assert "Secret draft" not in mine and "1 other story" in mine
    assert "Secret draft by someone else" in news_editor_client.get(change).content.decode()


def test_story_form_offers_library_photos_with_thumbnails(editor_client, make_story):
    from tests.conftest import library_photo

    photo = library_photo(upload(scene(51)), caption="Minister at the podium", credit="Kim")
    query = "app_label=articles&model_name=story&field_name=lead_photo&term=minister"
    answer = editor_client.get(f"{reverse('admin:autocomplete')}?{query}").json()

    [choice] = answer["results"]
    assert choice["id"] == str(photo.pk)
    assert choice["text"] == "Minister at the podium — Kim"
    assert choice["thumbnail"] == fresh(photo).thumbnail_url


def test_bulk_upload_may_send_as_many_photos_as_the_setting_allows(rf, settings):
    from newsroom import uploads

    one = uploads.max_body_bytes(rf.post("/admin/articles/story/add/"))
    many = uploads.max_body_bytes(rf.post(BULK))
    photo = settings.NEWSROOM["PHOTO_MAX_BYTES"]
    assert many - one == photo * (settings.NEWSROOM["PHOTO_BULK_MAX_FILES"] - 1)


def test_expiring_rights_are_a_scheduled_change_for_the_pages_showing_the_photo(
    make_story, settings
):
    from articles.photos.models import next_rights_expiry, rights_expired_since

    today = timezone.localdate()
    photo = Photo.objects.create(original=upload(scene(52)), rights_expire_on=today)
    story = make_story(lead_photo=photo)
    assert next_rights_expiry() is None  # without the setting, nothing changes with time

    settings.NEWSROOM = {**settings.NEWSROOM, "HIDE_EXPIRED_PHOTOS": True}
    midnight = next_rights_expiry()
    assert timezone.localtime(midnight).date() == today + timedelta(days=1)
    assert (timezone.localtime(midnight).hour, timezone.localtime(midnight).minute) == (0, 0)
    assert rights_expired_since(timezone.now() - timedelta(days=1)) == set()
    # A day later, the first request purges the story's pages.
    Photo.objects.filter(pk=photo.pk).update(rights_expire_on=today - timedelta(days=1))
    assert rights_expired_since(timezone.now() - timedelta(days=1)) == {
        f"story:{story.pk}",
        f"photo:{photo.pk}",  # and the bodies showing it (articles/inline_media.py)
    }


def test_the_library_finds_a_photo_by_its_tags_which_readers_never_see(
    editor_client, client, make_story
):
    from tests.conftest import library_photo

    harbour = library_photo(caption="Boats at dawn")
    harbour.tags.add("Busan port")
    library_photo(caption="Something else")
    make_story("A public story", tags=["Seoul"])

    found = editor_client.get(reverse("admin:photos_photo_changelist") + "?q=busan")
    assert found.status_code == 200
    assert "Boats at dawn" in found.content.decode()
    assert "Something else" not in found.content.decode()
    # A tag only a photo carries is no public tag: no page, not in the tags' sitemap.
    assert client.get("/tags/busan-port/").status_code == 404
    index = client.get("/sitemap.xml").content.decode()
    [tags_file] = re.findall(r"<loc>[^<]*?(/sitemap-tags[^<]*)</loc>", index)
    tags_sitemap = client.get(tags_file).content.decode()
    assert "/tags/seoul/" in tags_sitemap and "busan-port" not in tags_sitemap
    assert client.get("/tags/seoul/").status_code == 200
