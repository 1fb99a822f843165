"""The breaking-news banner: on every public page while live, gone at its expiry.

Time is driven as tests/test_scheduling.py drives it: the clock every visibility
decision reads is frozen at a moment, no sleeps.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import reversion
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from articles.cache import local, purge_everything
from articles.fronts.banner import URL_MESSAGE, Banner
from articles.models import Story
from tests.admin_pages import form_fields
from tests.conftest import at
from tests.test_query_counts import MAX_QUERIES

NOW = datetime(2031, 5, 6, 9, 0, tzinfo=UTC)
ENDS = NOW + timedelta(hours=1)
TEXT = "Earthquake felt across the capital region"
ADD = reverse("admin:fronts_banner_add")
CHANGELIST = reverse("admin:fronts_banner_changelist")


def make_banner(**fields):
    fields.setdefault("text", TEXT)
    fields.setdefault("starts_at", NOW - timedelta(hours=1))
    fields.setdefault("expires_at", ENDS)
    return Banner.objects.create(**fields)


def region(html):
    """The banner's markup, or "" when there is none."""
    start = html.find('<aside class="breaking-banner')
    return html[start : html.index("</aside>", start) + len("</aside>")] if start >= 0 else ""


@pytest.fixture
def site(make_story, make_author):
    """A public story with a tag and an author, so every page type answers 200."""
    author = make_author("Kim Min-ji")
    story = make_story("Ferries return to the river", authors=[author], tags=["Harbour"])
    return story, author


def public_pages(story, author):
    return [
        ("/", 200),
        ("/stories/", 200),
        (story.get_absolute_url(), 200),
        (story.section.get_absolute_url(), 200),
        ("/tags/harbour/", 200),
        (author.get_absolute_url(), 200),
        ("/search/?q=ferries", 200),
        ("/stories/no-such-story/", 404),  # a public view's 404 (cached)
        ("/no-such-page/", 404),  # no route at all (Django's handler)
    ]


def test_banner_is_on_every_public_page_before_the_content(site):
    story, author = site
    reader = Client()
    with at(NOW):
        make_banner(url="https://example.com/live")
        for url, status in public_pages(story, author):
            response = reader.get(url)
            html = response.content.decode()
            assert response.status_code == status, url
            shown = region(html)
            assert TEXT in shown, url
            assert 'aria-label="Breaking news"' in shown, url
            assert '<strong class="breaking-banner__label">Breaking</strong>' in shown, url
            assert 'href="https://example.com/live"' in shown, url
            # At the top: before the masthead and the main content.
            assert html.index(shown) < html.index('<header class="masthead"'), url
            assert html.index(shown) < html.index("<main"), url


def test_no_banner_no_region(site):
    story, author = site
    with at(NOW):
        for url, _ in public_pages(story, author):
            assert "breaking-banner" not in Client().get(url).content.decode(), url


@pytest.mark.parametrize(
    ("level", "label", "region_label"),
    [
        (Banner.Level.BREAKING, "Breaking", "Breaking news"),
        (Banner.Level.DEVELOPING, "Developing", "Developing story"),
        (Banner.Level.ALERT, "Alert", "News alert"),
    ],
)
def test_each_level_has_its_own_words_and_look(site, level, label, region_label):
    with at(NOW):
        make_banner(level=level)
        shown = region(Client().get("/").content.decode())
    assert f"breaking-banner--{level}" in shown
    assert f'aria-label="{region_label}"' in shown
    assert f">{label}</strong>" in shown


def test_banner_goes_at_its_expiry_to_the_minute_through_the_page_cache(site):
    story, author = site
    reader = Client()
    with at(NOW):
        make_banner()
    with at(ENDS - timedelta(seconds=1)):
        for url, _ in public_pages(story, author):
            assert TEXT in reader.get(url).content.decode(), url
        again = reader.get("/")
        assert again["X-Cache"] == "hit"  # cached, though the banner ends in a second
        assert TEXT in again.content.decode()
        # Neither a browser nor a CDN keeps it past the expiry.
        ages = re.findall(r"max-age=(\d+)", again["Cache-Control"])
        assert ages and all(int(age) <= 1 for age in ages), again["Cache-Control"]
    with at(ENDS):
        for url, _ in public_pages(story, author):
            assert TEXT not in reader.get(url).content.decode(), url


