"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site, and RSS/Atom per section, tag, author.

One `Feed` class per subject (`SiteFeed`, `SectionFeed`, `TagFeed`, `AuthorFeed`),
instantiated once per format with the generator class (`NewsroomRss`, `NewsroomAtom`,
`JsonFeed`). Every item carries publication and update times, all bylines, the tags as
categories, the dek as summary, the body as content and the lead photo as an enclosure
(its stored size; no image is opened per request).

The Django generators are extended because they know one author per item and no full
content: RSS gets `dc:creator` per byline, `content:encoded` and `atom:updated`; Atom
gets one `<author>` per byline and `<content type="html">`.

Queries per feed are constant: the subject (section, tag or author), the items, their
bylines and their tags.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed, SyndicationFeed
from django.utils.html import escape
from taggit.models import Tag

from . import blocks, cache, extensions
from .cache import names
from .languages import site_language
from .metadata import absolute_url, publisher_logo, story_images, xml_text
from .models import Author, Section, Story, tags_as_json_for_story

FEED_LENGTH = 30

_DC = "http://purl.org/dc/elements/1.1/"
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_MEDIA = "http://search.yahoo.com/mrss/"


# ------------------------------------------------------------------------ generators


def _add_media(handler, item):
    image = item.get("image")
    if image is None:
        return
    attrs = {"url": image.url, "medium": "image"}
    if image.mime_type:
        attrs["type"] = image.mime_type
    if image.width and image.height:
        attrs |= {"width": str(image.width), "height": str(image.height)}
    handler.startElement("media:content", attrs)
    if image.alt:
        handler.addQuickElement("media:description", xml_text(image.alt), {"type": "plain"})
    handler.endElement("media:content")


class NewsroomRss(Rss201rev2Feed):
    """RSS 2.0 with every byline (dc:creator), full content and the update time."""

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:dc": _DC,
            "xmlns:content": _CONTENT,
            "xmlns:media": _MEDIA,
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for author in item["authors"]:
            handler.addQuickElement("dc:creator", author["name"])
        # RSS's own <language> is the channel's; Dublin Core says each item's.
        handler.addQuickElement("dc:language", item["language"])
        if item["updateddate"] is not None:
            handler.addQuickElement("atom:updated", item["updateddate"].isoformat())
        handler.addQuickElement("content:encoded", item["content"])
        _add_media(handler, item)


class NewsroomAtom(Atom1Feed):
    """Atom 1.0 with one <author> per byline and the full content."""

    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:media": _MEDIA}

    def item_attributes(self, item):
        # The feed's xml:lang is the site's; an entry in another language says so.
        return {**super().item_attributes(item), "xml:lang": item["language"]}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for author in item["authors"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", author["name"])
            handler.addQuickElement("uri", author["url"])
            handler.endElement("author")
        handler.addQuickElement("content", item["content"], {"type": "html"})
        _add_media(handler, item)


class JsonFeed(SyndicationFeed):
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""

    content_type = "application/feed+json; charset=utf-8"

    def write(self, outfile, encoding):
        feed = self.feed
        data = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": feed["title"],
            "home_page_url": feed["link"],
            "feed_url": feed["feed_url"],
            "description": feed["description"],
            "language": feed["language"],
            "icon": publisher_logo().url,
            "authors": [{"name": settings.NEWSROOM["PUBLISHER_NAME"]}],
            "items": [self.item_json(item) for item in self.items],
        }
        text = json.dumps(data, ensure_ascii=False, indent=1)
        # <, > and & only occur inside JSON strings; escaping them keeps the feed inert
        # even if something renders it as HTML, and JSON parsers read the same text.
        for char, code in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
            text = text.replace(char, code)
        outfile.write(text.encode(encoding))

    @staticmethod
    def item_json(item):
        data = {
            "id": item["unique_id"] or item["link"],
            "url": item["link"],
            "title": item["title"],
            "summary": item["summary"],
            "content_html": item["content"],
            "date_published": item["pubdate"].isoformat(),
            "date_modified": (item["updateddate"] or item["pubdate"]).isoformat(),
            "authors": item["authors"],
            "tags": list(item["categories"]),
            "language": item["language"],
        }
        if item.get("image") is not None:
            data["image"] = item["image"].url
        return data


# --------------------------------------------------------------------------- feeds


@dataclass(frozen=True)
class FeedSubject:
    """What one feed is about: its titles, its page, its own address and its stories."""

    title: str
    description: str
    link: str
    feed_url: str
    stories: QuerySet
    # The cache tags of the list and its subject ("list:latest", "section:4", …).
    shows: frozenset = frozenset({names.LIST_LATEST})
    # A section, tag or author with no public story (drafts only, or none yet) must not
    # reveal itself, as its page does not.
    empty_is_404: bool = False


