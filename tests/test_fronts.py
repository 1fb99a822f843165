"""The front-page desk: editors arrange the home page and section pages; readers see
exactly that, at once and on time, without a story twice and without a slower page."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import reversion
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from articles.cache import local, purge_everything
from articles.fronts.defaults import ensure_default_fronts
from articles.fronts.models import Front, Layout, Pin, Zone
from articles.models import Story
from tests.admin_pages import form_fields
from tests.conftest import at
from tests.test_query_counts import MAX_QUERIES

NOON = datetime(2031, 3, 4, 3, 0, tzinfo=UTC)  # 12:00 in Seoul


@pytest.fixture(autouse=True)
def _default_fronts(db):
    """The migration's fronts (a test that flushes the database removes them)."""
    ensure_default_fronts()


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": True, "SECONDS": 300}


@pytest.fixture
def reader():
    return Client()


def home_layout():
    return Layout.objects.current_for(None).first()


def zone(kind, layout=None, section=None):
    zones = (layout or home_layout()).zones.filter(kind=kind)
    return zones.get(section=section) if section else zones.get()


def pin(story, zone, **fields):
    return Pin.objects.create(layout=zone.layout, zone=zone, story=story, **fields)


def shown(html):
    """Headlines of the story cards on a page, in order."""
    return re.findall(r'class="card__headline"><a href="[^"]+">([^<]+)</a>', html)


def section_of(html, label):
    """The HTML of one zone (by its heading or aria-label) up to the next <section>."""
    start = html.index(label)
    end = html.find("<section", start)
    return html[start : end if end != -1 else None]


@pytest.fixture
def stories(make_story):
    """Eight public stories, "Story 0" the newest."""
    return [make_story(f"Story {n}") for n in range(8)]


# Defaults


def test_every_front_starts_with_a_sensible_layout(make_section):
    # The data migration made the home page's (no section existed yet).
    home = home_layout()
    assert [(z.kind, z.slots) for z in home.zones.all()] == [("lead", 1), ("top", 4)]
    world, sport = make_section("World"), make_section("Sport")
    ensure_default_fronts()
    ensure_default_fronts()  # idempotent, as `load_demo` runs it every time
    assert [(z.kind, z.section, z.slots) for z in home.zones.all()][2:] == [
        ("rail", world, 3),
        ("rail", sport, 3),
    ] or [(z.kind, z.section, z.slots) for z in home.zones.all()][2:] == [
        ("rail", sport, 3),
        ("rail", world, 3),
    ]
    assert Front.objects.count() == 3
    section_layout = Layout.objects.current_for(world.pk).first()
    assert [(z.kind, z.slots) for z in section_layout.zones.all()] == [("top", 3)]
    # A rail an editor removed stays removed.
    home.zones.filter(section=world).delete()
    ensure_default_fronts()
    assert not home.zones.filter(section=world).exists()


# What readers see


def test_home_shows_the_lead_editors_chose_then_top_stories_then_latest(client, stories):
    pin(stories[5], zone("lead"))
    pin(stories[6], zone("top"))
    html = client.get("/").content.decode()
    lead = section_of(html, 'aria-label="Top story"')
    assert shown(lead) == ["Story 5"]
    assert shown(section_of(html, ">Top stories<")) == ["Story 6", "Story 0", "Story 1", "Story 2"]
    assert shown(section_of(html, 'id="latest-heading"')) == ["Story 3", "Story 4", "Story 7"]


def test_no_story_is_shown_twice_however_it_got_there(client, stories):
    pin(stories[0], zone("lead"))
    pin(stories[0], zone("top"))  # pinned twice
    pin(stories[1], zone("top"))
    pin(stories[1], zone("top"))
    html = client.get("/").content.decode()
    for story in stories:
        assert html.count(f">{story.headline}<") == 1, story.headline


def test_a_pinned_draft_or_scheduled_story_is_never_shown(client, stories, make_story):
    draft = make_story("Secret draft", status=Story.Status.DRAFT)
    later = make_story("Not yet", published_at=timezone.now() + timedelta(hours=2))
    pin(draft, zone("lead"))
    pin(later, zone("top"))
    html = client.get("/").content.decode()
    assert "Secret draft" not in html and "Not yet" not in html
    assert draft.slug not in html and later.slug not in html
    assert "Story 0" in section_of(html, 'aria-label="Top story"')  # backfilled


