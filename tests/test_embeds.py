"""Embeds in the story body: allow-listed providers, form errors, the reader's facade.

The browser half (nothing leaves the page before the click) is tests/test_embeds_browser.py.
"""

import json
import re
import shutil
import subprocess
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import blocks, embeds
from articles.cache import local, purge_everything
from articles.models import Story
from tests.conftest import require
from tests.live import VNU_JAR
from tests.test_admin import ADD, story_form_data
from tests.test_query_counts import MAX_QUERIES

# What an editor pastes → the iframe address readers get after the click.
PROVIDER_URLS = [
    (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1m30s",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&start=90",
    ),
    (
        "https://youtu.be/dQw4w9WgXcQ",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1",
    ),
    (
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1",
    ),
    ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1"),
    (
        "https://vimeo.com/76979871/abc123def0",
        "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1&h=abc123def0",
    ),
    (
        "https://x.com/jack/status/20",
        "https://platform.twitter.com/embed/Tweet.html?id=20&dnt=true",
    ),
    (
        "https://twitter.com/NASA/status/1234567890123456789?s=20",
        "https://platform.twitter.com/embed/Tweet.html?id=1234567890123456789&dnt=true",
    ),
    ("https://www.instagram.com/p/C1a2B3c4D5e/", "https://www.instagram.com/p/C1a2B3c4D5e/embed/"),
    (
        "https://www.instagram.com/reel/C1a2B3c4D5e/",
        "https://www.instagram.com/reel/C1a2B3c4D5e/embed/",
    ),
    (
        "https://www.tiktok.com/@scout2015/video/6718335390845095173",
        "https://www.tiktok.com/player/v1/6718335390845095173",
    ),
    (
        "https://www.facebook.com/20531316728/posts/10154009990506729/",
        "https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fwww.facebook.com"
        "%2F20531316728%2Fposts%2F10154009990506729%2F&show_text=true",
    ),
    (
        "https://www.facebook.com/facebook/videos/10153231379946729/",
        "https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fwww.facebook.com"
        "%2Ffacebook%2Fvideos%2F10153231379946729%2F&show_text=true",
    ),
    (
        "https://soundcloud.com/forss/flickermood",
        "https://w.soundcloud.com/player/?url=https%3A%2F%2Fsoundcloud.com%2Fforss%2Fflickermood"
        "&auto_play=true&visual=false",
    ),
    (
        "https://open.spotify.com/intl-ko/track/4uLU6hMCjMI75M1A2tKUQC",
        "https://open.spotify.com/embed/track/4uLU6hMCjMI75M1A2tKUQC",
    ),
    ("https://datawrapper.dwcdn.net/AbC12/3/", "https://datawrapper.dwcdn.net/AbC12/3/"),
    ("https://www.datawrapper.de/_/AbC12/", "https://datawrapper.dwcdn.net/AbC12/"),
    (
        "https://public.flourish.studio/visualisation/1234567/",
        "https://flo.uri.sh/visualisation/1234567/embed",
    ),
    ("https://public.flourish.studio/story/98765/", "https://flo.uri.sh/story/98765/embed"),
    (
        "https://www.google.com/maps/place/Seoul+City+Hall/@37.5663,126.9779,17z/data=!3m1",
        "https://www.google.com/maps?q=Seoul%20City%20Hall&z=17&output=embed",
    ),
    (
        "https://www.google.com/maps/@37.5663,126.9779,12z",
        "https://www.google.com/maps?q=37.5663%2C126.9779&z=12&output=embed",
    ),
]

EXPECTED_FRAME_SRC = [
    "https://www.youtube-nocookie.com",
    "https://player.vimeo.com",
    "https://platform.twitter.com",
    "https://www.instagram.com",
    "https://www.tiktok.com",
    "https://www.facebook.com",
    "https://w.soundcloud.com",
    "https://open.spotify.com",
    "https://datawrapper.dwcdn.net",
    "https://flo.uri.sh",
    "https://www.google.com",
]

YOUTUBE = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


@pytest.mark.parametrize(("url", "iframe"), PROVIDER_URLS)
def test_every_provider_url_decides_its_iframe_without_network(url, iframe):
    assert embeds.resolve(url).iframe_url == iframe