class StoryFeed(Feed):
    """The newest public stories of a subject; subclasses say which subject."""

    @property
    def language(self):
        return site_language()  # the channel's; each item says its own too

    def __init__(self, feed_type=NewsroomRss):
        super().__init__()
        self.feed_type = feed_type

    def get_object(self, request, *args, **kwargs):
        return self.subject(request, *args, **kwargs)

    def subject(self, request, **kwargs) -> FeedSubject:  # pragma: no cover - interface
        raise NotImplementedError

    # Feed-level data: absolute URLs from BASE_URL, whatever host the request used.
    def title(self, subject):
        return xml_text(subject.title)

    def description(self, subject):
        return xml_text(subject.description)

    def link(self, subject):
        return subject.link

    def feed_url(self, subject):
        return subject.feed_url

    def feed_copyright(self, subject):
        return f"© {settings.NEWSROOM['PUBLISHER_NAME']}"

    def items(self, subject):
        stories = list(
            subject.stories.for_cards()
            .defer(None)
            .defer("search_vector")
            # Tag names inside the stories' own query (as on story pages): prefetching
            # taggit's manager builds a queryset per story, a millisecond each.
            .annotate(tags_json=Subquery(tags_as_json_for_story()))
            # Later times a desk knows of (a live story's newest update): the item's
            # update time is the latest of them (articles/extensions.py).
            .annotate(**{name: time() for name, time in extensions.feed_item_times.items()})
            .order_by("-published_at", "-pk")[:FEED_LENGTH]
        )
        cache.depends_on(*subject.shows)
        for story in stories:  # each item's headline, text, bylines and tag names
            cache.depends_on(
                names.story(story.pk),
                *(names.author(byline.author_id) for byline in story.bylines),
                *(names.tag(tag.pk) for tag in story.tag_list),
            )
        if not stories and subject.empty_is_404:
            raise Http404("No public stories here.")
        # The bodies' photos and galleries, for every item at once (articles/blocks.py).
        for story, content in zip(
            stories, blocks.for_feeds_many([s.body for s in stories]), strict=True
        ):
            story.feed_content = content
        return stories

    # Items.
    def item_title(self, story):
        # Plain text: the XML writer escapes it once (Django's default escapes twice).
        return xml_text(story.headline)

    def item_description(self, story):
        # RSS <description> and Atom <summary type="html"> hold HTML: escape the dek.
        return xml_text(escape(story.dek or story.headline))

    def item_link(self, story):
        return absolute_url(story.get_absolute_url())

    def item_guid_is_permalink(self, story):
        return True

    def item_pubdate(self, story):
        return story.published_at

    def item_updateddate(self, story):
        later = (getattr(story, name) for name in extensions.feed_item_times)
        return max(story.updated_at, story.published_at, *filter(None, later))

    def item_categories(self, story):
        return [xml_text(tag.name) for tag in story.tag_list]

    def item_enclosures(self, story):
        # The social-card JPEG: its size is on record, so no storage call per item.
        images = self.images(story)
        if not images:
            return []
        image = images[0]
        return [Enclosure(image.url, str(image.length), image.mime_type or "image/jpeg")]

    def images(self, story):
        """The item's lead photo data, worked out once for its enclosure and media."""
        if not hasattr(story, "feed_images"):
            story.feed_images = story_images(story)
        return story.feed_images

    def item_extra_kwargs(self, story):
        images = self.images(story)
        return {
            "authors": [
                {
                    "name": xml_text(byline.author.name),
                    "url": absolute_url(byline.author.get_absolute_url()),
                }
                for byline in story.bylines
            ],
            "summary": xml_text(story.dek),
            # Embeds become plain links, photos plain figures: no iframe, no script
            # (articles/blocks.py).
            "content": xml_text(
                story.feed_content
                if hasattr(story, "feed_content")
                else blocks.for_feeds(story.body)
            ),
            "image": images[0] if images else None,
            "language": story.language,
        }


def _this_feed(request):
    return absolute_url(request.path)


class SiteFeed(StoryFeed):
    def subject(self, request, **kwargs):
        newsroom = settings.NEWSROOM
        return FeedSubject(
            title=newsroom["SITE_NAME"],
            description=newsroom["TAGLINE"],
            link=absolute_url(reverse("articles:home")),
            feed_url=_this_feed(request),
            stories=Story.objects.published(),
        )


class SectionFeed(StoryFeed):
    def subject(self, request, slug):
        section = get_object_or_404(Section, slug=slug)
        site = settings.NEWSROOM["SITE_NAME"]
        return FeedSubject(
            title=f"{section.name} — {site}",
            description=section.description or f"{section.name}: the latest from {site}.",
            link=absolute_url(section.get_absolute_url()),
            feed_url=_this_feed(request),
            stories=Story.objects.published().filter(section=section),
            empty_is_404=True,
            shows=frozenset({names.section(section.pk), names.list_section(section.pk)}),
        )


class TagFeed(StoryFeed):
    def subject(self, request, slug):
        tag = get_object_or_404(Tag, slug=slug)
        site = settings.NEWSROOM["SITE_NAME"]
        return FeedSubject(
            title=f"{tag.name} — {site}",
            description=f"Stories tagged {tag.name} from {site}.",
            link=absolute_url(reverse("articles:tag_detail", args=[tag.slug])),
            feed_url=_this_feed(request),
            stories=Story.objects.published().tagged(tag),
            empty_is_404=True,
            shows=frozenset({names.tag(tag.pk), names.list_tag(tag.pk)}),
        )


class AuthorFeed(StoryFeed):
    def subject(self, request, slug):
        author = get_object_or_404(Author, slug=slug)
        site = settings.NEWSROOM["SITE_NAME"]
        return FeedSubject(
            title=f"{author.name} — {site}",
            description=f"Stories by {author.name} for {site}.",
            link=absolute_url(author.get_absolute_url()),
            feed_url=_this_feed(request),
            stories=Story.objects.published().filter(story_authors__author=author),
            empty_is_404=True,
            shows=frozenset({names.author(author.pk), names.list_author(author.pk)}),
        )
