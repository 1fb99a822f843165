"""Curated related headlines: a story's list of linked stories and outside headlines."""

import unicodedata
from urllib.parse import urlsplit

from django.core.validators import URLValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q

HEADLINE_MAX_LENGTH = 255

# Typographic quotes count as their straight versions when matching headlines.
TYPOGRAPHIC_QUOTES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    }
)  # fmt: skip


def headline_key(text: str) -> str:
    """What two headlines share when they are "the same": case, spacing, quote style aside."""
    text = unicodedata.normalize("NFC", text).translate(TYPOGRAPHIC_QUOTES)
    return " ".join(text.split()).casefold()


class RelatedHeadlineQuerySet(models.QuerySet):
    def visible(self):
        """Items a reader may see: a public linked story, or headline text of their own.

        Annotates `target_is_public` so templates never ask the database again.
        """
        # The story model through the relation: this module is imported by models.py.
        stories = self.model._meta.get_field("target").related_model.objects
        public_target = stories.published().filter(pk=OuterRef("target_id"))
        return (
            self.annotate(target_is_public=Exists(public_target))
            .filter(Q(target_is_public=True) | ~Q(headline=""))
            .select_related("target")
            .order_by("order", "pk")
        )


class RelatedHeadline(models.Model):
    """One item in a story's curated list of related headlines.

    Either links another story (and then shows that story's current headline while it
    is public), or carries its own headline text and an optional external URL, like
    archive and wire headlines.
    """

    story = models.ForeignKey(
        "articles.Story", on_delete=models.CASCADE, related_name="related_headlines"
    )
    target = models.ForeignKey(
        "articles.Story",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="linked_from",
        verbose_name="linked story",
    )
    headline = models.CharField(
        max_length=HEADLINE_MAX_LENGTH,
        blank=True,
        help_text="Shown when no story is linked, or while the linked story is not public.",
    )
    url = models.URLField(
        "external URL",
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
    )
    order = models.PositiveSmallIntegerField(default=0, db_index=True)

    objects = RelatedHeadlineQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target__isnull=False) | ~Q(headline=""),
                name="related_headline_has_target_or_text",
                violation_error_message="Link a story or write the headline.",
            ),
        ]

    def __str__(self):
        # Never the linked story's headline: the admin prints this (inline rows, change
        # messages kept in the history) to users who may not see that story.
        return self.headline or (f"Linked story #{self.target_id}" if self.target_id else "")

    @property
    def display_headline(self):
        if self.target_id and getattr(self, "target_is_public", False):
            if self.headline and self.headline_differs_only_in_typography():
                # The row's own text is the source's ("won’t" where the linked story
                # was typed "won't"): shown as written. A real rewrite of the linked
                # story's headline still shows, being more than typography.
                return self.headline
            return self.target.headline
        return self.headline

    def headline_differs_only_in_typography(self):
        """Whether the row's text and the linked story's headline are the same words,
        quote style, spacing and case aside (how the importer matched them)."""
        return headline_key(self.headline) == headline_key(self.target.headline)

    @property
    def display_url(self):
        if self.target_id and getattr(self, "target_is_public", False):
            return self.target.get_absolute_url()
        # The admin only accepts http(s) URLs, but rows can arrive another way (shell,
        # importer, old data): a javascript: URL must never become a live link.
        if urlsplit(self.url.strip()).scheme.lower() in {"http", "https"}:
            return self.url
        return ""
