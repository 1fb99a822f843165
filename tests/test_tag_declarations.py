"""Every public page says what it shows: a cache tag beyond those every page carries.

A page cached with only the broad default tags would never be purged when what it
shows changes (until its lifetime ends). The test walks the URL patterns themselves
(newsroom/urls.py and whatever it includes), so a new public URL is checked the moment
it is added: it fails here until its view declares what it shows (`depends_on()`,
articles/cache/names.py), or is listed in EXEMPT with the reason it shows no content,
and until FILL says how to build its address from the content made below.
"""

import contextlib
import sys
from datetime import timedelta

import pytest
from django.apps import apps
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse
from django.utils import timezone

from articles.cache import cache_public_page, names
from articles.cache import tags as cache_tags
from articles.sitemaps import SITEMAPS
from newsroom import urls

# What any page may carry without saying anything about its content: the tag every
# cacheable response has, the site's chrome (banner, navigation), a 404's.
DEFAULT_TAGS = frozenset({names.EVERYTHING, names.BANNER, names.SECTIONS, names.MISSING})

# Content-independent URLs (by "namespace:name"), each with its reason. Keep it short:
# an entry here is a page the cache never purges.
EXEMPT = {
    # The same text whatever is published: where the sitemaps are, the admin's path.
    "articles:robots_txt": "no content",
    # Agencies' push endpoint (POST with a token): never a reader's page.
    "articles:wire_push": "not a page",
    # The content API's OpenAPI schema and its docs: the code's, whatever is published
    # (a deploy changes the build identity in every cache key); its root redirects there.
    "api-v1:openapi-json": "the API's description, no content",
    "api-v1:openapi-view": "the API's docs page, no content",
    "api-v1:api-root": "a redirect to the docs",
}

# Not public pages at all: editors, operators, files (by name, or by route for those
# without one).
NOT_PUBLIC_NAMESPACES = {"admin"}
NOT_PUBLIC_NAMES = {"healthz", "readyz", "media"}
NOT_PUBLIC_ROUTES = {"favicon.ico"}


