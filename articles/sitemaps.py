"""Sitemaps for crawlers: an index, one sitemap per kind of page, Google News, robots.txt.

- `/sitemap.xml` indexes the stories, sections, tags and authors sitemaps. Each is split
  into files by id, a block of 1,000 ids each, the first file (no `?p`) being the block
  of the lowest listed id and file N (`?p=N`) the N-th block from there. A file's
  addresses stay put as the archive grows (crawlers re-read only the files that
  change), and the index needs only the lowest and highest id of each kind, two index
  lookups, never a count of the archive: it costs the same at 1,000 stories and at a
  million. It carries no `lastmod` (finding each file's latest change would read the
  whole table); each URL in a file has its own.
- `/news-sitemap.xml` lists stories published in the last two days (at most 1,000)
  with the `news:` elements Google News reads.
- `/robots.txt` points to both and keeps crawlers out of the admin.

The XML is written here directly (a thousand URLs through Django's template engine
took about 30 ms). Every URL is absolute on `settings.NEWSROOM["BASE_URL"]`, not the
request's host. Everything starts from `Story.objects.published()`; a section, tag or
author appears only while it has a public story, and its `lastmod` is that of its
latest updated public story.
"""

from datetime import timedelta
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import F, Max, Min, OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from taggit.models import Tag

from . import cache
from .cache import names
from .languages import news_language
from .metadata import absolute_url, iso_datetime, xml_text
from .models import Author, Section, Story, slug_path

NEWS_SITEMAP_DAYS = 2
NEWS_SITEMAP_LIMIT = 1000
XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


class Sitemap:
    """One kind of public page, in files of up to `limit` URLs by id range.

    `ids()` is (lowest, highest) id that may be listed, or (None, None); `entries(low,
    high)` the (path, lastmod) of the pages with ids in low < id <= high, in id order.
    """

    limit = 1000

    def ids(self):
        raise NotImplementedError

    def entries(self, low, high):
        raise NotImplementedError

    def blocks(self):
        """(first, last) block of `limit` ids holding listed pages, or None: file 1 is
        the block of the lowest id, so the first file is never empty."""
        lowest, highest = self.ids()
        if lowest is None:
            return None
        return (lowest - 1) // self.limit, (highest - 1) // self.limit

    def file_numbers(self):
        """The numbers of the files the index lists (1 when there is nothing yet)."""
        blocks = self.blocks()
        return range(1, 2 if blocks is None else blocks[1] - blocks[0] + 2)

    def file_entries(self, number):
        """The pages of file `number` (its block of ids), or None past the last file."""
        blocks = self.blocks()
        if blocks is None:
            return [] if number == 1 else None
        block = blocks[0] + number - 1
        if not blocks[0] <= block <= blocks[1]:
            return None
        return self.entries(block * self.limit, (block + 1) * self.limit)


class StorySitemap(Sitemap):
    def ids(self):
        found = Story.objects.published().aggregate(low=Min("pk"), high=Max("pk"))
        return found["low"], found["high"]

    def entries(self, low, high):
        rows = (
            Story.objects.published()
            .filter(pk__gt=low, pk__lte=high)
            .order_by("pk")
            .values_list("slug", "updated_at")
        )
        return [(story_path(slug), updated) for slug, updated in rows]


def story_path(slug):
    """reverse("articles:story_detail") for `slug`, without the resolver's work per call."""
    return slug_path("articles:story_detail", slug)


def _latest_public_update_of_section():
    """The latest `updated_at` among the public stories of the section OuterRef("pk").

    Sections are few and large: walking the newest updates first finds one at once.
    """
    stories = Story.objects.published().filter(section=OuterRef("pk")).order_by("-updated_at")
    return Subquery(stories.values("updated_at")[:1])


class SectionSitemap(Sitemap):
    """Sections are few: one file, in the navigation's order."""

    def ids(self):
        return 1, 1

    def entries(self, low, high):
        rows = (
            Section.objects.annotate(lastmod=_latest_public_update_of_section())
            .filter(lastmod__isnull=False)
            .order_by("order", "name")
            .values_list("slug", "lastmod")
        )
        return [(slug_path("articles:section_detail", slug), lastmod) for slug, lastmod in rows]


