"""Public pages. Each starts from `Story.objects.published()`."""

import hashlib
import re

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import (
    Http404,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.views.generic import DetailView, TemplateView
from taggit.models import Tag

from . import cache, live, metadata
from .cache import names, pages
from .cards import cards_for, zone_card_variant
from .fronts.resolve import resolve as resolve_front
from .languages import site_language
from .live import LiveUpdate
from .models import Author, Section, Story, StorySlug
from .pagination import Cursor, KeysetPage, cursor_for_page_number
from .search import search_stories

# A list without a front above it (see StoryListView.front_section_id).
NO_FRONT = object()

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
    # A front's layout to show instead of the current one: an editor's preview
    # (articles/fronts/admin.py), never cached.
    preview_layout = None

    def front_section_id(self):
        """The front this list shows above its first page: None for the home page, a
        section's pk; NO_FRONT for lists without one."""
        return NO_FRONT

    @cached_property
    def front(self):
        """The front shown above the list's first page (articles/fronts/), or None."""
        section_id = self.front_section_id()
        if section_id is NO_FRONT:
            return None
        # Older pages too: the list is the same list (what the front shows is not in
        # it) on every page, so that their cursors meet.
        return resolve_front(section_id, layout=self.preview_layout)

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
        if self.front_section_id() is None and self.front and self.front.story_ids:
            # The home page's curated stories, in order.
            page_meta.json_ld.append(self.front.item_list_json_ld())
        return head_fragment(page_meta)

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


class HomeView(StoryListView):
    """The front page: the home front's zones (lead, top stories, sections' rails, as
    editors arranged them; articles/fronts/), then the latest of the rest."""

    template_name = "articles/home.html"
    card_variant = "h3"

    def front_section_id(self):
        return None

    def card_variants(self, stories, page_obj):
        # No layout live (none made yet): the newest story leads, as before fronts.
        variants = super().card_variants(stories, page_obj)
        if variants and page_obj.number == 1 and not (self.front and self.front.zones):
            variants[0] = "lead"
        return variants

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cards = context["cards"]
        if context["page_obj"].number == 1 and cards and not context["front_zones"]:
            context["front_zones"] = [{"kind": "lead", "cards": cards[:1]}]
            context["cards"] = cards[1:]
        return context


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

    def front_section_id(self):
        return self.section.pk

    def card_variants(self, stories, page_obj):
        # Below the section's top stories, under a "Latest" heading of its own.
        variant = "h3" if self.front and self.front.story_ids else self.card_variant
        return [variant] * len(stories)

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
            # Older updates of a live story (articles/live.py): a page of its own.
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
        if story.is_live_coverage:
            context.update(self.live_context(story))
            context["cache_tags"].add(f"live:{story.pk}")
        elif "before" in self.request.GET:
            raise Http404("No such page.")
        context["page_meta"] = metadata.story_page_meta(story, tags, is_preview=self.is_preview)
        # The page is in the story's language (<html lang>); the site's own words around
        # it (navigation, labels) say theirs when it differs (`chrome_lang`).
        context["page_language"] = story.language
        context["chrome_lang"] = "" if story.language == site_language() else site_language()
        return context

    def live_context(self, story):
        """A live story's updates: a page of them, the key events, the latest time.

        Three queries for the page and its bylines, one for the key events, whatever
        the number of updates (`?before=<id>`: the page below that update).
        """
        before = self.request.GET.get("before")
        updates, older = live.live_page(story, int(before) if before else None)
        if updates is None:
            raise Http404("No such update.")
        key_events = list(
            LiveUpdate.objects.filter(story=story, pinned=True)
            .newest_first()
            .only("pk", "story_id", "headline", "body", "posted_at")[: live.KEY_EVENTS_SHOWN]
        )
        if before is None:
            latest = updates[0] if updates else None
        else:
            latest = LiveUpdate.objects.filter(story=story).newest_first().first()
        polls = story.is_live and before is None and not self.is_preview
        # Their photos: a photo leaving public pages (its rights ended) purges its tag.
        cache.depends_on(*(f"photo:{update.photo_id}" for update in updates if update.photo_id))
        # Read by story_json_ld (liveBlogUpdate: the updates on this page).
        story.live_page_updates = updates
        story.live_latest_at = latest.posted_at if latest else None
        return {
            "live_updates": updates,
            "live_older": older,
            "live_is_first_page": before is None,
            "live_key_events": key_events,
            "live_latest": latest,
            "live_polls": polls,
            # The last change this page shows: its script asks for edits and deletions
            # since then (articles/live.py).
            "live_since": live.last_change(story.pk) if polls else 0,
            "live_poll_ms": settings.NEWSROOM["LIVE_POLL_SECONDS"] * 1000,
            "live_jitter_ms": settings.NEWSROOM["LIVE_POLL_JITTER"] * 1000,
        }


def live_update_permalink(request, slug, update_id):
    """`/stories/<slug>/updates/<id>/`: the story's page that shows the update, opened at
    it (a redirect to `?before=…#update-<id>`). Public stories only."""
    if update_id >= 2**63:  # past any id: PostgreSQL would refuse the comparison
        raise Http404("No such update.")
    story = get_object_or_404(
        Story.objects.published().filter(live_started_at__isnull=False).only("pk", "slug"),
        slug=slug,
    )
    cache.depends_on(f"live:{story.pk}", f"story:{story.pk}")
    update = get_object_or_404(LiveUpdate.objects.filter(story=story), pk=update_id)
    before = live.page_holding(update)
    query = f"?before={before}" if before else ""
    return HttpResponseRedirect(f"{story.get_absolute_url()}{query}#{update.anchor}")


def live_updates_poll(request, slug):
    """`/stories/<slug>/updates/?after=<id>&since=<stamp>`: what a live page's script
    asks every poll.

    A small JSON answer, the same for every reader at the same point (cached under
    `live:<pk>`, so an unchanged answer is a 304 from the page cache, no SQL): whether
    the coverage is still live, the newest update's id, the updates after `after`,
    newest first, as the HTML the page shows them in; and, since `since` (the stamp
    of the last change the page has seen, articles/live.py), the updates edited
    (`changed`, their new HTML) and the ids of those deleted (`removed`), with the
    stamp to ask from next. Drafts and scheduled stories answer 404 like their pages.
    """
    after = request.GET.get("after", "0")
    since = request.GET.get("since", "")
    if not after.isdecimal() or len(after) > 18 or not _stamp_like(since):
        raise Http404("No such update.")
    story = get_object_or_404(
        Story.objects.published()
        .filter(live_started_at__isnull=False)
        .only("pk", "slug", "live_started_at", "live_ended_at"),
        slug=slug,
    )
    cache.depends_on(f"live:{story.pk}", f"story:{story.pk}")
    limit = live.POLL_UPDATES_MAX
    after = int(after)
    wanted = Q(pk__gt=after)
    if since:
        # One query for the new and the edited: the edited are a range of the
        # (story, updated_at) index.
        wanted |= Q(updated_at__gt=live.moment_of(int(since)) - live.CHANGE_MARGIN)
    rows = list(LiveUpdate.objects.filter(story=story).filter(wanted).for_page()[: 2 * limit + 1])
    updates = [update for update in rows if update.pk > after]
    cache.depends_on(*(f"photo:{update.photo_id}" for update in rows if update.photo_id))
    changed = [update for update in rows if update.pk <= after][:limit]
    newest = max((update.pk for update in updates), default=after)

    def item(update):
        return {
            "id": update.pk,
            "pinned": update.pinned,
            "html": render_to_string(
                "includes/live_update.html", {"update": update, "story": story}
            ),
        }

    response = JsonResponse(
        {
            "live": story.is_live,
            "latest": newest,
            "more": len(updates) > limit,
            "updates": [item(update) for update in updates[:limit]],
            "changed": [item(update) for update in changed],
            "removed": live.removed_since(story.pk, int(since)) if since else [],
            "since": live.last_change(story.pk),
        }
    )
    if not settings.PAGE_CACHE["PURGE_HOOK"]:
        # A CDN that is not told of new updates keeps the answer at most one interval
        # (revalidation grace included): readers behind it are one poll late, not 90 s.
        setattr(response, pages.SHARED_MAX_ATTRIBUTE, settings.NEWSROOM["LIVE_POLL_SECONDS"])
    return response


def _stamp_like(value):
    return value == "" or (value.isdecimal() and len(value) <= 18)


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
