"""A story's addresses: unique slugs, fast reversal of slug URLs, and former addresses
(StorySlug) that answer with a permanent redirect."""

import functools
from urllib.parse import quote

from django.db import models
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.text import slugify


def unique_slug(model, text, *, exclude_pk=None, max_length=200):
    """A slug for `text` that no other row of `model` uses (-2, -3, … on collision).

    Non-Latin headlines keep their letters (slugify with allow_unicode) so a Korean
    headline still gets a readable URL.
    """
    base = slugify(text, allow_unicode=True)[:max_length].strip("-") or "story"
    candidate, n = base, 2
    taken = model.objects.exclude(pk=exclude_pk)
    while taken.filter(slug=candidate).exists():
        suffix = f"-{n}"
        candidate = f"{base[: max_length - len(suffix)]}{suffix}"
        n += 1
    return candidate


def slug_path(view_name, slug):
    """reverse(view_name, kwargs={"slug": slug}) without the resolver's work per call.

    A list page links a few dozen stories, sections and authors; reverse() cost about
    30 µs each. The pattern is reversed once per view name (with the script prefix of
    the first request: one per deployment), then only the slug is quoted as reverse()
    quotes it.
    """
    prefix, suffix = _slug_path_parts(view_name)
    return prefix + quote(slug, safe=RFC3986_SUBDELIMS + "/~:@") + suffix


@functools.cache
def _slug_path_parts(view_name):
    marker = "slug-marker"
    prefix, _, suffix = reverse(view_name, kwargs={"slug": marker}).partition(marker)
    return prefix, suffix


class StorySlug(models.Model):
    """A story's former address, kept so old links answer with a permanent redirect."""

    story = models.ForeignKey("articles.Story", on_delete=models.CASCADE, related_name="old_slugs")
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "former address"

    def __str__(self):
        return self.slug
