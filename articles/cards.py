"""Story cards for list pages, each rendered once per content version.

A card (section, headline, dek, bylines, time, photo) was most of a list page's
rendering: a dozen template includes, URL reversals and date formats per request. The
list's own query now only asks which stories are on the page; their cards come from
`articles.fragments`, and only missing ones are loaded (with their bylines) and
rendered.
"""

from django.template.loader import render_to_string

from . import fragments
from .caching import request_content_version
from .models import Story

VARIANTS = {
    "h2": {"heading": "h2"},
    "h3": {"heading": "h3"},
    "lead": {"heading": "h2", "lead": True},
}


def render_card(story, variant):
    return render_to_string("includes/story_card.html", {"story": story, **VARIANTS[variant]})


def cards_for(request, story_ids, variants):
    """The HTML of each story's card, in order; `variants` names each one's form."""
    version = request_content_version(request)
    wanted = {
        f"card:{variant}:{pk}": (pk, variant)
        for pk, variant in zip(story_ids, variants, strict=True)
    }
    found = fragments.get_many(version, list(wanted))
    missing = {pk for key, (pk, _) in wanted.items() if key not in found}
    if missing:
        loaded = {s.pk: s for s in Story.objects.published().filter(pk__in=missing).for_cards()}
        rendered = {
            key: render_card(loaded[pk], variant)
            for key, (pk, variant) in wanted.items()
            if key not in found and pk in loaded
        }
        fragments.set_many(version, rendered)
        found.update(rendered)
    return [found[key] for key in wanted if key in found]
