"""Every kind of public output, listed once.

The proofs that look at the whole site (accessibility, HTML validity, keyboard, phone
layout, hostile input, stored XSS) take their URLs from here, so a new page type is
checked everywhere by adding it in one place. Entries whose URL name does not resolve
yet (search, feeds and sitemaps until they are merged) are left out by themselves.

Needs Django set up; the live site runs `live_site_manifest()` inside its own process.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils.html import strip_tags

NOT_FOUND_PATH = "/no-such-page/"


@dataclass(frozen=True)
class Page:
    kind: str  # what sort of page: "home", "story", "tag", … (unique in a list)
    path: str
    status: int = 200


def optional_reverse(name, *args, **kwargs):
    """The URL for `name`, or None while that page does not exist in this tree."""
    try:
        return reverse(name, args=args, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def search_word(story):
    """A word from the story's body that search should find: its longest one."""
    words = re.findall(r"[^\W\d_]{5,}", strip_tags(story.body or ""))
    return max(words, key=len) if words else None


def pages_for(story, *, tag, section, author, word=None):
    """The HTML pages a reader can reach, built around one story and its neighbours.

    Lists that need a second page get one when there are enough public stories.
    """
    from articles.models import Story

    pages = [
        Page("home", reverse("articles:home")),
        Page("story", story.get_absolute_url()),
        Page("story_list", reverse("articles:story_list")),
        Page("section", section.get_absolute_url()),
        Page("tag", reverse("articles:tag_detail", args=[tag.slug])),
        Page("author", author.get_absolute_url()),
        Page("not_found", NOT_FOUND_PATH, status=404),
    ]
    if Story.objects.published().count() > settings.NEWSROOM["STORIES_PER_PAGE"]:
        # The second page of the front page: older stories, below the first page's last.
        from articles.pagination import cursor_for_page_number

        per_page = settings.NEWSROOM["STORIES_PER_PAGE"]
        cursor = cursor_for_page_number(Story.objects.published(), per_page, 2)
        pages.append(Page("home_page_2", f"{reverse('articles:home')}?before={cursor}"))
    search = optional_reverse("articles:search")
    if search and word:
        pages.append(Page("search", f"{search}?q={word}"))
    return pages


def machine_outputs(*, tag, section, author):
    """Feeds, sitemaps and robots.txt: what other programs read. Missing ones are skipped."""
    candidates = [
        ("articles:feed_rss", {}),
        ("articles:feed_atom", {}),
        ("articles:feed_json", {}),
        ("articles:section_feed_rss", {"slug": section.slug}),
        ("articles:section_feed_atom", {"slug": section.slug}),
        ("articles:tag_feed_rss", {"slug": tag.slug}),
        ("articles:tag_feed_atom", {"slug": tag.slug}),
        ("articles:author_feed_rss", {"slug": author.slug}),
        ("articles:author_feed_atom", {"slug": author.slug}),
        ("articles:sitemap_index", {}),
        ("articles:news_sitemap", {}),
        ("articles:robots_txt", {}),
    ]
    outputs = []
    for name, kwargs in candidates:
        path = optional_reverse(name, **kwargs)
        if path:
            outputs.append(Page(name.split(":")[-1], path))
    return outputs


def representative_story():
    """A public story that shows everything: photo, tags, bylines, curated related headlines."""
    from articles.models import Story

    return (
        Story.objects.published()
        .annotate(
            n_tags=Count("tags", distinct=True),
            n_authors=Count("story_authors", distinct=True),
            n_related=Count("related_headlines", distinct=True),
        )
        .filter(lead_photo__isnull=False, n_tags__gt=0, n_authors__gt=0, n_related__gt=0)
        .order_by("-published_at", "-pk")
        .first()
    )


def story_linking_a_public_story():
    """A public story whose related headlines link another public story, and that link."""
    from articles.models import RelatedHeadline, Story

    public = Story.objects.published()
    item = (
        RelatedHeadline.objects.filter(story__in=public, target__in=public)
        .select_related("story", "target")
        .order_by("-story__published_at", "order", "pk")
        .first()
    )
    return item.story, item.target


def live_site_manifest():
    """What the live site's tests need to know about its content, as plain data."""
    from articles.languages import site_language
    from articles.models import Story

    story = representative_story()
    tag = story.tags.order_by("name").first()
    author = story.story_authors.order_by("order", "pk").first().author
    word = search_word(story)
    pages = pages_for(story, tag=tag, section=story.section, author=author, word=word)
    # A story in another language than the site's (the demo's Korean ones): its page
    # says so in <html lang> and marks the site's own words.
    other = Story.objects.published().exclude(language=site_language()).order_by("-pk").first()
    if other is not None:
        pages.append(Page("story_other_language", other.get_absolute_url()))
    linking, linked = story_linking_a_public_story()
    draft = Story.objects.filter(status=Story.Status.DRAFT).order_by("pk").first()
    return {
        "draft": {"path": draft.get_absolute_url(), "headline": draft.headline} if draft else None,
        "story": {"slug": story.slug, "headline": story.headline, "path": story.get_absolute_url()},
        "search_word": word,
        "linking_story": {"path": linking.get_absolute_url(), "headline": linking.headline},
        "linked_story": {"path": linked.get_absolute_url(), "headline": linked.headline},
        "pages": [asdict(page) for page in pages],
        "outputs": [
            asdict(page) for page in machine_outputs(tag=tag, section=story.section, author=author)
        ],
        "search": optional_reverse("articles:search"),
        "stories_per_page": settings.NEWSROOM["STORIES_PER_PAGE"],
    }
