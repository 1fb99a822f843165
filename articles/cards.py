"""Story cards for list pages, each rendered once until its story changes.

A card (section, headline, dek, bylines, time, photo) was most of a list page's
rendering: a dozen template includes, URL reversals and date formats per request. The
list's own query now only asks which stories are on the page; their cards come from
the fragment cache (articles/cache/fragments.py), each tagged with the story, section
and authors it shows, and only missing ones are loaded (with their bylines) and
rendered.
"""

from django.template.loader import render_to_string

from . import cache
from .models import Story

VARIANTS = {
    "h2": {"heading": "h2"},
    "h3": {"heading": "h3"},
    "lead": {"heading": "h2", "lead": True},
}


def render_card(story, variant):
    return render_to_string("includes/story_card.html", {"story": story, **VARIANTS[variant]})


def card_tags(story):
    """What a card shows: the story, its section's name, its authors' names."""
    return {
        f"story:{story.pk}",
        f"section:{story.section_id}",
        *(f"author:{byline.author_id}" for byline in story.bylines),
    }


def cards_for(request, story_ids, variants):
    """The HTML of each story's card, in order; `variants` names each one's form."""
    wanted = {
        f"card:{variant}:{pk}": (pk, variant)
        for pk, variant in zip(story_ids, variants, strict=True)
    }
    found = cache.get_many(list(wanted))
    missing = {pk for key, (pk, _) in wanted.items() if key not in found}
    if missing:
        loaded = {s.pk: s for s in Story.objects.published().filter(pk__in=missing).for_cards()}
        rendered = {
            key: (render_card(loaded[pk], variant), card_tags(loaded[pk]))
            for key, (pk, variant) in wanted.items()
            if key not in found and pk in loaded
        }
        cache.set_many(rendered)
        found.update({key: html for key, (html, _) in rendered.items()})
    return [found[key] for key in wanted if key in found]
