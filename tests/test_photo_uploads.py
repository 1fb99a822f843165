"""Photo uploads: what the admin accepts, what it refuses (with a message naming the
problem and nothing stored), and the alt-text rule."""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from articles.images import validate_photo
from articles.importing import ImportFailed, find_story_files, import_stories
from articles.models import Author, Story
from tests.background_tasks import run_worker
from tests.conftest import image_bytes
from tests.test_admin import ADD, change_url, story_form_data

ADD_AUTHOR = "/admin/articles/author/add/"


def encoded(fmt, width=1200, height=800, **options):
    return image_bytes(width, height, fmt, **options)


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_header_only(width, height):
    """A PNG that claims `width`×`height` and holds one tiny compressed row: a
    decompression bomb's header, a few hundred bytes on disk."""

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    rows = zlib.compress(b"\x00" * (width // 8 + 1) * 16)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def stored_files(tmp_path):
    return sorted(p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".sqlite3")


def post_story(client, section, photo, **fields):
    return client.post(ADD, story_form_data(section, lead_photo=photo, **fields))


# Accepted


@pytest.mark.parametrize(
    ("fmt", "options"),
    [("JPEG", {}), ("PNG", {}), ("WEBP", {}), ("GIF", {}), ("AVIF", {"quality": 50})],
)
def test_every_accepted_format_is_stored_with_renditions(editor_client, section, fmt, options):
    # A misleading name: the content decides the format, and the stored name follows it.
    data = encoded(fmt, mode="P" if fmt == "GIF" else "RGB", **options)
    response = post_story(editor_client, section, upload(data, name="from-camera.bin"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    story = Story.objects.get()
    extension = {"JPEG": "jpg", "WEBP": "webp"}.get(fmt, fmt.lower())
    assert story.lead_photo.original.name.endswith(f".{extension}")
    assert story.lead_picture is None  # processing: the worker makes the renditions
    run_worker()
    story = Story.objects.get()
    assert story.lead_picture.width == 960
    assert story.social_image[1:3] == [1200, 630]


# Refused, with nothing stored


def assert_refused(client, section, tmp_path, photo, message):
    response = post_story(client, section, photo)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["new_photo"]
    assert any(message in error for error in errors), errors
    assert not Story.objects.exists()
    assert stored_files(tmp_path) == []


def test_svg_renamed_jpg_is_refused(editor_client, section, tmp_path):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert_refused(editor_client, section, tmp_path, upload(svg, "photo.jpg"), "not a photo")


def test_html_renamed_png_is_refused(editor_client, section, tmp_path):
    page = b"<!DOCTYPE html><html><body><script>document.cookie</script></body></html>"
    photo = upload(page, "photo.png", "image/png")
    assert_refused(editor_client, section, tmp_path, photo, "not a photo")


def test_truncated_jpeg_is_refused(editor_client, section, tmp_path):
    data = encoded("JPEG", quality=95)
    photo = upload(data[: len(data) // 2])
    assert_refused(editor_client, section, tmp_path, photo, "damaged or incomplete")


def test_corrupt_png_is_refused(editor_client, section, tmp_path):
    data = bytearray(encoded("PNG"))
    data[60:90] = b"\xff" * 30  # inside the compressed pixel data
    photo = upload(bytes(data), "photo.png", "image/png")
    assert_refused(editor_client, section, tmp_path, photo, "damaged or incomplete")


def test_file_over_the_size_limit_is_refused(editor_client, section, tmp_path, settings):
    settings.NEWSROOM = {**settings.NEWSROOM, "PHOTO_MAX_BYTES": 10_000}
    photo = upload(encoded("PNG", mode="RGB") + b"\0" * 20_000, "big.png")
    assert_refused(editor_client, section, tmp_path, photo, "photos may be at most 9.8")


def test_decompression_bomb_is_refused_before_decoding(editor_client, section, tmp_path):
    # 40,000×40,000 pixels: over twice Pillow's own limit, so Image.open raises.
    bomb = upload(png_header_only(40_000, 40_000), "bomb.png", "image/png")
    assert len(bomb) < 5_000
    assert_refused(editor_client, section, tmp_path, bomb, "too many pixels")


def test_image_between_pillows_warning_and_error_is_refused(editor_client, section, tmp_path):
    # 10,000×10,000: Pillow only warns (DecompressionBombWarning); we refuse.
    bomb = upload(png_header_only(10_000, 10_000), "bomb.png", "image/png")
    assert_refused(editor_client, section, tmp_path, bomb, "too many pixels")


def test_pixel_limit_is_the_newsrooms_setting(settings):
    settings.NEWSROOM = {**settings.NEWSROOM, "PHOTO_MAX_PIXELS": 1_000_000}
    with pytest.raises(Exception, match="at most 1 megapixels") as caught:
        validate_photo(upload(encoded("JPEG", 1500, 1000)))
    assert caught.value.code == "too_many_pixels"


def test_photo_too_small_for_a_lead_is_refused(editor_client, section, tmp_path):
    photo = upload(encoded("JPEG", 320, 200))
    assert_refused(editor_client, section, tmp_path, photo, "at least 640×360")


def test_other_image_formats_are_refused(editor_client, section, tmp_path):
    photo = upload(encoded("TIFF"), "scan.tif", "image/tiff")
    assert_refused(editor_client, section, tmp_path, photo, "TIFF image")


# Alt text


def test_alt_text_required_when_the_newsroom_says_so(editor_client, section, settings):
    settings.NEWSROOM = {**settings.NEWSROOM, "PHOTO_ALT_REQUIRED": True}
    photo = upload(encoded("JPEG"))
    response = post_story(
        editor_client, section, photo, status=Story.Status.PUBLISHED, photo_alt=""
    )
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["new_photo_alt"]
    assert "Describe the photo" in error
    assert not Story.objects.exists()


def test_alt_text_missing_is_only_a_checklist_item_by_default(editor_client, section):
    response = post_story(editor_client, section, upload(encoded("JPEG")), photo_alt="")
    assert response.status_code == 302
    story = Story.objects.get()
    page = editor_client.get(change_url(story)).content.decode()
    assert "Describe the lead photo in its alt text." in page


# Author portraits


def test_author_portrait_is_a_square_without_metadata(editor_client, tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    data = encoded("JPEG", 900, 600, exif=exif)
    response = editor_client.post(
        ADD_AUTHOR, {"name": "Kim Min-ji", "slug": "kim-min-ji", "photo": upload(data, "me.png")}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    author = Author.objects.get()
    with Image.open(author.photo.path) as portrait:
        assert portrait.format == "JPEG"
        assert portrait.size == (384, 384)
        assert not portrait.getexif()
    # Only the portrait is stored: no original with its metadata anywhere.
    assert [p.name for p in stored_files(tmp_path)] == [author.photo.name.split("/")[-1]]


def test_author_portrait_that_is_not_an_image_is_refused(editor_client):
    response = editor_client.post(
        ADD_AUTHOR,
        {"name": "Lee", "slug": "lee", "photo": upload(b"<svg></svg>", "portrait.jpg")},
    )
    assert response.status_code == 200
    assert "not a photo" in str(response.context["adminform"].form.errors["photo"])
    assert not Author.objects.exists()


# Import


def test_import_takes_the_photo_beside_the_story_file(db, tmp_path):
    folder = tmp_path / "wire"
    folder.mkdir()
    (folder / "ferry.txt").write_text("Ferry returns to the harbour\nFirst paragraph.\n")
    (folder / "ferry.JPG").write_bytes(encoded("PNG"))  # the content decides: a PNG
    [(story, created)] = import_stories(find_story_files([folder]))
    assert created and story.lead_photo.original.name.endswith(".png")
    run_worker()
    assert Story.objects.get(pk=story.pk).lead_picture.width == 960
    # Imported again: the same library photo, not a second copy.
    [(again, created)] = import_stories(find_story_files([folder]))
    assert not created and again.lead_photo_id == story.lead_photo_id


def test_import_with_a_bad_photo_names_it_and_writes_nothing(db, tmp_path):
    folder = tmp_path / "wire"
    folder.mkdir()
    (folder / "good.txt").write_text("A good story\nText.\n")
    (folder / "good.jpg").write_bytes(encoded("JPEG"))
    (folder / "bad.txt").write_text("A story with a fake photo\nText.\n")
    (folder / "bad.jpg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    with pytest.raises(ImportFailed) as failure:
        import_stories(find_story_files([folder]))
    [error] = failure.value.errors
    assert error.name.endswith("bad.jpg") and "not a photo" in str(error)
    assert not Story.objects.exists()
    assert [p for p in stored_files(tmp_path) if "wire" not in p.parts] == []


def test_bulk_publish_skips_photos_without_alt_when_required(editor_client, make_story, settings):
    settings.NEWSROOM = {**settings.NEWSROOM, "PHOTO_ALT_REQUIRED": True}
    photo = upload(encoded("JPEG"))
    undescribed = make_story("No alt", status=Story.Status.DRAFT, lead_photo=photo)
    described = make_story(
        "With alt",
        status=Story.Status.DRAFT,
        lead_photo=upload(encoded("JPEG")),
        photo_alt="A ferry",
    )
    response = editor_client.post(
        "/admin/articles/story/",
        {"action": "publish", "_selected_action": [undescribed.pk, described.pk]},
        follow=True,
    )
    assert "Not published: “No alt”" in response.content.decode()
    undescribed.refresh_from_db()
    described.refresh_from_db()
    assert (undescribed.status, described.status) == ("draft", "published")
