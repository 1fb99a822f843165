"""Corrections and updates: dated notes below a story's body."""

import json
from datetime import UTC

from django.db import models
from django.db.models import OuterRef, Q
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .json_aggregates import JSONArrayAgg


class CorrectionQuerySet(models.QuerySet):
    def as_json_for_story(self):
        """A subquery: the notes of the outer query's story as one JSON array (or NULL)."""
        return (
            self.filter(story=OuterRef("pk"))
            .order_by()
            .values("story")
            .annotate(
                items=JSONArrayAgg(
                    JSONObject(id="pk", kind="kind", text="text", noted_at="noted_at")
                )
            )
            .values("items")
        )


class Correction(models.Model):
    """A dated note on a story: a correction of a mistake, or an update on the news.

    Shown below the story's body. Adding, changing or removing one changes the story
    (its `updated_at`, and so its dateModified in metadata and feeds).
    """

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        UPDATE = "update", "Update"

    story = models.ForeignKey(
        "articles.Story", on_delete=models.CASCADE, related_name="corrections"
    )
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.CORRECTION)
    text = models.TextField(
        max_length=2000, help_text="Plain text, shown as written; blank lines separate paragraphs."
    )
    noted_at = models.DateTimeField(
        "time",
        default=timezone.now,
        help_text="When the correction or update was made; shown with the note.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CorrectionQuerySet.as_manager()

    class Meta:
        ordering = ["noted_at", "pk"]
        verbose_name = "correction or update"
        verbose_name_plural = "corrections and updates"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["correction", "update"]), name="correction_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:60]}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self.story.touch()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self.story.touch()
        return result

    @classmethod
    def from_json(cls, story, raw):
        """The notes of `story` from `CorrectionQuerySet.as_json_for_story()`, oldest first."""
        notes = []
        for row in json.loads(raw) if raw else []:
            noted_at = parse_datetime(row["noted_at"])
            if timezone.is_naive(noted_at):  # SQLite keeps UTC without an offset.
                noted_at = timezone.make_aware(noted_at, UTC)
            notes.append(
                cls(
                    id=row["id"], story=story, kind=row["kind"], text=row["text"], noted_at=noted_at
                )
            )
        return sorted(notes, key=lambda note: (note.noted_at, note.pk))
