"""Benchmark content, run inside Django (`Site.python("from bench.seed import …")`).

`generate_stories(n)` adds plain generated stories in bulk on top of the demo newsroom
(a few seconds for thousands), so list pages, tags and search work on a realistic number
of rows. Re-running tops up to `n` without duplicating anything.
"""

import contextlib
import json
import random
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from articles.models import Author, Section, Story, StoryAuthor

WORDS = [
    "council",
    "harbour",
    "ferry",
    "budget",
    "minister",
    "election",
    "market",
    "export",
    "semiconductor",
    "museum",
    "festival",
    "typhoon",
    "rainfall",
    "subway",
    "commuters",
    "alliance",
    "summit",
    "reactor",
    "hospital",
    "teachers",
    "farmers",
    "river",
    "bridge",
    "stadium",
    "league",
    "season",
    "central",
    "bank",
    "inflation",
    "housing",
    "tariffs",
    "shipyard",
    "satellite",
    "launch",
    "province",
    "mayor",
    "court",
    "ruling",
    "strike",
    "union",
    "workers",
    "tourism",
    "airport",
    "railway",
    "coastline",
    "fishing",
    "villages",
    "heritage",
    "temple",
    "orchestra",
    "novel",
    "cinema",
]
PREFIX = "bench-"


def sentence(rng, words=14):
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def generate_stories(count, seed=7):
    """Make sure `count` generated stories exist; return how many were added."""
    rng = random.Random(seed)
    sections = list(Section.objects.all())
    authors = list(Author.objects.all())
    tags = list(Tag.objects.all())
    existing = Story.objects.filter(slug__startswith=PREFIX).count()
    now = timezone.now()
    new = []
    for n in range(existing, count):
        headline = sentence(rng, 8)[:-1].capitalize()
        paragraphs = "".join(f"<p>{sentence(rng, 40)}</p>" for _ in range(6))
        new.append(
            Story(
                headline=headline,
                slug=f"{PREFIX}{n}",
                dek=sentence(rng, 16),
                body=paragraphs,
                section=rng.choice(sections),
                status=Story.Status.PUBLISHED,
                # Older than the demo stories, which stay on top of the front page.
                published_at=now - timedelta(days=3, minutes=37 * n),
            )
        )
    with transaction.atomic():
        Story.objects.bulk_create(new, batch_size=500)
        StoryAuthor.objects.bulk_create(
            [
                StoryAuthor(story=story, author=author, order=order)
                for story in new
                for order, author in enumerate(rng.sample(authors, rng.randint(1, 2)))
            ],
            batch_size=1000,
        )
        content_type = ContentType.objects.get_for_model(Story)
        TaggedItem.objects.bulk_create(
            [
                TaggedItem(content_type=content_type, object_id=story.pk, tag=tag)
                for story in new
                for tag in rng.sample(tags, rng.randint(1, 3))
            ],
            batch_size=1000,
        )
    analyze()
    return len(new)


def analyze():
    """Fresh planner statistics after a bulk load (PostgreSQL): without them the first
    queries on a hundred thousand new rows may be planned as if the tables were empty."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Story, StoryAuthor, TaggedItem):
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def benchmark_paths():
    """The pages the load benchmark drives, as JSON: front page, a story, a tag, search."""
    from django.urls import NoReverseMatch, reverse

    story = Story.objects.published().exclude(slug__startswith=PREFIX).first()
    tag = Tag.objects.annotate(n=Count("taggit_taggeditem_items")).order_by("-n", "name").first()
    paths = {
        "home": reverse("articles:home"),
        "story": story.get_absolute_url(),
        "tag": reverse("articles:tag_detail", args=[tag.slug]),
    }
    with contextlib.suppress(NoReverseMatch):
        paths["search"] = reverse("articles:search") + "?q=korea"
    return json.dumps(
        {"paths": paths, "stories": Story.objects.published().count(), "tag": tag.name}
    )
