"""The newsroom's content: sections, authors, stories and their related headlines.

Visibility is one rule in two forms that agree (tests/test_visibility.py): the query
`StoryQuerySet.published()`, where every public view, feed, sitemap and related-headline
lookup starts, and `Story.is_public` (`Story.public_rule()` for fields read without the
model), for Python code deciding about one story (cache purges, fronts' pins, the admin).
"""

import html
import json
import re
import secrets
from operator import itemgetter

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVectorField
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.dispatch import Signal
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django_prose_editor.fields import ProseEditorField
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItem

from . import images

# The story's parts, each in its module (they name the story by "articles.Story", and
# never import this one); imported here so Django registers them and callers find them.
from .addresses import StorySlug, slug_path, unique_slug
from .body_uses import BodyUse, body_media_annotations  # noqa: F401
from .bylines import StoryAuthor, bylines_as_json_for_story
from .corrections import Correction
from .json_aggregates import JSONArrayAgg, tags_as_json_for_story  # noqa: F401
from .languages import MAX_LENGTH as LANGUAGE_MAX_LENGTH
from .languages import site_language, validate_language_tag
from .photos.models import Photo
from .related_headlines import HEADLINE_MAX_LENGTH, RelatedHeadline
from .roles import (
    CHANGE_STORY_PERMISSION,
    PUBLISH_PERMISSION,
    VIEW_STORY_PERMISSION,
    can_publish,
    meta_permissions,
)
from .sanitize import sanitize_body

# Sent with `story_ids` when a save made a story new, published, unpublished or moved it
# in time: other stories' automatic related headlines may gain or lose it.
visibility_changed = Signal()


def delete_portrait_unless_used(name):
    if not Author.objects.filter(photo=name).exists():
        default_storage.delete(name)


# The body's first paragraph (bodies are sanitized HTML: plain <p> elements).
_FIRST_PARAGRAPH = re.compile(r"<p(?:\s[^>]*)?>(.*?)</p>", re.DOTALL | re.IGNORECASE)


def _plain(text):
    """Text as a reader sees it: entities decoded, spacing collapsed."""
    return " ".join(html.unescape(text or "").split())


class Section(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True, allow_unicode=True)
    description = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(
        default=0, help_text="Sections appear in the navigation in this order."
    )

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_path("articles:section_detail", self.slug)


