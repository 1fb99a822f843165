"""The story body as readers get it: stored HTML with its blocks (embeds, photos,
galleries) rendered."""

from django import template

from articles import blocks

register = template.Library()


@register.simple_tag(takes_context=True)
def reader_body(context, body):
    """`{% reader_body story.body as body %}`: sanitised HTML and escaped blocks.

    The photos and galleries it shows are loaded at once (two queries at most) and
    their cache tags added to the page's and to the context's `cache_tags`, the tags
    the story's kept article is stored under (StoryDetailView).
    """
    shows = context.get("cache_tags")
    return blocks.for_readers(body, shows if isinstance(shows, set) else None)
