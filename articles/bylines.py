"""Bylines: which authors a story has, in which order."""

from django.db import models
from django.db.models import OuterRef
from django.db.models.functions import JSONObject

from .json_aggregates import JSONArrayAgg


class StoryAuthor(models.Model):
    """A byline: which author, in what position, on which story."""

    story = models.ForeignKey(
        "articles.Story", on_delete=models.CASCADE, related_name="story_authors"
    )
    author = models.ForeignKey("articles.Author", on_delete=models.PROTECT, related_name="bylines")
    order = models.PositiveSmallIntegerField(default=0, db_index=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "byline"
        constraints = [
            models.UniqueConstraint(fields=["story", "author"], name="unique_byline"),
        ]
        indexes = [models.Index(fields=["author", "story"], name="byline_author_idx")]

    def __str__(self):
        return str(self.author)


def bylines_as_json_for_story():
    """A subquery: the outer query's story's bylines as one JSON array, each with its
    author's id, name and address (the order is restored in Python: an aggregate's
    order is not portable)."""
    return (
        StoryAuthor.objects.filter(story=OuterRef("pk"))
        .order_by()
        .values("story")
        .annotate(
            items=JSONArrayAgg(
                JSONObject(
                    id="pk",
                    order="order",
                    author_id="author_id",
                    name="author__name",
                    slug="author__slug",
                )
            )
        )
        .values("items")
    )
