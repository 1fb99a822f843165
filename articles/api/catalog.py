"""/api/v1/ sections, tags, authors, photos and fronts: what the public stories are
filed under, and the fronts in the order readers see them.

As on the site, a section, tag or author exists for the public only while it has a
public story (`access.visible_stories`), and a photo only while a public story shows
it (its lead, in its body, or in its live updates). Constant queries per response.
"""

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Query, Router
from taggit.models import Tag, TaggedItem

from articles import cache
from articles.body_uses import BodyUse
from articles.cache import names
from articles.fronts.resolve import resolve
from articles.live.models import LiveUpdate
from articles.metadata import absolute_url
from articles.models import Author, Photo, Section
from articles.photos.models import GalleryPhoto

from . import access, schemas
from .stories import (
    author_ref,
    card_out,
    photo_out,
    section_ref,
    tag_out,
    with_tags,
)

router = Router()

TAGS_PER_PAGE = 200


def with_public_story(request, model, link):
    """`model`'s rows with at least one story this request may see (`link`: the
    lookup from a story to the row)."""
    stories = access.visible_stories(request).filter(**{link: OuterRef("pk")})
    return model.objects.filter(Exists(stories))


# Sections


def section_out(section):
    cache.depends_on(names.section(section.pk))
    return {**section_ref(section), "description": section.description, "order": section.order}


@router.get(
    "/sections",
    response=list[schemas.Section],
    tags=["sections"],
    summary="The sections with a public story, in the navigation's order",
)
def section_list(request):
    # The navigation's tag: which sections have a public story, and their names.
    cache.depends_on(names.SECTIONS)
    return [section_out(s) for s in with_public_story(request, Section, "section")]


@router.get(
    "/sections/{slug}",
    response={200: schemas.Section, 404: schemas.Error},
    tags=["sections"],
    summary="A section",
)
def section_detail(request, slug: str):
    section = get_object_or_404(with_public_story(request, Section, "section"), slug=slug)
    # Its first public story's arrival or last one's departure changes its list.
    cache.depends_on(names.list_section(section.pk))
    return section_out(section)


# Tags


def story_tags(request):
    """Tags of the public stories (not the photo library's own, kept apart)."""
    items = TaggedItem.objects.filter(
        tag=OuterRef("pk"),
        content_type__app_label="articles",
        content_type__model="story",
        object_id__in=access.visible_stories(request).values("pk"),
    )
    return Tag.objects.filter(Exists(items))


@router.get(
    "/tags",
    response={200: schemas.TagPage, 422: schemas.Error},
    tags=["tags"],
    summary="The tags of public stories, by slug",
)
def tag_list(
    request,
    after: str | None = Query(None, max_length=200, description="A page's `next_cursor`."),
):
    # Any public story's tags changing (or its publication) may add or remove a tag.
    cache.depends_on(names.SEARCH, names.LIST_LATEST)
    tags = story_tags(request).order_by("slug")
    if after is not None:
        tags = tags.filter(slug__gt=after)
    rows = list(tags[: TAGS_PER_PAGE + 1])
    cache.depends_on(*(names.tag(tag.pk) for tag in rows[:TAGS_PER_PAGE]))
    next_cursor = rows[TAGS_PER_PAGE - 1].slug if len(rows) > TAGS_PER_PAGE else None
    return {
        "items": [tag_out(tag) for tag in rows[:TAGS_PER_PAGE]],
        "next_cursor": next_cursor,
        "next": (f"{absolute_url(request.path)}?after={next_cursor}" if next_cursor else None),
    }


@router.get(
    "/tags/{slug}",
    response={200: schemas.Tag, 404: schemas.Error},
    tags=["tags"],
    summary="A tag",
)
def tag_detail(request, slug: str):
    tag = get_object_or_404(story_tags(request), slug=slug)
    cache.depends_on(names.tag(tag.pk), names.list_tag(tag.pk))
    return tag_out(tag)


# Authors