def test_a_pin_to_a_deleted_story_goes_with_it(client, page_cache, stories):
    pin(stories[7], zone("lead"))
    assert "Story 7" in section_of(client.get("/").content.decode(), 'aria-label="Top story"')
    stories[7].delete()
    response = client.get("/")
    assert response.status_code == 200
    assert "Story 7" not in response.content.decode()
    assert not Pin.objects.exists()


def test_latest_below_excludes_the_front_and_its_pages_meet(client, settings, make_story):
    settings.NEWSROOM = {**settings.NEWSROOM, "STORIES_PER_PAGE": 3}
    stories = [make_story(f"Story {n}") for n in range(12)]
    pin(stories[10], zone("top"))
    first = client.get("/").content.decode()
    on_first = shown(first)
    older = re.search(r'rel="next" href="(\?before=[^"]+)"', first).group(1)
    second = client.get(f"/{older}").content.decode()
    everything = (
        on_first
        + shown(second)
        + shown(
            client.get(
                "/" + re.search(r'rel="next" href="(\?before=[^"]+)"', second).group(1)
            ).content.decode()
        )
    )
    # Each story once across the pages.
    assert sorted(everything) == sorted(s.headline for s in stories)
    assert 'rel="prev" href="./"' in second


def test_section_page_shows_its_top_stories_first(client, make_section, make_story):
    world = make_section("World", slug="world")
    ensure_default_fronts()
    stories = [make_story(f"World {n}", section=world) for n in range(6)]
    pin(stories[4], zone("top", Layout.objects.current_for(world.pk).first()))
    html = client.get("/sections/world/").content.decode()
    assert shown(section_of(html, ">Top stories<")) == ["World 4", "World 0", "World 1"]
    assert shown(section_of(html, 'id="latest-heading"')) == ["World 2", "World 3", "World 5"]


def test_home_rails_show_each_sections_newest(client, make_section, make_story):
    world, sport = make_section("World", slug="world"), make_section("Sport", slug="sport")
    ensure_default_fronts()
    for n in range(5):
        make_story(f"World {n}", section=world)
        make_story(f"Sport {n}", section=sport)
    html = client.get("/").content.decode()
    # Lead and top stories took the five newest (World 0, Sport 0, World 1, …).
    assert shown(section_of(html, ">World</a></h2>")) == ["World 3", "World 4"]
    assert shown(section_of(html, ">Sport</a></h2>")) == ["Sport 2", "Sport 3", "Sport 4"]


def test_a_rail_shows_its_first_story_in_full_and_the_others_as_briefs(
    client, make_section, make_story
):
    sport = make_section("Sport", slug="sport")
    ensure_default_fronts()
    for n in range(8):
        make_story(f"Sport {n}", section=sport, dek=f"Dek of Sport {n}")
    rail = section_of(client.get("/").content.decode(), ">Sport</a></h2>")
    cards = re.findall(r'<article class="card[^"]*">.*?</article>', rail, re.S)
    assert [shown(card) for card in cards] == [["Sport 5"], ["Sport 6"], ["Sport 7"]]
    first, *briefs = cards
    assert "Dek of Sport 5" in first and 'class="kicker"' in first
    for brief in briefs:
        assert 'class="card card--brief"' in brief
        assert "card__photo" not in brief and "card__dek" not in brief
        assert "<time datetime=" in brief


def test_home_carries_its_curated_stories_as_an_item_list_in_order(client, stories, base_url):
    pin(stories[6], zone("lead"))
    pin(stories[3], zone("top"))
    html = client.get("/").content.decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    item_list = next(d for d in map(json.loads, blocks) if d["@type"] == "ItemList")
    urls = [item["url"] for item in item_list["itemListElement"]]
    expected = [stories[n] for n in (6, 3, 0, 1, 2)]
    assert urls == [f"{base_url}{s.get_absolute_url()}" for s in expected]
    assert [item["position"] for item in item_list["itemListElement"]] == [1, 2, 3, 4, 5]


# Changes reach readers at once, and on time


