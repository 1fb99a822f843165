"""The layouts every front starts with: created by `load_demo` (and, as they were then,
by the `articles` app's migration 0010, which keeps its own copy of this),
and only where missing (an editor's changes are never overwritten).

Home: the lead (1 slot), top stories (4 slots), then one rail per section (3 slots).
A section's front: its top stories (3 slots). Slots are data: editors change them.
"""

from .models import ALWAYS

HOME_ZONES = (("lead", 1), ("top", 4))
RAIL_SLOTS = 3
SECTION_TOP_SLOTS = 3


def ensure_default_fronts(apps=None, using="default"):
    """Create the fronts and default layouts that do not exist yet (idempotent).

    `apps`: a migration's app registry (historical models), or None for the real ones.
    A section new to the desk (no front yet) gets its rail at the end of the home
    layouts; one an editor removed stays removed.
    """
    if apps is None:
        from django.apps import apps
    Section = apps.get_model("articles", "Section")
    Front = apps.get_model("fronts", "Front")
    Layout = apps.get_model("fronts", "Layout")
    Zone = apps.get_model("fronts", "Zone")

    sections = list(Section.objects.using(using).order_by("order", "name"))
    home, created = Front.objects.using(using).get_or_create(section=None)
    if created or not Layout.objects.using(using).filter(front=home).exists():
        layout = Layout.objects.using(using).create(front=home, name="Default", publish_at=ALWAYS)
        zones = [
            Zone(layout=layout, kind=kind, slots=slots, position=n)
            for n, (kind, slots) in enumerate(HOME_ZONES)
        ]
        Zone.objects.using(using).bulk_create(zones)
    for section in sections:
        front, created = Front.objects.using(using).get_or_create(section=section)
        if created or not Layout.objects.using(using).filter(front=front).exists():
            layout = Layout.objects.using(using).create(
                front=front, name="Default", publish_at=ALWAYS
            )
            Zone.objects.using(using).create(
                layout=layout, kind="top", slots=SECTION_TOP_SLOTS, position=0
            )
        if not created:
            continue  # an editor may have removed its rail on purpose
        # A section new to the desk: its rail at the end of every home layout.
        for layout in Layout.objects.using(using).filter(front=home):
            zones = Zone.objects.using(using).filter(layout=layout)
            if zones.filter(section=section).exists():
                continue
            last = zones.order_by("-position").values_list("position", flat=True).first()
            Zone.objects.using(using).create(
                layout=layout,
                kind="rail",
                section=section,
                slots=RAIL_SLOTS,
                position=(last or 0) + 1,
            )
