"""What keeps public pages fast: no per-row work on load, fragments rendered once."""

from unittest import mock

from django.core.files.base import ContentFile

from articles.models import Story
from tests.conftest import image_bytes


def test_loading_a_story_never_measures_its_photo(make_story):
    story = make_story()
    story.lead_photo.save("photo.jpg", ContentFile(image_bytes(300, 200)), save=False)
    story.save()
    # A photo stored without its size (old rows, scripts) stays unmeasured on load.
    Story.objects.filter(pk=story.pk).update(lead_photo_width=None, lead_photo_height=None)
    with mock.patch("django.core.files.images.get_image_dimensions") as measure:
        loaded = Story.objects.get(pk=story.pk)
    assert loaded.lead_photo and loaded.lead_photo_width is None
    measure.assert_not_called()


def test_uploading_a_photo_still_records_its_size(make_story, photo_upload):
    story = make_story()
    story.lead_photo = photo_upload(width=300, height=200)  # what the admin's form does
    story.save()
    stored = Story.objects.values("lead_photo_width", "lead_photo_height").get(pk=story.pk)
    assert stored == {"lead_photo_width": 300, "lead_photo_height": 200}
