"""/api/v1/stories: the public stories, one story with its body, a live story's updates.

Every story comes from `access.visible_stories(request)` (the one rule of what an API
request may see), with what a card or a page shows fetched as the site's pages fetch
it (`for_cards`, `for_detail`): a constant number of queries per response, whatever
the number of stories, bylines, tags or photos. Each view declares the cache tags of
what it shows (articles/cache/names.py), the same tags as the pages showing the same
things, so the purges that reach a page reach its API response too.
"""

import re
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Q, Subquery
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field
from taggit.models import Tag

from articles import blocks as body_blocks
from articles import cache, images, inline_media
from articles.cache import names
from articles.inline_media import GalleryBlock, PhotoBlock
from articles.json_aggregates import tags_as_json_for_story
from articles.live import coverage
from articles.metadata import absolute_url
from articles.models import Author, Section
from articles.pagination import Cursor

from . import access, schemas

router = Router(tags=["stories"])

MAX_LIMIT = 100
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
_SLUG = re.compile(r"[-\w]{1,200}")


def api_url(name, **kwargs):
    return absolute_url(reverse(f"api-v1:{name}", kwargs=kwargs))


def page_url(name, query):
    """The absolute address of the next page of the list `name` (its query, cleaned)."""
    return f"{api_url(name)}?{query.urlencode()}"


# The pieces every response is built of


def photo_out(photo):
    """A library photo (public: ready, rights not expired) with its renditions."""
    url = images.public_url_function()
    made = photo.renditions or {}

    def files(frame):
        return [
            {
                "format": fmt,
                "mime_type": images.MIME_TYPES[fmt],
                "width": file[1],
                "height": file[2],
                "url": absolute_url(url(file[0])),
            }
            for size in made.get(frame) or ()
            for fmt, file in size.items()
            if fmt in images.MIME_TYPES
        ]

    return {
        "id": photo.pk,
        "api_url": api_url("photo_detail", photo_id=photo.pk),
        "caption": photo.caption,
        "credit": photo.credit,
        "alt": photo.alt,
        "width": photo.width,
        "height": photo.height,
        "renditions": {"lead": files("lead"), "card": files("card")},
    }


def section_ref(section):
    return {
        "id": section.pk,
        "name": section.name,
        "slug": section.slug,
        "url": absolute_url(section.get_absolute_url()),
        "api_url": api_url("section_detail", slug=section.slug),
    }


def author_ref(author):
    return {
        "id": author.pk,
        "name": author.name,
        "slug": author.slug,
        "url": absolute_url(author.get_absolute_url()),
        "api_url": api_url("author_detail", slug=author.slug),
    }


def tag_out(tag):
    return {
        "id": tag.pk,
        "name": tag.name,
        "slug": tag.slug,
        "url": absolute_url(reverse("articles:tag_detail", kwargs={"slug": tag.slug})),
        "api_url": api_url("tag_detail", slug=tag.slug),
    }


def with_tags(stories):
    """`stories` with their tags in the same query (`tags_json`, read by `tag_list`)."""
    return stories.annotate(tags_json=Subquery(tags_as_json_for_story()))


def card_out(story):
    """A story as lists show it (`story` from `for_cards()` and `with_tags()`), its
    cache tags declared: those of its card on the site, and its tags'."""
    tags = story.tag_list
    cache.depends_on(
        names.story(story.pk),
        names.section(story.section_id),
        *(names.author(byline.author_id) for byline in story.bylines),
        *(names.tag(tag.pk) for tag in tags),
    )
    photo = story.shown_photo
    return {
        "id": story.pk,
        "slug": story.slug,
        "url": absolute_url(story.get_absolute_url()),
        "api_url": api_url("story_detail", story_id=story.pk),
        "headline": story.headline,
        "dek": story.dek,
        "language": story.language,
        "published_at": story.published_at,
        "updated_at": story.updated_at,
        "embargo_until": story.embargo_until,
        "section": section_ref(story.section),
        "authors": [author_ref(byline.author) for byline in story.bylines],
        "tags": [tag_out(tag) for tag in tags],
        "lead_photo": (
            {"caption": story.lead_caption, "photo": photo_out(photo)} if photo else None
        ),
    }


