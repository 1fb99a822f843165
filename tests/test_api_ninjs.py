"""Every story as an IPTC ninjs 2.2 item: valid against the IPTC's schema, served at
/api/v1/stories/<id>.ninjs, and taken in by our own wire desk as the same story."""

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import path, resolve
from django.utils import timezone
from jsonschema import FormatChecker
from jsonschema.exceptions import best_match
from ninja import NinjaAPI

from articles.api import ninjs_router
from articles.api.ninjs import story_to_ninjs
from articles.cache import tags as cache_tags
from articles.models import Story
from articles.wire import ingest
from articles.wire.formats import ninjs as wire_ninjs
from articles.wire.models import SubjectMapping, WireItem, WireSource
from newsroom import urls as project_urls
from tests.background_tasks import run_worker
from tests.conftest import image_bytes, library_photo
from tests.test_demo import demo_loaded_once  # noqa: F401 (a fixture, used by name)

pytestmark = pytest.mark.django_db

# The router mounted as the lead mounts it in articles/api/v1.py, before the site's own
# addresses (which the item's links are reversed from).
_api = NinjaAPI(urls_namespace="ninjs-test", docs_url=None, openapi_url=None)
_api.add_router("", ninjs_router.router)
urlpatterns = [path("api/v1/", _api.urls), *project_urls.urlpatterns]
URLS = pytest.mark.urls(__name__)

# The IPTC schema's `format`s, checked too: jsonschema checks "uri" and "date-time" only
# with optional packages this project does not install, and a receiver may be stricter.
FORMATS = FormatChecker(formats=())
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


@FORMATS.checks("uri")
def _is_uri(value):
    parts = urlsplit(value)
    return value.isascii() and " " not in value and bool(parts.scheme) and bool(parts.netloc)


@FORMATS.checks("date-time")
def _is_date_time(value):
    return bool(_DATE_TIME.fullmatch(value)) and datetime.fromisoformat(value).tzinfo is not None


def assert_valid(item):
    """Valid as the wire desk validates (the IPTC's ninjs 2.2 schema), formats included."""
    assert wire_ninjs.validate(item) == 2
    error = best_match(wire_ninjs.validator(2).evolve(format_checker=FORMATS).iter_errors(item))
    assert error is None, f"{error.json_path}: {error.message}"


def detail(pk):
    return Story.objects.for_detail().get(pk=pk)


def paragraphs(html):
    return [" ".join(text.split()) for text in re.findall(r"<p>(.*?)</p>", html, re.DOTALL)]


@pytest.fixture
def photo():
    upload = SimpleUploadedFile("lead.jpg", image_bytes(1200, 800), content_type="image/jpeg")
    return library_photo(
        upload, caption="Commuters at City Hall station", credit="Staff", alt="A platform"
    )


@pytest.fixture
def rich_story(make_story, make_author, photo):
    """Two bylines, tags, a section, Korean, a lead photo, paragraphs and an embargo."""
    embargo = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    return make_story(
        "서울 지하철 심야 운행 연장",
        dek="심야 운행이 새벽 2시까지 늘어난다.",
        body="<p>서울시는 지하철 심야 운행을 연장한다고 밝혔다.</p>\n"
        "<p>시민 반응은 엇갈렸다 &amp; 논쟁이 이어졌다.</p>\n<h2>배경</h2>\n<p>세 번째 문단.</p>",
        language="ko",
        authors=[make_author("김민지 (Kim Min-ji)"), make_author("Hannah Okafor")],
        tags=["Seoul", "Transport"],
        lead_photo=photo,
        embargo_until=embargo,
        published_at=embargo,
    )


# What the item says -----------------------------------------------------------------