def test_banner_goes_at_its_expiry_through_fragments_without_the_page_cache(site, settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    story, _ = site
    reader = Client()
    with at(NOW):
        make_banner()
    with at(ENDS - timedelta(seconds=1)):
        assert TEXT in reader.get(story.get_absolute_url()).content.decode()
        assert TEXT in reader.get(story.get_absolute_url()).content.decode()
    with at(ENDS):
        assert TEXT not in reader.get(story.get_absolute_url()).content.decode()


def test_banner_starting_later_shows_at_its_start_not_before(site):
    reader = Client()
    starts = NOW + timedelta(minutes=30)
    with at(NOW):
        make_banner(starts_at=starts, expires_at=starts + timedelta(hours=1))
        assert TEXT not in reader.get("/").content.decode()
    with at(starts - timedelta(seconds=1)):
        assert TEXT not in reader.get("/").content.decode()
        assert reader.get("/")["X-Cache"] == "hit"
    with at(starts):
        assert TEXT in reader.get("/").content.decode()


def test_one_banner_at_a_time_the_latest_started(site):
    with at(NOW):
        make_banner(text="Older banner", starts_at=NOW - timedelta(hours=2))
        newer = make_banner(text="Newer banner", starts_at=NOW - timedelta(minutes=5))
        shown = region(Client().get("/").content.decode())
        assert "Newer banner" in shown and "Older banner" not in shown
        newer.delete()  # ending the newer one early brings the older one back
        shown = region(Client().get("/").content.decode())
        assert "Older banner" in shown


def test_saving_a_banner_shows_at_once_on_cached_pages(site):
    reader = Client()
    with at(NOW):
        assert reader.get("/").status_code == 200
        assert reader.get("/")["X-Cache"] == "hit"
        banner = make_banner()
        assert TEXT in reader.get("/").content.decode()
        banner.text = "Aftershock reported"
        banner.save()
        assert "Aftershock reported" in reader.get("/").content.decode()
        banner.delete()
        assert "breaking-banner" not in reader.get("/").content.decode()


def test_link_to_a_draft_is_not_shown_until_it_is_public(site, make_story):
    reader = Client()
    with at(NOW):
        draft = make_story("Secret draft headline", status=Story.Status.DRAFT)
        make_banner(story=draft)
        html = reader.get("/").content.decode()
        shown = region(html)
        assert TEXT in shown
        assert "<a " not in shown
        assert draft.slug not in html and "Secret draft headline" not in html

        draft.status, draft.published_at = Story.Status.PUBLISHED, NOW
        draft.save()
        shown = region(reader.get("/").content.decode())
        assert f'href="{draft.get_absolute_url()}"' in shown


def test_link_to_a_scheduled_story_appears_when_it_goes_live(site, make_story):
    reader = Client()
    goes_live = NOW + timedelta(minutes=10)
    with at(NOW):
        scheduled = make_story("Embargoed figures", published_at=goes_live)
        make_banner(story=scheduled)
        assert scheduled.slug not in reader.get("/").content.decode()
    with at(goes_live):
        assert f'href="{scheduled.get_absolute_url()}"' in region(reader.get("/").content.decode())


def test_a_banner_costs_no_extra_query_on_a_warm_page(site, settings, django_assert_num_queries):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    story, _ = site
    reader = Client()
    with at(NOW):
        make_banner()
        reader.get(story.get_absolute_url())
        with django_assert_num_queries(0):
            assert TEXT in reader.get(story.get_absolute_url()).content.decode()


@pytest.mark.parametrize("linked", [False, True])
def test_a_cold_page_with_a_banner_stays_within_the_query_bound(
    site, linked, django_assert_max_num_queries
):
    story, author = site
    reader = Client()
    with at(NOW):
        make_banner(story=story if linked else None)
        for url, _ in public_pages(story, author):
            purge_everything()
            for copy in local.COPIES:
                copy.clear()
            # A front page (home, section) is the fullest: its zones, their backfill,
            # the list, the cards with their bylines, the navigation, and the live
            # banner's fragment (then kept until the banner changes).
            with django_assert_max_num_queries(MAX_QUERIES):
                assert TEXT in reader.get(url).content.decode(), url


# The admin


# Admin requests run on the real clock (a session would expire in a frozen future).


def add_form(client, **values):
    data = form_fields(client.get(ADD), "banner_form")
    data.update(values)
    return data


def in_an_hour():
    """The admin's date and time fields for an hour from now (TIME_ZONE = UTC)."""
    moment = timezone.now().astimezone(UTC).replace(microsecond=0) + timedelta(hours=1)
    return moment, {"expires_at_0": f"{moment:%Y-%m-%d}", "expires_at_1": f"{moment:%H:%M:%S}"}


def test_editor_adds_a_banner_in_the_admin(site, news_editor_client, news_editor, settings):
    settings.TIME_ZONE = "UTC"
    story, _ = site
    ends, fields = in_an_hour()
    before = timezone.now()
    data = add_form(news_editor_client, text=TEXT, level="developing", story=str(story.pk))
    response = news_editor_client.post(ADD, {**data, **fields})
    assert response.status_code == 302
    banner = Banner.objects.get()
    assert before - timedelta(seconds=1) <= banner.starts_at <= timezone.now()  # default: now
    assert banner.expires_at == ends
    assert banner.created_by == news_editor == banner.updated_by
    changelist = news_editor_client.get(CHANGELIST).content.decode()
    assert "Readers see one banner at a time" in changelist
    shown = region(Client().get(story.get_absolute_url()).content.decode())
    assert "Developing" in shown and f'href="{story.get_absolute_url()}"' in shown


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.com/file", "data:text/html,x"]
)
def test_a_bad_address_is_refused_with_a_clear_message(news_editor_client, url, settings):
    settings.TIME_ZONE = "UTC"
    data = add_form(news_editor_client, text=TEXT, url=url, **in_an_hour()[1])
    response = news_editor_client.post(ADD, data)
    assert response.status_code == 200
    assert URL_MESSAGE in response.content.decode()
    assert TEXT in response.content.decode()  # what was typed is kept
    assert not Banner.objects.exists()


