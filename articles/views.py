"""Public pages. Each starts from `Story.objects.published()`."""

import hashlib
import re

from django.conf import settings
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpResponsePermanentRedirect,
    QueryDict,
)
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.views.generic import DetailView, TemplateView
from taggit.models import Tag

from . import cache, extensions, metadata
from .cache import names
from .cards import cards_for, zone_card_variant
from .languages import site_language
from .models import Author, Section, Story, StorySlug
from .pagination import Cursor, KeysetPage, cursor_for_page_number
from .search import search_stories

# Former `?page=N` links beyond this are not followed (each one costs an OFFSET).
MAX_FORMER_PAGE = 100_000


def head_fragment(page_meta):
    """What base.html needs of a page's metadata, ready to keep: <head> HTML and titles."""
    return {
        "head_html": render_to_string("includes/meta.html", {"page_meta": page_meta}),
        "page_meta": {"title": page_meta.title, "description": page_meta.description},
    }


class StoryListView(TemplateView):
    """A list of public stories, newest first, a page at a time; subclasses narrow it.

    Pages are keyset pages (articles/pagination.py): the first page, then
    `?before=<cursor>` for older ones. Nothing counts the list, so every page costs
    the same at a hundred thousand stories as at a thousand.
    """

    template_name = "articles/story_list.html"

    # "section", "tag" or "author": the list's own feeds, linked from its <head>.
    feed_kind = None
    # A list about one section, tag or author exists only while it has a public story.
    empty_is_404 = False
    card_variant = "h2"

    # What a desk shows above the list's first page, or None: the home page's and a
    # section's front (articles/fronts/views.py). An object with `zones` (each with its
    # `zone` and `stories`), `story_ids`, `tags` and `item_list_json_ld()`.
    front = None

    def stories(self):
        return Story.objects.published()

    def cached_lookup(self, model, **lookup):
        """A section, tag or author by slug: one query until it changes, or 404."""
        value = "|".join(lookup.values())
        digest = hashlib.sha1(value.encode(), usedforsecurity=False).hexdigest()
        tag_of = {Section: names.section, Tag: names.tag, Author: names.author}[model]
        return cache.get_or_set(
            f"{model._meta.label_lower}:{digest}",
            lambda: get_object_or_404(model, **lookup),  # a 404 is raised, not kept
            lambda found: {tag_of(found.pk)},
        )

    def list_tag(self):
        """The cache tag of this list's membership: purged when a story enters, leaves or
        moves in it (articles/signal_handlers.py)."""
        return names.LIST_LATEST

    def shows(self):
        """The cache tags of what this page shows besides its cards (which add theirs)."""
        return {self.list_tag(), *(self.front.tags if self.front else ())}

    def list_stories(self):
        """The list below the front: what the front shows is not repeated."""
        stories = self.stories()
        if self.front and self.front.story_ids:
            stories = stories.exclude(pk__in=self.front.story_ids)
        return stories

    def get(self, request, *args, **kwargs):
        per_page = settings.NEWSROOM["STORIES_PER_PAGE"]
        number = request.GET.get("page")
        if number is not None and number != "1":
            return self.redirect_former_page(number, per_page)
        before = None
        if "before" in request.GET:
            before = Cursor.parse(request.GET["before"])
            if before is None:
                raise Http404("No such page.")
        page = KeysetPage(self.list_stories(), per_page, before)
        on_front = self.front.story_ids if self.front else ()
        if not page.object_list and not on_front and (before is not None or self.empty_is_404):
            # Past the end of the list; or a section, tag or author with no public
            # story, which must not reveal itself (name, description, bio, portrait).
            # The page's own rows say so: no COUNT, no extra EXISTS.
            raise Http404("No public stories here.")
        return self.render_to_response(self.get_context_data(page_obj=page))

    def redirect_former_page(self, number, per_page):
        """`?page=N`, the former addresses of list pages: a permanent redirect to the
        page that starts at the same story now, or 404."""
        if not number.isdecimal() or not 1 < int(number) <= MAX_FORMER_PAGE:
            raise Http404("No such page.")
        cursor = cursor_for_page_number(self.stories(), per_page, int(number))
        if cursor is None:
            raise Http404("No such page.")
        return HttpResponsePermanentRedirect(f"{self.request.path}?before={cursor}")

    def card_variants(self, stories, page_obj):
        return [self.card_variant] * len(stories)

    def get_context_data(self, **kwargs):
        cache.depends_on(*self.shows())
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        variants = self.card_variants(page.object_list, page)
        # The front's cards and the list's in one go (one query for those not kept).
        zones = self.front.zones if self.front and page.number == 1 else []
        front_ids, front_variants = [], []
        for zone in zones:
            for n, story in enumerate(zone.stories):
                front_ids.append(story.pk)
                front_variants.append(zone_card_variant(zone.zone.kind, n))
        cards = cards_for(
            self.request, [*front_ids, *page.object_list], [*front_variants, *variants]
        )
        context["cards"] = self.front_zones(context, zones, cards)
        # The <head> metadata (canonical, feeds, OpenGraph) of this page of this list,
        # rendered once until the list or its section, tag or author changes.
        address = f"{self.request.path}?{page.query}"
        digest = hashlib.sha1(address.encode(), usedforsecurity=False).hexdigest()
        head = cache.get_or_set(
            f"list-head:{digest}", lambda: self.render_head(context), self.shows()
        )
        context.update(head)
        return context

    def render_head(self, context):
        list_object = context.get("list_object")
        feeds = ()
        if self.feed_kind and list_object is not None:
            feeds = metadata.feeds_for(self.feed_kind, list_object.slug, context["list_title"])
        page_meta = metadata.list_page_meta(
            self.request,
            context["page_obj"],
            heading=context.get("list_title"),
            description=context.get("list_description") or context.get("meta_description"),
            feeds=feeds,
        )
        page_meta.json_ld.extend(self.extra_json_ld())
        return head_fragment(page_meta)

    def extra_json_ld(self):
        """JSON-LD of this list page besides the list's own (the home page's front)."""
        return []

    def front_zones(self, context, zones, cards):
        """Split `cards` into the front's zones (in `context["front_zones"]`) and the
        list's cards (returned). A story no longer public has no card: it is left out."""
        by_story = iter(cards)
        # cards_for leaves out a story unpublished since the front was resolved (a
        # race): then the cards are shown as one list rather than in the wrong zones.
        wanted = sum(len(zone.stories) for zone in zones)
        if len(cards) != wanted + len(context["page_obj"].object_list):
            context["front_zones"] = []
            return cards
        front_zones = []
        for zone in zones:
            zone_cards = [next(by_story) for _ in zone.stories]
            if zone_cards:
                front_zones.append(
                    {
                        "kind": zone.zone.kind,
                        "title": zone.zone.title,
                        "section": zone.zone.section if zone.zone.section_id else None,
                        "cards": zone_cards,
                    }
                )
        context["front_zones"] = front_zones
        return list(by_story)