def author_out(author):
    cache.depends_on(names.author(author.pk))
    return {
        **author_ref(author),
        "bio": author.bio,
        "portrait": absolute_url(author.photo.url) if author.photo else None,
    }


@router.get(
    "/authors",
    response=list[schemas.Author],
    tags=["authors"],
    summary="The authors with a public story, by name",
)
def author_list(request):
    cache.depends_on(names.SEARCH, names.LIST_LATEST)
    authors = with_public_story(request, Author, "story_authors__author")
    return [author_out(author) for author in authors.order_by("name", "pk")]


@router.get(
    "/authors/{slug}",
    response={200: schemas.Author, 404: schemas.Error},
    tags=["authors"],
    summary="An author",
)
def author_detail(request, slug: str):
    author = get_object_or_404(
        with_public_story(request, Author, "story_authors__author"), slug=slug
    )
    cache.depends_on(names.list_author(author.pk))
    return author_out(author)


# Photos


@router.get(
    "/photos/{int:photo_id}",
    response={200: schemas.Photo, 404: schemas.Error},
    tags=["photos"],
    summary="A photo a public story shows, with its renditions",
)
def photo_detail(request, photo_id: int):
    if photo_id >= 2**63:
        raise Http404("No such photo.")
    cache.depends_on(names.photo(photo_id), names.SEARCH)
    public = access.visible_stories(request)
    shown = (
        Exists(public.filter(lead_photo=OuterRef("pk")))
        | Exists(BodyUse.objects.filter(story__in=public, photo=OuterRef("pk")))
        | Exists(
            GalleryPhoto.objects.filter(
                photo=OuterRef("pk"),
                gallery__body_uses__story__in=public,
            )
        )
        | Exists(LiveUpdate.objects.filter(story__in=public, photo=OuterRef("pk")))
    )
    photo = Photo.objects.public().filter(shown, pk=photo_id).first()
    if photo is None:
        raise Http404("No such photo.")
    return photo_out(photo)


# Fronts


def front_out(request, section):
    """The front of the home page (`section` None) or of a section, as its page shows
    it: the zones, then the first page of the latest of the rest."""
    front = resolve(section.pk if section else None)
    cache.depends_on(*front.tags)
    stories = access.visible_stories(request)
    if section is not None:
        stories = stories.filter(section=section)
    shown = front.story_ids
    per_page = settings.NEWSROOM["STORIES_PER_PAGE"]
    latest_ids = list(
        stories.exclude(pk__in=shown)
        .order_by("-published_at", "-pk")
        .values_list("pk", flat=True)[:per_page]
    )
    cache.depends_on(names.LIST_LATEST if section is None else names.list_section(section.pk))
    # Every card in one query, fetched through the same rule as the lists.
    cards = {
        story.pk: story
        for story in with_tags(
            access.visible_stories(request).filter(pk__in=[*shown, *latest_ids]).for_cards()
        )
    }
    zones = []
    for zone in front.zones:
        zone_section = zone.zone.section if zone.zone.section_id else None
        zones.append(
            {
                "kind": zone.zone.kind,
                "title": zone.zone.title,
                "section": section_ref(zone_section) if zone_section else None,
                # A story unpublished since the front was resolved is left out.
                "stories": [card_out(cards[s.pk]) for s in zone.stories if s.pk in cards],
            }
        )
    return {
        "section": section_ref(section) if section else None,
        "zones": zones,
        "latest": [card_out(cards[pk]) for pk in latest_ids if pk in cards],
    }


@router.get(
    "/fronts/home",
    response=schemas.Front,
    tags=["fronts"],
    summary="The home page's front",
)
def front_home(request):
    return front_out(request, None)


@router.get(
    "/fronts/{slug}",
    response={200: schemas.Front, 404: schemas.Error},
    tags=["fronts"],
    summary="A section's front",
)
def front_section(request, slug: str):
    section = get_object_or_404(with_public_story(request, Section, "section"), slug=slug)
    cache.depends_on(names.section(section.pk))
    return front_out(request, section)
