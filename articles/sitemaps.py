"""Sitemaps for crawlers: an index, one sitemap per kind of page, Google News, robots.txt.

- `/sitemap.xml` indexes the stories, sections, tags and authors sitemaps (each split
  into pages of at most 50,000 URLs, `?p=2` and on), with a `lastmod` per sitemap.
- `/news-sitemap.xml` lists stories published in the last two days (at most 1,000)
  with the `news:` elements Google News reads.
- `/robots.txt` points to both and keeps crawlers out of the admin.

Every URL is absolute on `settings.NEWSROOM["BASE_URL"]`, not the request's host
(Django's own index view uses the request's). Everything starts from
`Story.objects.published()`; a section, tag or author appears only while it has a
public story, and its `lastmod` is that of its latest updated public story.
"""

import hashlib
from datetime import timedelta
from math import ceil
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem, sitemap
from django.db.models import Count, F, Max, OuterRef, Subquery
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from . import cache
from .metadata import absolute_url, iso_datetime, xml_text
from .models import Section, Story, slug_path
from .pagination import NewestFirstPaginator, UncountedPaginator

NEWS_SITEMAP_DAYS = 2
NEWS_SITEMAP_LIMIT = 1000


class NewsroomSitemap(Sitemap):
    """A sitemap whose URLs start with the configured BASE_URL.

    Files hold at most `limit` URLs (the protocol allows 50,000; a thousand keeps each
    file small and quick to build). The number of URLs and the latest change are
    counted once until a public URL changes (cache tag `sitemap`), and pages past the
    middle are read from the far
    end of the list (NewestFirstPaginator), so no page walks the whole table.
    """

    limit = 1000

    def get_protocol(self, protocol=None):
        return urlsplit(settings.NEWSROOM["BASE_URL"]).scheme or "https"

    def get_domain(self, site=None):
        return urlsplit(settings.NEWSROOM["BASE_URL"]).netloc

    def summary(self):
        """(number of URLs, latest lastmod), counted once until a public URL changes."""
        name = type(self).__name__
        return cache.get_or_set(f"sitemap:{name}", self.count_summary, {"sitemap"})

    def count_summary(self):
        totals = self.items().aggregate(url_count=Count("*"), latest=Max("lastmod"))
        return totals["url_count"], totals["latest"]

    @property
    def paginator(self):
        return NewestFirstPaginator(self._items(), self.limit, known_count=self.summary()[0])

    def lastmod(self, item):
        return item["lastmod"]


class StorySitemap(NewsroomSitemap):
    def items(self):
        # Rows as small dicts in index order (story_public_idx): no model instances,
        # no body, for up to 50,000 stories per page.
        return (
            Story.objects.published()
            .order_by("-published_at", "-id")
            .values("pk", "slug", lastmod=F("updated_at"))
        )

    def count_summary(self):
        totals = Story.objects.published().aggregate(count=Count("pk"), lastmod=Max("updated_at"))
        return totals["count"], totals["lastmod"]

    @property
    def paginator(self):
        # Only the index counts the stories (one file per thousand); a file does not.
        return UncountedPaginator(self._items(), self.limit)

    def location(self, item):
        # A thousand reverse() calls per file: the pattern is filled in directly.
        return story_path(item["slug"])


def story_path(slug):
    """reverse("articles:story_detail") for `slug`, without the resolver's work per call."""
    return slug_path("articles:story_detail", slug)


def _latest_public_update_of_section():
    """The latest `updated_at` among the public stories of the section OuterRef("pk").

    Sections are few and large: walking the newest updates first finds one at once.
    """
    stories = Story.objects.published().filter(section=OuterRef("pk")).order_by("-updated_at")
    return Subquery(stories.values("updated_at")[:1])


class SectionSitemap(NewsroomSitemap):
    def items(self):
        return (
            Section.objects.annotate(lastmod=_latest_public_update_of_section())
            .filter(lastmod__isnull=False)
            .order_by("order", "name")
            .values("pk", "slug", "lastmod")
        )

    def location(self, item):
        return reverse("articles:section_detail", kwargs={"slug": item["slug"]})