class LatestView(StoryListView):
    extra_context = {"list_title": "Latest stories"}


class SectionDetailView(StoryListView):
    feed_kind = "section"
    empty_is_404 = True

    @cached_property
    def section(self):
        return self.cached_lookup(Section, slug=self.kwargs["slug"])

    def stories(self):
        return super().stories().filter(section=self.section)

    def list_tag(self):
        return names.list_section(self.section.pk)

    def shows(self):
        return super().shows() | {names.section(self.section.pk)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            list_title=self.section.name,
            list_description=self.section.description,
            list_object=self.section,
            **kwargs,
        )


class TagDetailView(StoryListView):
    feed_kind = "tag"
    empty_is_404 = True

    @cached_property
    def tag(self):
        return self.cached_lookup(Tag, slug=self.kwargs["slug"])

    def stories(self):
        return super().stories().tagged(self.tag)

    def list_tag(self):
        return names.list_tag(self.tag.pk)

    def shows(self):
        return super().shows() | {names.tag(self.tag.pk)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            list_title=self.tag.name, list_kind="Tag", list_object=self.tag, **kwargs
        )


class AuthorDetailView(StoryListView):
    template_name = "articles/author_detail.html"
    feed_kind = "author"
    empty_is_404 = True

    @cached_property
    def author(self):
        return self.cached_lookup(Author, slug=self.kwargs["slug"])

    def stories(self):
        return super().stories().filter(story_authors__author=self.author)

    def list_tag(self):
        return names.list_author(self.author.pk)

    def shows(self):
        return super().shows() | {names.author(self.author.pk)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            author=self.author,
            list_title=self.author.name,
            list_object=self.author,
            meta_description=self.author.bio[:300],
            **kwargs,
        )


