"""/api/v1/, the read-only content API: what a partner's program gets.

The same stories as the public pages and nothing else; keyset pages that walk every
public story once; filters; JSON errors for bad parameters; constant queries; the
page cache's purges, ETag/304 and Surrogate-Key; an OpenAPI schema every JSON answer
validates against, and docs served by the site itself.
"""

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import jsonschema
import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from articles.api.v1 import api
from articles.fronts.defaults import ensure_default_fronts
from articles.fronts.models import Front, Layout, Pin, Zone
from articles.live.models import LiveUpdate
from articles.models import Story
from tests.conftest import at, library_photo
from tests.live import new_context

API = "/api/v1"


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": True, "SECONDS": 300}
    return settings.PAGE_CACHE


@pytest.fixture
def hidden(make_story):
    """A draft, a scheduled story and an embargoed one, each with every filter's value."""
    now = timezone.now()
    common = {"tags": ["Ferries"], "language": "ko"}
    return [
        make_story("Hidden draft", status=Story.Status.DRAFT, **common),
        make_story("Hidden scheduled", published_at=now + timedelta(days=1), **common),
        make_story(
            "Hidden embargoed",
            embargo_until=now + timedelta(days=2),
            published_at=now + timedelta(days=2),
            **common,
        ),
    ]


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def walk(client, url):
    """Every item of a list, following `next` to the end."""
    items = []
    while url:
        page = get_json(client, url)
        items += page["items"]
        url = page["next"] and urlsplit(page["next"])._replace(scheme="", netloc="").geturl()
    return items


# ------------------------------------------------------------------ what it shows


def test_lists_show_the_public_stories_newest_first_and_nothing_else(client, make_story, hidden):
    public = [make_story(f"Public {n}", tags=["Ferries"], language="ko") for n in range(3)]
    items = get_json(client, f"{API}/stories")["items"]
    assert [item["id"] for item in items] == [story.pk for story in public]
    for query in ("tag=ferries", "language=ko", "section=nation", "updated_since=2000-01-01"):
        found = {item["headline"] for item in get_json(client, f"{API}/stories?{query}")["items"]}
        assert found == {story.headline for story in public}, query
    for story in hidden:
        assert get_json(client, f"{API}/stories/{story.pk}", 404) == {"detail": "Not Found"}


def test_a_story_has_its_card_body_html_and_blocks(client, make_story, make_author, base_url):
    author = make_author("Kim Min-ji", slug="kim-min-ji")
    inline = library_photo(caption="The harbour", credit="Staff", alt="Boats")
    story = make_story(
        "Ferries return",
        authors=[author],
        tags=["Seoul"],
        lead_photo=library_photo(alt="A ferry"),
        body=(
            "<p>The first <strong>ferry</strong> left.</p>"
            f"<p>[photo {inline.pk} | At dawn]</p>"
            "<p>https://www.youtube.com/watch?v=dQw4w9WgXcQ</p>"
            "<h2>More</h2><p>Done.</p>"
        ),
    )
    data = get_json(client, f"{API}/stories/{story.pk}")
    assert data["headline"] == "Ferries return"
    assert data["url"] == f"{base_url}/stories/{story.slug}/"
    assert data["authors"][0]["name"] == "Kim Min-ji"
    assert [tag["slug"] for tag in data["tags"]] == ["seoul"]
    assert data["lead_photo"]["photo"]["alt"] == "A ferry"
    renditions = data["lead_photo"]["photo"]["renditions"]["lead"]
    assert renditions and all(r["url"].startswith(f"{base_url}/media/") for r in renditions)
    kinds = [block["type"] for block in data["blocks"]]
    assert kinds == ["html", "photo", "embed", "html", "html"]
    assert data["blocks"][0]["html"] == "<p>The first <strong>ferry</strong> left.</p>"
    assert data["blocks"][1]["caption"] == "At dawn"
    assert data["blocks"][1]["photo"]["credit"] == "Staff"
    embed = data["blocks"][2]
    assert embed["provider"] == "youtube" and "dQw4w9WgXcQ" in embed["iframe_url"]
    # The HTML body: no code, no iframe, no script; the photo a plain figure.
    assert "[photo" not in data["body_html"] and "<iframe" not in data["body_html"]
    assert "<script" not in data["body_html"] and "<figure>" in data["body_html"]


