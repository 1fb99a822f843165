"""Every public page runs a small, constant number of queries.

Each page is measured twice on a cold cache: for stories with 2 tags, authors and
related headlines and no photo, then for stories with 20 of each and a library photo.
Both stay within the bound, and the count is the same: nothing is queried per tag, per
byline, per headline or per photo (the photo comes with the story's own row).
"""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from articles.cache import local, purge_everything, tags
from articles.models import Section, Story
from articles.pagination import Cursor
from tests.conftest import author_factory, library_photo, section_factory, story_factory

MAX_QUERIES = 6

PAGES = {
    "home": lambda built: "/",
    "list": lambda built: "/stories/",
    "deep list page": lambda built: f"/stories/?before={built['deepest']}",
    "story": lambda built: built["story"].get_absolute_url(),
    "section": lambda built: built["section"].get_absolute_url(),
    "tag": lambda built: f"/tags/{built['tag']}/",
    "author": lambda built: built["author"].get_absolute_url(),
    "search": lambda built: "/search/?q=story",
    "search by tag": lambda built: f"/search/?q=story&tag={built['tag']}",
    "rss": lambda built: "/feeds/rss/",
    "atom": lambda built: "/feeds/atom/",
    "json feed": lambda built: "/feed.json",
    "section feed": lambda built: f"/feeds/section/{built['section'].slug}/rss/",
    "tag feed": lambda built: f"/feeds/tag/{built['tag']}/atom/",
    "author feed": lambda built: f"/feeds/author/{built['author'].slug}/rss/",
    "sitemap index": lambda built: "/sitemap.xml",
    "story sitemap": lambda built: "/sitemap-stories.xml",
    "section sitemap": lambda built: "/sitemap-sections.xml",
    "tag sitemap": lambda built: "/sitemap-tags.xml",
    "author sitemap": lambda built: "/sitemap-authors.xml",
    "news sitemap": lambda built: "/news-sitemap.xml",
}


@pytest.fixture
def build(make_story, make_author, make_section):
    return builder(make_story, make_author, make_section)


def builder(make_story, make_author, make_section):
    def build(size, name):
        authors = [make_author() for _ in range(size)]
        sections = [make_section() for _ in range(2)]
        tags = [f"{name} tag {n}" for n in range(size)]
        # One library photo shared by every story (made once: renditions take time).
        photo = library_photo(caption=f"{name} photo", credit="Yonhap") if size >= 20 else None
        stories = []
        for n in range(13):  # more than a page
            stories.append(
                make_story(
                    authors=authors,
                    tags=tags,
                    section=sections[n % 2],
                    lead_photo=photo,
                    related=[(f"Wire {m}", "https://example.com/", None) for m in range(size)]
                    + [("", "", story) for story in stories[-size:]],
                )
            )
        # The list's deepest page: below the oldest story but one.
        second_oldest = Story.objects.published().order_by("published_at", "pk")[1]
        return {
            "deepest": Cursor(second_oldest.published_at, second_oldest.pk),
            "story": stories[-1],
            "author": authors[0],
            "section": sections[0],
            "tag": f"{name}-tag-0",
        }

    return build


def cold_queries(client, url):
    """Queries for `url` right after a content change: nothing rendered is kept."""
    purge_everything()
    for copy in local.COPIES:
        copy.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


@pytest.fixture(scope="class")
def few_then_many(django_db_setup, django_db_blocker, tmp_path_factory):
    """Each page's count for the few stories, measured once for every page, then the many
    stories added: what each test did for its page (`build(2, "few")`, measure,
    `build(20, "many")`), done once for the class. In a transaction rolled back after
    the class; each test's own nests in it. Building both sets took a second a test.
    """
    files = tmp_path_factory.mktemp("query-counts")
    storages = {
        **settings.STORAGES,
        "originals": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": files / "originals"},
        },
        # As `_isolated_files` (tests/conftest.py) gives each test: no collectstatic run.
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=files / "media", STORAGES=storages),
        transaction.atomic(),
    ):
        section = Section.objects.create(name="Nation", slug="nation", order=1)
        build = builder(story_factory(section), author_factory(), section_factory())
        client = Client()
        few = build(2, "few")
        few_counts = {page: cold_queries(client, url(few)) for page, url in PAGES.items()}
        yield few_counts, build(20, "many")
        transaction.set_rollback(True)


@pytest.mark.usefixtures("few_then_many")
class TestEveryPage:
    @pytest.mark.parametrize("page", PAGES)
    def test_public_page_query_count_is_small_and_constant(self, client, few_then_many, page):
        few_counts, many_built = few_then_many
        few = few_counts[page]
        many = cold_queries(client, PAGES[page](many_built))
        assert few <= MAX_QUERIES, few
        assert many == few


@pytest.mark.parametrize("page", ["story"])
def test_a_warm_public_page_needs_no_query(client, build, page, django_assert_num_queries):
    """With the page cache off, fragments kept until their tags are purged answer everything.

    List pages and sitemap files are not here: they read their rows from an index every
    time (articles/pagination.py, articles/sitemaps.py), cheaper than keeping the answer.
    """
    from django.conf import settings

    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    url = PAGES[page](build(3, "warm"))
    client.get(url)
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200


def test_story_with_automatic_related_headlines_is_bounded(
    client, make_story, django_assert_max_num_queries
):
    for n in range(10):
        make_story(f"Neighbour {n}", tags=["alpha", "beta"])
    story = make_story("Main", tags=["alpha", "beta"])
    # The coldest start: an empty cache, so even the next scheduled publication is
    # looked up during this request.
    cache.clear()
    tags.state_cache().clear()
    for copy in local.COPIES:
        copy.clear()
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(story.get_absolute_url())
    assert "Neighbour" in response.content.decode()