class Author(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True, allow_unicode=True)
    bio = models.TextField("short bio", blank=True, max_length=1000)
    photo = models.ImageField(
        "portrait",
        upload_to="authors/",
        blank=True,
        help_text="Cropped to a square and stored without its metadata.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author_profile",
        help_text="The staff account this byline belongs to, if any.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    # One transaction, so a portrait written here is removed again if the save fails.
    @transaction.atomic(savepoint=False)
    def save(self, *args, **kwargs):
        stored = ""
        if self.pk:
            stored = Author.objects.filter(pk=self.pk).values_list("photo", flat=True).first()
        if self.photo and not self.photo._committed:
            # Only the re-encoded square is stored: no original with its metadata.
            portrait = images.portrait(self.photo.file)
            # A new name for every portrait: browsers may cache the old one for a day.
            name = f"{self.slug[:40] or 'author'}-{secrets.token_hex(4)}.jpg"
            self.photo.save(name, portrait, save=False)
            images.discard_unless_committed(default_storage, [self.photo.name])
        super().save(*args, **kwargs)
        if stored and stored != self.photo.name:
            transaction.on_commit(lambda: delete_portrait_unless_used(stored), robust=True)

    def get_absolute_url(self):
        return slug_path("articles:author_detail", self.slug)


class StoryQuerySet(models.QuerySet):
    def published(self):
        """Stories the public may see: published, not scheduled for later, and not
        under embargo. (The database also refuses a published story timed before its
        embargo, so the embargo test here never hides a story published_at shows: it
        states the rule where every public path reads it.) One story in Python:
        `Story.is_public`, the same rule."""
        now = timezone.now()
        return self.filter(
            Q(embargo_until__isnull=True) | Q(embargo_until__lte=now),
            status=Story.Status.PUBLISHED,
            published_at__lte=now,
        )

    def scheduled(self):
        """Stories set to publish themselves later (embargoed ones set to publish when
        their embargo lifts included)."""
        return self.filter(status=Story.Status.PUBLISHED, published_at__gt=timezone.now())

    def for_cards(self):
        """What a story card shows: section and ordered bylines, in one query (the
        bylines as a JSON array, `bylines_json`, read by `Story.bylines`)."""
        return (
            self.select_related("section", "lead_photo")
            .defer("body", "search_vector")
            .annotate(bylines_json=Subquery(bylines_as_json_for_story()))
        )

    def for_detail(self):
        """Everything a story page shows, in a constant number of queries.

        Corrections, tags and the body's photos and galleries come inside the story's own
        query, as JSON arrays (`notes_json`, `tags_json`, read by `Story.notes` and
        `Story.tag_list`; `body_photos_json`, `body_gallery_json`, read when the body is
        rendered): however many there are, the page's query count stays the same.
        """
        return (
            self.for_cards()
            .defer(None)
            .annotate(
                notes_json=Subquery(Correction.objects.as_json_for_story()),
                tags_json=Subquery(tags_as_json_for_story()),
                # The photos and galleries between its paragraphs (articles/inline_media.py).
                **body_media_annotations(),
            )
            .prefetch_related(
                Prefetch(
                    "related_headlines",
                    queryset=RelatedHeadline.objects.visible(),
                    to_attr="visible_related_headlines",
                ),
            )
        )

    def tagged(self, tag):
        """Stories carrying `tag`, as EXISTS on taggit's rows rather than a join.

        taggit's object_id is an integer column and the story's id a bigint; the join
        Django writes for `tags=tag` compares them in a way PostgreSQL cannot serve from
        the (content_type, object_id) index at a hundred thousand stories, and it can
        repeat a story. EXISTS probes the index once per candidate story.
        """
        items = TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Story),
            object_id=OuterRef("pk"),
            tag=tag,
        )
        return self.filter(Exists(items))

    def owned_by(self, user):
        """Stories `user` created, or carries a byline of (through the Author linked to them).

        What a reporter works on: the admin shows reporters these and nothing else.
        """
        bylined = StoryAuthor.objects.filter(story=OuterRef("pk"), author__user=user)
        return self.filter(Q(created_by=user) | Exists(bylined))

    def visible_to(self, user):
        """Stories `user` may see in the admin, and so preview at their public address.

        The one rule for the admin's lists and forms, the preview, the redirect from a
        former address and the stories a form may link: everything for those who may
        publish, their own stories (`owned_by`) for other staff who may view or change
        stories, nothing for anyone else.
        """
        if not (user.is_active and user.is_staff):
            return self.none()
        if can_publish(user):
            return self
        if user.has_perm(VIEW_STORY_PERMISSION) or user.has_perm(CHANGE_STORY_PERMISSION):
            return self.owned_by(user)
        return self.none()

    def linkable_by(self, user):
        """Stories `user` may link from their own (related headlines): the ones they
        may see, and every public one. What the admin's story autocomplete offers."""
        return self.visible_to(user) | self.published()

    def sharing_tags_with(self, story, tag_ids):
        """Other stories ranked by how many of `tag_ids` they share, newest first."""
        return (
            self.exclude(pk=story.pk)
            .filter(tags__in=tag_ids)
            .annotate(shared_tags=Count("tags", distinct=True))
            .order_by("-shared_tags", "-published_at", "-pk")
        )


