"""What a change of the story core purges (cache tags), derived from what was saved
(before and after); connected by `connect()` from ArticlesConfig.ready().

- A story's text, photo, slug or bylines' order (not its place in lists):
  `story:<pk>`; if it is public before or after, also `search` and `sitemap`.
- A story entering, leaving or moving in lists (publish, unpublish, delete, a new
  publication time, another section): the above, and `list:latest`,
  `list:section:<old and new>`, `list:tag:<each>`, `list:author:<each>`, `search`,
  `sitemap`, `missing`, `story:<pk>` of the stories whose related headlines link it,
  `related:<pk>` of those whose automatic related headlines rank it, and `sections`
  (the navigation) when it was, or now is, its section's only public story.
- A tag added to or removed from a story: `story:<pk>`, `list:tag:<pk>`, `search`,
  `sitemap`, `missing`. A byline likewise, with `list:author:<pk>`.
- A related headline or a correction: `story:<pk>` of the story showing it.
- Automatic related headlines re-ranked (`related_lists_changed`): `related:<pk>` of
  each story whose list changed (only its own page shows the list).
- A former address (StorySlug): `story:<pk>`, `missing`.
- A section, author or tag itself: `section:<pk>` / `author:<pk>` / `tag:<pk>`,
  `search`, `sitemap`, `missing` (a section also `sections`).
- A scheduled story's moment passing: as publishing it (the "stories" schedule, below;
  the mechanism is articles/cache/tags.py's).
- `queryset.update()` in the admin's bulk actions: `purge_stories(pks)`, as publishing
  each. An import: `purge_everything()`.

Tag names come from articles/cache/names.py. Pages declare what they show with
`depends_on()` (articles/cache/__init__.py), and a card or story article kept as a
fragment carries its own tags to every page using it.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from . import blocks, related
from .cache import names
from .cache.tags import purge, register_schedule
from .models import (
    Author,
    BodyUse,
    Correction,
    RelatedHeadline,
    Section,
    Story,
    StoryAuthor,
    StoryRelation,
    StorySlug,
    delete_portrait_unless_used,
    visibility_changed,
)
from .photos.models import Gallery, Photo, photo_changed
from .related import related_lists_changed

# Broad tags any change of a list's membership purges (never "sections": the navigation
# changes only when a section gains its first or loses its last public story).
MEMBERSHIP = (names.MISSING, names.SEARCH, names.SITEMAP)


def story_tags(pk, section_ids=(), *, navigation=None):
    """Every tag a story's presence in lists touches: for publishing, unpublishing,
    deleting or moving it (two small queries: its tags and its bylines)."""
    row = Story.objects.filter(pk=pk).values_list("section_id", flat=True).first()
    sections = {*section_ids, *([row] if row is not None else [])}
    tag_ids = TaggedItem.objects.filter(
        content_type__app_label="articles", content_type__model="story", object_id=pk
    ).values_list("tag_id", flat=True)
    author_ids = StoryAuthor.objects.filter(story_id=pk).values_list("author_id", flat=True)
    if navigation is None:
        navigation = _navigation_changes(pk, sections)
    # Stories whose related headlines link this one show its headline only while public;
    # so do those whose automatic related headlines rank it (read through published()).
    linking = RelatedHeadline.objects.filter(target_id=pk).values_list("story_id", flat=True)
    ranking = StoryRelation.objects.filter(related_id=pk).values_list("story_id", flat=True)
    return {
        *(names.story(story) for story in linking),
        *(names.related(story) for story in ranking),
        names.story(pk),
        names.LIST_LATEST,
        *MEMBERSHIP,
        *([names.SECTIONS] if navigation else []),
        *(names.list_section(section) for section in sections),
        *(names.list_tag(tag) for tag in tag_ids),
        *(names.list_author(author) for author in author_ids),
    }


def _navigation_changes(pk, section_ids):
    """Whether this story entering or leaving `section_ids` changes the navigation,
    which lists the sections with a public story: only if it is (or was) the only one."""
    others = Story.objects.published().exclude(pk=pk)
    return any(not others.filter(section_id=section).exists() for section in section_ids)


def purge_stories(pks, also=(), using=DEFAULT_DB_ALIAS):
    """After `queryset.update()` (no signals): purge as if each story were (un)published.

    `also`: tags taken before the change (`story_tags()`), for lists it may have left.
    """
    tags = set(also)
    for pk in pks:
        # The navigation too: stories changing together hide from each other whether
        # their section gains its first or loses its last public story.
        tags |= story_tags(pk, navigation=True)
    purge(tags, schedule=True, using=using)


# Stories


def _remember_stored_story(sender, instance, **kwargs):
    """Before a story is saved: what it was (section, status, publication time, slug).

    Raw saves too: a revert to an unpublished version is one, and must leave lists.
    """
    instance._cache_before = None
    if instance.pk:
        instance._cache_before = (
            sender.objects.filter(pk=instance.pk)
            .values(
                "section_id", "status", "published_at", "embargo_until", "lead_photo_id", "slug"
            )
            .first()
        )


def _story_saved(sender, instance, created=False, using=DEFAULT_DB_ALIAS, **kwargs):
    before = getattr(instance, "_cache_before", None)
    # The model's own visibility rule, applied to what was stored before.
    was_public = before is not None and sender.public_rule(
        before["status"], before["published_at"], before["embargo_until"]
    )
    is_public = instance.is_public
    tags = {names.story(instance.pk)}
    if was_public or is_public:
        tags |= {names.SEARCH, names.SITEMAP}
    if was_public != is_public:
        # Published or unpublished (or scheduled, or gone live by a save): every list,
        # and the navigation if that was its section's first or last public story.
        tags |= story_tags(instance.pk, [before["section_id"]] if before else [])
    elif is_public and before["published_at"] != instance.published_at:
        # Re-dated: it moves in every list it is on (the navigation stays, unless it
        # changed section too).
        resectioned = before["section_id"] != instance.section_id
        tags |= story_tags(
            instance.pk, [before["section_id"]], navigation=None if resectioned else False
        )
    elif is_public and before["section_id"] != instance.section_id:
        # Another section: the two sections' lists, and the navigation; its place in
        # the latest, tag and author lists is unchanged (its cards carry story:<pk>).
        sections = [before["section_id"], instance.section_id]
        tags |= {*(names.list_section(section) for section in sections), *MEMBERSHIP}
        if _navigation_changes(instance.pk, sections):
            tags.add(names.SECTIONS)
    if before is None or before["slug"] != instance.slug:
        tags.add(names.MISSING)
    schedule = (
        before is None
        or before["status"] != instance.status
        or before["published_at"] != instance.published_at
        # An embargo's end is a moment of its own (the "stories" schedule below), and
        # so is the end of its lead photo's rights (articles/photos/models.py).
        or before["embargo_until"] != instance.embargo_until
        or before["lead_photo_id"] != instance.lead_photo_id
    )
    purge(tags, schedule=schedule, using=using)


def _story_deleting(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    # Before the rows go: its tags and bylines are still there to name its lists.
    if instance.is_public:
        purge(story_tags(instance.pk), schedule=False, using=using)
    else:
        purge({names.story(instance.pk)}, schedule=True, using=using)


def _story_deleted(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    purge({names.story(instance.pk)}, schedule=True, using=using)


# What hangs off a story


def _tagged(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    if instance.content_type_id != ContentType.objects.get_for_model(Story).pk:
        return
    purge(
        {names.story(instance.object_id), names.list_tag(instance.tag_id), *MEMBERSHIP},
        using=using,
    )


def _byline(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    purge(
        {names.story(instance.story_id), names.list_author(instance.author_id), *MEMBERSHIP},
        using=using,
    )


def _bylines_changed(sender, instance, action, reverse, pk_set, using=DEFAULT_DB_ALIAS, **kwargs):
    # `story.authors.add()` / `.set()` / `.clear()` create through rows without post_save.
    if not (action.startswith("post_") or action == "pre_clear"):
        return
    if reverse:  # author.stories.add(…): pk_set names stories
        tags = {names.list_author(instance.pk), *(names.story(pk) for pk in pk_set or ())}
    else:
        current = StoryAuthor.objects.filter(story_id=instance.pk).values_list(
            "author_id", flat=True
        )
        tags = {
            names.story(instance.pk),
            *(names.list_author(pk) for pk in {*current, *(pk_set or ())}),
        }
    purge(tags | set(MEMBERSHIP), using=using)


def _shown_on_story(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    purge({names.story(instance.story_id)}, using=using)


def _former_address(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    purge({names.story(instance.story_id), names.MISSING}, using=using)


# Shared objects


def _section(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    purge({names.section(instance.pk), names.SECTIONS, *MEMBERSHIP}, using=using)


def _author(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    purge({names.author(instance.pk), *MEMBERSHIP}, using=using)


def _tag(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    purge({names.tag(instance.pk), *MEMBERSHIP}, using=using)


def _related_lists(sender, story_ids, **kwargs):
    # Only the pages of the stories whose automatic related headlines were re-ranked;
    # their cards elsewhere do not show them.
    purge({names.related(pk) for pk in story_ids})


# Scheduled stories: they go live with no save and no signal (articles/cache/tags.py,
# "Scheduled changes").


def scheduled_stories():
    """The moments of the "stories" schedule: [(queryset, field)]."""
    # An embargoed story goes public at its publication time, which is never before the
    # embargo (a constraint); its embargo is a moment of its own all the same, so that
    # the pages turn at the embargo's minute even if that rule were ever loosened.
    return [
        (Story.objects.scheduled(), "published_at"),
        (Story.objects.scheduled().filter(embargo_until__gt=timezone.now()), "embargo_until"),
    ]


def stories_published_since(since):
    """The tags of the stories gone public since `since`: as publishing each."""
    tags = set()
    # An embargoed story's publication time is never before its embargo (a constraint),
    # so its publication time says when it went public: one index range, no OR that
    # would read every story's embargo.
    live = Story.objects.published().filter(published_at__gte=since)
    for pk in live.values_list("pk", flat=True):
        tags |= story_tags(pk, navigation=True)  # (several may go live together)
    return tags


# ---------------------------------------------------------------- the photo library
# The library (articles/photos/) knows no story: it says when what readers see of a
# photo changes (`photo_changed`), and the story core purges the stories showing it and
# keeps BodyUse, which story's body shows which photo or gallery, in step.


def purge_stories_showing(sender, photo_id, **kwargs):
    """The stories whose lead the photo is: their pages, cards, feeds, as an edit of
    each would. (Bodies showing it inline or in a gallery depend on its own tag, which
    the library purges.)"""
    pks = list(Story.objects.filter(lead_photo_id=photo_id).values_list("pk", flat=True))
    if pks:
        purge({names.story(pk) for pk in pks} | {names.SITEMAP, names.SEARCH})


def record_body_uses(story, created=False):
    """Make the story's BodyUse rows what its body places (only ids that exist)."""
    photo_ids, gallery_ids = blocks.library_references(story.body)
    if not photo_ids and not gallery_ids:
        # The usual story, words only: no query when new, one DELETE otherwise.
        if not created:
            BodyUse.objects.filter(story=story).delete()
        return
    photo_ids = set(Photo.objects.filter(pk__in=photo_ids).values_list("pk", flat=True))
    gallery_ids = set(Gallery.objects.filter(pk__in=gallery_ids).values_list("pk", flat=True))
    have = set(BodyUse.objects.filter(story=story).values_list("photo_id", "gallery_id"))
    want = {(pk, None) for pk in photo_ids} | {(None, pk) for pk in gallery_ids}
    if have - want:
        stale = Q()
        for photo_id, gallery_id in have - want:
            stale |= Q(photo_id=photo_id, gallery_id=gallery_id)
        BodyUse.objects.filter(story=story).filter(stale).delete()
    BodyUse.objects.bulk_create(
        BodyUse(story=story, photo_id=photo_id, gallery_id=gallery_id)
        for photo_id, gallery_id in want - have
    )


