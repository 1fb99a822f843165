"""The newsroom's content: sections, authors, stories and their related headlines.

Visibility is one rule in two forms that agree (tests/test_visibility.py): the query
`StoryQuerySet.published()`, where every public view, feed, sitemap and related-headline
lookup starts, and `Story.is_public` (`Story.public_rule()` for fields read without the
model), for Python code deciding about one story (cache purges, fronts' pins, the admin).
"""

import contextlib
import contextvars
import functools
import html
import json
import re
import secrets
from datetime import UTC
from operator import itemgetter
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVectorField
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import JSONObject
from django.db.models.signals import m2m_changed, post_delete, pre_delete
from django.dispatch import Signal, receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.text import slugify
from django_prose_editor.fields import ProseEditorField
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItem

from . import images
from .languages import MAX_LENGTH as LANGUAGE_MAX_LENGTH
from .languages import site_language, validate_language_tag
from .photos.inline import MEDIA_FIELDS
from .photos.models import Gallery, GalleryPhoto, Photo
from .roles import (
    CHANGE_STORY_PERMISSION,
    PUBLISH_PERMISSION,
    VIEW_STORY_PERMISSION,
    can_publish,
    meta_permissions,
)
from .sanitize import sanitize_body

HEADLINE_MAX_LENGTH = 255

# The body's first paragraph (bodies are sanitized HTML: plain <p> elements).
_FIRST_PARAGRAPH = re.compile(r"<p(?:\s[^>]*)?>(.*?)</p>", re.DOTALL | re.IGNORECASE)


def _plain(text):
    """Text as a reader sees it: entities decoded, spacing collapsed."""
    return " ".join(html.unescape(text or "").split())


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


def tags_as_json_for_story():
    """A subquery: the outer query's story's tags as one JSON array of {id, name, slug}."""
    return (
        TaggedItem.objects.filter(
            object_id=OuterRef("pk"),
            content_type__app_label="articles",
            content_type__model="story",
        )
        .order_by()
        .values("object_id")
        .annotate(items=JSONArrayAgg(JSONObject(id="tag_id", name="tag__name", slug="tag__slug")))
        .values("items")
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
            # related headlines may gain or lose this one. (Retagging: see the signal.)
            refresh_related_stories([self.pk])

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


class StoryAuthor(models.Model):
    """A byline: which author, in what position, on which story."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="story_authors")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="bylines")
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


class StorySlug(models.Model):
    """A story's former address, kept so old links answer with a permanent redirect."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="old_slugs")
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "former address"

    def __str__(self):
        return self.slug


# ------------------------------------------------- automatic related headlines
#
# A story with no curated related headlines shows the public stories that share most of
# its tags, newest first. Ranking them reads every story carrying those tags (tens of
# thousands for a busy tag), so it is done when stories change, not when a page is
# read: each story keeps its ranked list in StoryRelation, and its page reads it with
# one indexed query (Story.automatic_related), filtered through published() then.


def related_kept():
    """Stories kept per list: twice what a page shows, so that some may go private
    (unpublished, rescheduled) and the page still shows a full list until the next
    refresh."""
    return 2 * settings.NEWSROOM["RELATED_HEADLINES_AUTO"]


# When a story is published, retagged or unpublished, the lists of this many of the
# newest stories sharing a tag with it take it in (or drop it) at once. Older stories'
# lists drop it at once too (they name it), but take a newly published story in only
# when they are ranked again (their own next change, or `rebuild_related_stories`).
RELATED_NEIGHBOURS = 200


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


def _story_tags(story_ids):
    """{story pk: set of tag pks} for `story_ids`, in one query."""
    tags = {pk: set() for pk in story_ids}
    rows = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Story), object_id__in=list(story_ids)
    ).values_list("object_id", "tag_id")
    for story_id, tag_id in rows:
        tags[story_id].add(tag_id)
    return tags


def _ranked_for(story_pk, tag_ids):
    """[(pk, shared tags, published_at)] of the stories `story_pk`'s list should hold.

    Candidates are published stories, scheduled ones included: they are ranked before
    they go live and shown from that moment (the page filters with published()).
    """
    if not tag_ids:
        return []
    return list(
        Story.objects.filter(status=Story.Status.PUBLISHED)
        .sharing_tags_with(Story(pk=story_pk), tag_ids)
        .values_list("pk", "shared_tags", "published_at")[: related_kept()]
    )