def test_an_end_before_the_start_and_story_plus_url_are_refused(site, news_editor_client, settings):
    settings.TIME_ZONE = "UTC"
    story, _ = site
    data = add_form(
        news_editor_client,
        text=TEXT,
        story=str(story.pk),
        url="https://example.com/",
        starts_at_0="2031-05-06",
        starts_at_1="10:00:00",
        expires_at_0="2031-05-06",
        expires_at_1="09:00:00",
    )
    content = news_editor_client.post(ADD, data).content.decode()
    assert "The banner must end after it starts." in content
    assert "Link a story or a web address, not both." in content
    assert not Banner.objects.exists()


def test_a_banner_must_have_an_end(news_editor_client):
    data = add_form(news_editor_client, text=TEXT)
    data.pop("expires_at_0", None), data.pop("expires_at_1", None)
    response = news_editor_client.post(ADD, data)
    assert response.status_code == 200 and not Banner.objects.exists()


def test_reporter_is_refused_everywhere(reporter_client):
    banner = make_banner()
    for url in (
        CHANGELIST,
        ADD,
        reverse("admin:fronts_banner_change", args=[banner.pk]),
        reverse("admin:fronts_banner_delete", args=[banner.pk]),
        reverse("admin:fronts_banner_history", args=[banner.pk]),
        reverse("admin:fronts_banner_recoverlist"),
    ):
        assert reporter_client.get(url).status_code == 403, url
    assert reporter_client.post(ADD, {"text": "x"}).status_code == 403
    assert "Breaking-news banners" not in reporter_client.get("/admin/").content.decode()


