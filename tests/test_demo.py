"""`manage.py load_demo`: demo content that fills every page, loaded repeatably."""

import io
import os
from pathlib import Path

import pytest
from django.conf import settings as project_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils.html import escape
from PIL import Image
from taggit.models import Tag

from articles.demo import stories as demo
from articles.demo.management.commands import load_demo
from articles.live.models import LiveUpdate
from articles.models import Author, RelatedHeadline, Section, Story, StoryAuthor, StoryRelation

pytestmark = pytest.mark.django_db


def run():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def quick_photo_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (16, 10), (40, 90, 140)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def quick_photos(monkeypatch):
    """Tests about anything but the photos skip the drawing (it dominates their time)."""
    photo = quick_photo_bytes()
    monkeypatch.setattr(load_demo, "draw_photo", lambda *args: photo)


QUICK_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="class")
def demo_loaded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo loaded once for a class of tests that only read it, as `run()` (with
    quick photos) loads it for one test; gone after the class.

    Loading it took a second and a half a test. It is loaded in a transaction rolled
    back after the class; each test's own transaction nests in it (a savepoint), so a
    test's changes are undone as usual. Files go to a folder of the class's own.
    """
    files = tmp_path_factory.mktemp("demo")
    storages = {
        **project_settings.STORAGES,
        "originals": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": files / "originals"},
        },
    }
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=files / "media", STORAGES=storages, PASSWORD_HASHERS=QUICK_HASHER
        ),
        pytest.MonkeyPatch.context() as monkeypatch,
        transaction.atomic(),
    ):
        monkeypatch.setattr(load_demo, "draw_photo", lambda *args: quick_photo_bytes())
        output = run()
        yield output
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The superuser's password hash would otherwise cost a third of a second per test.
    settings.PASSWORD_HASHERS = QUICK_HASHER


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Story, Section, Author, StoryAuthor, RelatedHeadline, Tag, get_user_model())
    }


def test_draws_photos_with_alt_text_caption_and_credit(settings):
    # Real drawing and real renditions, at one width each: the widths are not what this
    # test is about, and three of each took most of its ten seconds.
    settings.NEWSROOM = {**settings.NEWSROOM, "PHOTO_WIDTHS": [480], "PHOTO_CARD_WIDTHS": [400]}
    run()

    with_photos = Story.objects.exclude(lead_photo=None).select_related("lead_photo")
    assert with_photos.count() >= 20
    for story in with_photos:
        # In the library, ready: the demo is looked at right after it loads.
        assert story.photo_alt.startswith("Illustration: ")
        assert story.lead_caption
        assert story.photo_credit == "Newsroom illustration"
        assert story.lead_picture is not None
    photo = with_photos.first().lead_photo
    with photo.original.open() as handle, Image.open(handle) as image:
        assert (image.format, image.size) == ("JPEG", (1600, 1000))
    assert (photo.width, photo.height) == (1600, 1000)


def test_includes_a_story_covered_live_with_key_events(quick_photos, client):
    run()
    run()  # idempotent: the updates are not added twice

    story = Story.objects.published().get(slug="typhoon-live-updates")
    assert story.is_live
    updates = LiveUpdate.objects.filter(story=story)
    assert updates.count() == 5 and updates.filter(pinned=True).count() == 2
    html = client.get(story.get_absolute_url()).content.decode()
    assert "Shelters open" in html and "Coverage begins" in html
    assert "LiveBlogPosting" in html


def test_includes_a_wire_source_whose_folder_is_watched(quick_photos, settings, tmp_path):
    from articles.wire.ingest import scan_folder
    from articles.wire.models import WireItem, WireSource

    settings.NEWSROOM = {**settings.NEWSROOM, "WIRE_ROOT": tmp_path}
    run()
    run()

    source = WireSource.objects.get(slug="demo-agency")
    folder = source.folder_path()
    assert folder == tmp_path / "demo-agency" and folder.is_dir()
    sample = Path(__file__).with_name("wire_samples") / "ninjs1-budget.json"
    dropped = folder / sample.name
    dropped.write_bytes(sample.read_bytes())
    os.utime(dropped, (0, 0))  # settled: not still arriving
    assert scan_folder(source)["received"] == 1
    assert WireItem.objects.filter(source=source).count() == 1


def test_running_twice_changes_nothing(quick_photos):
    run()
    first = counts()
    updated = dict(Story.objects.values_list("pk", "updated_at"))

    output = run()

    assert counts() == first
    assert dict(Story.objects.values_list("pk", "updated_at")) == updated
    assert "0 stories created" in output


def test_missing_photo_is_drawn_again_but_nothing_else_changes(quick_photos):
    run()
    story = Story.objects.exclude(lead_photo=None).first()
    Story.objects.filter(pk=story.pk).update(lead_photo=None)

    output = run()

    story.refresh_from_db()
    assert story.lead_photo
    assert "1 photos drawn" in output


def test_creates_a_superuser_and_prints_the_login_once(quick_photos):
    first = run()
    second = run()

    admin = get_user_model().objects.get()
    assert admin.is_superuser
    assert admin.get_username() == "admin"
    assert "Password:" in first
    assert "http://127.0.0.1:8000/admin/" in first
    assert "Password:" not in second
    assert "changepassword admin" in second


def test_keeps_an_existing_superuser(quick_photos, editor):
    output = run()

    assert list(get_user_model().objects.all()) == [editor]
    assert "Password:" not in output
    assert "changepassword editor" in output


def test_a_database_from_before_ranking_gets_its_related_headlines_ranked(quick_photos):
    run()
    StoryRelation.objects.all().delete()  # as migrated to 0006, with nothing ranked yet

    run()

    assert StoryRelation.objects.exists()


@pytest.mark.usefixtures("demo_loaded_once")
class TestOneLoad:
    """What one load of the demo makes, read by each test (loaded once for them all)."""

    def test_creates_published_stories_in_several_sections(self):
        sections = Section.objects.filter(stories__in=Story.objects.published()).distinct()
        assert sections.count() >= 5

    def test_fills_more_than_one_list_page(self, settings):
        assert Story.objects.published().count() > 2 * settings.NEWSROOM["STORIES_PER_PAGE"]

    def test_includes_the_imported_seed_story(self):
        seed = Story.objects.get(import_key=demo.SEED_FILE.stem)
        assert seed.headline.startswith("Hegseth reaffirms strong alliance")
        assert Story.objects.published().filter(pk=seed.pk).exists()
        assert seed.section.slug == "nation"
        assert seed.story_authors.get().author.name == "김민지 (Kim Min-ji)"

    def test_seed_story_links_the_demo_story_it_names(self):
        seed = Story.objects.get(import_key=demo.SEED_FILE.stem)
        linked = seed.related_headlines.exclude(target=None).get()
        assert linked.target.slug == "s-korea-wont-be-top-seed-world-cup-qualification"

    def test_includes_a_korean_story_a_draft_and_a_scheduled_story(self):
        korean = Story.objects.get(slug="서울-지하철-심야-운행-연장")
        assert "심야" in korean.headline
        assert "심야" in korean.body
        public = Story.objects.published()
        assert Story.objects.filter(status=Story.Status.DRAFT).exists()
        scheduled = [story for story in Story.objects.all() if story.is_scheduled]
        assert scheduled
        assert not public.filter(pk__in=[story.pk for story in scheduled]).exists()

    def test_stories_have_bylines_tags_and_curated_related_headlines(self):
        public = Story.objects.published()
        assert not public.filter(story_authors=None).exists()
        assert public.filter(related_headlines__target__isnull=False).exists()
        assert public.filter(related_headlines__url__startswith="https://").exists()
        assert public.filter(related_headlines=None).exists()  # Automatic ones show there.
        assert Tag.objects.count() >= 12

    def test_stories_without_curated_headlines_get_automatic_ones(self, client):
        story = Story.objects.published().filter(related_headlines=None).exclude(tags=None).first()

        page = client.get(story.get_absolute_url())

        assert page.context["automatic_related"], story.headline

    def test_seed_story_related_headlines_read_as_the_source_wrote_them(self, client):
        """The seed lists "S. Korea won’t be top seed…" (curly apostrophe); the demo story it
        links was typed with a straight one. The page shows the seed's own text, linked."""
        seed = Story.objects.get(import_key=demo.SEED_FILE.stem)
        html = client.get(seed.get_absolute_url()).content.decode()
        linked = Story.objects.get(slug="s-korea-wont-be-top-seed-world-cup-qualification")
        assert "won't" in linked.headline  # the demo data stays as typed
        source = demo.SEED_FILE.read_text(encoding="utf-8").splitlines()
        headlines = [line[2:] for line in source if line.startswith("- ")]
        assert "S. Korea won’t be top seed in final World Cup qualification round" in headlines
        for headline in headlines:
            assert f">{escape(headline)}<" in html, headline
        assert (
            f'<a href="{linked.get_absolute_url()}">S. Korea won’t be top seed in final World Cup '
            "qualification round</a>" in html
        )
        assert "won&#x27;t be top seed" not in html and "won't be top seed" not in html
