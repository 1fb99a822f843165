from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.functional import SimpleLazyObject

from . import cache
from .cache import names
from .languages import site_language
from .models import Section, Story


@dataclass(frozen=True)
class NavSection:
    """A section as the navigation shows it: kept until sections change, no model row."""

    name: str
    slug: str
    url: str

    def get_absolute_url(self):
        return self.url


def nav_sections(request):
    """The sections with a public story: an empty one's page is a 404 (no link to it)."""

    def load():
        public = Story.objects.published().filter(section=OuterRef("pk"))
        return [
            NavSection(section.name, section.slug, section.get_absolute_url())
            for section in Section.objects.filter(Exists(public)).only("name", "slug")
        ]

    # "sections": a section's name, order or slug, or a story entering or leaving one.
    return cache.get_or_set("nav-sections", load, {names.SECTIONS})


def newsroom(request):
    """Site identity and the section navigation, for base.html.

    The navigation is kept as a fragment (articles/cache/fragments.py), and read only
    by pages that render it (not the admin).
    """
    return {
        "newsroom": settings.NEWSROOM,
        "site_language": site_language(),
        "site_time_zone": settings.TIME_ZONE,
        "nav_sections": SimpleLazyObject(lambda: nav_sections(request)),
    }
