"""The public rule: published and not in the future, decided by one queryset method."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles.models import Story
from articles.wire import ingest
from articles.wire.models import WireSource
from tests.conftest import at


def test_embargoed_story_is_not_public_until_its_embargo(make_story):
    lifts = timezone.now() + timedelta(minutes=5)
    story = make_story(published_at=lifts, embargo_until=lifts)
    assert not Story.objects.published().exists()
    with mock.patch("django.utils.timezone.now", return_value=lifts):
        assert list(Story.objects.published()) == [story]


def test_published_story_in_the_past_is_public(make_story):
    story = make_story()
    assert list(Story.objects.published()) == [story]


def test_draft_is_not_public(make_story):
    make_story(status=Story.Status.DRAFT)
    assert not Story.objects.published().exists()


def test_scheduled_story_is_not_public_until_its_time(make_story):
    story = make_story(published_at=timezone.now() + timedelta(minutes=5))
    assert not Story.objects.published().exists()
    Story.objects.filter(pk=story.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    assert list(Story.objects.published()) == [story]


def test_database_refuses_published_story_without_publication_time(make_story):
    story = make_story(status=Story.Status.DRAFT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Story.objects.filter(pk=story.pk).update(status=Story.Status.PUBLISHED)


def test_publishing_without_a_time_stamps_now(make_story):
    story = make_story(status=Story.Status.DRAFT)
    story.status = Story.Status.PUBLISHED
    story.save()
    assert story.published_at is not None
    assert story.published_at <= timezone.now()


# An embargoed story: published by the admin "when the embargo lifts".
EMBARGOED = "embargoed"


def embargo_kwargs():
    lifts = timezone.now() + timedelta(days=1)
    return {"published_at": lifts, "embargo_until": lifts}


@pytest.mark.parametrize("status", [Story.Status.DRAFT, "scheduled", EMBARGOED])
def test_hidden_story_is_404_on_its_page(client, make_story, status):
    if status == "scheduled":
        story = make_story(published_at=timezone.now() + timedelta(days=1))
    elif status == EMBARGOED:
        story = make_story(**embargo_kwargs())
    else:
        story = make_story(status=status)
    assert client.get(story.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("status", [Story.Status.DRAFT, "scheduled", EMBARGOED])
def test_hidden_story_is_absent_from_every_list(client, make_story, make_author, status):
    author = make_author()
    visible = make_story("Visible headline", authors=[author], tags=["Shared"])
    if status == EMBARGOED:
        hidden = make_story(
            "Secret headline", authors=[author], tags=["Shared"], **embargo_kwargs()
        )
    elif status == "scheduled":
        hidden = make_story(
            "Secret headline",
            authors=[author],
            tags=["Shared"],
            published_at=timezone.now() + timedelta(days=1),
        )
    else:
        hidden = make_story("Secret headline", authors=[author], tags=["Shared"], status=status)
    pages = [
        "/",
        "/stories/",
        visible.section.get_absolute_url(),
        author.get_absolute_url(),
        "/tags/shared/",
        visible.get_absolute_url(),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert hidden.headline not in response.content.decode(), url


def test_tag_used_only_by_drafts_is_404(client, make_story):
    make_story(tags=["Embargoed"], status=Story.Status.DRAFT)
    assert client.get("/tags/embargoed/").status_code == 404


def test_related_headline_to_draft_shows_its_own_text_not_the_draft(client, make_story):
    draft = make_story("Unpublished scoop", status=Story.Status.DRAFT)
    story = make_story(related=[("Wire headline text", "", draft)])
    html = client.get(story.get_absolute_url()).content.decode()
    assert "Wire headline text" in html
    assert "Unpublished scoop" not in html
    assert draft.get_absolute_url() not in html


def test_related_headline_to_draft_without_text_is_hidden(client, make_story):
    draft = make_story("Unpublished scoop", status=Story.Status.DRAFT)
    story = make_story(related=[("", "", draft)])
    html = client.get(story.get_absolute_url()).content.decode()
    assert "Unpublished scoop" not in html
    assert "Related headlines" not in html


def test_staff_preview_of_draft_is_marked_and_not_cached(editor_client, make_story):
    draft = make_story("Draft in progress", status=Story.Status.DRAFT)
    response = editor_client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "Preview." in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert 'name="robots" content="noindex' in response.content.decode()


# Previews: only for those who may see the story in the admin


@pytest.fixture
def other_reporter(role_user):
    return role_user("Reporter", "second-reporter")


def hidden_story(make_story, kind, **kwargs):
    if kind == EMBARGOED:
        return make_story(**embargo_kwargs(), **kwargs)
    if kind == "scheduled":
        return make_story(published_at=timezone.now() + timedelta(days=1), **kwargs)
    return make_story(status=Story.Status.DRAFT, **kwargs)


@pytest.mark.parametrize("kind", ["draft", "scheduled", EMBARGOED])
def test_reporter_previews_their_own_hidden_story(reporter_client, reporter, make_story, kind):
    story = hidden_story(make_story, kind, headline="My scoop in progress", created_by=reporter)

    response = reporter_client.get(story.get_absolute_url())

    assert response.status_code == 200
    assert "My scoop in progress" in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("kind", ["draft", "scheduled", EMBARGOED])
def test_reporter_gets_the_public_404_for_someone_elses_hidden_story(
    client, login, other_reporter, reporter, make_story, kind
):
    story = hidden_story(make_story, kind, headline="Their embargoed scoop", created_by=reporter)

    response = login(other_reporter).get(story.get_absolute_url())

    assert response.status_code == 404
    assert "Their embargoed scoop" not in response.content.decode()
    assert response.content == client.get(story.get_absolute_url()).content


def test_staff_without_story_permissions_cannot_preview(login, django_user_model, make_story):
    story = make_story("Embargoed budget", status=Story.Status.DRAFT)
    staff = django_user_model.objects.create_user("web-team", is_staff=True)

    response = login(staff).get(story.get_absolute_url())

    assert response.status_code == 404
    assert "Embargoed budget" not in response.content.decode()


def test_former_address_of_a_hidden_story_redirects_only_those_who_may_see_it(
    client, login, reporter, other_reporter, make_story
):
    story = make_story("Draft title", status=Story.Status.DRAFT, created_by=reporter)
    former = story.get_absolute_url()
    story.slug = "renamed-secret-plan"
    story.save()

    own = login(reporter).get(former)
    other = login(other_reporter).get(former)

    assert (own.status_code, own["Location"]) == (301, "/stories/renamed-secret-plan/")
    assert other.status_code == 404
    assert "renamed-secret-plan" not in other.content.decode()
    assert client.get(former).status_code == 404


def test_preview_and_admin_agree_on_who_sees_what(
    login, reporter, other_reporter, news_editor, editor, make_story, make_author
):
    """The preview and the admin's story list use one rule: each shows the same stories."""
    from django.urls import reverse

    stories = [
        make_story("Created draft", status=Story.Status.DRAFT, created_by=reporter),
        make_story(
            "Bylined draft", status=Story.Status.DRAFT, authors=[make_author(user=reporter)]
        ),
        make_story("Other draft", status=Story.Status.DRAFT, created_by=other_reporter),
        make_story("Unowned scheduled", published_at=timezone.now() + timedelta(hours=2)),
    ]
    for user in (reporter, other_reporter, news_editor, editor):
        client = login(user)
        changelist = client.get(reverse("admin:articles_story_changelist"))
        in_admin = {story.headline for story in changelist.context["cl"].result_list}
        previewed = {
            story.headline
            for story in stories
            if client.get(story.get_absolute_url()).status_code == 200
        }
        assert previewed == in_admin, user.username


