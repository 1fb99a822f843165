"""The home page and the sections' pages: the core's story lists (articles/views.py)
with the front editors arranged above the first page (articles/fronts/resolve.py)."""

from django.utils.functional import cached_property

from ..views import SectionDetailView, StoryListView
from .resolve import resolve


class FrontMixin:
    """A list with a front above it. `preview_layout`: a layout to show instead of the
    current one, an editor's preview (articles/fronts/admin.py), never cached."""

    preview_layout = None

    def front_section_id(self):
        """None for the home page's front, else the section's pk."""
        raise NotImplementedError

    @cached_property
    def front(self):
        # Older pages too: the list is the same list (what the front shows is not in
        # it) on every page, so that their cursors meet.
        return resolve(self.front_section_id(), layout=self.preview_layout)


class HomeView(FrontMixin, StoryListView):
    """The front page: the home front's zones (lead, top stories, sections' rails, as
    editors arranged them), then the latest of the rest."""

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

    def extra_json_ld(self):
        if self.front and self.front.story_ids:
            # The home page's curated stories, in order.
            return [self.front.item_list_json_ld()]
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cards = context["cards"]
        if context["page_obj"].number == 1 and cards and not context["front_zones"]:
            context["front_zones"] = [{"kind": "lead", "cards": cards[:1]}]
            context["cards"] = cards[1:]
        return context


class SectionFrontView(FrontMixin, SectionDetailView):
    """A section's page: its front's top stories, then its latest."""

    def front_section_id(self):
        return self.section.pk

    def card_variants(self, stories, page_obj):
        # Below the section's top stories, under a "Latest" heading of its own.
        variant = "h3" if self.front and self.front.story_ids else self.card_variant
        return [variant] * len(stories)
