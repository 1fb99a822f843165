"""Partners' API keys (articles/api/access.py, keys.py, admin.py): made in the admin and
shown once, stored hashed, revoked at once, rate limited; what each key sees.

The read endpoints are another module's; here a small API of this module's own (its
URLconf, `@pytest.mark.urls(__name__)`) lists what `access.visible_stories` gives, in
both ways the read API may wire the keys: django-ninja's `auth=` and `api_view`.
"""

import hashlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.http import JsonResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone
from ninja import NinjaAPI

from articles.api import access, keys
from articles.api.models import ApiKey
from articles.models import Story

# ---------------------------------------------------------------- a small API


test_api = access.install(
    NinjaAPI(urls_namespace="partners-test", auth=access.partner_auth, docs_url=None)
)


def _listed(request):
    stories = access.visible_stories(request).order_by("headline")
    return [
        {
            "headline": story.headline,
            "embargo_until": story.embargo_until.isoformat() if story.embargo_until else None,
        }
        for story in stories
    ]


@test_api.get("/stories")
def ninja_stories(request):
    return _listed(request)


@access.api_view
def plain_stories(request):
    return JsonResponse(_listed(request), safe=False)


urlpatterns = [
    path("api/test/", test_api.urls),
    path("api/plain/", plain_stories),
    path("", include("newsroom.urls")),  # the admin and the public pages
]

API = "/api/test/stories"
PLAIN = "/api/plain/"
pytestmark = pytest.mark.urls(__name__)


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def headlines(response):
    return [item["headline"] for item in response.json()]


@pytest.fixture
def newsroom(make_story):
    """A draft, a scheduled story, an embargoed one (live when its embargo lifts) and a
    published one."""
    now = timezone.now()
    lifts = now + timedelta(hours=3)
    return {
        "draft": make_story("A draft", status=Story.Status.DRAFT),
        "scheduled": make_story("B scheduled", published_at=now + timedelta(hours=2)),
        "embargoed": make_story("C embargoed", published_at=lifts, embargo_until=lifts),
        "published": make_story("D published"),
    }


# ---------------------------------------------------------------- who sees what

# (anonymous, plain key, embargo key, revoked key): the status, and the headlines seen.
SEES = {
    "anonymous": (200, ["D published"]),
    "plain key": (200, ["D published"]),
    "embargo key": (200, ["C embargoed", "D published"]),
    "revoked key": (401, None),
}


@pytest.fixture
def holders(db):
    plain, embargo, revoked = ApiKey(name="Plain"), ApiKey(name="Agency"), ApiKey(name="Gone")
    embargo.scopes = [ApiKey.Scope.EMBARGO]
    tokens = {}
    for name, key in (("plain key", plain), ("embargo key", embargo), ("revoked key", revoked)):
        tokens[name] = key.new_token()
        key.save()
    revoked.revoked_at = timezone.now()
    revoked.save()
    return {"anonymous": {}, **{name: bearer(token) for name, token in tokens.items()}}


@pytest.mark.parametrize("address", [API, PLAIN], ids=["ninja", "plain view"])
@pytest.mark.parametrize("holder", SEES)
def test_each_holder_sees_what_the_matrix_says(client, newsroom, holders, holder, address):
    status, seen = SEES[holder]

    response = client.get(address, **holders[holder])

    assert response.status_code == status
    if seen is None:
        assert response.json() == {"detail": "Unknown or revoked API key."}
        assert not any(story.headline in response.content.decode() for story in newsroom.values())
    else:
        assert headlines(response) == seen


def test_the_embargo_key_is_told_the_embargo(client, newsroom, holders):
    items = client.get(API, **holders["embargo key"]).json()

    embargoed = next(item for item in items if item["headline"] == "C embargoed")
    assert embargoed["embargo_until"] == newsroom["embargoed"].embargo_until.isoformat()


def test_an_embargo_key_never_sees_drafts_or_merely_scheduled_stories(client, holders, make_story):
    later = timezone.now() + timedelta(hours=5)
    # Published later than its embargo: held by its schedule too, not only the embargo.
    make_story("Scheduled past its embargo", published_at=later, embargo_until=later - timedelta(1))
    make_story("Embargoed draft", status=Story.Status.DRAFT, embargo_until=later)

    assert headlines(client.get(API, **holders["embargo key"])) == []


