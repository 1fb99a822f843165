"""Benchmark content, run inside Django (`Site.python("from bench.seed import …")`).

`generate_stories(n)` adds plain generated stories in bulk on top of the demo newsroom,
with a realistic spread around them: one tag per 50 stories and one author per 500
(a few popular, most rare), one to three tags and one or two bylines a story, and up to
three related headlines (linked stories or wire headlines). Chunks of 2,000 stories are
written with bulk_create, then the planner statistics are refreshed (ANALYZE), so
100,000 stories take a couple of minutes; the automatic related headlines of the newest
2,000 are ranked. Re-running tops up to `n`.
"""

import itertools
import random
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from articles.models import (
    Author,
    RelatedHeadline,
    Section,
    Story,
    StoryAuthor,
)
from articles.related import rebuild_related_stories

CHUNK = 2000
STORIES_PER_TAG = 50
STORIES_PER_AUTHOR = 500
RANKED_NEWEST = 2000

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
    text = " ".join(rng.choices(WORDS, k=words))
    return text[0].upper() + text[1:] + "."


def _popular_first(items):
    """Cumulative weights 1, 1/2, 1/3, …: a few items are everywhere, most are rare."""
    return list(itertools.accumulate(1 / (rank + 1) for rank in range(len(items))))


def _ensure(model, count, make):
    """At least `count` generated rows of `model` beyond what the demo made."""
    existing = model.objects.filter(slug__startswith=PREFIX).count()
    model.objects.bulk_create(
        [make(n) for n in range(existing, count)], batch_size=1000, ignore_conflicts=True
    )


def _story(rng, n, sections, now):
    return Story(
        headline=sentence(rng, 8)[:-1].capitalize(),
        slug=f"{PREFIX}{n}",
        dek=sentence(rng, 16),
        body="".join(f"<p>{sentence(rng, 40)}</p>" for _ in range(6)),
        section=rng.choice(sections),
        status=Story.Status.PUBLISHED,
        # Older than the demo stories, which stay on top of the front page.
        published_at=now - timedelta(days=3, minutes=37 * n),
    )


def _relations(rng, stories, authors, tags, content_type):
    """Bylines, tags and related headlines for a chunk of newly created stories."""
    author_weights, tag_weights = _popular_first(authors), _popular_first(tags)
    bylines, tagged, related = [], [], []
    for index, story in enumerate(stories):
        chosen = dict.fromkeys(rng.choices(authors, cum_weights=author_weights, k=2))
        for order, author in enumerate(list(chosen)[: rng.randint(1, 2)]):
            bylines.append(StoryAuthor(story=story, author=author, order=order))
        for tag in set(rng.choices(tags, cum_weights=tag_weights, k=rng.randint(1, 3))):
            tagged.append(TaggedItem(content_type=content_type, object_id=story.pk, tag=tag))
        for order in range(rng.randint(0, 3)):
            if rng.random() < 0.7 and len(stories) > 1:
                # Another story of the chunk, never the story itself.
                target = stories[(index + rng.randint(1, len(stories) - 1)) % len(stories)]
                item = RelatedHeadline(story=story, target=target, order=order)
            else:
                item = RelatedHeadline(
                    story=story,
                    headline=sentence(rng, 9)[:-1],
                    url=f"https://wire.example.com/{story.slug}/{order}",
                    order=order,
                )
            related.append(item)
    StoryAuthor.objects.bulk_create(bylines, batch_size=1000)
    TaggedItem.objects.bulk_create(tagged, batch_size=1000)
    RelatedHeadline.objects.bulk_create(related, batch_size=1000)


def generate_stories(count, seed=7):
    """Make sure `count` generated stories exist; return how many were added."""
    rng = random.Random(seed)
    _ensure(Tag, count // STORIES_PER_TAG, lambda n: Tag(name=f"Topic {n}", slug=f"{PREFIX}{n}"))
    _ensure(
        Author,
        count // STORIES_PER_AUTHOR,
        lambda n: Author(name=f"Reporter {n}", slug=f"{PREFIX}{n}"),
    )
    sections = list(Section.objects.all())
    # Demo tags and authors first: they stay the popular ones.
    tags = sorted(Tag.objects.all(), key=lambda tag: (tag.slug.startswith(PREFIX), tag.pk))
    authors = sorted(Author.objects.all(), key=lambda a: (a.slug.startswith(PREFIX), a.pk))
    content_type = ContentType.objects.get_for_model(Story)
    existing = Story.objects.filter(slug__startswith=PREFIX).count()
    now = timezone.now()
    for start in range(existing, count, CHUNK):
        with transaction.atomic():
            stories = Story.objects.bulk_create(
                [_story(rng, n, sections, now) for n in range(start, min(count, start + CHUNK))],
                batch_size=500,
            )
            _relations(rng, stories, authors, tags, content_type)
    # Fresh planner statistics: a table that grew a hundredfold must not be planned as
    # the empty one migrate left.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # Automatic related headlines, as saving them would have ranked them, for the
    # stories readers see most (the newest) that show them (no curated ones). Ranking
    # all 100,000 is `manage.py rebuild_related_stories`, far longer than the bench.
    newest = Story.objects.order_by("-published_at", "-pk").values("pk")[:RANKED_NEWEST]
    rebuild_related_stories(
        stories=Story.objects.filter(pk__in=newest, related_headlines__isnull=True)
    )
    return max(0, count - existing)