def _newest_sharing(story_pk, tag_ids):
    """The newest published stories carrying any of `tag_ids` (`RELATED_NEIGHBOURS`)."""
    if not tag_ids:
        return []
    tagged = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Story), tag_id__in=tag_ids
    ).values("object_id")
    return list(
        Story.objects.filter(status=Story.Status.PUBLISHED, pk__in=tagged)
        .exclude(pk=story_pk)
        .order_by("-published_at", "-pk")
        .values_list("pk", flat=True)[:RELATED_NEIGHBOURS]
    )


# Sent with `story_ids` after their lists of automatic related stories were rewritten:
# those stories' pages show something else now (for a cache that purges by story).
related_lists_changed = Signal()


def _replace_lists(lists, attempts=3):
    """Write {story pk: [(related pk, shared tags, …)]} over those stories' lists."""
    if not lists:
        return
    relations = [
        StoryRelation(story_id=story_pk, related_id=row[0], shared_tags=row[1], rank=rank)
        for story_pk, rows in lists.items()
        for rank, row in enumerate(rows)
    ]
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                StoryRelation.objects.filter(story__in=list(lists)).delete()
                StoryRelation.objects.bulk_create(relations, batch_size=1000)
            break
        except IntegrityError:
            # Two saves rewrote one list at once (stories sharing tags, saved together):
            # the other committed first. Its rows are visible now; write over them. The
            # list may miss the other save's story until its next ranking.
            if attempt == attempts - 1:
                raise
    related_lists_changed.send(sender=StoryRelation, story_ids=set(lists))


def _rank_key(row):
    """(shared tags, publication time, pk) of a (pk, shared tags, published_at) row."""
    related_pk, shared, published_at = row
    return shared, published_at.timestamp() if published_at else 0.0, related_pk


# While set (a set of pks), refreshes are collected rather than run: see `batched_related`.
_batched = contextvars.ContextVar("newsroom_related_batch", default=None)


@contextlib.contextmanager
def batched_related():
    """Collect the refreshes of many writes (an import, a bulk action) and run them
    once at the end, so a story saved and then retagged is ranked once."""
    if _batched.get() is not None:
        yield  # an outer batch runs them
        return
    token = _batched.set(set())
    try:
        yield
        pending = _batched.get()
    finally:
        _batched.reset(token)
    refresh_related_stories(pending)


def refresh_related_stories(story_ids):
    """Rank again after `story_ids` changed (saved, published, unpublished, retagged).

    Each changed story's own list is ranked afresh. The lists of the stories that name
    a changed story, and of the newest `RELATED_NEIGHBOURS` sharing a tag with it, are
    merged instead: the changed story is taken out and, while it is published and still
    shares tags with them, put back at its new place; no list is ranked from scratch.
    A constant number of queries plus one ranking per changed story.
    """
    changed = set(story_ids)
    batch = _batched.get()
    if batch is not None:
        batch.update(changed)
        return
    if not changed:
        return
    tags = _story_tags(changed)
    published = dict(
        Story.objects.filter(pk__in=changed, status=Story.Status.PUBLISHED).values_list(
            "pk", "published_at"
        )
    )
    lists = {pk: _ranked_for(pk, tags[pk]) for pk in changed}
    neighbours = set(
        StoryRelation.objects.filter(related__in=changed).values_list("story", flat=True)
    )
    for pk in published:
        neighbours.update(_newest_sharing(pk, tags[pk]))
    neighbours -= changed
    if neighbours:
        tags.update(_story_tags(neighbours))
        current = {pk: [] for pk in neighbours}
        rows = (
            StoryRelation.objects.filter(story__in=neighbours)
            .order_by("story", "rank")
            .values_list("story", "related", "shared_tags", "related__published_at")
        )
        for story_pk, *row in rows:
            current[story_pk].append(tuple(row))
        for story_pk, rows in current.items():
            merged = [row for row in rows if row[0] not in changed]
            for pk, published_at in published.items():
                shared = len(tags[pk] & tags[story_pk])
                if shared:
                    merged.append((pk, shared, published_at))
            merged.sort(key=_rank_key, reverse=True)
            merged = merged[: related_kept()]
            if merged != rows:
                lists[story_pk] = merged
    _replace_lists(lists)


def rebuild_related_stories(batch_size=500, progress=None, stories=None):
    """Rank every story's list (or those of the `stories` queryset) from scratch.

    For an upgrade or a bulk import. One ranking query per story that has tags.
    `progress(done, total)` is called after each batch. Returns the number of stories.
    """
    stories = Story.objects.all() if stories is None else stories
    pks = list(stories.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), batch_size):
        batch = pks[start : start + batch_size]
        tags = _story_tags(batch)
        with transaction.atomic():
            _replace_lists({pk: _ranked_for(pk, tags[pk]) for pk in batch})
        if progress is not None:
            progress(start + len(batch), len(pks))
    return len(pks)


