"""The story body as readers get it: stored HTML with its blocks (embeds) rendered."""

from django import template

from articles import blocks

register = template.Library()


@register.filter
def reader_body(body):
    """`{{ story.body|reader_body }}`: sanitised HTML and escaped blocks; no queries."""
    return blocks.for_readers(body)