def test_every_provider_is_covered_and_frames_only_from_its_own_host():
    covered = {embeds.resolve(url).provider.key for url, _ in PROVIDER_URLS}
    assert covered == {provider.key for provider in embeds.PROVIDERS}
    for url, iframe in PROVIDER_URLS:
        assert iframe.startswith(embeds.resolve(url).provider.frame_origin + "/")
    assert embeds.frame_sources() == EXPECTED_FRAME_SRC


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<p>https://example.com/video/1</p>", "Embeds work with YouTube, Vimeo"),
        ("<p>https://www.youtube.com/watch?v=too-short</p>", "This YouTube address cannot"),
        ("<p>https://www.youtube.com/@newsroom</p>", "like https://www.youtube.com/watch?v="),
        ("<p>https://vm.tiktok.com/ZMabc/</p>", "TikTok short link"),
        ("<p>htps://youtube.com/watch?v=dQw4w9WgXcQ</p>", "not a complete web address"),
        ("<p>https://www.youtube.com:99999/watch</p>", "not a complete web address"),
        (
            '<p>Intro.</p><p><a href="https://example.com/x">https://example.com/x</a></p>',
            "Embeds work with",
        ),
    ],
)
def test_a_paragraph_that_is_only_an_unusable_address_is_a_form_error(
    editor_client, section, body, message
):
    response = editor_client.post(ADD, story_form_data(section, body=body))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["body"]
    assert len(errors) == 1 and message in errors[0], errors
    if "Embeds work with" in message:
        assert all(name in errors[0] for name in ("TikTok", "Google Maps", "Datawrapper"))
    assert not Story.objects.exists()


def test_supported_addresses_and_titled_links_are_saved_as_written(editor_client, section):
    body = (
        f"<p>The vote was close.</p><p>{YOUTUBE}</p>"
        '<p><a href="https://vimeo.com/76979871">The harbour at dawn</a></p>'
        # A titled link to anything else on its own line is an ordinary link, not an error.
        '<p><a href="https://example.com/report.pdf">Read the full report</a></p>'
        # A sentence that mentions an address is a paragraph, not an embed.
        "<p>See https://example.com/ for more.</p>"
    )
    response = editor_client.post(ADD, story_form_data(section, body=body))

    assert response.status_code == 302, response.context["adminform"].form.errors
    stored = Story.objects.get().body
    assert YOUTUBE in stored and "The harbour at dawn" in stored
    assert "data-embed" not in stored and "<figure" not in stored


def embed_story(make_story, body, **kwargs):
    return make_story("Harbour vote", body=body, **kwargs)


def test_the_story_page_shows_a_facade_with_provider_title_button_and_link(client, make_story):
    story = embed_story(
        make_story,
        "<p>Before.</p>"
        '<p><a href="https://vimeo.com/76979871">The harbour at <em>dawn</em></a></p>'
        f"<p>{YOUTUBE}</p><p>After.</p>"
        # As the editor autolinks an address typed without https://: no title.
        '<p><a href="http://youtu.be/dQw4w9WgXcQ">youtu.be/dQw4w9WgXcQ</a></p>',
    )
    html = client.get(story.get_absolute_url()).content.decode()

    figures = re.findall(r"<figure class=\"embed.*?</figure>", html, re.DOTALL)
    assert len(figures) == 3
    vimeo, youtube, autolinked = figures
    assert 'data-embed-src="https://player.vimeo.com/video/76979871?dnt=1&amp;autoplay=1"' in vimeo
    assert 'data-embed-title="Vimeo: The harbour at dawn"' in vimeo
    assert '<span class="embed__title">The harbour at dawn</span>' in vimeo
    # The button is described by the caption (provider and title) and shown only by the
    # script; without it the caption's link to the original is what the reader gets.
    assert '<button type="button" class="embed__load" aria-describedby="embed-1-caption">' in vimeo
    assert "Load Vimeo content</button>" in vimeo and '<figcaption id="embed-1-caption">' in vimeo
    assert '<div class="embed__facade" hidden>' in vimeo
    assert (
        'href="https://vimeo.com/76979871" rel="noopener noreferrer nofollow">Open on Vimeo'
        in vimeo
    )
    assert "Load YouTube content" in youtube and 'id="embed-2-caption"' in youtube
    assert "embed__title" not in youtube  # no title known: the provider's name alone
    assert "embed__title" not in autolinked and 'data-embed-title="YouTube"' in autolinked
    # The paragraphs around them stay; no provider is contacted by the page itself.
    assert "<p>Before.</p>" in html and "<p>After.</p>" in html
    assert "<iframe" not in html
    # Provider addresses only in the data the script reads after a click.
    assert html.count("nocookie.com/embed") == html.count(
        'data-embed-src="https://www.youtube-nocookie'
    )
    assert html.count("js/embeds.") == 1  # the script, once


def test_a_story_without_embeds_loads_no_embed_script(client, make_story):
    story = make_story(body="<p>Only words.</p>")
    assert "embeds." not in client.get(story.get_absolute_url()).content.decode()


HOSTILE = (
    "<p>Intro.</p>"
    '<iframe src="https://evil.example/frame"></iframe>'
    "<script>alert('body')</script>"
    '<figure data-embed-src="https://evil.example/x"><div class="embed__facade">x</div></figure>'
    '<p><a href="javascript:alert(1)">https://youtu.be/dQw4w9WgXcQ</a></p>'
    '<p><a href="https://youtu.be/dQw4w9WgXcQ" onclick="alert(2)">"&gt;&lt;script&gt;alert(3)'
    "&lt;/script&gt;</a></p>"
    '<p>https://youtu.be/dQw4w9WgXcQ?x="&gt;&lt;img src=x onerror=alert(4)&gt;</p>'
)


