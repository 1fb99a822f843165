"""The front-page desk's part of the one cache (articles/cache/): what purges a front's
page and the breaking-news banner. `connect()` is called from FrontsConfig.ready().

- A front, layout, zone or pin saved or deleted: `front:home` or `front:section:<pk>`
  (`names.front`), the tag the home page or that section's page declares. A layout's
  `publish_at` may have moved, a pin's start or end: the next timed change is looked up
  again (`schedule=True`).
- A pinned story published, unpublished or deleted: the page declared `story:<pk>` of
  every pin it has (shown or not), which the story's own purge covers; a deleted
  story's pins go with it (CASCADE), which purges the front too.
- Timed changes, with no save: a pin starting or ending, a scheduled layout going live.
  `register_schedule("fronts")` (from `connect`) names the next such moment
  and, once it has passed, the fronts whose pages changed — exact to the minute through
  page cache, fragments and max-age, like scheduled stories.
- The banner: saved or deleted (raw saves too: a revert from the history writes the row
  that way), the "banner" tag every public page carries; its starts and expiries are
  `register_schedule("banner")` (articles/fronts/banner.py).
"""

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from ..cache import names
from ..cache.tags import purge, register_schedule
from . import banner
from .models import Banner, Front, Layout, Pin, Zone


def _purge_front_of(section_ids, using):
    purge({names.front(section_id) for section_id in section_ids}, schedule=True, using=using)


def _front_saved(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    before = getattr(instance, "_front_before", None)
    _purge_front_of({instance.section_id, *([before] if before != "new" else [])}, using)


def _front_before(sender, instance, **kwargs):
    # A front moved to another section changes both pages.
    stored = Front.objects.filter(pk=instance.pk).values_list("section_id", flat=True)
    instance._front_before = stored.first() if instance.pk and stored.exists() else "new"


def _section_of_layout(layout_id):
    return Layout.objects.filter(pk=layout_id).values_list("front__section_id", flat=True)


def _part_changed(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    if isinstance(instance, Layout):
        section_ids = Front.objects.filter(pk=instance.front_id).values_list(
            "section_id", flat=True
        )
    else:
        section_ids = _section_of_layout(instance.layout_id)
    # Deleted with its layout or front, the rows above may be gone: that one's own
    # signal purges the page then.
    _purge_front_of(set(section_ids), using)


def _front_deleted(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    _purge_front_of({instance.section_id}, using)


# Timed changes


def next_change():
    """The moments a front changes by itself: pins starting or ending, layouts going
    live ((queryset, field) pairs for the cache's one UNION query of every schedule)."""
    now = timezone.now()
    return [
        (Pin.objects.filter(starts_at__gt=now), "starts_at"),
        (Pin.objects.filter(ends_at__gt=now), "ends_at"),
        (Layout.objects.filter(publish_at__gt=now), "publish_at"),
    ]


def changed_since(since):
    """`front:…` tags of the fronts whose page changed between `since` and now."""
    now = timezone.now()
    pins = Pin.objects.filter(
        Q(starts_at__gte=since, starts_at__lte=now) | Q(ends_at__gte=since, ends_at__lte=now)
    ).values_list("layout__front__section_id", flat=True)
    layouts = Layout.objects.filter(publish_at__gte=since, publish_at__lte=now).values_list(
        "front__section_id", flat=True
    )
    return {names.front(section_id) for section_id in {*pins, *layouts}}


def _banner_changed(sender, instance, **kwargs):
    purge({names.BANNER}, schedule=True)


def connect():
    """Purge fronts' pages and the banner on change, and register their timed changes."""

    def connect_one(signal, handler, model, name):
        signal.connect(
            handler, sender=model, dispatch_uid=f"newsroom-fronts-{name}-{model._meta.label_lower}"
        )

    connect_one(pre_save, _front_before, Front, "before")
    connect_one(post_save, _front_saved, Front, "save")
    connect_one(post_delete, _front_deleted, Front, "delete")
    for model in (Layout, Zone, Pin):
        connect_one(post_save, _part_changed, model, "save")
        connect_one(post_delete, _part_changed, model, "delete")
    register_schedule("fronts", moments=next_change, due_tags=changed_since)

    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_banner_changed, sender=Banner, dispatch_uid=f"newsroom-banner-{name}")
    register_schedule(banner.SCHEDULE, moments=banner.upcoming, due_tags=banner.changed_since)
