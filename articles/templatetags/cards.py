"""The pieces a story page shares with cards, built by articles/cards.py. No queries."""

from django import template

from articles import cards

register = template.Library()


@register.simple_tag
def byline(story):
    """ "By A, B and C" with links to the authors' pages (`story` from for_cards())."""
    return cards.byline(story)


@register.simple_tag
def picture(picture, alt, sizes, eager=False):
    """`<picture>` with every rendition of `picture` (an articles.images.Picture)."""
    return cards.picture(picture, alt, sizes, eager)


@register.simple_tag
def story_time(moment):
    """`<time>` for a card's or a result's publication time ("Nov 1, 2026, 20:41")."""
    return cards.story_time(moment)
