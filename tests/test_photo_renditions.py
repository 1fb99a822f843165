"""Photo renditions: made by the worker after an upload, upright and without metadata,
in the right sizes and formats, cropped around the focal point, marked up
responsively, served without the originals, kept while the library photo is, and never
made while a reader waits."""

import io
import os
import subprocess
import sys
from unittest import mock

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import ProtectedError
from django.urls import reverse
from PIL import Image

from articles import images
from articles.models import Photo, Story
from bench.server import ROOT
from tests.background_tasks import run_worker
from tests.conftest import image_bytes, library_photo

GPS_IFD = 0x8825


def jpeg_with_exif(width=1200, height=800, orientation=1):
    """Left half red, right half blue, with an orientation and a GPS position."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Camera maker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 41.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def photo_story(make_story):
    def make(data=None, **kwargs):
        upload = SimpleUploadedFile("photo.jpg", data or image_bytes(2000, 1000))
        return make_story(lead_photo=upload, photo_alt="Boats in the harbour", **kwargs)

    return make


def opened(name):
    with default_storage.open(name) as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
        return image


def all_sizes(story, kind):
    return [(size["jpeg"][1], size["jpeg"][2]) for size in story.lead_photo.renditions[kind]]


# What is made


def test_renditions_come_in_each_width_as_avif_and_jpeg(photo_story):
    story = photo_story(image_bytes(2000, 1000))
    assert all_sizes(story, "lead") == [(480, 240), (960, 480), (1600, 800)]
    for size in story.lead_photo.renditions["lead"]:
        for fmt, pillow_name in (("avif", "AVIF"), ("jpeg", "JPEG")):
            name, width, height, length = size[fmt]
            image = opened(name)
            assert (image.format, image.size) == (pillow_name, (width, height))
            assert default_storage.size(name) == length


def test_cards_are_16_by_10_and_social_images_1200_by_630(photo_story):
    story = photo_story(image_bytes(2000, 1000))
    assert all_sizes(story, "card") == [(400, 250), (800, 500), (1200, 750)]
    name, width, height, _ = story.social_image
    assert opened(name).size == (width, height) == (1200, 630)


def test_a_photo_is_never_upscaled(photo_story):
    story = photo_story(image_bytes(1000, 700))
    assert all_sizes(story, "lead") == [(480, 336), (960, 672), (1000, 700)]
    assert max(width for width, _ in all_sizes(story, "card")) <= 1000
    assert story.social_image[1] <= 1000


def test_renditions_are_upright_and_carry_no_metadata(photo_story):
    # Orientation 6: the camera was turned; shown rotated 90° clockwise, the red
    # left half of the stored pixels is at the top.
    story = photo_story(jpeg_with_exif(1200, 800, orientation=6))
    for size in story.lead_photo.renditions["lead"]:
        for name, width, height, _ in size.values():
            image = opened(name)
            assert height > width
            assert not image.getexif(), name
            assert "exif" not in image.info and "xmp" not in image.info
    top = opened(story.lead_photo.renditions["lead"][0]["jpeg"][0]).convert("RGB")
    red, _, blue = top.getpixel((top.width // 2, 5))
    assert red > 150 and blue < 100


def test_original_keeps_its_metadata_in_private_storage(photo_story, settings):
    story = photo_story(jpeg_with_exif())
    assert images.originals_storage.exists(story.lead_photo.original.name)
    assert not default_storage.exists(story.lead_photo.original.name)
    with images.originals_storage.open(story.lead_photo.original.name) as original:
        assert Image.open(original).getexif().get_ifd(GPS_IFD)


# Focal point


@pytest.mark.parametrize("focal", [(0, 0), (1, 1), (0.95, 0.5), (0.1, 0.9), (0.5, 0.5)])
@pytest.mark.parametrize("size", [(3000, 1000), (1000, 3000), (1600, 1000)])
@pytest.mark.parametrize("ratio", [images.CARD_RATIO, images.SOCIAL_SIZE, (1, 1)])
def test_focal_crop_box_keeps_the_point_inside(size, focal, ratio):
    left, top, right, bottom = images.focal_crop_box(size, ratio, focal)
    assert 0 <= left < right <= size[0] and 0 <= top < bottom <= size[1]
    assert abs((right - left) / (bottom - top) - ratio[0] / ratio[1]) < 0.01
    x, y = focal[0] * size[0], focal[1] * size[1]
    assert left <= x <= right and top <= y <= bottom


def test_crops_keep_the_subject_at_the_focal_point(photo_story):
    # A wide grey photo with a red subject near its right edge.
    image = Image.new("RGB", (3000, 1000), (128, 128, 128))
    image.paste((230, 0, 0), (2800, 450, 2900, 550))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    story = photo_story(buffer.getvalue(), lead_photo_focal_x=0.95, lead_photo_focal_y=0.5)

    for name in (story.lead_photo.renditions["card"][0]["jpeg"][0], story.social_image[0]):
        crop = opened(name).convert("RGB")
        reds = [c for _, c in crop.getcolors(crop.width * crop.height) if c[0] > 180 and c[1] < 80]
        assert reds, f"the subject was cropped out of {name}"


def test_changing_the_focal_point_in_the_library_remakes_the_crops(
    editor_client, photo_story, django_capture_on_commit_callbacks
):
    story = photo_story()
    photo = story.lead_photo
    old_card = photo.renditions["card"][0]["jpeg"][0]
    change = reverse("admin:photos_photo_change", args=[photo.pk])
    data = {
        "caption": "",
        "credit": "",
        "alt": photo.alt,
        "source": "",
        "focal_x": "0.9",
        "focal_y": "0.2",
        "rights_note": "",
        "rights_expire_on": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(change, data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        run_worker()
    photo.refresh_from_db()
    assert photo.renditions["focal"] == [0.9, 0.2]
    assert not default_storage.exists(old_card)
    # The story shows the new crop: its page and cards read the photo.
    assert Story.objects.get(pk=story.pk).card_picture.src != default_storage.url(old_card)


def test_focal_point_outside_the_photo_is_a_form_error(editor_client, photo_story):
    photo = photo_story().lead_photo
    change = reverse("admin:photos_photo_change", args=[photo.pk])
    response = editor_client.post(change, {"focal_x": "1.5", "focal_y": "-1"})
    errors = response.context["adminform"].form.errors
    assert "focal_x" in errors and "focal_y" in errors


# Markup


def test_story_page_lead_photo_is_a_responsive_picture_loaded_first(client, photo_story):
    story = photo_story(photo_caption="Boats at dawn", photo_credit="Kim / Newsroom")
    html = client.get(story.get_absolute_url()).content.decode()
    picture = story.lead_picture
    assert '<source type="image/avif" srcset="' in html
    assert f'srcset="{picture.srcset}"' in html
    assert f'width="{picture.width}" height="{picture.height}"' in html
    assert 'sizes="(min-width: 42rem) 40rem, 100vw"' in html
    start = html.index('<figure class="story__photo">')
    figure = html[start : html.index("</figure>", start)]
    assert 'fetchpriority="high"' in figure and 'loading="lazy"' not in figure
    assert "Boats at dawn" in figure and "Kim / Newsroom" in figure
    assert story.lead_photo.original.name not in html  # the private original is never linked


def test_list_cards_load_lazily_except_the_lead(client, photo_story):
    for n in range(3):
        photo_story(headline=f"Story {n}")
    html = client.get("/").content.decode()
    pictures = html.count("<picture>")
    assert pictures == 3
    assert html.count('fetchpriority="high"') == 1
    assert html.count('loading="lazy"') == pictures - 1
    assert html.count("16:10") == 0  # the frame comes from width/height, not text
    card = Story.objects.get(headline="Story 0").card_picture
    assert f'width="{card.width}" height="{card.height}"' in html
    assert card.width / card.height == 1.6


def test_rendering_pages_does_no_image_processing(client, photo_story):
    story = photo_story()
    with (
        mock.patch.object(Image, "open", side_effect=AssertionError("Pillow opened")),
        mock.patch.object(images, "make_renditions", side_effect=AssertionError("rendered")),
        mock.patch.object(FileSystemStorage, "size", side_effect=AssertionError("storage asked")),
    ):
        for url in [story.get_absolute_url(), "/", "/feeds/rss/", "/feed.json", "/sitemap.xml"]:
            response = client.get(url)
            assert response.status_code == 200, url


# Old files, rebuilds


def rendition_files(story):
    return list(story.lead_photo.renditions["files"])


def test_replacing_or_clearing_a_story_photo_keeps_it_in_the_library(
    photo_story, django_capture_on_commit_callbacks
):
    story = photo_story()
    photo = story.lead_photo
    original, files = photo.original.name, rendition_files(story)
    with django_capture_on_commit_callbacks(execute=True):
        story.lead_photo = library_photo(SimpleUploadedFile("new.jpg", image_bytes(1500, 1000)))
        story.save()
        story.lead_photo = None
        story.save()
        story.delete()
    # Other stories may use it: the library keeps it and its files.
    assert Photo.objects.filter(pk=photo.pk).exists()
    assert images.originals_storage.exists(original)
    assert all(default_storage.exists(name) for name in files)


def test_a_photo_in_use_cannot_be_deleted(photo_story):
    story = photo_story()
    with pytest.raises(ProtectedError):
        story.lead_photo.delete()


def test_rebuild_renditions_after_a_settings_change(
    photo_story, settings, django_capture_on_commit_callbacks
):
    stories = [photo_story(headline=f"Story {n}") for n in range(2)]
    old_files = [name for story in stories for name in rendition_files(story)]
    settings.NEWSROOM = {**settings.NEWSROOM, "PHOTO_WIDTHS": [320, 640]}
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("rebuild_renditions", stdout=out)
    assert "[1/2]" in out.getvalue() and "[2/2]" in out.getvalue()
    for story in stories:
        story = Story.objects.select_related("lead_photo").get(pk=story.pk)
        assert all_sizes(story, "lead") == [(320, 160), (640, 320)]
    assert not any(default_storage.exists(name) for name in old_files)
    out = io.StringIO()
    call_command("rebuild_renditions", stdout=out)
    assert "0 of 2 photos to rebuild" in out.getvalue()


# Serving


def test_renditions_are_served_and_originals_are_not(client, photo_story):
    story = photo_story(jpeg_with_exif())
    response = client.get(story.lead_picture.src)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "immutable" in response["Cache-Control"]
    for path in [
        f"/media/{story.lead_photo.original.name}",
        "/media/../originals/" + story.lead_photo.original.name,
        "/media/renditions/../" + story.lead_photo.original.name,
    ]:
        assert client.get(path).status_code == 404, path


def test_renditions_drop_the_colour_profile_and_keep_the_colours(photo_story):
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 60, 30)).save(buffer, "JPEG", icc_profile=srgb)
    story = photo_story(buffer.getvalue())
    rendition = opened(story.lead_photo.renditions["lead"][0]["jpeg"][0])
    assert "icc_profile" not in rendition.info
    red, green, blue = rendition.getpixel((10, 10))
    assert abs(red - 200) <= 4 and abs(green - 60) <= 4 and abs(blue - 30) <= 4


@pytest.mark.server
def test_photo_benchmark_runs_end_to_end_at_a_small_size():
    """`make bench-photos` at a tiny size, so the script never rots (no timing asserted)."""

    result = subprocess.run(
        [
            *(sys.executable, "-m", "bench.photos", "--runs", "1"),
            *("--width", "1400", "--height", "900"),
            # A short smoke: 3 photos in the bulk upload (30 in `make bench-photos`).
            *("--photos", "3", "--saves", "2"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Upload to renditions: median" in result.stdout
    assert "| lead | avif | 960×617 |" in result.stdout
    assert "less than the original" in result.stdout
