"""A front at a moment: its zones, each with the stories readers see in it.

Two queries whatever the number of zones, pins and sections:

1. the zones of the layout current at `now` (found by a subquery) with their sections
   and pins, and the pinned stories' status, times and slug (a pinned story that is not
   public at `now` by `Story.public_rule`, or a pin outside its start/end, is skipped
   here, in Python);
2. the backfill candidates: for the front's own list and for each section a zone
   backfills from, the newest public stories, each list a LIMIT on its index, joined
   by UNION ALL (`newest_of_lists`), so never a scan of the archive.

Pins take their slots first, everywhere on the page; then empty slots fill in zone
order with the newest public stories not already shown. No story appears twice.
"""

from dataclasses import dataclass, field

from django.db import connections
from django.db.models import IntegerField, Value
from django.urls import reverse
from django.utils import timezone

from ..cache import names
from ..metadata import absolute_url
from ..models import Section, Story
from .models import Layout, Zone


@dataclass
class Shown:
    """A story on the front: enough to link it and order its card, no more."""

    pk: int
    slug: str
    pinned: bool = False

    def get_absolute_url(self):
        return reverse("articles:story_detail", kwargs={"slug": self.slug})


@dataclass
class ZoneStories:
    zone: Zone
    stories: list = field(default_factory=list)


@dataclass
class ResolvedFront:
    """What a page shows of its front, and the cache tags that says so."""

    section_id: int | None
    layout: Layout | None
    zones: list
    tags: set

    @property
    def story_ids(self):
        return [story.pk for zone in self.zones for story in zone.stories]

    def item_list_json_ld(self):
        """schema.org ItemList of the front's stories, in the order shown."""
        return {
            "@context": "https://schema.org",
            "@type": "ItemList",
            "itemListElement": [
                {
                    "@type": "ListItem",
                    "position": n,
                    "url": absolute_url(story.get_absolute_url()),
                }
                for n, story in enumerate(
                    (story for zone in self.zones for story in zone.stories), start=1
                )
            ],
        }


def newest_of_lists(keys, limit):
    """{key: [(pk, slug), …]}: the `limit` newest public stories of each list, in one
    query. `key` None is every section's, else one section's.

    One `SELECT … ORDER BY … LIMIT n` per list, each read from its index
    (story_public_idx, story_section_idx), joined with UNION ALL. The ORM cannot say it:
    Django refuses LIMIT inside a compound query on SQLite, and `pk IN (…) OR pk IN (…)`
    makes PostgreSQL filter the whole public index through hashed subplans (caught by
    tests/test_explain.py). So each part is compiled by the ORM and wrapped here.
    """
    keys = list(keys)
    parts, params = [], []
    for n, key in enumerate(keys):
        stories = Story.objects.published()
        if key is not None:
            stories = stories.filter(section_id=key)
        part = (
            stories.order_by("-published_at", "-pk")
            .annotate(list_no=Value(n, output_field=IntegerField()))
            .values_list("list_no", "published_at", "pk", "slug")[:limit]
        )
        sql, part_params = part.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) list_{n}")
        params.extend(part_params)
    with connections[Story.objects.db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    # Newest first within each list (a UNION does not promise its parts' order).
    rows.sort(key=lambda row: (row[1], row[2]), reverse=True)
    newest = {key: [] for key in keys}
    for list_no, _, pk, slug in rows:
        newest[keys[list_no]].append((pk, slug))
    return newest


def resolve(section_id=None, *, layout=None, now=None):
    """The front of the home page (`section_id` None) or of a section's page.

    `layout`: show this one instead of the current one (an editor's preview).
    """
    now = now or timezone.now()
    tags = {names.front(section_id)}
    if layout is None:
        layout_id = Layout.objects.current_for(section_id, now).values("pk")[:1]
    else:
        layout_id = layout.pk
    # 1. Zones with their pins: one row per pin (LEFT JOIN), one for a zone without.
    rows = (
        Zone.objects.filter(layout=layout_id)
        .order_by("position", "pk", "pins__position", "pins__pk")
        .values_list(
            "pk",
            "layout_id",
            "kind",
            "slots",
            "position",
            "section_id",
            "section__name",
            "section__slug",
            "pins__story_id",
            "pins__story__slug",
            "pins__story__status",
            "pins__story__published_at",
            "pins__story__embargo_until",
            "pins__starts_at",
            "pins__ends_at",
        )
    )
    zones, pinned = {}, {}
    for (
        pk,
        zone_layout_id,
        kind,
        slots,
        position,
        zone_section_id,
        section_name,
        section_slug,
        story_id,
        slug,
        status,
        published_at,
        embargo_until,
        starts_at,
        ends_at,
    ) in rows:
        if pk not in zones:
            section = None
            if zone_section_id is not None:
                section = Section(pk=zone_section_id, name=section_name, slug=section_slug)
            zones[pk] = Zone(
                pk=pk,
                layout_id=zone_layout_id,
                kind=kind,
                slots=slots,
                position=position,
                section=section,
            )
            pinned[pk] = []
        if story_id is None:
            continue
        # A pinned story's page tag: its publication or removal changes this page
        # even while it is not shown (a draft pinned ahead of time).
        tags.add(names.story(story_id))
        public = Story.public_rule(status, published_at, embargo_until, now)
        live = (starts_at is None or starts_at <= now) and (ends_at is None or now < ends_at)
        if public and live:
            pinned[pk].append(Shown(story_id, slug, pinned=True))
    zones = list(zones.values())
    if layout is None and zones:
        layout = Layout(pk=zones[0].layout_id)

    used = set()
    result = []
    for zone in zones:
        chosen = []
        for story in pinned.get(zone.pk, ()):
            if len(chosen) < zone.slots and story.pk not in used:
                chosen.append(story)
                used.add(story.pk)
        result.append(ZoneStories(zone, chosen))

    # 3. Backfill: the newest public stories of each list a zone fills from.
    open_slots = [zs for zs in result if len(zs.stories) < zs.zone.slots]
    if open_slots:
        total = sum(zone.slots for zone in zones)
        # Enough whatever the pins and the zones above have taken of the same list.
        limit = total + max(zone.slots for zone in zones)
        lists = {zs.zone.section_id or section_id for zs in open_slots}
        tags |= {names.LIST_LATEST if key is None else names.list_section(key) for key in lists}
        newest = newest_of_lists(lists, limit)
        for zs in open_slots:
            for pk, slug in newest[zs.zone.section_id or section_id]:
                if len(zs.stories) >= zs.zone.slots:
                    break
                if pk not in used:
                    zs.stories.append(Shown(pk, slug))
                    used.add(pk)
    # Each shown story's address is in the page's ItemList (its slug may change).
    tags |= {names.story(story.pk) for zs in result for story in zs.stories}
    return ResolvedFront(section_id, layout, result, tags)