def test_a_pin_shows_at_once_through_the_page_cache(client, page_cache, stories):
    client.get("/")
    assert client.get("/")["X-Cache"] == "hit"
    pinned = pin(stories[6], zone("lead"))
    assert "Story 6" in section_of(client.get("/").content.decode(), 'aria-label="Top story"')
    assert client.get("/")["X-Cache"] == "hit"
    pinned.delete()
    assert "Story 0" in section_of(client.get("/").content.decode(), 'aria-label="Top story"')


def test_unpublishing_a_pinned_story_takes_it_off_the_front(client, page_cache, stories):
    pin(stories[6], zone("lead"))
    client.get("/")
    assert client.get("/")["X-Cache"] == "hit"
    stories[6].status = Story.Status.DRAFT
    stories[6].save()
    html = client.get("/").content.decode()
    assert "Story 6" not in html


def test_a_pin_starts_and_ends_to_the_minute_through_the_page_cache(page_cache, reader, make_story):
    with at(NOON - timedelta(hours=3)):
        for n in range(6):
            make_story(f"Story {n}", published_at=NOON - timedelta(hours=4, minutes=n))
        chosen = Story.objects.get(headline="Story 5")
        pin(chosen, zone("lead"), starts_at=NOON, ends_at=NOON + timedelta(hours=6))

    def lead(moment):
        with at(moment):
            response = reader.get("/")
            return section_of(response.content.decode(), 'aria-label="Top story"'), response

    before, response = lead(NOON - timedelta(seconds=1))
    assert "Story 0" in before
    assert int(re.search(r"s-maxage=(\d+)", response["Cache-Control"]).group(1)) <= 1
    assert "Story 5" in lead(NOON)[0]
    assert "Story 5" in lead(NOON + timedelta(hours=6, seconds=-1))[0]
    assert "Story 0" in lead(NOON + timedelta(hours=6))[0]


def test_a_pinned_scheduled_story_leads_from_its_minute_through_the_page_cache(
    page_cache, reader, make_story
):
    with at(NOON - timedelta(hours=3)):
        for n in range(3):
            make_story(f"Story {n}", published_at=NOON - timedelta(hours=4, minutes=n))
        embargoed = make_story("Embargoed budget", published_at=NOON)
        pin(embargoed, zone("lead"))
    with at(NOON - timedelta(seconds=1)):
        html = reader.get("/").content.decode()
        assert "Embargoed budget" not in html
        assert reader.get("/")["X-Cache"] == "hit"
    with at(NOON):
        html = reader.get("/").content.decode()
    assert "Embargoed budget" in section_of(html, 'aria-label="Top story"')


def test_a_scheduled_layout_goes_live_on_time(page_cache, reader, make_story):
    with at(NOON - timedelta(hours=3)):
        stories = [
            make_story(f"Story {n}", published_at=NOON - timedelta(hours=4, minutes=n))
            for n in range(8)
        ]
        evening = Layout.objects.create(
            front=Front.objects.get(section=None), name="Evening", publish_at=NOON
        )
        lead = Zone.objects.create(layout=evening, kind="lead", slots=1, position=0)
        pin(stories[7], lead)
        Zone.objects.create(layout=evening, kind="top", slots=2, position=1)
    with at(NOON - timedelta(seconds=1)):
        html = reader.get("/").content.decode()
        assert "Story 0" in section_of(html, 'aria-label="Top story"')
        assert reader.get("/")["X-Cache"] == "hit"
    with at(NOON):
        html = reader.get("/").content.decode()
    assert "Story 7" in section_of(html, 'aria-label="Top story"')
    assert shown(section_of(html, ">Top stories<")) == ["Story 0", "Story 1"]


# The desk in the admin


@pytest.fixture
def desk(news_editor_client):
    """An editor (the Editor group, which has fronts.arrange_fronts) at the desk."""
    return news_editor_client


def change_url(layout):
    return reverse("admin:fronts_layout_change", args=[layout.pk])