def test_history_records_changes_and_undoes_them_without_touching_the_story(
    site, news_editor_client, settings
):
    settings.TIME_ZONE = "UTC"
    story, _ = site
    data = add_form(
        news_editor_client, text="First wording", story=str(story.pk), **in_an_hour()[1]
    )
    assert news_editor_client.post(ADD, data).status_code == 302
    banner = Banner.objects.get()
    change = reverse("admin:fronts_banner_change", args=[banner.pk])
    data = form_fields(news_editor_client.get(change), "banner_form")
    data["text"] = "Second wording"
    assert news_editor_client.post(change, data).status_code == 302
    versions = list(Version.objects.get_for_object(banner).order_by("pk"))
    assert len(versions) == 2
    assert versions[1].revision.user.username == "desk"
    history = news_editor_client.get(
        reverse("admin:fronts_banner_history", args=[banner.pk])
    ).content.decode()
    assert "Changed Text." in history and "Added." in history
    story_before = Story.objects.filter(pk=story.pk).values().get()

    revert = reverse("admin:fronts_banner_revision", args=[banner.pk, versions[0].pk])
    data = form_fields(news_editor_client.get(revert), "banner_form")
    assert news_editor_client.post(revert, data).status_code == 302

    banner.refresh_from_db()
    assert banner.text == "First wording"
    assert Story.objects.filter(pk=story.pk).values().get() == story_before
    assert "First wording" in Client().get("/").content.decode()  # purged by the revert


def test_undoing_to_a_version_linking_a_story_deleted_since_keeps_the_banner_unlinked(
    site, news_editor_client, make_story
):
    doomed = make_story("Story deleted since")
    with reversion.create_revision():
        banner = make_banner(story=doomed)
    with reversion.create_revision():
        banner.text = "Second wording"
        banner.save()
    first = Version.objects.get_for_object(banner).order_by("pk").first()
    doomed.delete()

    revert = reverse("admin:fronts_banner_revision", args=[banner.pk, first.pk])
    page = news_editor_client.get(revert)
    assert page.status_code == 200
    data = form_fields(page, "banner_form")
    response = news_editor_client.post(revert, data)

    # Undone, without the story that no longer exists (the form offers no such story).
    assert response.status_code == 302
    banner.refresh_from_db()
    assert banner.text == TEXT and banner.story_id is None
    assert Story.objects.filter(pk=doomed.pk).count() == 0
    assert Client().get("/").status_code == 200


def test_a_revision_of_something_else_is_not_reverted_through_the_banner_admin(
    site, news_editor_client
):
    story, _ = site
    with reversion.create_revision():
        story.save()
    story_version = Version.objects.get_for_object(story).first()
    banner = make_banner()
    assert (
        news_editor_client.get(
            reverse("admin:fronts_banner_revision", args=[banner.pk, story_version.pk])
        ).status_code
        == 404
    )
    assert (
        news_editor_client.get(
            reverse("admin:fronts_banner_recover", args=[story_version.pk])
        ).status_code
        == 404
    )


def test_a_rolled_back_delete_leaves_the_banner_showing(site):
    from django.db import transaction

    reader = Client()
    with at(NOW):
        banner = make_banner()
        assert TEXT in reader.get("/").content.decode()
        with pytest.raises(RuntimeError), transaction.atomic():
            banner.delete()  # looked up inside the transaction: no banner ahead …
            raise RuntimeError  # … which the rollback makes untrue
        assert TEXT in reader.get("/").content.decode()
        assert TEXT in reader.get("/stories/").content.decode()


def test_no_banner_ahead_costs_no_query_for_the_banner(site, django_assert_num_queries):
    """After the schedules are looked up (one query for all), a page with no banner to
    come needs no query to know it shows none."""
    from articles.cache import tags
    from articles.fronts import banner

    with at(NOW):
        tags.refresh_next_publication()
        assert tags.next_moment_of("banner") == 0.0
        assert banner._load_live() is None
        make_banner()
        # The save looked again (inside the test's transaction: "unknown", never "none").
        assert tags.next_moment_of("banner") != 0.0
        with django_assert_num_queries(1):
            assert banner._load_live()["shown"].text == TEXT