def _linked_with_public_stories(link):
    """(linked pk, linked_slug, lastmod) of every object linked to a public story through `link`
    ("tagged_items__tag", "story_authors__author"), lastmod its latest public update.

    One grouped pass over the public stories' links, not a lookup per object: tags and
    authors are many and mostly small, and at 100,000 stories and 2,000 tags walking
    the newest stories for each took seconds.
    """
    return (
        Story.objects.published()
        .filter(**{f"{link}__isnull": False})
        .values(linked=F(link), linked_slug=F(f"{link}__slug"))
        .annotate(lastmod=Max("updated_at"))
        .order_by("linked")
    )


class TagSitemap(NewsroomSitemap):
    def items(self):
        return _linked_with_public_stories("tagged_items__tag")

    def location(self, item):
        return reverse("articles:tag_detail", kwargs={"slug": item["linked_slug"]})


class AuthorSitemap(NewsroomSitemap):
    def items(self):
        return _linked_with_public_stories("story_authors__author")

    def location(self, item):
        return reverse("articles:author_detail", kwargs={"slug": item["linked_slug"]})


SITEMAPS = {
    "stories": StorySitemap,
    "sections": SectionSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}


@require_safe
def sitemap_page(request, section):
    """One page of one sitemap, built once until a public URL changes.

    A thousand URLs take tens of milliseconds to write out; the XML is kept in the
    shared cache only (not in each worker's copy, where a crawler walking every page
    would push out the cards).
    """
    page = request.GET.get("p", "1")
    digest = hashlib.sha1(f"{section}:{page}".encode(), usedforsecurity=False).hexdigest()

    def build():
        response = sitemap(request, sitemaps=SITEMAPS, section=section)
        response.render()
        return (response.content, response.get("Last-Modified"))

    content, last_modified = cache.get_or_set(
        f"sitemap-page:{digest}", build, {"sitemap"}, shared_only=True
    )
    response = HttpResponse(content, content_type="application/xml")
    if last_modified:
        response["Last-Modified"] = last_modified
    return response


@require_safe
def sitemap_index(request):
    """The sitemap index: every page of every sitemap, one query per sitemap."""
    cache.depends_on("sitemap")
    entries = []
    for name, sitemap_class in SITEMAPS.items():
        sitemap = sitemap_class()
        count, lastmod = sitemap.summary()
        url = absolute_url(reverse("articles:sitemap", kwargs={"section": name}))
        pages = max(1, ceil(count / sitemap.limit))
        entries += [
            SitemapIndexItem(url if page == 1 else f"{url}?p={page}", lastmod)
            for page in range(1, pages + 1)
        ]
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": entries}, content_type="application/xml"
    )


def news_language():
    """The publication language as Google News wants it: ISO 639 ("en"), zh-cn/zh-tw."""
    code = settings.LANGUAGE_CODE.lower()
    return code if code in {"zh-cn", "zh-tw"} else code.split("-")[0]


def news_sitemap_entries(now=None):
    """Stories published in the last two days, newest first, ready for the template."""
    now = now or timezone.now()
    stories = (
        Story.objects.published()
        .filter(published_at__gte=now - timedelta(days=NEWS_SITEMAP_DAYS))
        .order_by("-published_at", "-id")
        .values("slug", "headline", "published_at")[:NEWS_SITEMAP_LIMIT]
    )
    return [
        {
            "location": absolute_url(
                reverse("articles:story_detail", kwargs={"slug": story["slug"]})
            ),
            "title": xml_text(story["headline"]),
            "publication_date": iso_datetime(story["published_at"]),
        }
        for story in stories
    ]


@require_safe
def news_sitemap(request):
    """The Google News sitemap (one query)."""
    cache.depends_on("sitemap")
    return TemplateResponse(
        request,
        "sitemaps/news_sitemap.xml",
        {
            "entries": news_sitemap_entries(),
            "publication_name": xml_text(settings.NEWSROOM["PUBLISHER_NAME"]),
            "publication_language": news_language(),
        },
        content_type="application/xml",
    )


@require_safe
def robots_txt(request):
    """Where the sitemaps are, and that the admin is not for crawlers.

    robots.txt is public: an admin moved with DJANGO_ADMIN_URL is moved to stay out of
    sight, so only the well-known default path (which reveals nothing) is listed.
    """
    lines = ["User-agent: *"]
    if settings.ADMIN_URL == "admin/":
        lines.append("Disallow: /admin/")
    else:
        lines.append("Disallow:")  # the record needs a rule; an empty one allows all
    lines += [
        "",
        f"Sitemap: {absolute_url(reverse('articles:sitemap_index'))}",
        f"Sitemap: {absolute_url(reverse('articles:news_sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