def test_live_updates_of_a_public_story_only(client, make_story):
    live = make_story("Typhoon live", live_started_at=timezone.now() - timedelta(hours=1))
    for n in range(3):
        LiveUpdate.objects.create(story=live, body=f"<p>Update {n}</p>", headline=f"U{n}")
    draft = make_story("Draft live", status=Story.Status.DRAFT, live_started_at=timezone.now())
    LiveUpdate.objects.create(story=draft, body="<p>Secret update</p>")
    detail = get_json(client, f"{API}/stories/{live.pk}")
    assert detail["live"] == "live"
    data = get_json(client, urlsplit(detail["live_updates_url"]).path)
    assert data["live"] is True
    assert [item["headline"] for item in data["items"]] == ["U2", "U1", "U0"]
    get_json(client, f"{API}/stories/{draft.pk}/live-updates", 404)
    get_json(client, f"{API}/stories/{make_story().pk}/live-updates", 404)  # not live


def test_sections_tags_and_authors_exist_only_with_a_public_story(
    client, make_story, make_section, make_author, hidden
):
    author, quiet = make_author("Lee", slug="lee"), make_author("Quiet", slug="quiet")
    make_story(authors=[author], tags=["Harbour"])
    make_story(status=Story.Status.DRAFT, authors=[quiet], tags=["Secret"],
               section=make_section("Empty", slug="empty"))  # fmt: skip
    assert [s["slug"] for s in get_json(client, f"{API}/sections")] == ["nation"]
    get_json(client, f"{API}/sections/empty", 404)
    assert get_json(client, f"{API}/sections/nation")["name"] == "Nation"
    assert [t["slug"] for t in get_json(client, f"{API}/tags")["items"]] == ["harbour"]
    get_json(client, f"{API}/tags/secret", 404)
    get_json(client, f"{API}/tags/ferries", 404)  # only hidden stories carry it
    assert [a["slug"] for a in get_json(client, f"{API}/authors")] == ["lee"]
    get_json(client, f"{API}/authors/quiet", 404)
    assert get_json(client, f"{API}/authors/lee")["name"] == "Lee"


def test_a_photo_only_while_a_public_story_shows_it(client, make_story):
    shown, secret, loose = library_photo(), library_photo(), library_photo()
    make_story(lead_photo=shown)
    make_story(status=Story.Status.DRAFT, lead_photo=secret)
    assert get_json(client, f"{API}/photos/{shown.pk}")["id"] == shown.pk
    get_json(client, f"{API}/photos/{secret.pk}", 404)
    get_json(client, f"{API}/photos/{loose.pk}", 404)


def test_fronts_in_the_order_readers_see_them(client, make_story, hidden):
    ensure_default_fronts()
    older, newer = make_story("Older"), make_story("Newer")
    newer.published_at = timezone.now() - timedelta(minutes=1)
    newer.save()
    front = Front.objects.get(section=None)
    layout = Layout.objects.create(
        front=front, name="API test", publish_at=timezone.now() - timedelta(seconds=1)
    )
    zone = Zone.objects.create(layout=layout, kind="lead", slots=1, position=0)
    Pin.objects.create(layout=layout, zone=zone, story=older, position=0)
    Pin.objects.create(layout=layout, zone=zone, story=hidden[0], position=1)
    data = get_json(client, f"{API}/fronts/home")
    assert [s["headline"] for s in data["zones"][0]["stories"]] == ["Older"]
    shown = {s["headline"] for z in data["zones"] for s in z["stories"]}
    shown |= {s["headline"] for s in data["latest"]}
    assert "Newer" in shown and not shown & {s.headline for s in hidden}
    assert get_json(client, f"{API}/fronts/nation")["section"]["slug"] == "nation"
    get_json(client, f"{API}/fronts/nowhere", 404)


# ------------------------------------------------------------------ pages and filters


def test_keyset_pages_walk_every_public_story_exactly_once(client, make_story, hidden):
    same_time = timezone.now() - timedelta(minutes=30)
    stories = [make_story(published_at=same_time) for _ in range(5)]  # ties on the time
    stories += [make_story() for _ in range(6)]
    items = walk(client, f"{API}/stories?limit=3")
    assert sorted(item["id"] for item in items) == sorted(s.pk for s in stories)
    assert len(items) == len(stories)


