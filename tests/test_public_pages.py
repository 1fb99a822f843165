"""What a reader sees on each public page type."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.fronts.defaults import ensure_default_fronts
from articles.models import Story


@pytest.fixture
def full_story(make_story, make_author, photo_upload):
    first = make_author("Kim Min-ji", slug="kim-min-ji")
    second = make_author("이서준", slug="이서준")
    linked = make_story("Linked earlier story")
    story = make_story(
        "Seoul’s “bold” plan for the Han River",
        dek="The city wants more ferries.",
        body="<p>First <strong>paragraph</strong>.</p><p>Second paragraph.</p>",
        authors=[first, second],
        tags=["Seoul", "Transport"],
        related=[("Wire: ferries return", "https://en.yna.co.kr/view/1", None), ("", "", linked)],
        lead_photo=photo_upload(),
        photo_caption="A ferry on the Han.",
        photo_credit="Newsroom illustration",
        photo_alt="A white ferry on a wide river at dusk",
    )
    return story


def test_home_leads_with_the_newest_story(client, make_story):
    make_story("Older story", published_at=timezone.now() - timedelta(days=2))
    make_story("Newest story", published_at=timezone.now() - timedelta(minutes=1))
    html = client.get("/").content.decode()
    assert html.index("Newest story") < html.index("Older story")
    assert 'aria-label="Top story"' in html


def test_home_paginates(client, settings, make_story):
    settings.NEWSROOM = {**settings.NEWSROOM, "STORIES_PER_PAGE": 3}
    # The front (lead, four top stories, the section's rail of three) shows the newest
    # eight; the list below the rest, three a page.
    ensure_default_fronts()  # the migration's, unless a flushing test removed it
    for n in range(14):
        make_story(f"Paged story {n}")
    page_one = client.get("/")
    older = re.search(r'rel="next" href="(\?before=[^"]+)"', page_one.content.decode())
    page_two = client.get(f"/{older.group(1)}")
    assert page_two.status_code == 200
    html = page_two.content.decode()
    assert "Paged story 13" in html and "Paged story 0" not in html  # made first: newest
    assert 'rel="prev" href="./"' in html and 'rel="next"' not in html


@pytest.mark.parametrize("page", ["99", "0", "-1", "abc", "1e9", "9" * 40])
def test_out_of_range_or_garbage_page_is_404(client, make_story, page):
    make_story()
    assert client.get(f"/?page={page}").status_code == 404


def test_story_page_shows_everything_the_editor_entered(client, full_story):
    html = client.get(full_story.get_absolute_url()).content.decode()
    assert '<h1 class="story__headline">Seoul’s “bold” plan for the Han River</h1>' in html
    assert "The city wants more ferries." in html
    assert "First <strong>paragraph</strong>." in html
    assert 'href="/authors/kim-min-ji/"' in html
    assert "이서준" in html
    assert 'href="/tags/seoul/"' in html
    assert f'href="{full_story.section.get_absolute_url()}"' in html
    assert 'alt="A white ferry on a wide river at dusk"' in html
    assert "A ferry on the Han." in html
    assert "Newsroom illustration" in html


def test_story_byline_keeps_author_order(client, full_story):
    html = client.get(full_story.get_absolute_url()).content.decode()
    assert html.index("Kim Min-ji") < html.index("이서준")


def test_story_times_are_machine_readable_in_newsroom_zone(client, full_story):
    html = client.get(full_story.get_absolute_url()).content.decode()
    local = timezone.localtime(full_story.published_at)
    # Whole seconds: HTML's datetime syntax allows at most three fractional digits.
    assert f'<time datetime="{local:%Y-%m-%dT%H:%M:%S%z}"' in html
    assert f"{local:%z}" == "+0900"  # Asia/Seoul by default


def test_story_lists_curated_related_headlines_in_order(client, full_story):
    html = client.get(full_story.get_absolute_url()).content.decode()
    assert 'href="https://en.yna.co.kr/view/1"' in html
    assert html.index("Wire: ferries return") < html.index("Linked earlier story")


def test_story_without_curated_related_shows_stories_sharing_tags(client, make_story):
    make_story("Unrelated", tags=["Sports"])
    close = make_story("Shares two tags", tags=["Seoul", "Transport"])
    make_story("Shares one tag", tags=["Seoul"])
    story = make_story("Main", tags=["Seoul", "Transport"])
    html = client.get(story.get_absolute_url()).content.decode()
    related = html[html.index("Related headlines") :]
    assert close.headline in related
    assert related.index("Shares two tags") < related.index("Shares one tag")
    assert "Unrelated" not in related


def test_changed_slug_redirects_permanently(client, make_story):
    story = make_story("First headline")
    old_url = story.get_absolute_url()
    story.slug = "better-headline"
    story.save()
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == "/stories/better-headline/"


def test_old_slug_of_draft_does_not_redirect_the_public(client, make_story):
    story = make_story("First headline")
    old_url = story.get_absolute_url()
    story.slug = "renamed"
    story.status = Story.Status.DRAFT
    story.save()
    assert client.get(old_url).status_code == 404


def test_section_page_lists_only_its_stories(client, make_story, make_section):
    other = make_section("Sports")
    mine = make_story("Nation news")
    make_story("Football news", section=other)
    html = client.get(mine.section.get_absolute_url()).content.decode()
    assert "Nation news" in html
    assert "Football news" not in html


def test_tag_page_lists_tagged_stories(client, make_story):
    make_story("Tagged one", tags=["Seoul"])
    make_story("Untagged one")
    html = client.get("/tags/seoul/").content.decode()
    assert "Tagged one" in html
    assert "Untagged one" not in html


def test_author_page_shows_bio_and_stories(client, make_story, make_author):
    author = make_author("Park Ji-ho", bio="Covers defense.")
    make_story("By Park", authors=[author])
    make_story("By nobody")
    html = client.get(author.get_absolute_url()).content.decode()
    assert "Covers defense." in html
    assert "By Park" in html
    assert "By nobody" not in html


@pytest.mark.parametrize(
    "url",
    [
        "/stories/no-such-story/",
        "/sections/nope/",
        "/tags/nope/",
        "/authors/nope/",
        "/stories/%00/",
        "/stories/..%2F..%2Fetc%2Fpasswd/",
        "/stories/" + "x" * 3000 + "/",
        "/nothing-here",
    ],
)
def test_unknown_addresses_get_the_friendly_404(client, db, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "We couldn’t find that page" in response.content.decode()


def test_pages_declare_language_and_skip_link(client, make_story):
    make_story()
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert 'class="skip-link" href="#content"' in html


def test_section_navigation_lists_sections_in_order(client, make_story, make_section):
    make_story(section=make_section("World", order=5))
    make_story(section=make_section("Business", order=2))
    make_story()
    html = client.get("/").content.decode()
    nav = html[html.index('aria-label="Sections"') :]
    assert nav.index("Nation") < nav.index("Business") < nav.index("World")


def test_server_error_page_is_friendly(client, db, monkeypatch):
    from articles.fronts import views

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.HomeView, "get", explode)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "RuntimeError" not in response.content.decode()


def test_favicon_ico_points_to_the_site_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("img/favicon.svg")


def test_cards_list_bylines_in_the_editors_order(client, make_story, make_author):
    from articles.models import StoryAuthor

    zed, adam = make_author("Zed Kim", slug="zed-kim"), make_author("Adam Park", slug="adam-park")
    story = make_story("Two reporters", authors=[zed, adam])
    expected = (
        'By <a href="/authors/zed-kim/" rel="author">Zed Kim</a> and '
        '<a href="/authors/adam-park/" rel="author">Adam Park</a>'
    )
    assert expected in client.get("/stories/").content.decode()
    # The editor swaps them (and the lower id now comes second).
    StoryAuthor.objects.filter(story=story, author=zed).update(order=5)
    story.save()
    html = client.get("/stories/").content.decode()
    assert 'By <a href="/authors/adam-park/" rel="author">Adam Park</a> and ' in html