def test_the_key_also_comes_as_x_api_key(client, newsroom, db):
    key = ApiKey(name="Agency", scopes=[ApiKey.Scope.EMBARGO])
    token = key.new_token()
    key.save()

    response = client.get(API, HTTP_X_API_KEY=token)

    assert headlines(response) == ["C embargoed", "D published"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nrk_deadbeef_not-a-real-secret",
        "Bearer nonsense",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
    ],
)
def test_an_unknown_key_is_refused_with_401_json(client, newsroom, header):
    response = client.get(API, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json() == {"detail": "Unknown or revoked API key."}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_right_prefix_with_a_wrong_secret_is_refused(client, newsroom, holders, db):
    key = ApiKey.objects.get(name="Plain")
    forged = f"nrk_{key.prefix}_{'x' * 43}"

    assert client.get(API, **bearer(forged)).status_code == 401


def test_a_key_revoked_in_the_admin_stops_working_at_once(client, news_editor_client, newsroom, db):
    key = ApiKey(name="Partner")
    token = key.new_token()
    key.save()
    assert client.get(API, **bearer(token)).status_code == 200

    news_editor_client.post(
        reverse("admin:api_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )

    assert client.get(API, **bearer(token)).status_code == 401


# ---------------------------------------------------------------- rate limit, last use


def test_over_the_rate_limit_is_429_with_retry_after(client, newsroom, db):
    key = ApiKey(name="Busy", rate_limit=2)
    token = key.new_token()
    key.save()

    answers = [client.get(API, **bearer(token)) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert 1 <= int(answers[2]["Retry-After"]) <= 60
    assert answers[2].json()["detail"] == "Rate limit of 2 requests a minute."
    # Other keys, and readers, have their own allowance.
    assert client.get(API).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(client, newsroom, db):
    key = ApiKey(name="Partner")
    token = key.new_token()
    key.save()

    client.get(API, **bearer(token))
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    with CaptureQueriesContext(connection) as queries:
        client.get(API, **bearer(token))

    assert first is not None
    assert not [q for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first


def test_a_keyed_request_costs_a_constant_number_of_queries(
    client, newsroom, holders, django_assert_max_num_queries
):
    client.get(API, **holders["embargo key"])  # last_used_at written
    with django_assert_max_num_queries(2):  # the key, the stories
        client.get(API, **holders["embargo key"])


# ---------------------------------------------------------------- the admin


ADD = "admin:api_apikey_add"


def test_the_admin_shows_a_new_key_once_and_stores_only_its_hash(news_editor_client, newsroom):
    response = news_editor_client.post(
        reverse(ADD),
        {"name": "Yonhap", "scopes": [ApiKey.Scope.EMBARGO], "rate_limit": 60},
        follow=True,
    )

    message = next(str(m) for m in response.context["messages"])
    token = re.search(r"<code>(nrk_[^<]+)</code>", message).group(1)
    key = ApiKey.objects.get()
    assert key.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ApiKey.objects.values().get())
    assert key.created_by.username == "desk"
    # Never shown again: not in the list, not on the key's page.
    for url in (
        reverse("admin:api_apikey_changelist"),
        reverse("admin:api_apikey_change", args=[key.pk]),
    ):
        page = news_editor_client.get(url).content.decode()
        assert token not in page
        assert key.prefix in page
    # And it works.
    assert headlines(Client().get(API, **bearer(token))) == ["C embargoed", "D published"]


def test_a_reporter_cannot_make_or_see_keys(reporter_client, db):
    response = reporter_client.post(reverse(ADD), {"name": "Mine", "rate_limit": 60})

    assert response.status_code == 403
    assert not ApiKey.objects.exists()
    assert reporter_client.get(reverse("admin:api_apikey_changelist")).status_code == 403


# ---------------------------------------------------------------- the page cache


def test_a_keyed_request_is_never_answered_from_nor_stored_in_the_page_cache(make_story, holders):
    make_story("D published")
    reader = Client()
    reader.get("/")
    cached = reader.get("/")
    assert cached["X-Cache"] == "hit"

    for holder in ("revoked key", "embargo key"):
        keyed = Client().get("/", **holders[holder])
        assert keyed.get("X-Cache") != "hit", holder
        assert keyed["Cache-Control"] == "private, no-store", holder
    assert "Authorization" in cached["Vary"]


def test_a_keyed_first_request_leaves_nothing_for_readers(make_story, holders):
    make_story("D published")

    Client().get("/", **holders["embargo key"])
    first_reader = Client().get("/")

    assert first_reader.get("X-Cache") != "hit"


def test_keys_module_makes_and_checks_tokens(db):
    key, token = keys.create("Partner", scopes=[ApiKey.Scope.EMBARGO], rate_limit=10)

    assert keys.find(token) == key
    assert keys.find(token + "x") is None
    keys.revoke(key)
    assert keys.find(token) is None


def test_the_schema_of_an_api_using_partner_auth_still_builds(client, db):
    response = client.get("/api/test/openapi.json")

    assert response.status_code == 200
    assert "/api/test/stories" in response.json()["paths"]


def test_the_middleware_refuses_a_revoked_key_on_every_api_address(client, holders, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "articles.api.access.ApiKeyMiddleware"]

    schema = client.get("/api/test/openapi.json", **holders["revoked key"])
    allowed = client.get("/api/test/openapi.json", **holders["plain key"])
    reader = client.get("/api/test/openapi.json")

    assert schema.status_code == 401
    assert (allowed.status_code, allowed["Cache-Control"]) == (200, "private, no-store")
    assert reader.status_code == 200