def test_each_filter(client, make_story, make_section, make_author, hidden):
    economy = make_section("Economy", slug="economy")
    kim = make_author("Kim", slug="kim")
    a = make_story("In economy", section=economy)
    b = make_story("Tagged", tags=["Rates"])
    c = make_story("By Kim", authors=[kim])
    d = make_story("Korean", language="ko-KR")
    Story.objects.filter(pk=a.pk).update(updated_at=timezone.now() - timedelta(days=30))
    Story.objects.filter(pk=b.pk).update(updated_at=timezone.now() - timedelta(days=30))

    def found(query):
        return {item["id"] for item in get_json(client, f"{API}/stories?{query}")["items"]}

    assert found("section=economy") == {a.pk}
    assert found("tag=rates") == {b.pk}
    assert found("author=kim") == {c.pk}
    assert found("language=ko") == {d.pk}
    assert found("language=ko-kr") == {d.pk}
    since = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert found(f"updated_since={since}") == {c.pk, d.pk}
    assert found("section=nation&author=kim") == {c.pk}
    get_json(client, f"{API}/stories?section=nowhere", 404)


@pytest.mark.parametrize(
    "query",
    [
        "before=yesterday",
        "before=20260101T000000Z-99999999999999999999",
        "limit=0",
        "limit=1000",
        "limit=x",
        "updated_since=soon",
        "language=k%C3%B6",
        "section=a%20b",
        "tag=%00",
    ],
)
def test_bad_parameters_are_a_json_4xx(client, make_story, query):
    make_story()
    response = client.get(f"{API}/stories?{query}")
    assert 400 <= response.status_code < 500, response.content
    assert "detail" in response.json()


def test_bad_live_cursor_and_huge_ids_are_a_json_4xx(client, make_story):
    live = make_story(live_started_at=timezone.now())
    for url in (
        f"{API}/stories/{live.pk}/live-updates?before=x",
        f"{API}/stories/{live.pk}/live-updates?before=99999999999999999999",
        f"{API}/stories/99999999999999999999",
        f"{API}/photos/99999999999999999999",
    ):
        response = client.get(url)
        assert 400 <= response.status_code < 500, url
        assert "detail" in response.json()


# ------------------------------------------------------------------ queries


def fill_newsroom(make_story, make_author, count, photos):
    """`count` stories, each live with an update; the first three with a lead photo.
    `photos` (three library photos) are shared: each costs its renditions, and the
    queries a page makes per photo shown do not depend on which photo it is."""
    authors = [make_author() for _ in range(2)]
    stories = []
    for n in range(count):
        story = make_story(
            authors=authors,
            tags=[f"Tag {n}", "Common"],
            lead_photo=photos[n] if n < 3 else None,
            live_started_at=timezone.now(),
            body=f"<p>One.</p><p>https://vimeo.com/{n + 1}</p>",
        )
        LiveUpdate.objects.create(story=story, body="<p>An update.</p>", photo=photos[n % 3])
        stories.append(story)
    return stories


# (url template, most queries): each the same for 3 stories as for 12.
QUERY_BUDGET = [
    ("/stories?limit=100", 1),
    ("/stories?limit=100&section=nation&tag=common&author={author}", 4),
    ("/stories/{story}", 2),
    ("/stories/{story}/live-updates", 4),
    ("/sections", 1),
    ("/tags", 1),
    ("/authors", 1),
    ("/photos/{photo}", 1),
    ("/fronts/home", 4),
    ("/fronts/nation", 5),
]


@pytest.mark.parametrize("url,budget", QUERY_BUDGET)
def test_queries_are_constant(
    client, make_story, make_author, url, budget, django_assert_max_num_queries
):
    counts = []
    photos = [library_photo() for _ in range(3)]
    for count in (3, 12):
        stories = fill_newsroom(make_story, make_author, count, photos)
        story = stories[-1]
        filled = API + url.format(
            story=story.pk,
            author=story.story_authors.first().author.slug,
            photo=stories[0].lead_photo_id,
        )
        with django_assert_max_num_queries(budget) as captured:
            response = client.get(filled)
        assert response.status_code == 200, response.content
        counts.append(len(captured))
        Story.objects.all().delete()
    assert counts[0] == counts[1]


# ------------------------------------------------------------------ the page cache