def test_a_rich_story_is_a_valid_ninjs_item_with_everything_a_partner_needs(
    rich_story, photo, base_url
):
    item = story_to_ninjs(detail(rich_story.pk))

    assert_valid(item)
    assert item["uri"] == f"{base_url}/api/v1/stories/{rich_story.pk}.ninjs"
    assert item["standard"]["version"] == "2.2"
    assert item["version"] == str(rich_story.version)
    assert item["pubstatus"] == "usable" and item["language"] == "ko"
    assert item["headlines"] == [
        {"role": "main", "contenttype": "text/plain", "value": "서울 지하철 심야 운행 연장"}
    ]
    assert item["embargoed"] == rich_story.embargo_until.astimezone(UTC).isoformat().replace(
        "+00:00", "Z"
    )
    assert item["firstcreated"].endswith("Z") and item["versioncreated"].endswith("Z")
    assert item["versioncreated"] >= item["firstcreated"]
    assert item["by"] == "김민지 (Kim Min-ji) and Hannah Okafor"
    assert [(p["name"], p["rel"]) for p in item["people"]] == [
        ("김민지 (Kim Min-ji)", "author"),
        ("Hannah Okafor", "author"),
    ]
    subjects = {(s["rel"], s["name"]): s["uri"] for s in item["subjects"]}
    assert subjects == {
        ("tag", "Seoul"): f"{base_url}/tags/seoul/",
        ("tag", "Transport"): f"{base_url}/tags/transport/",
        ("section", "Nation"): f"{base_url}{rich_story.section.get_absolute_url()}",
    }
    # The reader's page, its Korean slug percent-encoded (a URI, not an IRI).
    assert item["altids"][0]["value"].startswith(f"{base_url}/stories/%EC%84%9C%EC%9A%B8")
    [body] = item["bodies"]
    assert body["contenttype"] == "text/html" and body["role"] == "main"
    assert paragraphs(body["value"]) == [
        "서울시는 지하철 심야 운행을 연장한다고 밝혔다.",
        "시민 반응은 엇갈렸다 &amp; 논쟁이 이어졌다.",
        "세 번째 문단.",
    ]
    assert body["wordcount"] > 5 and body["charcount"] > 20
    assert item["descriptions"][0]["value"] == "심야 운행이 새벽 2시까지 늘어난다."


def test_the_lead_photo_comes_with_every_rendition_readers_get(rich_story, photo, base_url):
    item = story_to_ninjs(detail(rich_story.pk))

    [association] = item["associations"]
    assert (association["name"], association["type"]) == ("featureimage", "picture")
    assert association["descriptions"][0]["value"] == "Commuters at City Hall station"
    assert (association["by"], association["title"]) == ("Staff", "A platform")
    renditions = association["renditions"]
    files = set(photo.renditions["files"])
    assert len(renditions) == len(files)  # lead and card sizes in each format, and social
    for rendition in renditions:
        assert rendition["href"].startswith(f"{base_url}/")
        assert urlsplit(rendition["href"]).path.split("/media/", 1)[1] in files
        assert rendition["contenttype"].startswith("image/")
        assert rendition["width"] > 0 and rendition["height"] > 0 and rendition["sizeinbytes"]
    assert len({rendition["name"] for rendition in renditions}) == len(renditions)
    assert "social" in {rendition["name"] for rendition in renditions}


def test_a_photo_still_processing_is_not_sent(make_story):
    processing = library_photo(ready=False)
    story = make_story(lead_photo=processing)

    item = story_to_ninjs(detail(story.pk))

    assert "associations" not in item
    assert_valid(item)


def test_every_saved_change_is_a_newer_version_of_the_same_item(make_story):
    story = make_story("First headline")
    first = story_to_ninjs(detail(story.pk))

    story.headline = "Second headline"
    story.save()
    second = story_to_ninjs(detail(story.pk))

    assert second["uri"] == first["uri"]
    assert int(second["version"]) > int(first["version"])
    assert second["versioncreated"] >= first["versioncreated"]
    assert second["firstcreated"] == first["firstcreated"]


def test_corrections_come_as_a_notes_body_and_a_newer_version(make_story):
    story = make_story(body="<p>The bridge opens in May.</p>")
    before = story_to_ninjs(detail(story.pk))
    story.corrections.create(text="An earlier version said June.\n\nIt opens in <May>.")

    item = story_to_ninjs(detail(story.pk))

    assert_valid(item)
    assert int(item["version"]) > int(before["version"])
    main, notes = item["bodies"]
    assert main["role"] == "main" and "June" not in main["value"]
    assert notes["role"] == "notes" and notes["contenttype"] == "text/html"
    assert "<strong>Correction</strong>" in notes["value"]
    assert paragraphs(notes["value"])[1:] == [
        "An earlier version said June.",
        "It opens in &lt;May&gt;.",
    ]


def test_a_kill_is_canceled_and_withdraws_the_text(make_story):
    story = make_story("Published in error", body="<p>Wrong.</p>")
    usable = story_to_ninjs(detail(story.pk))
    story.status = Story.Status.DRAFT
    story.save()

    kill = story_to_ninjs(detail(story.pk), canceled=True)

    assert_valid(kill)
    assert kill["pubstatus"] == "canceled"
    assert kill["uri"] == usable["uri"] and int(kill["version"]) > int(usable["version"])
    assert kill["headlines"][0]["value"] == "Published in error"
    assert "bodies" not in kill and "associations" not in kill