# Sections, tags and authors exist for readers only with a public story


@pytest.mark.parametrize(
    "url",
    [
        "/authors/{author}/",
        "/feeds/author/{author}/rss/",
        "/feeds/author/{author}/atom/",
        "/sections/{section}/",
        "/feeds/section/{section}/rss/",
        "/feeds/section/{section}/atom/",
        "/tags/embargoed/",
        "/feeds/tag/embargoed/rss/",
        "/feeds/tag/embargoed/atom/",
    ],
)
@pytest.mark.parametrize("kind", ["draft", "scheduled", "nothing"])
def test_author_section_or_tag_with_no_public_story_is_404(
    client, make_story, make_author, make_section, url, kind
):
    author = make_author("Secret Hire", bio="Joins us next week from the rival paper.")
    section = make_section("Investigations", description="Our new desk, not yet launched.")
    if kind != "nothing":
        hidden_story(make_story, kind, authors=[author], section=section, tags=["Embargoed"])

    response = client.get(url.format(author=author.slug, section=section.slug))

    assert response.status_code == 404
    html = response.content.decode()
    for secret in ("Secret Hire", "rival paper", "Investigations", "not yet launched"):
        assert secret not in html


def test_author_and_section_pages_answer_once_a_story_is_public(
    client, make_story, make_author, make_section
):
    author, section = make_author("Kim Min-ji"), make_section("Investigations")
    make_story(authors=[author], section=section)

    for url in (author.get_absolute_url(), section.get_absolute_url()):
        assert client.get(url).status_code == 200, url
    for kind in ("author", "section"):
        slug = author.slug if kind == "author" else section.slug
        assert client.get(f"/feeds/{kind}/{slug}/rss/").status_code == 200, kind