def test_an_edit_is_in_the_api_at_once(client, make_story, page_cache):
    story = make_story("First headline")
    urls = [f"{API}/stories", f"{API}/stories/{story.pk}", f"{API}/fronts/home"]
    for url in urls:
        assert "First headline" in client.get(url).content.decode()
        hit = client.get(url)
        assert hit["X-Cache"] == "hit"
    story.headline = "Second headline"
    story.save()
    for url in urls:
        response = client.get(url)
        assert response["X-Cache"] == "miss"
        assert "Second headline" in response.content.decode(), url


def test_renaming_a_section_author_tag_or_photo_purges_what_shows_it(
    client, make_story, make_author, page_cache
):
    author = make_author("Old author", slug="old-author")
    photo = library_photo(caption="Old caption")
    story = make_story(authors=[author], tags=["Old tag"], lead_photo=photo)
    tag = story.tags.get()
    urls = [
        f"{API}/stories",
        f"{API}/stories/{story.pk}",
        f"{API}/sections",
        f"{API}/tags",
        f"{API}/authors",
        f"{API}/photos/{photo.pk}",
        f"{API}/fronts/home",
    ]
    for url in urls:
        client.get(url)
        assert client.get(url)["X-Cache"] == "hit"
    story.section.name = "New section"
    story.section.save()
    author.name = "New author"
    author.save()
    tag.name = "New tag"
    tag.save()
    photo.caption = "New caption"
    photo.save()
    expected = {
        f"{API}/stories": ["New section", "New author", "New tag", "New caption"],
        f"{API}/stories/{story.pk}": ["New section", "New author", "New tag", "New caption"],
        f"{API}/sections": ["New section"],
        f"{API}/tags": ["New tag"],
        f"{API}/authors": ["New author"],
        f"{API}/photos/{photo.pk}": ["New caption"],
        f"{API}/fronts/home": ["New section", "New author", "New caption"],
    }
    for url, words in expected.items():
        text = client.get(url).content.decode()
        assert all(word in text for word in words), (url, words)