def test_one_story_costs_constant_queries_however_much_it_carries(
    rich_story, make_story, django_assert_max_num_queries, photo
):
    plain = make_story(body="<p>Short.</p>")
    # Inline library photos in the body come from the story's own query too.
    rich_story.body += f"<p>[photo {photo.pk}]</p>"
    rich_story.save()  # records the body's library photos (BodyUse)

    for pk in (plain.pk, rich_story.pk):
        with django_assert_max_num_queries(2):  # the story, its curated related headlines
            item = story_to_ninjs(Story.objects.for_detail().get(pk=pk))
    assert "<figure><img" in item["bodies"][0]["value"]


# Every demo story --------------------------------------------------------------------


@pytest.mark.usefixtures("demo_loaded_once")
class TestDemo:
    def test_every_demo_story_is_valid_ninjs(self):
        stories = list(Story.objects.for_detail())
        assert len(stories) > 20
        for story in stories:
            item = story_to_ninjs(story)
            try:
                assert_valid(item)
            except AssertionError as error:
                raise AssertionError(f"{story.slug}: {error}") from None

    def test_one_with_photos_one_live_one_korean_and_one_killed(self):
        with_photo = Story.objects.published().exclude(lead_photo=None).for_detail().first()
        live = Story.objects.for_detail().get(slug="typhoon-live-updates")
        korean = Story.objects.for_detail().get(slug="서울-지하철-심야-운행-연장")

        pictured = story_to_ninjs(with_photo)
        assert_valid(pictured)
        assert pictured["associations"][0]["renditions"]
        assert live.is_live
        assert_valid(story_to_ninjs(live))
        korean_item = story_to_ninjs(korean)
        assert_valid(korean_item)
        assert korean_item["language"] == "ko" and "심야" in korean_item["bodies"][0]["value"]

        korean.status = Story.Status.DRAFT
        korean.save()
        killed = story_to_ninjs(detail(korean.pk), canceled=True)
        assert_valid(killed)
        assert killed["pubstatus"] == "canceled"


# The endpoint ----------------------------------------------------------------------


@URLS
def test_the_endpoint_serves_a_public_story_as_json(client, make_story, base_url):
    story = make_story("A public story", tags=["Seoul"])

    response = client.get(f"/api/v1/stories/{story.pk}.ninjs")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "ninjs-schema_2.2.json" in response["Link"]
    item = response.json()
    assert_valid(item)
    assert item["headlines"][0]["value"] == "A public story"
    assert item["uri"] == f"{base_url}/api/v1/stories/{story.pk}.ninjs"
    # The item's uri is this very address.
    assert resolve(urlsplit(item["uri"]).path).url_name == "story_ninjs"


def test_the_api_documents_the_endpoint_for_partners():
    paths = _api.get_openapi_schema(path_prefix="/api/v1/")["paths"]

    operation = paths["/api/v1/stories/{story_id}.ninjs"]["get"]
    assert "ninjs" in operation["summary"]
    assert {str(code) for code in operation["responses"]} == {"200", "404"}


def test_the_endpoint_declares_what_it_shows_to_the_page_cache(rf, rich_story, photo):
    earlier = timezone.now() - timedelta(hours=1)
    Story.objects.filter(pk=rich_story.pk).update(embargo_until=None, published_at=earlier)
    story = detail(rich_story.pk)  # public now

    with cache_tags.rendering() as render:
        response = ninjs_router.story_ninjs(rf.get("/"), str(story.pk))

    assert response.status_code == 200
    assert {
        f"story:{story.pk}",
        f"section:{story.section_id}",
        f"photo:{photo.pk}",
        *(f"author:{byline.author_id}" for byline in story.bylines),
        *(f"tag:{tag.pk}" for tag in story.tag_list),
    } <= render.tags


@URLS
@pytest.mark.parametrize(
    "status", ["draft", "scheduled", "embargoed", "missing", "too-long", "not-a-number", "negative"]
)
def test_what_the_public_may_not_see_is_a_json_404(client, make_story, status):
    now = timezone.now()
    address = {
        "draft": lambda: make_story(status=Story.Status.DRAFT).pk,
        "scheduled": lambda: make_story(published_at=now + timedelta(hours=1)).pk,
        "embargoed": lambda: (
            make_story(
                embargo_until=now + timedelta(hours=1), published_at=now + timedelta(hours=1)
            ).pk
        ),
        "missing": lambda: 987654,
        "too-long": lambda: "99999999999999999999999",
        "not-a-number": lambda: "abc",
        "negative": lambda: "-1",
    }[status]()

    response = client.get(f"/api/v1/stories/{address}.ninjs")

    assert response.status_code == 404
    assert response.json() == {"detail": "No story with this id."}