def test_an_editor_pins_a_story_with_an_end_time_in_the_admin(desk, reader, stories):
    layout = home_layout()
    page = desk.get(change_url(layout))
    assert page.status_code == 200
    data = form_fields(page, "layout_form")
    data.update(
        {
            "pins-0-story": [str(stories[6].pk)],
            "pins-0-zone": [str(zone("lead").pk)],
            "pins-0-ends_at_0": ["2099-01-01"],
            "pins-0-ends_at_1": ["18:00:00"],
        }
    )
    response = desk.post(change_url(layout), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Pin.objects.get().ends_at.year == 2099
    assert "Story 6" in section_of(reader.get("/").content.decode(), 'aria-label="Top story"')


def add_pin_at(desk, layout, story, zone_, place):
    """The desk's form as shown, with one new pin in the empty row at `place`."""
    page = desk.get(change_url(layout))
    data = form_fields(page, "layout_form")
    row = int(data["pins-TOTAL_FORMS"][0]) - 1  # the empty row the page offers
    data.update(
        {
            f"pins-{row}-story": [str(story.pk)],
            f"pins-{row}-zone": [str(zone_.pk)],
            f"pins-{row}-place": [str(place)],
        }
    )
    response = desk.post(change_url(layout), data)
    assert response.status_code == 302, response.content.decode()[:3000]


@pytest.mark.parametrize(
    ("place", "expected"),
    [(1, ["Story 7", "Story 5", "Story 6"]), (2, ["Story 5", "Story 7", "Story 6"])],
)
def test_a_new_pin_takes_the_place_given_in_one_save(desk, reader, stories, place, expected):
    top = zone("top")
    top.slots = 3
    top.save()
    pin(stories[5], top, position=1)
    pin(stories[6], top, position=2)
    add_pin_at(desk, home_layout(), stories[7], top, place)
    top_html = section_of(reader.get("/").content.decode(), "Top stories")
    assert shown(top_html) == expected
    # The page shows each saved pin's place, for the next editor.
    page = desk.get(change_url(home_layout())).content.decode()
    for number, headline in enumerate(expected, start=1):
        story_pk = next(s.pk for s in stories if s.headline == headline)
        pin_pk = Pin.objects.get(story_id=story_pk).pk
        row = re.search(rf'name="pins-(\d+)-id" value="{pin_pk}"', page).group(1)
        assert re.search(rf'name="pins-{row}-place" value="{number}"[^>]*disabled', page)


def test_a_new_pin_without_a_place_goes_last_in_its_zone(desk, reader, stories):
    top = zone("top")
    top.slots = 3
    top.save()
    pin(stories[5], top, position=1)
    pin(stories[6], top, position=2)
    page = desk.get(change_url(home_layout()))
    data = form_fields(page, "layout_form")
    data.update({"pins-2-story": [str(stories[7].pk)], "pins-2-zone": [str(top.pk)]})
    assert desk.post(change_url(home_layout()), data).status_code == 302
    top_html = section_of(reader.get("/").content.decode(), "Top stories")
    assert shown(top_html) == ["Story 5", "Story 6", "Story 7"]


def test_the_story_autocomplete_shows_section_status_and_time(desk, stories, make_story):
    make_story("Story draft", status=Story.Status.DRAFT)
    url = reverse("admin:autocomplete")
    query = "app_label=fronts&model_name=pin&field_name=story&term=Story"
    results = desk.get(f"{url}?{query}").json()["results"]
    texts = {result["text"] for result in results}
    assert "Story draft — Nation · Draft" in texts
    assert any(text.startswith("Story 0 — Nation · Published ") for text in texts)


def test_preview_shows_the_prepared_layout_and_readers_do_not(desk, reader, stories):
    page = desk.post(
        reverse("admin:fronts_layout_changelist"),
        {"action": "prepare_next_edition", "_selected_action": [home_layout().pk]},
    )
    evening = Layout.objects.get(publish_at__isnull=True)
    assert page.status_code == 302 and page["Location"] == change_url(evening)
    pin(stories[7], evening.zones.get(kind="lead"))
    preview = desk.get(reverse("admin:fronts_layout_preview", args=[evening.pk]))
    assert preview.status_code == 200
    assert {"private", "no-store"} <= set(preview["Cache-Control"].replace(",", " ").split())
    assert "Story 7" in section_of(preview.content.decode(), 'aria-label="Top story"')
    assert "Story 7" not in section_of(reader.get("/").content.decode(), 'aria-label="Top story"')
    # Published now: readers see it.
    desk.post(
        reverse("admin:fronts_layout_changelist"),
        {"action": "publish_now", "_selected_action": [evening.pk]},
    )
    assert home_layout() == evening
    assert "Story 7" in section_of(reader.get("/").content.decode(), 'aria-label="Top story"')


def test_the_fronts_list_names_what_readers_see_in_constant_queries(desk, make_section):
    def fronts_list():
        with CaptureQueriesContext(connection) as queries:
            html = desk.get(reverse("admin:fronts_front_changelist")).content.decode()
        return html, len(queries)

    make_section("World", slug="world")
    ensure_default_fronts()
    _, few = fronts_list()
    for n in range(6):
        make_section(f"Section {n}", slug=f"section-{n}")
    ensure_default_fronts()
    evening = Layout.objects.create(
        front=home_layout().front, name="Evening edition", publish_at=timezone.now()
    )
    html, many = fronts_list()
    assert many == few
    assert html.count('<td class="field-current_layout">Default</td>') == 7
    assert f'<td class="field-current_layout">{evening.name}</td>' in html


def test_reporters_are_refused_the_desk(reporter_client, stories):
    layout = home_layout()
    for url in (
        reverse("admin:fronts_layout_changelist"),
        change_url(layout),
        reverse("admin:fronts_layout_preview", args=[layout.pk]),
        reverse("admin:fronts_layout_history", args=[layout.pk]),
        reverse("admin:fronts_front_changelist"),
        reverse("admin:autocomplete")
        + "?app_label=fronts&model_name=pin&field_name=story&term=Story",
    ):
        assert reporter_client.get(url).status_code == 403, url
    response = reporter_client.post(
        reverse("admin:fronts_layout_changelist"),
        {"action": "publish_now", "_selected_action": [layout.pk]},
    )
    assert response.status_code == 403


def test_history_undoes_a_front_change_even_with_a_pinned_story_deleted_since(
    desk, reader, stories
):
    layout = home_layout()
    with reversion.create_revision():
        pin(stories[6], zone("lead"))
        pin(stories[7], zone("top"))
        layout.save()
    first = Version.objects.get_for_object(layout).get()
    with reversion.create_revision():
        Pin.objects.all().delete()
        pin(stories[5], zone("lead"))
        layout.save()
    assert "Story 5" in section_of(reader.get("/").content.decode(), 'aria-label="Top story"')
    stories[7].delete()  # pinned in the version brought back
    history = desk.get(reverse("admin:fronts_layout_history", args=[layout.pk]))
    assert history.status_code == 200
    revision_url = reverse("admin:fronts_layout_revision", args=[layout.pk, first.pk])
    form = desk.get(revision_url)
    assert form.status_code == 200
    response = desk.post(revision_url, form_fields(form, "layout_form"))
    assert response.status_code == 302
    assert list(Pin.objects.values_list("story__headline", flat=True)) == ["Story 6"]
    assert "Story 6" in section_of(reader.get("/").content.decode(), 'aria-label="Top story"')


# Speed


def cold_queries(client, url, show=False):
    purge_everything()
    for copy in local.COPIES:
        copy.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    if show:
        for q in queries.captured_queries:
            print(q["sql"][:150])
    return len(queries)


@pytest.mark.parametrize("url", ["/", "section"])
def test_a_front_costs_the_same_queries_with_3_or_30_pins(client, make_section, make_story, url):
    sections = [make_section() for _ in range(3)]
    ensure_default_fronts()
    stories = [make_story(section=sections[n % 3]) for n in range(40)]
    url = sections[0].get_absolute_url() if url == "section" else url
    layout = Layout.objects.current_for(None if url == "/" else sections[0].pk).first()
    zones = list(layout.zones.all())
    for n in range(3):
        pin(stories[-1 - n], zones[n % len(zones)])
    few = cold_queries(client, url)
    for n in range(3, 30):
        pin(stories[-1 - n], zones[n % len(zones)])
    many = cold_queries(client, url)
    # Never more with more pins (fewer when pins fill every slot: no backfill query).
    assert few <= MAX_QUERIES
    assert many <= few