def test_hostile_markup_in_the_body_never_reaches_readers(editor_client, client, section):
    data = story_form_data(section, body=HOSTILE, status="published")
    data.update({"published_at_0": "2026-01-01", "published_at_1": "09:00:00"})
    response = editor_client.post(ADD, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    story = Story.objects.get()
    html = client.get(story.get_absolute_url()).content.decode()

    assert "evil.example" not in html
    assert "<iframe" not in html and "<script>alert" not in html
    assert "onclick" not in html and "javascript:" not in html
    assert "<img" not in html  # the last paragraph is text, escaped
    # Whatever the text said, every frame address on the page is one the allow-list built.
    sources = re.findall(r'data-embed-src="([^"]*)"', html)
    assert sources and all(s.startswith("https://www.youtube-nocookie.com/embed/") for s in sources)
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html  # the title, as text


def test_feeds_get_embeds_as_plain_links(client, make_story):
    embed_story(make_story, f"<p>Lead.</p><p>{YOUTUBE}</p>")
    for url in ("/feeds/rss/", "/feeds/atom/", "/feed.json"):
        content = client.get(url).content.decode()
        if url == "/feed.json":
            content = json.loads(content)["items"][0]["content_html"]
        assert "iframe" not in content and "data-embed" not in content, url
        assert "YouTube: " in content and "dQw4w9WgXcQ" in content, url


def test_search_does_not_index_the_facade(client, make_story):
    embed_story(make_story, f"<p>Lead.</p><p>{YOUTUBE}</p>")
    assert "Harbour vote" not in client.get("/search/?q=visit").content.decode()
    assert "Harbour vote" in client.get("/search/?q=Lead").content.decode()


def test_the_public_csp_frames_exactly_the_providers_and_nothing_else_changes(
    client, admin_client, make_story
):
    story = make_story()
    policy = {}
    for part in client.get(story.get_absolute_url())["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        policy[name] = values
    assert policy["frame-src"] == EXPECTED_FRAME_SRC
    assert policy["default-src"] == ["'self'"] and policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    # The admin frames nothing but itself, as before.
    assert "frame-src" not in admin_client.get(ADD)["Content-Security-Policy"]


def cold_queries(client, url):
    purge_everything()
    for copy in local.COPIES:
        copy.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_story_page_query_count_is_the_same_with_0_3_and_30_embeds(client, make_story):
    counts = []
    for n in (0, 3, 30):
        body = "<p>Lead.</p>" + f"<p>{YOUTUBE}</p><p>Between.</p>" * n
        story = embed_story(make_story, body)
        count, response = cold_queries(client, story.get_absolute_url())
        assert response.content.decode().count('class="embed__load"') == n
        counts.append(count)
    assert counts[0] <= MAX_QUERIES and counts == [counts[0]] * 3, counts


def test_a_warm_story_page_with_30_embeds_needs_no_query(
    client, make_story, django_assert_num_queries
):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    story = embed_story(make_story, f"<p>{YOUTUBE}</p>" * 30)
    client.get(story.get_absolute_url())
    with django_assert_num_queries(0):
        assert client.get(story.get_absolute_url()).status_code == 200


def test_rendering_30_embeds_is_quick():
    body = "".join(f"<p>Paragraph {n} of the story.</p><p>{YOUTUBE}</p>" for n in range(30))
    started = time.perf_counter()
    for _ in range(10):
        blocks.for_readers(body)
    assert (time.perf_counter() - started) / 10 < 0.01  # under 10 ms, once per change


@pytest.mark.server
def test_the_facade_is_valid_html(client, make_story, tmp_path):
    java = shutil.which("java")
    require(java, "Java for vnu.jar (apt-get install default-jre-headless)")
    require(VNU_JAR.is_file(), f"vnu.jar at {VNU_JAR} (npm ci, which `make test` runs)")
    body = "<p>Lead.</p>" + "".join(
        f'<p><a href="{url}">Title {n}</a></p>' if n % 2 else f"<p>{url}</p>"
        for n, (url, _) in enumerate(PROVIDER_URLS)
    )
    story = embed_story(make_story, body)
    page = tmp_path / "story.html"
    page.write_bytes(client.get(story.get_absolute_url()).content)
    assert page.read_text().count('<figure class="embed') == len(PROVIDER_URLS)

    result = subprocess.run(
        [java, "-Xss16m", "-XX:TieredStopAtLevel=1", "-jar", str(VNU_JAR), "--errors-only",
         "--format", "json", str(page)],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert json.loads(result.stderr)["messages"] == []