@receiver(m2m_changed, sender=Story.tags.through)
def refresh_related_on_retag(sender, instance, action, pk_set=None, **kwargs):
    """A story's tags changed (admin, importer, shell): its lists change with them."""
    changed = (action in ("post_add", "post_remove") and pk_set) or action == "post_clear"
    if changed and isinstance(instance, Story):
        refresh_related_stories([instance.pk])


class RelatedHeadlineQuerySet(models.QuerySet):
    def visible(self):
        """Items a reader may see: a public linked story, or headline text of their own.

        Annotates `target_is_public` so templates never ask the database again.
        """
        public_target = Story.objects.published().filter(pk=OuterRef("target_id"))
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

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="related_headlines")
    target = models.ForeignKey(
        Story,
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
        from .importing import headline_key

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


class JSONArrayAgg(models.Aggregate):
    """Rows as one JSON array, as text: SQLite's json_group_array, PostgreSQL's jsonb_agg."""

    function = "JSON_GROUP_ARRAY"
    output_field = models.TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = self.as_sql(compiler, connection, function="JSONB_AGG", **extra_context)
        return f"({sql})::text", params


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

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="corrections")
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


def delete_portrait_unless_used(name):
    if not Author.objects.filter(photo=name).exists():
        default_storage.delete(name)


@receiver(post_delete, sender=Author)
def delete_portrait(sender, instance, **kwargs):
    name = instance.photo.name
    if name:
        transaction.on_commit(lambda: delete_portrait_unless_used(name), robust=True)


@receiver(pre_delete, sender=Story)
def drop_textless_links_to_deleted_story(sender, instance, **kwargs):
    """Items that only linked the deleted story have nothing left to show.

    Items with text of their own survive (their link is set to NULL), which keeps the
    "target or text" constraint true.
    """
    RelatedHeadline.objects.filter(target=instance, headline="").delete()


# The library photos and galleries a story's body shows (articles/inline_media.py)


class BodyUse(models.Model):
    """A photo or gallery of the library that a story's body places between its
    paragraphs.

    Kept in step with the body on every save of a story (`record_body_uses`,
    articles/signal_handlers.py), so that "used in" and the refusal to delete a photo in
    use (PROTECT) are one indexed lookup, not a search of every body.
    """

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="body_uses")
    photo = models.ForeignKey(
        Photo, on_delete=models.PROTECT, null=True, blank=True, related_name="body_uses"
    )
    gallery = models.ForeignKey(
        Gallery, on_delete=models.PROTECT, null=True, blank=True, related_name="body_uses"
    )

    class Meta:
        verbose_name = "use in a story's body"
        constraints = [
            models.CheckConstraint(
                condition=Q(photo__isnull=True) ^ Q(gallery__isnull=True),
                name="body_use_photo_or_gallery",
            ),
        ]

    def __str__(self):
        # What the admin names when it refuses to delete the photo: "used by …".
        return f"the body of “{self.story}”"


def body_media_annotations():
    """The story query's annotations `inline_media.preloaded` reads: its body's photos
    and its galleries' items (all of them, each with whether the photo may be shown: a
    photo still processing names its cache tag all the same), through BodyUse."""

    def shown(path):
        return Exists(Photo.objects.public().filter(pk=OuterRef(path)))

    photos = (
        BodyUse.objects.filter(story=OuterRef("pk"), photo__isnull=False)
        .order_by()
        .values("story")
        .annotate(
            items=JSONArrayAgg(
                JSONObject(
                    id="photo_id",
                    public=shown("photo_id"),
                    **{name: f"photo__{name}" for name in MEDIA_FIELDS},
                )
            )
        )
        .values("items")
    )
    items = (
        GalleryPhoto.objects.filter(gallery__body_uses__story=OuterRef("pk"))
        .order_by()
        .values("gallery__body_uses__story")
        .annotate(
            items=JSONArrayAgg(
                JSONObject(
                    id="pk",
                    gallery_id="gallery_id",
                    title="gallery__title",
                    order="order",
                    caption="caption",
                    photo_id="photo_id",
                    photo_public=shown("photo_id"),
                    **{f"photo_{name}": f"photo__{name}" for name in MEDIA_FIELDS},
                )
            )
        )
        .values("items")
    )
    return {"body_photos_json": Subquery(photos), "body_gallery_json": Subquery(items)}