def block_out(part):
    if isinstance(part, str):
        return {"type": "html", "html": part}
    if isinstance(part, PhotoBlock):
        if part.photo is None or part.photo.lead_picture is None:
            return None  # processing, deleted or hidden: left out, as on the page
        return {
            "type": "photo",
            "caption": part.caption or part.photo.caption,
            "photo": photo_out(part.photo),
        }
    if isinstance(part, GalleryBlock):
        if not part.items:
            return None
        return {
            "type": "gallery",
            "id": part.gallery_id,
            "title": part.title,
            "items": [
                {"caption": caption or photo.caption, "photo": photo_out(photo)}
                for photo, caption in part.items
            ],
        }
    embed = part.embed
    return {
        "type": "embed",
        "provider": embed.provider.key,
        "provider_name": embed.provider.name,
        "url": embed.url,
        "iframe_url": embed.iframe_url,
        "shape": embed.shape,
        "title": part.title,
    }


def body_out(story):
    """(body_html, blocks) of a story from `for_detail()`: its photos and galleries
    came in its own query (`inline_media.preloaded`), so no query here."""
    with inline_media.preloaded(story):
        parts = body_blocks.blocks(story.body)
    html, found = [], []
    for part in parts:
        if isinstance(part, str):
            html.append(part)
            if part.strip():
                found.append(block_out(part))
            continue
        # A photo or gallery names its tags (photo:<pk>, gallery:<pk>), as on the page.
        if hasattr(part, "tags"):
            cache.depends_on(*part.tags)
        html.append(part.kind.feed_html(part))
        found.append(block_out(part))
    return "".join(html), [block for block in found if block is not None]


# Lists


def parse_cursor(value):
    if value is None:
        return None
    cursor = Cursor.parse(value)
    if cursor is None:
        raise HttpError(422, "`before` is not a cursor this API gave: use `next_cursor`.")
    return cursor


def slug_id(model, slug, what):
    """The pk of the section, tag or author `slug` names; 404 if none (cached until
    any new public address appears, as the site's 404 pages are)."""
    if not _SLUG.fullmatch(slug):
        raise HttpError(422, f"`{what}` is a slug, like `{what}=economy`.")
    pk = model.objects.filter(slug=slug).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404(f"No {what} “{slug}”.")
    return pk


class StoryFilters(Schema):
    section: str | None = Field(None, description="A section's slug.")
    tag: str | None = Field(None, description="A tag's slug.")
    author: str | None = Field(None, description="An author's slug.")
    language: str | None = Field(
        None, description="A BCP 47 language tag: `ko` matches ko and ko-KR."
    )
    updated_since: datetime | None = Field(
        None, description="Only stories changed at or after this time (ISO 8601)."
    )
    before: str | None = Field(None, description="The cursor of a page: a `next_cursor`.")
    limit: int | None = Field(None, ge=1, le=MAX_LIMIT, description="Stories per page.")


