"""What a change sets off in the story core, connected from ArticlesConfig.ready
(articles/apps.py).

Each part has its own `connect_…()`; `connect()` calls them all.
"""

from django.db.models import Q
from django.db.models.signals import post_save

from . import blocks
from .cache.tags import purge
from .models import BodyUse, Gallery, Photo, Story
from .photos.models import photo_changed

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
        purge({f"story:{pk}" for pk in pks} | {"sitemap", "search"})


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


# ---------------------------------------------------------------------------------


def connect():
    connect_photo_handlers()