class Story(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    headline = models.CharField(max_length=HEADLINE_MAX_LENGTH)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        allow_unicode=True,
        help_text="The story's address. Changing it keeps the old address working.",
    )
    dek = models.CharField(
        max_length=300, blank=True, help_text="One sentence that sums the story up."
    )
    body = ProseEditorField(
        blank=True,
        extensions={
            "Bold": True,
            "Italic": True,
            "Strike": True,
            "Underline": True,
            "Subscript": True,
            "Superscript": True,
            "Heading": {"levels": [2, 3, 4]},
            "BulletList": True,
            "OrderedList": True,
            "ListItem": True,
            "Blockquote": True,
            "HorizontalRule": True,
            "HardBreak": True,
            "Link": {"enableTarget": False},
            "History": True,
        },
        sanitize=sanitize_body,
    )
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="stories")
    # What readers' browsers, screen readers, feeds and search engines are told the
    # story is written in (articles/languages.py): a canonical BCP 47 tag.
    language = models.CharField(
        max_length=LANGUAGE_MAX_LENGTH,
        default=site_language,
        validators=[validate_language_tag],
        help_text="The language the story is written in.",
    )
    authors = models.ManyToManyField(Author, through="StoryAuthor", related_name="stories")
    tags = TaggableManager(blank=True)

    # A photo of the library (articles/photos/): credit and alt text always come from
    # it; the caption may be this story's own. PROTECT: a photo in use is not deleted.
    lead_photo = models.ForeignKey(
        Photo,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stories",
        help_text="Choose a photo of the library, or upload a new one below.",
    )
    photo_caption = models.CharField(
        "caption for this story",
        max_length=300,
        blank=True,
        help_text="Leave empty to use the library's caption.",
    )

    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(
        "publication time",
        null=True,
        blank=True,
        help_text="A time in the future schedules the story; it goes live by itself.",
    )
    # Agency copy (and some of our own) may not be public before a given time. A
    # published story's publication time is never before it (a CheckConstraint below):
    # publishing early is refused, or scheduled for the embargo's end.
    embargo_until = models.DateTimeField(
        "embargoed until",
        null=True,
        blank=True,
        help_text="Not public anywhere before this time, whatever the status says.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    import_key = models.CharField(
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Which imported file this story came from; re-importing it updates the story.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # Optimistic locking: every write adds one, so an editor's form can tell whether
    # the story changed after it was opened (see articles/workflow.py).
    version = models.PositiveIntegerField(default=0, editable=False)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="Who last saved the story in the admin; empty after an import or a script.",
    )
    # PostgreSQL full-text search: headline, dek and body, weighted A, B, C. A database
    # trigger (migration 0002) fills it on every insert and update, whatever the write
    # path (save, bulk_create, update, raw SQL); a GIN index serves `@@`. On SQLite it
    # is an unused, always-NULL column and search.py falls back to substring matching.
    search_vector = SearchVectorField(null=True, editable=False)

    # Live coverage (articles/live/): live from the start until the end; after that the
    # page is the archive of the coverage. Neither may lie in the future (the form
    # refuses it): a change of state always comes with a save, never with the clock.
    live_started_at = models.DateTimeField(
        "live coverage started",
        null=True,
        blank=True,
        help_text="Set to make this a live story: updates are posted at the top of this page.",
    )
    live_ended_at = models.DateTimeField(
        "live coverage ended",
        null=True,
        blank=True,
        help_text="Set when the coverage ends: the page becomes its archive.",
    )

    objects = StoryQuerySet.as_manager()

    # The rows behind `tags`, so django-reversion can record and restore a story's tags
    # with its other versions (articles/history.py), and prefetch them in bulk.
    tagged_items = GenericRelation(TaggedItem)

    class Meta:
        verbose_name_plural = "stories"
        ordering = ["-published_at", "-pk"]
        get_latest_by = "published_at"
        permissions = meta_permissions(PUBLISH_PERMISSION)
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="published_story_has_published_at",
                violation_error_message="A published story needs a publication time.",
            ),
            # Every public path (published(), the fronts, the caches' schedules) reads
            # published_at: a published story timed before its embargo would leak.
            models.CheckConstraint(
                condition=~Q(status="published")
                | Q(embargo_until__isnull=True)
                | Q(published_at__gte=F("embargo_until")),
                name="published_story_respects_embargo",
                violation_error_message="A story cannot be published before its embargo.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]),
                name="story_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(live_ended_at__isnull=True)
                | Q(live_started_at__isnull=False, live_ended_at__gte=F("live_started_at")),
                name="story_live_ends_after_start",
                violation_error_message="Live coverage ends after it starts.",
            ),
        ]
        indexes = [
            # Every public list filters on status and orders by publication time.
            models.Index(fields=["status", "-published_at", "-id"], name="story_public_idx"),
            models.Index(
                fields=["section", "status", "-published_at", "-id"], name="story_section_idx"
            ),
            models.Index(fields=["-updated_at"], name="story_updated_idx"),
            # The admin's "embargoed" filter and column: the few stories with one.
            models.Index(
                fields=["embargo_until"],
                name="story_embargo_idx",
                condition=Q(embargo_until__isnull=False),
            ),
        ]

    def __str__(self):
        return self.headline

    # One transaction for the row and its former addresses.
    @transaction.atomic(savepoint=False)
    def save(self, *args, **kwargs):
        # Every path (admin, importer, shell) stores sanitised HTML.
        self.body = sanitize_body(self.body)
        if not self.slug:
            self.slug = unique_slug(Story, self.headline, exclude_pk=self.pk)
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            # Whole seconds, as the admin form shows it: saving the form unchanged must not
            # move the story in its lists (and purge them).
            self.published_at = timezone.now().replace(microsecond=0)
        previous_slug, stored_version, stored_visibility = None, 0, None
        if self.pk:
            current = Story.objects.filter(pk=self.pk)
            if transaction.get_connection(kwargs.get("using")).in_atomic_block:
                # Hold the row until commit, so two writers cannot take the same version.
                current = current.select_for_update()
            row = current.values_list("slug", "version", "status", "published_at").first()
            if row:
                previous_slug, stored_version, *stored_visibility = row
        # Never smaller than a version this instance or the database has seen: a story
        # restored from history (a raw save) may carry an older number.
        self.version = max(self.version, stored_version) + 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)
        if previous_slug != self.slug:
            # The current address always wins over anyone's former one.
            StorySlug.objects.filter(slug=self.slug).delete()
            if previous_slug:
                StorySlug.objects.update_or_create(slug=previous_slug, defaults={"story": self})
        if stored_visibility != [self.status, self.published_at]:
            # New, published, unpublished or moved in time: other stories' automatic
            # related headlines may gain or lose this one (articles/related.py; retagging
            # is its m2m signal).
            visibility_changed.send(sender=Story, story_ids=[self.pk])

    def get_absolute_url(self):
        return slug_path("articles:story_detail", self.slug)

    @property
    def dek_to_show(self):
        """The dek, unless the story page would show the same text twice: a dek that is
        the whole first paragraph (wire copy whose first paragraph is one sentence, as
        the importer once made), or its opening cut short with "…". Kept in the row."""
        dek = _plain(self.dek)
        if not dek:
            return ""
        match = _FIRST_PARAGRAPH.search(self.body or "")
        first = _plain(strip_tags(match.group(1))) if match else ""
        if first and (
            dek.casefold() == first.casefold()
            or (dek.endswith("\u2026") and first.startswith(dek[:-1].rstrip()))
        ):
            return ""
        return self.dek

    # Photos: the library photo, as readers see it

    @cached_property
    def shown_photo(self):
        """The lead photo if readers may see it: its renditions exist (a photo still
        processing is not shown, rather than shown broken) and, with
        NEWSROOM_HIDE_EXPIRED_PHOTOS, its usage rights have not expired. Read through
        the story's own query (`for_cards` selects it)."""
        photo = self.lead_photo
        return photo if photo is not None and photo.is_public else None

    @property
    def lead_picture(self):
        """The story page's lead photo at its own aspect ratio (an images.Picture)."""
        return self.shown_photo.lead_picture if self.shown_photo else None

    @property
    def card_picture(self):
        """The lead photo cropped to the card frame around its focal point."""
        return self.shown_photo.card_picture if self.shown_photo else None

    @property
    def social_image(self):
        """(name, width, height, bytes) of the 1200×630 JPEG for social cards, or None."""
        return self.shown_photo.social_image if self.shown_photo else None

    @property
    def photo_renditions(self):
        return self.shown_photo.renditions if self.shown_photo else {}

    @property
    def photo_alt(self):
        return self.lead_photo.alt if self.lead_photo else ""

    @property
    def photo_credit(self):
        return self.lead_photo.credit if self.lead_photo else ""

    @property
    def lead_caption(self):
        """This story's caption for its photo, else the library's."""
        if self.photo_caption:
            return self.photo_caption
        return self.lead_photo.caption if self.lead_photo else ""

    @staticmethod
    def public_rule(status, published_at, embargo_until, now=None) -> bool:
        """`published()` for one story's fields, at `now` (default: the clock): for
        code that holds the fields but not the story (a row read before a save, a pin's
        joined columns). Keep the two in step: tests/test_visibility.py compares them."""
        now = timezone.now() if now is None else now
        return (
            status == Story.Status.PUBLISHED
            and published_at is not None
            and published_at <= now
            and (embargo_until is None or embargo_until <= now)
        )

    @property
    def is_public(self) -> bool:
        """Whether readers may see this story now: `published()`'s rule, in Python."""
        return self.public_rule(self.status, self.published_at, self.embargo_until)

    @property
    def is_embargoed(self):
        """Under an embargo that has not lifted yet."""
        return self.embargo_until is not None and self.embargo_until > timezone.now()

    @property
    def is_scheduled(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    @property
    def was_updated(self):
        """True when the story changed noticeably after publication (worth showing)."""
        if not self.published_at:
            return False
        # Stories imported or entered with a back-dated publication time were created
        # after it; only edits after both moments count as updates.
        baseline = max(self.published_at, self.created_at)
        return (self.updated_at - baseline).total_seconds() > 60

    @cached_property
    def notes(self):
        """Corrections and updates, oldest first; no query after for_detail()."""
        if hasattr(self, "notes_json"):
            return Correction.from_json(self, self.notes_json)
        return list(self.corrections.all())

    @cached_property
    def bylines(self):
        """The bylines in order, each with its `author` (name and address only): from
        the story's own query after for_cards(), else one query."""
        if not hasattr(self, "bylines_json"):
            return list(self.story_authors.select_related("author").order_by("order", "pk"))
        rows = sorted(json.loads(self.bylines_json or "[]"), key=itemgetter("order", "id"))
        return [
            StoryAuthor(
                id=row["id"],
                story_id=self.pk,
                order=row["order"],
                author=Author(id=row["author_id"], name=row["name"], slug=row["slug"]),
            )
            for row in rows
        ]

    @cached_property
    def tag_list(self):
        """The story's tags by name; no query after for_detail()."""
        if hasattr(self, "tags_json"):
            rows = json.loads(self.tags_json) if self.tags_json else []
            tags = [Tag(id=row["id"], name=row["name"], slug=row["slug"]) for row in rows]
        else:
            tags = self.tags.all()
        return sorted(tags, key=lambda tag: (tag.name.casefold(), tag.pk))

    def automatic_related(self):
        """Public stories sharing this one's tags, most shared tags first, then newest.

        Ranked when stories change (`refresh_related_stories`), read here with one
        indexed query; `published()` applies now, so a story unpublished or scheduled
        since it was ranked is never shown.
        """
        return (
            Story.objects.published()
            .filter(related_from__story=self)
            .order_by("related_from__rank")
            .only("headline", "slug", "published_at", "language")
        )

    @property
    def is_live_coverage(self):
        """Covered live, now or in the past (the page shows updates)."""
        return self.live_started_at is not None

    @property
    def is_live(self):
        """Covered live now: readers' pages ask for new updates."""
        return self.live_started_at is not None and self.live_ended_at is None

    def touch(self):
        """Record a change made elsewhere (a correction note) as a change of the story.

        A save, not an UPDATE, so `updated_at`, the version and anything listening to
        the story's post_save signal all follow.
        """
        self.save(update_fields=["updated_at"])


class StoryRelation(models.Model):
    """One place in a story's ranked list of automatic related stories."""

    # No index of its own: (story, rank) below serves it.
    story = models.ForeignKey(
        Story, on_delete=models.CASCADE, related_name="relations", db_index=False
    )
    related = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="related_from")
    rank = models.PositiveSmallIntegerField()
    # Tags the two share: what merging a changed story into this list compares.
    shared_tags = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = "automatic related story"
        constraints = [
            # Also the index the story page reads its list with (story, rank).
            models.UniqueConstraint(fields=["story", "rank"], name="story_relation_rank"),
        ]

    def __str__(self):
        return f"{self.story_id} → {self.related_id} (#{self.rank})"
