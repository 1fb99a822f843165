"""Every public page's queries are served by indexes at 100,000 stories (PostgreSQL).

The archive is filled with SQL inside the test database (a few seconds), analysed,
and each public page is requested with no cache at all; every query it ran is then
EXPLAINed. No plan may read the story, tagging, tag, byline or related-story tables
from end to end (`Seq Scan`), and each plan's estimated cost stays small: what a page
reads must not grow with the archive.
"""

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.fronts.defaults import ensure_default_fronts
from articles.languages import site_language
from articles.models import (
    Story,
)
from articles.related import refresh_related_stories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

STORIES = 100_000
SECTIONS = 8
AUTHORS = 400
TAGS = 2_000
# Tables that grow with the archive: never read whole by a public page. (Not the tags
# themselves, 2,000 here: PostgreSQL rightly hashes so small a table whole to name a
# search's tag facets; a tag's page finds its tag by slug.)
LARGE_TABLES = {
    "articles_story",
    "articles_storyauthor",
    "articles_storyrelation",
    "taggit_taggeditem",
}
# PostgreSQL's estimated cost units (a page read sequentially costs 1, a random one
# 4). Reading the story table whole costs about 4,200 here and grows with it; a page
# of a list read from an index costs well under a hundred.
MAX_COST = 1_000
FEED_COST = 30 * 45 + 200
AUTHOR_COST = 3_000
# Pages whose work is bounded by something else than a page of rows, but not by the
# archive's size either.
MAX_COST_OF = {
    # An author's stories are found through their bylines (~300 for this author) or
    # by walking the newest stories until a page is full: bounded by the author's
    # share of the archive.
    "author": AUTHOR_COST,
    # The same, plus its 30 items' sub-selects (below).
    "author feed": AUTHOR_COST + FEED_COST,
    # A feed's 30 items each carry three sub-selects (bylines, tag names, a live story's
    # latest update) and their photo: index probes, about 45 cost units an item.
    "rss": FEED_COST,
    "tag feed": FEED_COST,
    "section feed": FEED_COST,
    # At most the newest MAX_RANKED (1,000) matches are ranked, counted and faceted (their
    # tags probed one story at a time; articles/search.py), whatever a common word matches.
    "search": 8_000,
    "search by tag": 8_000,
}


def fill_archive():
    """100,000 stories (2 % drafts, 1 % scheduled), 3 tags and 1–2 bylines each, in SQL.

    Tags are skewed as in a newsroom: 7 tags on a seventh of the archive each, 300 on
    a few hundred stories, the rest on a few dozen.
    """
    story_type = ContentType.objects.get_for_model(Story).pk
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO articles_section (name, slug, description, "order")
            SELECT 'Section ' || g, 'section-' || g, '', g FROM generate_series(1, %s) g;
            INSERT INTO articles_author (name, slug, bio, photo)
            SELECT 'Author ' || g, 'author-' || g, '', '' FROM generate_series(1, %s) g;
            INSERT INTO taggit_tag (name, slug)
            SELECT 'Tag ' || g, 'tag-' || g FROM generate_series(1, %s) g;
            """,
            [SECTIONS, AUTHORS, TAGS],
        )
        cursor.execute("SELECT min(id) FROM articles_section")
        (section,) = cursor.fetchone()
        cursor.execute("SELECT min(id) FROM articles_author")
        (author,) = cursor.fetchone()
        cursor.execute("SELECT min(id) FROM taggit_tag")
        (tag,) = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO articles_story (
                headline, slug, dek, body, section_id, photo_caption,
                status, published_at, created_at, updated_at, version, language)
            SELECT
                'Generated story ' || g, 'generated-' || g, 'A dek.', '<p>A body.</p>',
                %(section)s + g %% %(sections)s, '',
                CASE WHEN g %% 50 = 0 THEN 'draft' ELSE 'published' END,
                CASE WHEN g %% 100 = 1 THEN now() + interval '1 day'
                     ELSE now() - (%(stories)s - g) * interval '7 minutes' END,
                now(), now() - (%(stories)s - g) * interval '7 minutes', 1, %(language)s
            FROM generate_series(1, %(stories)s) g;
            """,
            {
                "section": section,
                "sections": SECTIONS,
                "stories": STORIES,
                "language": site_language(),
            },
        )
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        (superuser,) = cursor.fetchone()
        # The rows below are right by construction: a superuser skips their foreign
        # key checks (half the fill's time; these tables have no other triggers).
        replica = "SET LOCAL session_replication_role = replica;" if superuser else ""
        cursor.execute(
            replica
            + """
            INSERT INTO taggit_taggeditem (tag_id, content_type_id, object_id)
            SELECT %(tag)s + t, %(type)s, s.id FROM articles_story s,
            LATERAL (VALUES (s.id %% 7), (7 + (s.id * 13) %% 300),
                            (307 + (s.id * 7919) %% 1693)) AS tags(t);
            INSERT INTO articles_storyauthor (story_id, author_id, "order")
            SELECT id, %(author)s + id %% %(authors)s, 0 FROM articles_story;
            INSERT INTO articles_storyauthor (story_id, author_id, "order")
            SELECT id, %(author)s + (id / 5) %% %(authors)s, 1 FROM articles_story
            WHERE id %% 5 = 0 AND (id / 5) %% %(authors)s <> id %% %(authors)s;
            INSERT INTO articles_storyrelation (story_id, related_id, rank, shared_tags)
            SELECT id, id - 1, 0, 1 FROM articles_story
            WHERE id > (SELECT min(id) FROM articles_story);
            ANALYZE;
            """,
            {"tag": tag, "type": story_type, "author": author, "authors": AUTHORS},
        )