def public_patterns(urlconf=None):
    """[(namespace:name, route, parameter names)] of every URL pattern readers may
    request, found by walking the resolver (nothing listed by hand)."""
    found = []

    def walk(patterns, namespace, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if pattern.namespace in NOT_PUBLIC_NAMESPACES:
                    continue
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                walk(pattern.url_patterns, inner, route)
            elif isinstance(pattern, URLPattern):
                if pattern.name in NOT_PUBLIC_NAMES or route in NOT_PUBLIC_ROUTES:
                    continue
                name = ":".join(filter(None, [namespace, pattern.name]))
                found.append((name, route, sorted(pattern.pattern.converters)))

    walk(get_resolver(urlconf).url_patterns, "", "")
    return found


@contextlib.contextmanager
def recorded_renders():
    """The tags each public render declared (articles/cache/pages.py renders every
    public page inside `tags.rendering()`), whatever its response: a redirect's too."""
    renders = []
    original = cache_tags.rendering

    @contextlib.contextmanager
    def recording():
        with original() as render:
            renders.append(render)
            yield render

    cache_tags.rendering = recording
    try:
        yield renders
    finally:
        cache_tags.rendering = original


def model_named(name):
    # By class name: the desks' models change app (articles/live/ …), not name.
    return next(model for model in apps.get_models() if model.__name__ == name)


@pytest.fixture
def content(make_story, make_section, make_author, photo_upload):
    """A small newsroom: a public story with everything a page can show."""
    section = make_section("Domestic", slug="domestic")
    author = make_author("Kim Min-ji", slug="kim-min-ji")
    linked = make_story("Ferries return to the river", section=section, tags=["Transport"])
    story = make_story(
        "Seoul plans more ferries",
        section=section,
        authors=[author],
        tags=["Seoul", "Transport"],
        related=[("", "", linked)],
        lead_photo=photo_upload(),
        photo_alt="A ferry at dusk",
        body="<p>The city wants more ferries on the Han river.</p>",
        live_started_at=timezone.now() - timedelta(hours=2),
    )
    update = model_named("LiveUpdate").objects.create(
        story=story, body="<p>The first ferry has left.</p>", posted_at=timezone.now()
    )
    return {
        "story": story,
        "section": section,
        "author": author,
        "tag": story.tags.get(name="Seoul"),
        "update": update,
    }


def fill(content):
    """{namespace:name: [kwargs, …]}: how to fill in each pattern's parameters from
    `content`. A pattern with parameters that is not here fails the test."""
    story, section = content["story"], content["section"]
    tag, author = content["tag"], content["author"]
    return {
        "articles:story_detail": [{"slug": story.slug}],
        "articles:live_updates": [{"slug": story.slug}],
        "articles:live_update": [{"slug": story.slug, "update_id": content["update"].pk}],
        "articles:section_detail": [{"slug": section.slug}],
        "articles:tag_detail": [{"slug": tag.slug}],
        "articles:author_detail": [{"slug": author.slug}],
        "articles:section_feed_rss": [{"slug": section.slug}],
        "articles:section_feed_atom": [{"slug": section.slug}],
        "articles:tag_feed_rss": [{"slug": tag.slug}],
        "articles:tag_feed_atom": [{"slug": tag.slug}],
        "articles:author_feed_rss": [{"slug": author.slug}],
        "articles:author_feed_atom": [{"slug": author.slug}],
        "articles:sitemap": [{"section": name} for name in SITEMAPS],
        # The content API (articles/api/).
        "api-v1:story_detail": [{"story_id": story.pk}],
        "api-v1:story_live_updates": [{"story_id": story.pk}],
        "api-v1:story_ninjs": [{"story_id": story.pk}],
        "api-v1:section_detail": [{"slug": section.slug}],
        "api-v1:tag_detail": [{"slug": tag.slug}],
        "api-v1:author_detail": [{"slug": author.slug}],
        "api-v1:photo_detail": [{"photo_id": story.lead_photo_id}],
        "api-v1:front_section": [{"slug": section.slug}],
    }


def undeclared(client, content, urlconf=None):
    """The public URLs whose render declares nothing beyond DEFAULT_TAGS (with why)."""
    fillers = fill(content)
    problems = []
    for name, route, parameters in public_patterns(urlconf):
        if name in EXEMPT:
            continue
        if parameters and name not in fillers:
            problems.append(f"{name} ({route}): add how to fill {parameters} to fill()")
            continue
        for kwargs in fillers.get(name, [{}]):
            url = reverse(name, kwargs=kwargs or None, urlconf=urlconf)
            with recorded_renders() as renders:
                response = client.get(url)
            if response.status_code not in (200, 301, 302):
                problems.append(f"{url}: answered {response.status_code}, not the page")
                continue
            if not renders:
                problems.append(f"{url}: not a public page (no cache_public_page)")
                continue
            shown = set().union(*(render.tags for render in renders)) - DEFAULT_TAGS
            if not shown:
                problems.append(f"{url}: declares no tag beyond {sorted(DEFAULT_TAGS)}")
    return problems


def test_every_public_page_declares_what_it_shows(client, settings, content):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": True}
    assert undeclared(client, content) == []


def test_every_walked_pattern_is_public_and_reached():
    # The walk finds the public pages (and none of the admin's, operators' or files').
    names_found = {name for name, _, _ in public_patterns()}
    assert {"articles:home", "articles:story_detail", "articles:search"} <= names_found
    assert not any(name.startswith("admin:") for name in names_found)
    assert not names_found & {"healthz", "readyz", "media"}


# A URLconf with one page more, whose view declares nothing: the check must catch it.


@cache_public_page
def _undeclared_page(request):
    return HttpResponse("The same for everyone, says the view; but it shows content.")


def _urlconf_with_an_undeclared_page():
    module = type(urls)("tag_declarations_urls")
    module.__file__ = urls.__file__  # newsroom/urls.py's patterns and one page more
    module.urlpatterns = [
        *urls.urlpatterns,
        path("undeclared/", _undeclared_page, name="undeclared"),
        path("undeclared/<slug:slug>/", _undeclared_page, name="undeclared_slug"),
    ]
    return module


def test_a_new_page_declaring_nothing_fails(client, settings, content, monkeypatch):
    # ROOT_URLCONF names a module, as in settings: the cache's build identity imports it.
    module = _urlconf_with_an_undeclared_page()
    monkeypatch.setitem(sys.modules, module.__name__, module)
    settings.ROOT_URLCONF = module.__name__
    problems = undeclared(client, content, urlconf=settings.ROOT_URLCONF)
    assert problems == [
        f"/undeclared/: declares no tag beyond {sorted(DEFAULT_TAGS)}",
        "undeclared_slug (undeclared/<slug:slug>/): add how to fill ['slug'] to fill()",
    ]


def test_exemptions_name_existing_patterns():
    # A stale exemption would hide a future page of the same name.
    names_found = {name for name, _, _ in public_patterns()}
    assert set(EXEMPT) <= names_found