def test_section_navigation_leaves_out_sections_without_a_public_story(
    client, make_story, make_section
):
    make_story(section=make_section("World"))
    hidden_story(make_story, "draft", section=make_section("Investigations"))
    make_section("Lifestyle")

    html = client.get("/").content.decode()
    nav = html[html.index('aria-label="Sections"') :]

    assert "World" in nav
    assert "Investigations" not in nav and "Lifestyle" not in nav


def test_sitemaps_leave_out_authors_and_sections_without_a_public_story(
    client, make_story, make_author, make_section
):
    public_author, public_section = make_author(), make_section()
    hidden_author, hidden_section = make_author(), make_section()
    make_story(authors=[public_author], section=public_section)
    hidden_story(make_story, "draft", authors=[hidden_author], section=hidden_section)

    authors = client.get("/sitemap-authors.xml").content.decode()
    sections = client.get("/sitemap-sections.xml").content.decode()

    assert f"/authors/{public_author.slug}/" in authors
    assert f"/authors/{hidden_author.slug}/" not in authors
    assert f"/sections/{public_section.slug}/" in sections
    assert f"/sections/{hidden_section.slug}/" not in sections


# One rule in two forms: `published()` for queries, `Story.is_public` for one story


def test_is_public_agrees_with_published_for_every_kind_of_story(make_story, settings, tmp_path):
    """Drafts, scheduled, embargoed (lifting before, at and after publication), killed
    by the wire and public stories, judged at moments around each of their times."""
    settings.NEWSROOM = {**settings.NEWSROOM, "WIRE_ROOT": tmp_path}
    start = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
    hour = timedelta(hours=1)
    with at(start):
        stories = {
            "draft": make_story(status=Story.Status.DRAFT),
            "draft under embargo": make_story(
                status=Story.Status.DRAFT, embargo_until=start + hour
            ),
            "unpublished by hand": make_story(status=Story.Status.DRAFT, published_at=start - hour),
            "scheduled": make_story(published_at=start + hour),
            "embargoed, out when it lifts": make_story(
                published_at=start + hour, embargo_until=start + hour
            ),
            "embargoed, out later": make_story(
                published_at=start + 3 * hour, embargo_until=start + hour
            ),
            "embargo lifted": make_story(published_at=start - hour, embargo_until=start - hour),
            "public": make_story(published_at=start - 2 * hour),
            "killed": killed_wire_story(),
        }
    assert stories["killed"].published_at is not None  # it was public, then killed

    seen = set()
    for moment in (start - 3 * hour, start, start + hour, start + 2 * hour, start + 4 * hour):
        with at(moment):
            for kind, story in stories.items():
                story.refresh_from_db()
                in_query = Story.objects.published().filter(pk=story.pk).exists()
                assert story.is_public == in_query, (kind, moment)
                assert (
                    Story.public_rule(story.status, story.published_at, story.embargo_until, moment)
                    == in_query
                ), (kind, moment)
                seen.add((kind, in_query))
    # Not a vacuous agreement: the moments show each kind hidden or public as it should.
    hidden_always = {"draft", "draft under embargo", "unpublished by hand", "killed"}
    for kind in stories:
        assert (kind, True) in seen or kind in hidden_always, kind
        assert (kind, False) in seen or kind in {"public", "embargo lifted"}, kind
    assert not any((kind, True) in seen for kind in hidden_always)


def killed_wire_story():
    """A story made from a wire item, published, then unpublished by the agency's kill."""
    source = WireSource.objects.create(name="Agency ninjs", slug="agency", format="ninjs")
    samples = Path(__file__).parent / "wire_samples"
    first, _ = ingest.receive(source, (samples / "ninjs1-budget.json").read_bytes(), "v1.json")
    story, _ = ingest.make_draft(first)
    story.status = Story.Status.PUBLISHED
    story.save()
    assert story.is_public
    kill, _ = ingest.receive(source, (samples / "ninjs2-kill.json").read_bytes(), "kill.json")
    ingest.process_item(kill.pk)
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT
    return story