class LinkedSitemap(Sitemap):
    """Tags or authors: those with a public story, lastmod their latest public update.

    One grouped pass over the public stories' links to the objects in the file's id
    range, not a lookup per object (at 100,000 stories and 2,000 tags, walking the
    newest stories of each tag took seconds).
    """

    model = None
    link = ""  # "tagged_items__tag", "story_authors__author"
    view_name = ""

    def ids(self):
        found = self.model.objects.aggregate(low=Min("pk"), high=Max("pk"))
        return found["low"], found["high"]

    def entries(self, low, high):
        rows = (
            Story.objects.published()
            .filter(**{f"{self.link}__gt": low, f"{self.link}__lte": high})
            .values(linked=F(self.link), linked_slug=F(f"{self.link}__slug"))
            .annotate(lastmod=Max("updated_at"))
            .order_by("linked")
            .values_list("linked_slug", "lastmod")
        )
        return [(slug_path(self.view_name, slug), lastmod) for slug, lastmod in rows]


class TagSitemap(LinkedSitemap):
    model, link, view_name = Tag, "tagged_items__tag", "articles:tag_detail"


class AuthorSitemap(LinkedSitemap):
    model, link, view_name = Author, "story_authors__author", "articles:author_detail"


SITEMAPS = {
    "stories": StorySitemap,
    "sections": SectionSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}


@require_safe
def sitemap_page(request, section):
    """One file of one sitemap: `?p=N` among the numbers the index lists, else 404."""
    cache.depends_on(names.SITEMAP)
    if section not in SITEMAPS:
        raise Http404("No such sitemap")
    sitemap = SITEMAPS[section]()
    try:
        number = int(request.GET.get("p", "1"))
    except ValueError:
        raise Http404("No such sitemap page") from None
    entries = sitemap.file_entries(number) if number >= 1 else None
    if entries is None:
        raise Http404("No such sitemap page")
    base = settings.NEWSROOM["BASE_URL"]
    localdate = timezone.localdate
    lines = [
        f"<url><loc>{escape(base + path)}</loc><lastmod>{localdate(lastmod)}</lastmod></url>\n"
        for path, lastmod in entries
    ]
    response = HttpResponse(
        f'{XML_HEADER}<urlset xmlns="{SITEMAP_NS}">\n{"".join(lines)}</urlset>\n',
        content_type="application/xml",
    )
    if entries:
        response["Last-Modified"] = http_date(max(lastmod for _, lastmod in entries).timestamp())
    return response


@require_safe
def sitemap_index(request):
    """The sitemap index: every file of every sitemap, two cheap lookups per kind."""
    cache.depends_on(names.SITEMAP)
    lines = []
    for name, sitemap_class in SITEMAPS.items():
        url = escape(absolute_url(reverse("articles:sitemap", kwargs={"section": name})))
        lines += [
            f"<sitemap><loc>{url if number == 1 else f'{url}?p={number}'}</loc></sitemap>\n"
            for number in sitemap_class().file_numbers()
        ]
    return HttpResponse(
        f'{XML_HEADER}<sitemapindex xmlns="{SITEMAP_NS}">\n{"".join(lines)}</sitemapindex>\n',
        content_type="application/xml",
    )


def news_sitemap_entries(now=None):
    """Stories published in the last two days, newest first, ready for the template."""
    now = now or timezone.now()
    stories = (
        Story.objects.published()
        .filter(published_at__gte=now - timedelta(days=NEWS_SITEMAP_DAYS))
        .order_by("-published_at", "-id")
        .values("slug", "headline", "published_at", "language")[:NEWS_SITEMAP_LIMIT]
    )
    return [
        {
            "location": absolute_url(
                reverse("articles:story_detail", kwargs={"slug": story["slug"]})
            ),
            "title": xml_text(story["headline"]),
            "publication_date": iso_datetime(story["published_at"]),
            # Each story's own: a Korean story is listed as Korean (Google's codes).
            "language": news_language(story["language"]),
        }
        for story in stories
    ]


@require_safe
def news_sitemap(request):
    """The Google News sitemap (one query)."""
    cache.depends_on(names.SITEMAP)
    return TemplateResponse(
        request,
        "sitemaps/news_sitemap.xml",
        {
            "entries": news_sitemap_entries(),
            "publication_name": xml_text(settings.NEWSROOM["PUBLISHER_NAME"]),
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
