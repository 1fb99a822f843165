"""Story cards for list pages, and the small pieces a card shares with story pages.

A card (section, headline, dek, bylines, time, photo) is most of a list page. Written
as a dozen template includes it cost about a millisecond a card (template variable
lookups, URL reversals, Django's date formatting), so cards are built here in
plain Python, every value escaped as the template's autoescape did. The story page's
templates use the same pieces through template tags (`{% byline story %}`,
`{% picture … %}`, `{% story_time story %}` in articles/templatetags/cards.py): one
markup for each.

With the cache on, each card is kept until its story, section or authors change
(articles/cache/fragments.py); only missing ones are loaded (with their bylines) and
built.
"""

from html import escape

from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from . import cache
from .cache import names as tag_names
from .languages import site_language
from .models import Story

VARIANTS = {
    "h2": {"heading": "h2"},
    "h3": {"heading": "h3"},
    "lead": {"heading": "h2", "lead": True},
    # A section rail's stories after its first: headline and time only. A front page
    # of seven rails with a photo and a dek on every card weighed half as much again,
    # for readers on a phone and for every cache hit.
    "brief": {"heading": "h3", "brief": True},
}

LEAD_SIZES = "(min-width: 64rem) 42rem, 100vw"
CARD_SIZES = "(min-width: 64rem) 23rem, (min-width: 40rem) 50vw, 100vw"


def _e(value):
    """Escape for HTML text and attributes, as the template's autoescape does."""
    return escape(str(value), quote=True)


def story_time(moment) -> SafeString:
    """`<time>` with the machine-readable moment and "Nov 1, 2026, 20:41" in the site's
    zone: Django's `date` filters "Y-m-d\\TH:i:sO" and "M j, Y, H:i", without them."""
    local = localtime(moment)
    shown = f"{str(MONTHS_3[local.month]).title()} {local.day}, {local.year}, {local:%H:%M}"
    return mark_safe(f'<time datetime="{local:%Y-%m-%dT%H:%M:%S%z}">{_e(shown)}</time>')


def byline(story) -> SafeString:
    """ "By A, B and C", each linking its author page (`story` from for_cards())."""
    links = [
        f'<a href="{_e(b.author.get_absolute_url())}" rel="author">{_e(b.author.name)}</a>'
        for b in story.bylines
    ]
    if not links:
        return mark_safe("")
    names = links[0] if len(links) == 1 else ", ".join(links[:-1]) + " and " + links[-1]
    return mark_safe(f'<span class="byline">By {names}</span>')


def picture(picture, alt, sizes, eager=False) -> SafeString:
    """A photo in every size we made of it (`picture`: articles.images.Picture). The one
    photo above the fold (`eager`) loads first, the others only near the viewport."""
    sizes = _e(sizes)
    sources = "".join(
        f'<source type="{_e(source.mime_type)}" srcset="{_e(source.srcset)}" sizes="{sizes}">'
        for source in picture.sources
    )
    loading = ' fetchpriority="high"' if eager else ' loading="lazy"'
    return mark_safe(
        f'<picture>{sources}<img src="{_e(picture.src)}" srcset="{_e(picture.srcset)}" '
        f'sizes="{sizes}" alt="{_e(alt)}" width="{int(picture.width)}" '
        f'height="{int(picture.height)}"{loading} decoding="async"></picture>'
    )


def lang_attribute(story) -> str:
    """` lang="ko"` for the story's own words (headline, dek) on a page in the site's
    language, when the story's differs; the card's labels stay in the page's."""
    if story.language == site_language():
        return ""
    return f' lang="{_e(story.language)}"'


def zone_card_variant(zone_kind, position):
    """A front zone's card form: the lead's first is the lead, a section rail shows its
    first story in full and the others as briefs, the rest are "h3" cards."""
    if zone_kind == "lead" and position == 0:
        return "lead"
    if zone_kind == "rail" and position > 0:
        return "brief"
    return "h3"


def render_card(story, variant) -> SafeString:
    """One story in a list: `variant` is "h2", "h3", "lead" (the front page's first) or "brief" (a
    rail's stories after its first).

    Every value is escaped with `_e`; the rest is this module's own markup.
    """
    options = VARIANTS[variant]
    lead = options.get("lead", False)
    url = _e(story.get_absolute_url())
    lang = lang_attribute(story)
    if options.get("brief"):
        return mark_safe(
            f'<article class="card card--brief">\n'
            f'  <h3 class="card__headline"{lang}><a href="{url}">{_e(story.headline)}</a></h3>\n'
            f'  <p class="meta">{story_time(story.published_at)}</p>\n</article>'
        )
    photo = ""
    if story.card_picture:
        image = picture(
            story.card_picture, story.photo_alt, LEAD_SIZES if lead else CARD_SIZES, lead
        )
        photo = f'<a class="card__photo" href="{url}" tabindex="-1" aria-hidden="true">{image}</a>'
    heading = options["heading"]
    dek = f'<p class="card__dek"{lang}>{_e(story.dek)}</p>' if story.dek else ""
    names = byline(story)
    section = f'<a href="{_e(story.section.get_absolute_url())}">{_e(story.section.name)}</a>'
    headline = f'<a href="{url}">{_e(story.headline)}</a>'
    return mark_safe(
        f'<article class="card{" card--lead" if lead else ""}">\n  {photo}\n'
        f'  <div class="card__text">\n'
        f'    <p class="kicker">{section}</p>\n'
        f'    <{heading} class="card__headline"{lang}>{headline}</{heading}>\n'
        f"    {dek}\n"
        f'    <p class="meta">{names}{" · " if names else ""}{story_time(story.published_at)}</p>\n'
        f"  </div>\n</article>"
    )


def card_tags(story):
    """What a card shows: the story, its section's name, its authors' names."""
    return {
        tag_names.story(story.pk),
        tag_names.section(story.section_id),
        *(tag_names.author(byline.author_id) for byline in story.bylines),
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