class StoryDetailView(DetailView):
    """A story page. Who may see a draft or scheduled story in the admin (an editor, or
    the reporter whose story it is) may preview it at the same URL."""

    template_name = "articles/story_detail.html"
    context_object_name = "story"
    is_preview = False

    def get(self, request, *args, **kwargs):
        # A public story's page is rendered once until what it shows changes; later
        # requests print the stored article and <head> metadata with no query at all.
        slug_digest = hashlib.sha1(self.kwargs["slug"].encode(), usedforsecurity=False)
        key = f"story:{slug_digest.hexdigest()}"
        before = request.GET.get("before")
        if before is not None:
            # Older updates of a live story (articles/live/): a page of its own.
            if not before.isdecimal() or len(before) > 18:
                raise Http404("No such page.")
            key += f":before:{before}"
        stored = cache.get_many([key]).get(key)
        if stored is not None:
            return self.render_to_response({**stored, "is_preview": False})
        try:
            self.object = self.get_object()
        except Http404:
            former = (
                StorySlug.objects.filter(slug=self.kwargs["slug"])
                .filter(story__in=self.visible_stories())
                .select_related("story")
                .first()
            )
            if former is None:
                raise
            cache.depends_on(names.story(former.story_id))
            return HttpResponsePermanentRedirect(former.story.get_absolute_url())
        context = self.get_context_data(object=self.object)
        fragment = {
            "story_html": render_to_string("articles/story_article.html", context),
            **head_fragment(context["page_meta"]),
            # base.html's <html lang>, kept with the article for the stored page's hits.
            "page_language": context["page_language"],
            "chrome_lang": context["chrome_lang"],
        }
        if not self.is_preview:
            cache.set_many({key: (fragment, context["cache_tags"])})
        response = self.render_to_response({**context, **fragment})
        if self.is_preview:
            add_never_cache_headers(response)
            response["Cache-Control"] = "private, no-store"
        return response

    def visible_stories(self):
        """Public stories, and those this user may see in the admin (and so preview)."""
        return Story.objects.published() | Story.objects.visible_to(self.request.user)

    def get_object(self, queryset=None):
        slug = self.kwargs["slug"]
        story = Story.objects.published().for_detail().filter(slug=slug).first()
        if story is None:
            # Anyone else gets the public's 404: visible_to() is empty for them.
            story = Story.objects.visible_to(self.request.user).for_detail().filter(slug=slug)
            story = story.first()
            self.is_preview = story is not None
        if story is None:
            raise Http404("No story at this address.")
        return story

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        story = self.object
        tags = story.tag_list
        related = story.visible_related_headlines
        automatic = []
        if not related and tags:
            # Ranked when stories change; one indexed read here (Story.automatic_related).
            limit = settings.NEWSROOM["RELATED_HEADLINES_AUTO"]
            automatic = list(story.automatic_related()[:limit])
        context.update(
            cache_tags={
                names.story(story.pk),
                names.section(story.section_id),
                *(names.author(byline.author_id) for byline in story.bylines),
                *(names.tag(tag.pk) for tag in tags),
                # Linked stories' headlines; the automatic ones are re-ranked under
                # `related:<pk>` and show their stories' headlines.
                *(names.story(item.target_id) for item in related if item.target_id),
                *([names.related(story.pk)] if not related else []),
                *(names.story(other.pk) for other in automatic),
            },
            tags=tags,
            related_headlines=related,
            automatic_related=automatic,
            is_preview=self.is_preview,
        )
        # What the desks add to the page (live coverage's updates): articles/extensions.py.
        parts = [part(self, story) for part in extensions.story_page_parts.values()]
        parts = [part for part in parts if part is not None]
        if not parts and "before" in self.request.GET:
            raise Http404("No such page.")
        for part in parts:
            context["cache_tags"] |= part.pop("cache_tags", set())
            context.update(part)
        context["page_meta"] = metadata.story_page_meta(story, tags, is_preview=self.is_preview)
        # The page is in the story's language (<html lang>); the site's own words around
        # it (navigation, labels) say theirs when it differs (`chrome_lang`).
        context["page_language"] = story.language
        context["chrome_lang"] = "" if story.language == site_language() else site_language()
        return context


_SLUG = re.compile(r"[-\w]+")


def _slug_param(request, name):
    """A slug from the query string, or "" for anything that cannot be one."""
    value = request.GET.get(name, "")
    return value if len(value) <= 200 and _SLUG.fullmatch(value) else ""


def search(request):
    """Search results for ?q=, optionally narrowed by ?section= and ?tag= (slugs).

    Whatever the query string holds, the answer is a normal page: the search module
    cleans the query, unusable filters are ignored and any page number gives a page.
    """
    cache.depends_on(names.SEARCH)  # any public text, tag or section may change the results
    section, tag = _slug_param(request, "section"), _slug_param(request, "tag")
    results = search_stories(request.GET.get("q", ""), section=section, tag=tag)
    paginator = Paginator(results.stories, settings.NEWSROOM["STORIES_PER_PAGE"])
    page_obj = paginator.get_page(request.GET.get("page"))
    # Links on the page carry the cleaned query, not whatever arrived.
    params = QueryDict(mutable=True)
    for key, value in (("q", results.query), ("section", section), ("tag", tag)):
        if value:
            params[key] = value
    return render(
        request,
        "articles/search.html",
        {
            "query": results.query,
            "result_limit": results.limit,
            "page_obj": page_obj,
            "stories": results.highlight(page_obj.object_list) if results.query else [],
            "tag_facets": results.tag_facets(),
            "selected_section": section,
            "selected_tag": tag,
            "search_params": params,
            "page_meta": metadata.search_page_meta(request, results.query, page_obj, params),
        },
    )