@URLS
def test_the_endpoint_asks_the_database_a_constant_number_of_times(
    client, rich_story, make_story, django_assert_max_num_queries
):
    story = make_story(tags=["One", "Two", "Three"])
    with django_assert_max_num_queries(2):  # the story, its curated related headlines
        assert client.get(f"/api/v1/stories/{story.pk}.ninjs").status_code == 200


# The round trip through our own wire desk --------------------------------------------


@pytest.fixture
def wire_source(section, settings, tmp_path):
    settings.NEWSROOM = {**settings.NEWSROOM, "WIRE_ROOT": tmp_path}
    source = WireSource(name="Partner newsroom", slug="partner", format="ninjs")
    token = source.new_token()
    source.save()
    return source, token


def push(client, item, token):
    """As an agency pushes: the JSON bytes to /wire/<source>/ with the source's token."""
    return client.post(
        "/wire/partner/",
        json.dumps(item, ensure_ascii=False).encode(),
        content_type="application/json",
        HTTP_X_WIRE_TOKEN=token,
    )


def test_our_wire_desk_takes_the_item_in_as_the_same_story(client, rich_story, wire_source):
    _, token = wire_source
    rich_story.corrections.create(text="An earlier version misspelt a name.")
    rich_story.refresh_from_db()
    item = story_to_ninjs(detail(rich_story.pk))
    assert [body["role"] for body in item["bodies"]] == ["main", "notes"]
    tags = {s["name"]: s["uri"] for s in item["subjects"] if s["rel"] == "tag"}
    for name, uri in tags.items():
        SubjectMapping.objects.create(code=uri, tag=name)
    section_uri = next(s["uri"] for s in item["subjects"] if s["rel"] == "section")
    SubjectMapping.objects.create(code=section_uri, section=rich_story.section)

    response = push(client, item, token)

    assert response.status_code == 202, response.json()
    received = WireItem.objects.get(pk=response.json()["id"])
    assert (received.guid, received.version) == (item["uri"], rich_story.version)
    assert received.headline == rich_story.headline
    assert received.bylines == ["김민지 (Kim Min-ji)", "Hannah Okafor"]
    assert received.language == "ko"
    assert received.embargo_until == rich_story.embargo_until
    assert [name for _, name in received.subjects] == ["Seoul", "Transport", "Nation"]
    [picture] = received.pictures
    assert picture["caption"] == "Commuters at City Hall station" and picture["credit"] == "Staff"
    sent = item["associations"][0]["renditions"]
    assert [r["href"] for r in picture["renditions"]] == [r["href"] for r in sent]

    copy, created = ingest.make_draft(received)

    assert created
    assert copy.headline == rich_story.headline and copy.dek == rich_story.dek
    assert [b.author for b in copy.bylines] == [b.author for b in rich_story.bylines]
    # The main body, without the corrections' notes (a body of their own).
    assert paragraphs(copy.body) == paragraphs(rich_story.body)
    assert copy.language == "ko" and copy.embargo_until == rich_story.embargo_until
    assert copy.section == rich_story.section
    assert sorted(copy.tags.names()) == ["Seoul", "Transport"]


def test_our_wire_desk_treats_the_canceled_item_as_a_kill(client, make_story, wire_source):
    _, token = wire_source
    story = make_story("Sent, then withdrawn", body="<p>Text.</p>")
    first = push(client, story_to_ninjs(detail(story.pk)), token)
    copy, _ = ingest.make_draft(WireItem.objects.get(pk=first.json()["id"]))
    copy.status = Story.Status.PUBLISHED  # the partner published our story
    copy.save()

    story.status = Story.Status.DRAFT  # withdrawn here
    story.save()
    kill = push(client, story_to_ninjs(detail(story.pk), canceled=True), token)
    run_worker()

    assert kill.status_code == 202, kill.json()
    killed = WireItem.objects.get(pk=kill.json()["id"])
    assert killed.pub_status == "canceled" and killed.withdrawn
    assert killed.attention == WireItem.Attention.KILLED and killed.story == copy
    copy.refresh_from_db()
    assert copy.status == Story.Status.DRAFT
    assert not Story.objects.published().filter(pk=copy.pk).exists()
