"""Live coverage: a story that updates while readers watch (articles/live/)."""

import json
import re
from datetime import timedelta

import pytest
import reversion
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from articles import history
from articles.live.history import record_live_change
from articles.live.models import LiveUpdate
from articles.models import Photo, Story
from tests.background_tasks import run_worker
from tests.tiers import SERVER, starts


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": True, "SECONDS": 300}
    return settings.PAGE_CACHE


@pytest.fixture
def make_live_story(make_story):
    def make(headline="Typhoon makes landfall", **kwargs):
        kwargs.setdefault("live_started_at", timezone.now() - timedelta(hours=1))
        return make_story(headline, **kwargs)

    return make


def post_updates(story, count, *, start=None, **fields):
    """`count` updates a minute apart, oldest first, in one INSERT."""
    start = start or timezone.now() - timedelta(minutes=count + 1)
    return LiveUpdate.objects.bulk_create(
        LiveUpdate(
            story=story,
            posted_at=start + timedelta(minutes=n),
            body=f"<p>Update number {n}.</p>",
            **fields,
        )
        for n in range(count)
    )


def live_url(story):
    return reverse("admin:articles_story_live", args=[story.pk])


# ------------------------------------------------------------------------ the model


def test_a_story_is_live_from_its_start_until_its_end(make_story):
    story = make_story()
    assert not story.is_live_coverage and not story.is_live
    story.live_started_at = timezone.now()
    assert story.is_live_coverage and story.is_live
    story.live_ended_at = timezone.now()
    assert story.is_live_coverage and not story.is_live