def test_etag_304_and_surrogate_keys(client, make_story, page_cache):
    story = make_story()
    first = client.get(f"{API}/stories/{story.pk}")
    keys = first["Surrogate-Key"].split()
    assert f"story:{story.pk}" in keys and f"section:{story.section_id}" in keys
    again = client.get(f"{API}/stories/{story.pk}", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    # Tracking parameters neither miss nor add an entry.
    assert client.get(f"{API}/stories/{story.pk}?utm_source=x")["X-Cache"] == "hit"


def test_an_embargo_lifts_in_the_cached_api_to_the_second(client, make_story, page_cache):
    make_story("Already out")
    lifts = timezone.now() + timedelta(seconds=30)
    story = make_story("Embargoed until noon", published_at=lifts, embargo_until=lifts)
    urls = [f"{API}/stories", f"{API}/stories/{story.pk}", f"{API}/fronts/home"]
    for url in urls:
        assert b"Embargoed until noon" not in client.get(url).content
        assert client.get(url)["X-Cache"] == "hit"
    with at(lifts + timedelta(seconds=1)):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200
            assert b"Embargoed until noon" in response.content, url


def test_staff_get_the_same_answer_never_stored(client, make_story, editor, page_cache):
    story = make_story(status=Story.Status.DRAFT)
    client.force_login(editor)
    response = client.get(f"{API}/stories/{story.pk}")
    assert response.status_code == 404  # no preview through the API
    assert response["Cache-Control"] == "private, no-store"


# ------------------------------------------------------------------ schema and docs


def openapi_document(client):
    return get_json(client, f"{API}/openapi.json")


def response_schema(document, path, method="get", status="200"):
    operation = document["paths"][path][method]
    return operation["responses"][status]["content"]["application/json"]["schema"]


def fill_path(path, content):
    return re.sub(r"{(\w+)}", lambda m: str(content[m.group(1)]), path)


def test_every_operation_answers_as_its_schema_says(client, make_story, make_author):
    author = make_author(slug="kim")
    story = make_story(
        authors=[author],
        tags=["Seoul"],
        lead_photo=library_photo(),
        live_started_at=timezone.now(),
        body=f"<p>Hi.</p><p>[photo {library_photo().pk}]</p><p>https://vimeo.com/5</p>",
    )
    LiveUpdate.objects.create(story=story, body="<p>Update</p>", photo=library_photo())
    document = openapi_document(client)
    assert document["openapi"].startswith("3.")
    assert set(document) >= {"info", "paths", "components"}
    content = {"story_id": story.pk, "slug": "nation", "photo_id": story.lead_photo_id}
    slugs = {"/tags/{slug}": "seoul", "/authors/{slug}": "kim"}
    checked = []
    for path, methods in document["paths"].items():
        assert set(methods) == {"get"}, path  # read-only
        api_path = path.removeprefix(API)
        url = fill_path(path, {**content, "slug": slugs.get(api_path, "nation")})
        data = get_json(client, url)
        # The response's schema, with the components its references point into.
        schema = {**response_schema(document, path), "components": document["components"]}
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.Draft202012Validator(schema).validate(data)
        checked.append(api_path)
    assert set(checked) >= {
        "/stories",
        "/stories/{story_id}",
        "/stories/{story_id}/live-updates",
        "/sections",
        "/sections/{slug}",
        "/tags",
        "/tags/{slug}",
        "/authors",
        "/authors/{slug}",
        "/photos/{photo_id}",
        "/fronts/home",
        "/fronts/{slug}",
    }


def test_the_schema_is_the_apis_own(client, db):
    assert openapi_document(client) == json.loads(json.dumps(api.get_openapi_schema()))


def test_docs_load_nothing_from_a_third_party(client, db):
    response = client.get(reverse("api-v1:openapi-view"))
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.findall(r"(?:src|href)=\"(?:https?:)?//", html)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    # Nothing inline runs (the site's CSP allows 'self' only): external files and a
    # JSON data block.
    for attributes, body in scripts:
        assert "src=" in attributes or 'type="application/json"' in attributes
        assert "src=" not in attributes or not body.strip()
    for name in re.findall(r"/static/(ninja/[\w.-]+)", html):
        assert finders.find(name), name
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert '"validatorUrl": null' in html
    openapi = client.get(reverse("api-v1:openapi-json")).content.decode()
    assert not re.findall(r"https?://(?!news\.example\.com|testserver)", openapi)


def test_the_api_root_leads_to_its_docs(client, db):
    response = client.get("/api/v1/")
    assert response.status_code == 302
    assert response["Location"] == reverse("api-v1:openapi-view")


@pytest.mark.browser
def test_docs_work_in_a_browser_under_the_sites_policy(browser, live_site):
    """Swagger UI on the production-like site: every operation listed, one tried, no
    request leaving the site and nothing refused by the Content-Security-Policy."""
    context = new_context(browser, live_site)
    page = context.new_page()
    requested, refused = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    page.goto("/api/v1/docs")
    operations = page.locator(".opblock-summary-path")
    operations.first.wait_for()
    paths = {text.replace("\u200b", "") for text in operations.all_inner_texts()}
    assert {"/api/v1/stories", "/api/v1/stories/{story_id}", "/api/v1/fronts/home"} <= paths
    page.locator(".opblock-summary", has_text="/api/v1/sections").first.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    page.locator(".responses-wrapper .response-col_status", has_text="200").first.wait_for()
    assert not refused, refused
    assert requested and all(url.startswith(live_site.base_url) for url in requested)
    context.close()


@pytest.mark.server
def test_the_demo_newsroom_answers_through_the_api(live_site):
    """Every demo story, section, author and front on the production-like site (its
    own bodies, Korean text, live coverage), each a JSON 200."""

    def fetch(path):
        response = live_site.get(path)
        assert response.status == 200, (path, response.text[:300])
        assert response.headers["Content-Type"].startswith("application/json")
        return json.loads(response.body)

    stories, path = [], f"{API}/stories?limit=100"
    while path:
        page = fetch(path)
        stories += page["items"]
        path = page["next"] and urlsplit(page["next"])._replace(scheme="", netloc="").geturl()
    assert len(stories) >= 20
    kinds = set()
    for card in stories:
        story = fetch(f"{API}/stories/{card['id']}")
        kinds |= {block["type"] for block in story["blocks"]}
        if story["live"]:
            assert fetch(f"{API}/stories/{card['id']}/live-updates")["items"]
    assert "html" in kinds
    for section in fetch(f"{API}/sections"):
        fetch(f"{API}/sections/{section['slug']}")
        fetch(f"{API}/fronts/{section['slug']}")
    for author in fetch(f"{API}/authors"):
        fetch(f"{API}/authors/{author['slug']}")
    assert fetch(f"{API}/fronts/home")["zones"]