def story_saved_body_uses(sender, instance, created=False, raw=False, **kwargs):
    if not raw:  # a restored backup or fixture brings its own BodyUse rows
        record_body_uses(instance, created)


def connect_photo_handlers():
    photo_changed.connect(purge_stories_showing, dispatch_uid="articles.photo_changed")
    post_save.connect(story_saved_body_uses, sender=Story, dispatch_uid="articles.story_body_uses")


# ---------------------------------------------------------------- files and links
# An author's portrait file goes with the last author using it; related headlines that
# only linked a deleted story go with it.


def delete_portrait(sender, instance, **kwargs):
    name = instance.photo.name
    if name:
        transaction.on_commit(lambda: delete_portrait_unless_used(name), robust=True)


def drop_textless_links_to_deleted_story(sender, instance, **kwargs):
    """Items that only linked the deleted story have nothing left to show.

    Items with text of their own survive (their link is set to NULL), which keeps the
    "target or text" constraint true.
    """
    RelatedHeadline.objects.filter(target=instance, headline="").delete()


def connect_story_parts():
    post_delete.connect(delete_portrait, sender=Author, dispatch_uid="articles.delete_portrait")
    pre_delete.connect(
        drop_textless_links_to_deleted_story,
        sender=Story,
        dispatch_uid="articles.drop_textless_links",
    )
    # Automatic related headlines are ranked when stories change (articles/related.py).
    visibility_changed.connect(
        related.refresh_related_on_visibility, dispatch_uid="articles.related_visibility"
    )
    m2m_changed.connect(
        related.refresh_related_on_retag,
        sender=Story.tags.through,
        dispatch_uid="articles.related_retag",
    )


# ---------------------------------------------------------------------------------


def connect():
    """Purge the tags of whatever a public page shows when it changes, and at a
    scheduled story's moment (ArticlesConfig.ready)."""
    register_schedule("stories", moments=scheduled_stories, due_tags=stories_published_since)

    def on(signal, handler, model, name):
        signal.connect(
            handler, sender=model, dispatch_uid=f"newsroom-cache-{name}-{model._meta.label_lower}"
        )

    on(pre_save, _remember_stored_story, Story, "before")
    on(post_save, _story_saved, Story, "save")
    on(pre_delete, _story_deleting, Story, "deleting")
    on(post_delete, _story_deleted, Story, "delete")
    for model, handler in (
        (TaggedItem, _tagged),
        (StoryAuthor, _byline),
        (RelatedHeadline, _shown_on_story),
        (Correction, _shown_on_story),
        (StorySlug, _former_address),
        (Section, _section),
        (Author, _author),
        (Tag, _tag),
    ):
        on(post_save, handler, model, "save")
        on(post_delete, handler, model, "delete")
    on(m2m_changed, _bylines_changed, Story.authors.through, "m2m")
    on(related_lists_changed, _related_lists, StoryRelation, "ranked")
    connect_photo_handlers()
    connect_story_parts()
