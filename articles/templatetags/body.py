"""The story body as readers get it: stored HTML with its blocks (embeds, photos,
galleries) rendered."""

from django import template

from articles import blocks
from articles.inline_media import preloaded

register = template.Library()


@register.simple_tag(takes_context=True)
def reader_body(context, story):
    """`{% reader_body story as body %}`: the story's body, sanitised HTML and escaped
    blocks (a body's text is accepted too).

    The photos and galleries it shows come with a story from `for_detail()` (no query),
    else are loaded at once (two queries at most); their cache tags are added to the
    page's and to the context's `cache_tags`, the tags the story's kept article is
    stored under (StoryDetailView).
    """
    shows = context.get("cache_tags")
    shows = shows if isinstance(shows, set) else None
    if isinstance(story, str):
        return blocks.for_readers(story, shows)
    with preloaded(story):
        return blocks.for_readers(story.body, shows)
