"""The photo library's admin list as a grid of cards (issue 17): each card shows the
thumbnail, caption, credit and state and links to the photo; search, filters and actions
keep working as in Django's table."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from articles.models import Photo
from tests.conftest import image_bytes, library_photo

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:photos_photo_changelist")


def photo(color, ready=True, **fields):
    upload = SimpleUploadedFile("p.jpg", image_bytes(color=color), content_type="image/jpeg")
    return library_photo(upload, ready=ready, **fields)


def cards(page):
    """The page's cards, each as its HTML."""
    grid = page.split('<ul class="photo-grid"', 1)[1].split("</ul>", 1)[0]
    return grid.split('<li class="photo-card">')[1:]


@pytest.fixture
def library():
    return {
        "typhoon": photo(
            (10, 20, 30),
            caption="Typhoon over Busan",
            credit="Kim Min-jun",
            alt="Waves over the sea wall",
            rights_expire_on=timezone.localdate() - timedelta(days=2),
        ),
        "election": photo((200, 40, 40), ready=False, caption="Election night", credit="Yonhap"),
    }


def test_grid_shows_each_photo_as_a_card_linking_to_it(
    editor_client, library, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        page = editor_client.get(CHANGELIST).content.decode()
    typhoon, election = library["typhoon"], library["election"]
    assert "<table" not in page.split('<div class="results photo-library">', 1)[1]
    first, second = cards(page)  # newest first
    assert "Election night" in first and "Yonhap" in first
    assert "Processing" in first and "photo-thumb--processing" in first
    assert reverse("admin:photos_photo_change", args=[election.pk]) in first
    assert "Typhoon over Busan" in second and "Kim Min-jun" in second
    assert f'src="{typhoon.thumbnail_url}"' in second
    assert 'alt="Waves over the sea wall"' in second
    assert "Rights expired on" in second and "photo-state--flagged" in second
    assert f"[photo {typhoon.pk}]" in second and "paste-code__copy" in second
    assert reverse("admin:photos_photo_change", args=[typhoon.pk]) in second
    # The grid's script is a static file (strict CSP), and the bulk upload is offered.
    assert "admin-extra/photo-grid.js" in page
    assert reverse("admin:photos_photo_bulk_upload") in page


def test_query_count_does_not_grow_with_the_page(
    editor_client, library, django_assert_max_num_queries
):
    for n in range(10):
        photo((n * 20, 100, 50), ready=False, caption=f"Extra {n}")
    with django_assert_max_num_queries(12):
        assert len(cards(editor_client.get(CHANGELIST).content.decode())) == 12


def test_search_and_filters_narrow_the_grid(editor_client, library):
    for query in ({"q": "busan"}, {"q": "kim min"}, {"q": "sea wall"}, {"rights": "expired"}):
        found = cards(editor_client.get(CHANGELIST, query).content.decode())
        assert len(found) == 1 and "Typhoon over Busan" in found[0], query
    found = cards(editor_client.get(CHANGELIST, {"q": "yonhap"}).content.decode())
    assert len(found) == 1 and "Election night" in found[0]
    page = editor_client.get(CHANGELIST, {"q": "nothing like it"}).content.decode()
    assert '<ul class="photo-grid"' not in page and "0 photos" in page


def test_each_card_has_a_labelled_checkbox_and_a_bulk_action_runs(news_editor_client, library):
    page = news_editor_client.get(CHANGELIST).content.decode()
    assert 'id="action-toggle"' in page and '<label for="action-toggle">' in page
    for card, name in zip(cards(page), ["Election night", "Typhoon over Busan"], strict=True):
        assert 'class="action-select"' in card
        assert f'aria-label="Select this object for an action - {name}"' in card
    election = library["election"]
    response = news_editor_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [election.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert list(Photo.objects.all()) == [library["typhoon"]]


def test_reporter_sees_the_grid_with_captions_but_no_delete_action(reporter_client, library):
    response = reporter_client.get(CHANGELIST)
    assert response.status_code == 200  # as tests/test_permissions.py's MATRIX says
    page = response.content.decode()
    assert len(cards(page)) == 2
    # Reporters describe photos (many at once) but do not delete them.
    assert 'value="edit_captions"' in page and "action-select" in page
    assert 'value="delete_selected"' not in page


def test_popup_keeps_djangos_table(editor_client, library):
    page = editor_client.get(CHANGELIST, {"_popup": "1", "_to_field": "id"}).content.decode()
    assert 'id="result_list"' in page and "data-popup-opener" in page
    assert '<ul class="photo-grid"' not in page