@router.get(
    "/stories",
    response={200: schemas.StoryPage, 404: schemas.Error, 422: schemas.Error},
    summary="The public stories, newest first",
)
def story_list(request, filters: Query[StoryFilters]):
    """Keyset pages: follow `next` (or pass `next_cursor` as `before`) until it is
    null; each public story comes exactly once, however many are published meanwhile.
    Filters combine (AND)."""
    limit = filters.limit or settings.NEWSROOM["STORIES_PER_PAGE"]
    before = parse_cursor(filters.before)
    stories = access.visible_stories(request)
    shows = set()
    if filters.section is not None:
        pk = slug_id(Section, filters.section, "section")
        stories = stories.filter(section_id=pk)
        shows |= {names.list_section(pk), names.section(pk)}
    if filters.tag is not None:
        pk = slug_id(Tag, filters.tag, "tag")
        stories = stories.tagged(pk)
        shows |= {names.list_tag(pk), names.tag(pk)}
    if filters.author is not None:
        pk = slug_id(Author, filters.author, "author")
        stories = stories.filter(story_authors__author_id=pk)
        shows |= {names.list_author(pk), names.author(pk)}
    if filters.language is not None:
        if not _LANGUAGE.fullmatch(filters.language):
            raise HttpError(422, "`language` is a language tag, like `language=ko`.")
        language = filters.language
        stories = stories.filter(
            Q(language__iexact=language) | Q(language__istartswith=f"{language}-")
        )
        # Any story entering or leaving the whole list may be in this language.
        shows.add(names.LIST_LATEST)
    if filters.updated_since is not None:
        since = filters.updated_since
        if timezone.is_naive(since):
            since = since.replace(tzinfo=UTC)
        stories = stories.filter(updated_at__gte=since)
        # Any public story's edit may bring it into this list (each edit purges SEARCH).
        shows |= {names.LIST_LATEST, names.SEARCH}
    if not shows:
        shows.add(names.LIST_LATEST)
    cache.depends_on(*shows)
    ordered = stories.order_by("-published_at", "-pk")
    if before is not None:
        ordered = ordered.filter(before.older())
    rows = list(with_tags(ordered.for_cards())[: limit + 1])
    items = [card_out(story) for story in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = str(Cursor(last.published_at, last.pk))
    query = QueryDict(mutable=True)
    for name, value in filters.dict().items():
        if value is not None and name != "before":
            query[name] = value.isoformat() if isinstance(value, datetime) else value
    if next_cursor:
        query["before"] = next_cursor
    return {
        "items": items,
        "next_cursor": next_cursor,
        "next": page_url("story_list", query) if next_cursor else None,
    }


# One story


def public_story(request, story_id, queryset=None):
    """The story `story_id` if this request may see it, else 404 (drafts, scheduled
    and embargoed stories are not there, whoever asks)."""
    if not 0 < story_id < 2**63:  # past any id: PostgreSQL would refuse the comparison
        raise Http404("No such story.")
    stories = access.visible_stories(request)
    story = (queryset(stories) if queryset else stories).filter(pk=story_id).first()
    if story is None:
        raise Http404("No such story.")
    return story


@router.get(
    "/stories/{int:story_id}",
    response={200: schemas.Story, 404: schemas.Error},
    summary="A story with its body",
)
def story_detail(request, story_id: int):
    story = public_story(request, story_id, lambda stories: stories.for_detail())
    out = card_out(story)
    body_html, found = body_out(story)
    live = None
    if story.is_live_coverage:
        live = "live" if story.is_live else "ended"
        cache.depends_on(names.live(story.pk))
    out.update(
        body_html=body_html,
        blocks=found,
        corrections=[
            {"kind": note.kind, "text": note.text, "noted_at": note.noted_at}
            for note in story.notes
        ],
        live=live,
        live_updates_url=api_url("story_live_updates", story_id=story.pk) if live else None,
    )
    return out


# A live story's updates


@router.get(
    "/stories/{int:story_id}/live-updates",
    response={200: schemas.LiveUpdatePage, 404: schemas.Error, 422: schemas.Error},
    summary="A live story's updates, newest first",
)
def story_live_updates(
    request,
    story_id: int,
    before: int | None = Query(
        None, ge=1, lt=2**63, description="The cursor of a page: a `next_cursor`."
    ),
):
    story = public_story(
        request,
        story_id,
        lambda stories: stories.filter(live_started_at__isnull=False).only(
            "pk", "slug", "live_started_at", "live_ended_at"
        ),
    )
    cache.depends_on(names.live(story.pk), names.story(story.pk))
    updates, older = coverage.live_page(story, before)
    if updates is None:
        raise Http404("No such update in this story.")
    cache.depends_on(*(names.photo(update.photo_id) for update in updates if update.photo_id))
    items = []
    for update in updates:
        photo = update.photo if update.picture is not None else None
        update.story = story  # its permalink names the story's slug: no query
        items.append(
            {
                "id": update.pk,
                "url": absolute_url(update.get_absolute_url()),
                "posted_at": update.posted_at,
                "updated_at": update.updated_at,
                "headline": update.headline,
                "body_html": update.body,
                "key_event": update.pinned,
                "authors": [author_ref(author) for author in update.authors.all()],
                "photo": photo_out(photo) if photo else None,
                "photo_alt": update.picture_alt if photo else "",
            }
        )
    next_url = None
    if older is not None:
        next_url = f"{api_url('story_live_updates', story_id=story.pk)}?before={older}"
    return {
        "live": story.is_live,
        "items": items,
        "next_cursor": str(older) if older is not None else None,
        "next": next_url,
    }