def public_pages():
    """Name → path of each kind of public page, on the filled archive.

    Not here: pages whose answer is about the whole archive. The sitemap index counts
    every public story (one file per thousand) and the tag and author sitemaps list
    every tag and author with a public story and its latest change; reading the
    archive is what they are for, once per change (they are cached like any page).
    """
    from taggit.models import Tag

    from articles.models import Author, Section
    from articles.pagination import Cursor

    # Every front with its default layout: the home page's rails and each section's
    # top stories are read too.
    ensure_default_fronts()
    newest = Story.objects.published().order_by("-published_at", "-pk")
    deep = newest.order_by("published_at", "pk")[25]
    story = newest[100]
    # Its automatic related headlines, ranked as a save would.
    refresh_related_stories([story.pk])
    busiest_tag = Tag.objects.get(slug="tag-1")
    section = Section.objects.order_by("pk").first()
    author = Author.objects.order_by("pk")[1]  # the first one has only drafts
    return {
        "home": reverse("articles:home"),
        "latest": reverse("articles:story_list"),
        "deep": f"{reverse('articles:story_list')}?before={Cursor(deep.published_at, deep.pk)}",
        "story": story.get_absolute_url(),
        "section": section.get_absolute_url(),
        "tag": reverse("articles:tag_detail", args=[busiest_tag.slug]),
        "rare tag": reverse("articles:tag_detail", args=["tag-2000"]),
        "author": author.get_absolute_url(),
        "search": f"{reverse('articles:search')}?q=korea",
        "search by tag": f"{reverse('articles:search')}?q=generated&tag=tag-1",
        "rss": reverse("articles:feed_rss"),
        "tag feed": reverse("articles:tag_feed_atom", args=[busiest_tag.slug]),
        "section feed": reverse("articles:section_feed_rss", args=[section.slug]),
        "author feed": reverse("articles:author_feed_rss", args=[author.slug]),
        "story sitemap": reverse("articles:sitemap", kwargs={"section": "stories"}),
        "news sitemap": reverse("articles:news_sitemap"),
    }


def plan_nodes(plan):
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def explain(sql):
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (result,) = cursor.fetchone()
    return (json.loads(result) if isinstance(result, str) else result)[0]["Plan"]


def explain_text(sql):
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture(scope="module")
def archive(django_db_setup, django_db_blocker):
    """The filled archive, shared by the module's tests (and dropped after them)."""
    try:
        with django_db_blocker.unblock():
            fill_archive()
            pages = public_pages()
        yield pages
    finally:
        # Also when the fill fails half-way: the rows it made must not reach later tests.
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE articles_storyrelation, articles_storyauthor, taggit_taggeditem,"
                " articles_story, taggit_tag, articles_author, articles_section CASCADE"
            )
        with django_db_blocker.unblock():
            # The CASCADE emptied the fronts too: the migration's home front comes back.
            ensure_default_fronts()


@pytest.fixture
def no_cache_at_all(settings):
    dummy = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    settings.CACHES = dict.fromkeys(settings.CACHES, dummy)


def test_every_public_query_is_served_by_an_index(archive, client, no_cache_at_all):
    problems = []
    for name, path in archive.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (name, path, response.status_code)
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            plan = explain(sql)
            scans = {
                node["Relation Name"]
                for node in plan_nodes(plan)
                if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in LARGE_TABLES
            }
            if scans or plan["Total Cost"] > MAX_COST_OF.get(name, MAX_COST):
                problems.append(f"{name}: {sorted(scans)}, cost {plan['Total Cost']}\n{sql}\n")
                problems.append(explain_text(sql))
    assert not problems, "\n".join(problems)