def test_coverage_cannot_end_before_it_starts(make_story):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_story(live_started_at=now, live_ended_at=now - timedelta(minutes=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        make_story(live_ended_at=now)


def test_an_update_body_is_sanitised_like_a_story_body(make_live_story):
    story = make_live_story()
    update = LiveUpdate.objects.create(
        story=story, body='<p onclick="x()">Hi <script>alert(1)</script><b>there</b></p>'
    )
    assert update.body == "<p>Hi <b>there</b></p>"


def test_an_update_photo_is_a_library_photo_shown_once_its_renditions_exist(
    client, news_editor_client, make_live_story, photo_upload, page_cache
):
    story = make_live_story()
    response = _post(news_editor_client, story, photo=photo_upload(), photo_alt="A flooded street")
    assert response.status_code == 302
    update = LiveUpdate.objects.select_related("photo").get(story=story)
    photo = update.photo
    assert photo.alt == "A flooded street" and photo.sha256
    assert photo.is_processing  # made by the worker, not by the post
    page = client.get(story.get_absolute_url()).content.decode()
    assert "live-update__photo" not in page  # no broken photo meanwhile
    poll = client.get(poll_url(story))
    assert "live-update__photo" not in poll.content.decode()
    run_worker()
    photo.refresh_from_db()
    assert not photo.is_processing
    page = client.get(story.get_absolute_url()).content.decode()
    assert 'class="live-update__photo"' in page and 'alt="A flooded street"' in page
    html = client.get(poll_url(story)).json()["updates"][0]["html"]
    assert 'class="live-update__photo"' in html


# ------------------------------------------------------------------------ the admin


def _post(client, story, text="Winds reach 200 km/h.", **fields):
    data = {"body": text, "headline": "", "photo_alt": "", "from": "live", **fields}
    return client.post(live_url(story), data)


def test_reporter_posts_to_their_own_live_story(reporter, reporter_client, make_live_story):
    story = make_live_story(created_by=reporter)
    version = story.version
    response = _post(reporter_client, story)
    assert response.status_code == 302, response.content[:500]
    update = LiveUpdate.objects.get(story=story)
    assert update.body == "<p>Winds reach 200 km/h.</p>"
    assert update.created_by == reporter
    story.refresh_from_db()
    assert story.version == version  # the story's optimistic lock is not touched


def test_reporter_cannot_post_to_someone_elses_live_story(reporter_client, make_live_story):
    story = make_live_story()  # nobody's: the editor's desk
    response = _post(reporter_client, story)
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert not LiveUpdate.objects.exists()


def test_editor_posts_to_every_live_story(news_editor_client, make_live_story):
    story = make_live_story()
    assert _post(news_editor_client, story, pinned="on").status_code == 302
    assert LiveUpdate.objects.get(story=story).pinned


def test_no_updates_on_a_story_that_is_not_live(news_editor_client, make_story):
    story = make_story()
    assert _post(news_editor_client, story).status_code == 403
    assert not LiveUpdate.objects.exists()


def test_an_empty_update_is_refused_with_a_message(news_editor_client, make_live_story):
    response = _post(news_editor_client, make_live_story(), text="  ")
    assert response.status_code == 200
    assert b"Write the update" in response.content
    assert not LiveUpdate.objects.exists()


def test_a_photo_needs_alt_text(news_editor_client, make_live_story, photo_upload):
    story = make_live_story()
    response = _post(news_editor_client, story, photo=photo_upload())
    assert b"Describe the photo" in response.content
    assert not LiveUpdate.objects.exists()
    response = _post(news_editor_client, story, photo=photo_upload(), photo_alt="Waves")
    assert response.status_code == 302
    assert LiveUpdate.objects.get().photo.alt == "Waves"


def test_editing_an_update_adds_replaces_and_clears_its_photo(
    news_editor_client, make_live_story, photo_upload
):
    story = make_live_story()
    update = post_updates(story, 1)[0]
    edit = reverse("admin:articles_story_live_edit", args=[story.pk, update.pk])
    data = {"body": "Waves.", "headline": "", "photo_alt": "Waves"}
    assert news_editor_client.post(edit, {**data, "photo": photo_upload()}).status_code == 302
    first = LiveUpdate.objects.get(pk=update.pk).photo
    assert first is not None and first.alt == "Waves"
    assert first.original.name in news_editor_client.get(edit).content.decode()  # shown
    assert news_editor_client.post(edit, {**data, "photo": photo_upload()}).status_code == 302
    second = LiveUpdate.objects.get(pk=update.pk).photo
    assert second.pk != first.pk
    assert news_editor_client.post(edit, {**data, "photo-clear": "on"}).status_code == 302
    assert LiveUpdate.objects.get(pk=update.pk).photo is None
    # Both stay in the library, like a story's former lead photos.
    assert {first.pk, second.pk} <= set(Photo.objects.values_list("pk", flat=True))


def test_a_non_image_photo_is_refused(news_editor_client, make_live_story):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"<svg></svg>", content_type="image/jpeg")
    response = _post(news_editor_client, make_live_story(), photo=fake, photo_alt="x")
    assert b"not a photo" in response.content
    assert not LiveUpdate.objects.exists()


def test_the_change_page_has_the_live_form_above_the_story_form(
    news_editor_client, make_live_story
):
    story = make_live_story()
    post_updates(story, 3)
    page = news_editor_client.get(reverse("admin:articles_story_change", args=[story.pk]))
    html = page.content.decode()
    live_form = html.index(f'action="{live_url(story)}"')
    story_form = html.index('id="story_form"')
    assert live_form < story_form
    # Not nested: the live form is closed before the story form opens.
    assert html.index("</form>", live_form) < story_form
    assert html.index("Update number 2") < html.index("Update number 0")


def test_two_posts_at_once_both_land(news_editor, reporter, login, make_live_story):
    story = make_live_story(created_by=reporter)
    desk, field = login(news_editor), login(reporter)
    assert _post(desk, story, text="From the desk").status_code == 302
    assert _post(field, story, text="From the field").status_code == 302
    assert LiveUpdate.objects.filter(story=story).count() == 2


def test_editing_and_deleting_an_update_are_in_the_story_history(
    news_editor, news_editor_client, make_live_story
):
    story = make_live_story()
    update = post_updates(story, 1)[0]
    edit = reverse("admin:articles_story_live_edit", args=[story.pk, update.pk])
    response = news_editor_client.post(
        edit, {"body": "Corrected figure: 180 km/h.", "headline": "Correction"}
    )
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.body == "<p>Corrected figure: 180 km/h.</p>"
    delete = reverse("admin:articles_story_live_delete", args=[story.pk, update.pk])
    assert news_editor_client.post(delete).status_code == 302
    assert not LiveUpdate.objects.filter(pk=update.pk).exists()
    comments = [v.revision.comment for v in Version.objects.get_for_object(story).order_by("pk")]
    assert comments[-2].startswith(f"Edited live update #{update.pk}")
    assert comments[-1].startswith(f"Deleted live update #{update.pk}")
    assert all(v.revision.user == news_editor for v in Version.objects.get_for_object(story)[:2])
    page = news_editor_client.get(reverse("admin:articles_story_history", args=[story.pk]))
    assert b"Deleted live update" in page.content


def test_restoring_an_old_version_keeps_updates_posted_since(make_live_story, editor):
    story = make_live_story(dek="First dek.")
    with reversion.create_revision():
        reversion.add_to_revision(story)
    old = Version.objects.get_for_object(story).first()
    story.dek = "Second dek."
    story.save()
    later = post_updates(story, 2)
    record_live_change(later[0], user=editor, comment="Edited")
    with transaction.atomic():
        history.restore(old)
    story.refresh_from_db()
    assert story.dek == "First dek."
    assert story.is_live  # the coverage's timeline is not a version's text
    assert LiveUpdate.objects.filter(story=story).count() == 2


def test_story_form_refuses_a_live_time_in_the_future(news_editor_client, make_story):
    from articles.forms import StoryAdminForm

    story = make_story()
    form = StoryAdminForm(instance=story)
    data = {**form.initial, "tags": "", "loaded_version": story.version}
    data["live_started_at"] = timezone.now() + timedelta(hours=2)
    bound = StoryAdminForm(data, instance=story)
    assert not bound.is_valid()
    assert "live_started_at" in bound.errors


# --------------------------------------------------------------------- the reader


def test_the_live_page(client, make_live_story):
    story = make_live_story(dek="A strong typhoon hit the south coast.")
    updates = post_updates(story, 3)
    LiveUpdate.objects.filter(pk=updates[0].pk).update(pinned=True, headline="Landfall")
    page = client.get(story.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="live-label">Live<' in html
    assert "Last updated" in html
    assert "Key events" in html and "Landfall" in html
    positions = [html.index(f'id="update-{u.pk}"') for u in reversed(updates)]
    assert positions == sorted(positions)  # newest first
    assert f'href="/stories/{story.slug}/updates/{updates[1].pk}/"' in html
    assert 'data-live-poll="' in html
    assert '<script src="/static/js/live.js" defer></script>' in html


def test_ended_coverage_is_an_archive_that_does_not_poll(client, make_live_story):
    story = make_live_story(live_ended_at=timezone.now())
    post_updates(story, 2)
    html = client.get(story.get_absolute_url()).content.decode()
    assert "Update number 1" in html
    assert "live-label" not in html
    assert "data-live-poll" not in html and "live.js" not in html


def test_older_updates_are_a_keyset_page_away(client, make_live_story, settings):
    settings.NEWSROOM = {**settings.NEWSROOM, "LIVE_UPDATES_PER_PAGE": 5}
    story = make_live_story()
    updates = post_updates(story, 12)  # oldest first
    first = client.get(story.get_absolute_url()).content.decode()
    assert "Update number 11" in first and "Update number 6." not in first
    older = re.search(r'href="([^"]+\?before=\d+)#live-heading">Show older updates', first)
    second = client.get(older.group(1)).content.decode()
    assert "Update number 6." in second and "Update number 2." in second
    assert "Update number 7." not in second and "Update number 1." not in second
    # The permalink of an old update opens the page that holds it, at the update.
    response = client.get(updates[0].get_absolute_url())
    assert response.status_code == 302
    path, fragment = response["Location"].split("#")
    assert fragment == f"update-{updates[0].pk}"
    assert f'id="update-{updates[0].pk}"' in client.get(path).content.decode()
    assert client.get(f"{story.get_absolute_url()}?before=nonsense").status_code == 404


def test_two_thousand_updates_load_like_twenty(
    client, make_live_story, django_assert_max_num_queries
):
    small, large = make_live_story("Small"), make_live_story("Large")
    post_updates(small, 20)
    post_updates(large, 2000, pinned=False)
    with django_assert_max_num_queries(12) as small_queries:
        assert client.get(small.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(len(small_queries)) as large_queries:
        page = client.get(large.get_absolute_url())
    assert page.status_code == 200
    assert page.content.decode().count('<article class="live-update') == 20
    last = LiveUpdate.objects.filter(story=large).order_by("posted_at", "pk")[25]
    # Below the first page: the cursor's place, and the newest update's time.
    with django_assert_max_num_queries(len(large_queries) + 2):
        assert client.get(f"{large.get_absolute_url()}?before={last.pk}").status_code == 200


def test_live_blog_json_ld(client, make_live_story):
    story = make_live_story(live_ended_at=timezone.now())
    updates = post_updates(story, 2)
    html = client.get(story.get_absolute_url()).content.decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = [json.loads(block) for block in blocks]
    items = [item for block in data for item in (block if isinstance(block, list) else [block])]
    blog = next(item for item in items if item.get("@type") == "LiveBlogPosting")
    assert blog["coverageStartTime"] and blog["coverageEndTime"]
    assert [u["url"].rsplit("#", 1)[1] for u in blog["liveBlogUpdate"]] == [
        f"update-{updates[1].pk}",
        f"update-{updates[0].pk}",
    ]
    assert blog["liveBlogUpdate"][0]["headline"] == "Update number 1."
    assert blog["liveBlogUpdate"][0]["datePublished"]


def test_paragraphs_without_whitespace_stay_separate_words(
    client, news_editor_client, make_live_story
):
    story = make_live_story()
    update = LiveUpdate.objects.create(
        story=story,
        body="<p>Alpha</p><p>Beta<br>Gamma</p><ul><li>Delta</li><li>Echo</li></ul>",
        pinned=True,
    )
    words = "Alpha Beta Gamma Delta Echo"
    html = client.get(story.get_absolute_url()).content.decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    items = [i for b in map(json.loads, blocks) for i in (b if isinstance(b, list) else [b])]
    blog = next(item for item in items if item.get("@type") == "LiveBlogPosting")
    assert blog["liveBlogUpdate"][0]["articleBody"] == words
    assert blog["liveBlogUpdate"][0]["headline"] == words
    # The summary's key event and the admin's row name it with the same words.
    summary = html[html.index('id="live-key-events"') : html.index('id="live-heading"')]
    assert words in summary
    assert str(update) == words
    admin = news_editor_client.get(live_url(story)).content.decode()
    assert words in admin


def test_feeds_show_a_live_storys_latest_update(client, make_live_story):
    story = make_live_story(published_at=timezone.now() - timedelta(days=2))
    Story.objects.filter(pk=story.pk).update(updated_at=timezone.now() - timedelta(days=2))
    LiveUpdate.objects.create(story=story, body="<p>Now.</p>", posted_at=timezone.now())
    feed = json.loads(client.get("/feed.json").content)
    item = next(i for i in feed["items"] if i["url"].endswith(story.get_absolute_url()))
    modified = timezone.datetime.fromisoformat(item["date_modified"])
    assert timezone.now() - modified < timedelta(minutes=1)


# --------------------------------------------------------------------- the poll


def poll_url(story, after=0):
    return f"{reverse('articles:live_updates', args=[story.slug])}?after={after}"


def test_the_poll_answers_the_updates_after_the_newest_shown(client, make_live_story):
    story = make_live_story()
    updates = post_updates(story, 3)
    answer = client.get(poll_url(story, updates[0].pk)).json()
    assert answer["live"] is True
    assert answer["latest"] == updates[2].pk
    assert [u["id"] for u in answer["updates"]] == [updates[2].pk, updates[1].pk]
    assert f'id="update-{updates[2].pk}"' in answer["updates"][0]["html"]
    nothing = client.get(poll_url(story, updates[2].pk)).json()
    assert nothing["updates"] == [] and nothing["latest"] == updates[2].pk
    assert client.get(f"{poll_url(story)[:-1]}x").status_code == 404


def test_an_unchanged_poll_is_a_304_with_no_sql(
    client, make_live_story, page_cache, django_assert_num_queries
):
    story = make_live_story()
    updates = post_updates(story, 2)
    url = poll_url(story, updates[-1].pk)
    first = client.get(url)
    assert first["X-Cache"] == "miss"
    assert "live:" in first["Surrogate-Key"]
    etag = first["ETag"]
    with django_assert_num_queries(0):
        again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # A new update changes the answer at once (its tags are purged).
    LiveUpdate.objects.create(story=story, body="<p>Breaking.</p>")
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Breaking." in changed.json()["updates"][0]["html"]


def test_the_poll_carries_edits_and_deletions_since_the_readers_state(
    client, news_editor_client, make_live_story, page_cache, django_assert_max_num_queries
):
    story = make_live_story()
    updates = post_updates(story, 3)
    page = client.get(story.get_absolute_url()).content.decode()
    since = re.search(r'data-live-since="(\d+)"', page).group(1)
    after = updates[-1].pk
    url = f"{poll_url(story, after)}&since={since}"
    first = client.get(url)
    assert first.json()["removed"] == []
    # (The last changes before the reader's state are sent again, unchanged: a change
    # committed just after a poll read the state is never missed. The page skips them.)
    assert str(first.json()["since"]) == since
    # Unchanged: still a 304 from the page cache, with no SQL.
    with django_assert_max_num_queries(0):
        assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    # An editor corrects one update and deletes another.
    edit = reverse("admin:articles_story_live_edit", args=[story.pk, updates[1].pk])
    assert news_editor_client.post(edit, {"body": "Corrected: 180 km/h."}).status_code == 302
    delete = reverse("admin:articles_story_live_delete", args=[story.pk, updates[0].pk])
    assert news_editor_client.post(delete).status_code == 302
    answer = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert answer.status_code == 200
    data = answer.json()
    changed = {item["id"]: item["html"] for item in data["changed"]}
    assert "Corrected: 180 km/h." in changed[updates[1].pk]
    assert updates[0].pk not in changed
    assert data["removed"] == [updates[0].pk]
    assert data["updates"] == []  # nothing new
    assert int(data["since"]) > int(since)
    # A fresh page is at the new state; asking from there is as cheap as before.
    fresh = client.get(story.get_absolute_url()).content.decode()
    assert re.search(r'data-live-since="(\d+)"', fresh).group(1) == str(data["since"])
    with django_assert_max_num_queries(6):
        client.get(f"{poll_url(story, after)}&since={data['since']}")


def _shared_lifetime(response):
    directives = dict(
        part.strip().partition("=")[::2] for part in response["Cache-Control"].split(",")
    )
    return int(directives["s-maxage"]) + int(directives.get("stale-while-revalidate", 0))


def test_a_shared_cache_keeps_the_poll_at_most_one_interval(
    client, make_live_story, page_cache, settings
):
    settings.PAGE_CACHE = {**page_cache, "S_MAXAGE": 60, "STALE_WHILE_REVALIDATE": 30}
    settings.NEWSROOM = {**settings.NEWSROOM, "LIVE_POLL_SECONDS": 15}
    story = make_live_story()
    url = poll_url(story)
    miss = client.get(url)
    hit = client.get(url)
    revalidated = client.get(url, headers={"If-None-Match": miss["ETag"]})
    assert (miss["X-Cache"], hit["X-Cache"], revalidated.status_code) == ("miss", "hit", 304)
    for response in (miss, hit, revalidated):
        assert 0 < _shared_lifetime(response) <= 15, response["Cache-Control"]
    # The story's page is not the poll: it keeps the site's lifetimes.
    assert _shared_lifetime(client.get(story.get_absolute_url())) == 90


def test_with_a_purge_hook_the_poll_keeps_the_sites_lifetimes(
    client, make_live_story, page_cache, settings
):
    settings.PAGE_CACHE = {
        **page_cache,
        "S_MAXAGE": 60,
        "STALE_WHILE_REVALIDATE": 30,
        "PURGE_HOOK": "tests.test_cache_tags.record_purge",
    }
    story = make_live_story()
    assert _shared_lifetime(client.get(poll_url(story))) == 90
    assert _shared_lifetime(client.get(poll_url(story))) == 90  # the hit too


def test_the_poll_says_when_coverage_ends(client, make_live_story, page_cache):
    story = make_live_story()
    assert client.get(poll_url(story)).json()["live"] is True
    story.live_ended_at = timezone.now()
    story.save()
    assert client.get(poll_url(story)).json()["live"] is False


def test_drafts_are_never_served(client, make_live_story, page_cache):
    for story in (
        make_live_story("Draft coverage", status="draft"),
        make_live_story("Later coverage", published_at=timezone.now() + timedelta(hours=3)),
    ):
        update = post_updates(story, 1)[0]
        assert client.get(poll_url(story)).status_code == 404
        assert client.get(update.get_absolute_url()).status_code == 404
        assert client.get(story.get_absolute_url()).status_code == 404
        for feed in ("/feed.json", "/feeds/rss/", "/feeds/atom/"):
            assert story.headline.encode() not in client.get(feed).content
            assert b"Update number" not in client.get(feed).content


def test_a_staff_preview_of_a_draft_shows_updates_but_never_polls(
    news_editor_client, make_live_story
):
    story = make_live_story(status="draft")
    post_updates(story, 1)
    html = news_editor_client.get(story.get_absolute_url()).content.decode()
    assert "Update number 0" in html
    assert "data-live-poll" not in html
    assert "LiveBlogPosting" not in html  # no JSON-LD on previews


def test_the_live_update_form_rejects_bad_input_without_500(news_editor_client, make_live_story):
    story = make_live_story()
    response = news_editor_client.post(live_url(story), {"body": "x", "authors": ["nope"]})
    assert response.status_code == 200
    assert not LiveUpdate.objects.exists()


# ------------------------------------------------------------ two hosts, one poll


@pytest.fixture(scope="module")
@starts(SERVER)
def static_root(tmp_path_factory):
    from tests.servers import collect_static

    return collect_static(tmp_path_factory.mktemp("live-static"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_update_posted_on_one_host_is_in_the_next_poll_on_another(
    static_root, make_live_story, news_editor
):
    """Two gunicorn hosts sharing PostgreSQL and Redis: the reader polls host B, the
    reporter posts on host A; B's next poll (a cached 304 until then) has the update."""
    import os
    import urllib.parse

    from django.conf import settings

    from tests.conftest import require
    from tests.servers import Gunicorn, request, shared_database_url

    require("postgresql" in settings.DATABASES["default"]["ENGINE"], "DATABASE_URL: PostgreSQL")
    require(os.environ.get("REDIS_URL"), "REDIS_URL: a Redis server shared by the hosts")
    news_editor.set_password("correct horse battery staple")
    news_editor.save()
    story = make_live_story()
    first = post_updates(story, 1)[0]
    env = {"REDIS_URL": os.environ["REDIS_URL"]}
    url = shared_database_url()
    with (
        Gunicorn(database_url=url, static_root=static_root, workers=1, **env) as a,
        Gunicorn(database_url=url, static_root=static_root, workers=1, **env) as b,
    ):
        poll = f"/stories/{story.slug}/updates/?after={first.pk}"
        status, headers, body = b.get(poll)
        assert status == 200 and json.loads(body)["updates"] == []
        etag = headers["ETag"]
        status, _, _ = b.get(poll, headers={"If-None-Match": etag})
        assert status == 304

        from tests.test_gunicorn import _admin_opener

        opener = _admin_opener(a, news_editor.username, "correct horse battery staple")
        live_desk = a.url + reverse("admin:articles_story_live", args=[story.pk])
        _, _, page = request(live_desk, opener=opener)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"body": "Posted on host A.", "csrfmiddlewaretoken": token.decode()}
        ).encode()
        status, _, page = request(live_desk, data=data, opener=opener)
        assert status == 200 and b"Update posted" in page

        status, _, body = b.get(poll, headers={"If-None-Match": etag})
        assert status == 200
        [update] = json.loads(body)["updates"]
        assert "Posted on host A." in update["html"]


def test_odd_update_addresses_are_not_found(client, make_live_story):
    story = make_live_story()
    for path in (
        f"/stories/{story.slug}/updates/99999999999999999999999/",
        f"/stories/{story.slug}/updates/?after=99999999999999999999999",
        f"/stories/{story.slug}/?before=99999999999999999999999",
        f"/stories/{story.slug}/?before=12345",
        "/stories/no-such-story/updates/",
    ):
        assert client.get(path).status_code == 404, path


# ------------------------------------------------ migrating update photos (0024)


def test_migration_makes_each_update_photo_a_library_photo_with_the_same_files(at_migration):
    from django.core import serializers
    from django.core.files.base import ContentFile

    from articles import images
    from tests.test_photo_library import scene

    # An update's own photo, as before: its original and renditions, made then.
    name = images.originals_storage.save("live/2026/11/harbour.jpg", ContentFile(scene(7)))
    made = images.make_renditions(name)
    apps = at_migration([("articles", "0023_photos_uploads")])
    section = apps.get_model("articles", "Section").objects.create(name="Nation", slug="nation")
    story = apps.get_model("articles", "Story").objects.create(
        headline="Typhoon",
        slug="typhoon",
        section=section,
        status="published",
        published_at=timezone.now(),
        live_started_at=timezone.now(),
    )
    OldUpdate = apps.get_model("articles", "LiveUpdate")
    fields = {"photo": name, "photo_renditions": made, "photo_alt": "Waves over the wall"}
    first = OldUpdate.objects.create(story=story, body="<p>One.</p>", **fields)
    second = OldUpdate.objects.create(story=story, body="<p>Two.</p>", **fields)  # a copy
    plain = OldUpdate.objects.create(story=story, body="<p>Words only.</p>")
    # The story's history holds the update as it was (its photo named by file).
    content_type = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="articles", model="liveupdate"
    )[0]
    revision = apps.get_model("reversion", "Revision").objects.create(date_created=timezone.now())
    apps.get_model("reversion", "Version").objects.create(
        revision=revision,
        object_id=str(first.pk),
        content_type=content_type,
        db="default",
        format="json",
        serialized_data=serializers.serialize("json", [first]),
        object_repr="One.",
    )

    at_migration()  # to the latest: today's models read it
    update = LiveUpdate.objects.select_related("photo").get(pk=first.pk)
    photo = update.photo
    assert photo.original.name == name  # the same file, not a copy
    assert photo.renditions == made  # the same renditions and URLs
    assert (photo.alt, photo.width, photo.height) == ("Waves over the wall", 1200, 800)
    assert photo.sha256 and photo.dhash is not None
    assert update.picture.src.rsplit("/", 2)[1] in made["files"][0]  # the same URLs
    assert LiveUpdate.objects.get(pk=second.pk).photo_id == photo.pk  # one Photo
    assert LiveUpdate.objects.get(pk=plain.pk).photo_id is None
    version = Version.objects.get(object_id=str(first.pk), content_type=content_type.pk)
    assert version._object_version.object.photo_id == photo.pk

    # And back: lossless.
    apps = at_migration([("articles", "0023_photos_uploads")])
    old = apps.get_model("articles", "LiveUpdate").objects.get(pk=second.pk)
    assert old.photo.name == name and old.photo_renditions == made
    assert old.photo_alt == "Waves over the wall"
    assert not apps.get_model("articles", "LiveUpdate").objects.get(pk=plain.pk).photo
    recorded = json.loads(Version.objects.get(pk=version.pk).serialized_data)[0]["fields"]
    assert recorded["photo"] == name and recorded["photo_renditions"] == made
