"""A story's history: what django-reversion records, how two versions compare, and
how one version is brought back.

Every write path records a revision: the admin (StoryAdmin is a reversion VersionAdmin),
the bulk actions and the importer (both through `record_story_revisions`). A revision
holds one story with everything that belongs to it (bylines, related headlines,
corrections, tags).

Bringing a version back (`restore`) never uses reversion's `Revision.revert()`, which
writes every object of the revision as it was: rows of other stories in an old shared
revision, shared tags' names. It writes the story's own row and its own rows, nothing
else; shared objects (sections, authors, tags) are only pointed at again.

The comparison functions are pure: they take reversion `Version`s (or plain text) and
return escaped HTML, no database.
"""

import difflib
import html
import json
import re
from dataclasses import dataclass, field

import reversion
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from reversion.errors import RevertError
from taggit.models import Tag, TaggedItem

from .models import (
    Author,
    Correction,
    Photo,
    RelatedHeadline,
    Section,
    Story,
    StoryAuthor,
    StorySlug,
    unique_slug,
)
from .related import refresh_related_stories
from .signal_handlers import purge_stories, story_tags

# Not recorded: the search vector is rebuilt by the database; `tags` and `authors` are
# stored through their rows. The optimistic-lock version and the last editor are not
# recorded either: they belong to the row's present, not to its past.
STORY_EXCLUDE = ("search_vector", "version", "last_edited_by", "tags", "authors")
STORY_FOLLOW = ("story_authors", "related_headlines", "corrections", "tagged_items")

# The photo (a library Photo) is recorded, so history can tell which photo a version
# had, but restored only by the rule in `restores_photo`.
PHOTO_FIELDS = ("lead_photo",)
# What a revert leaves as it is: facts about the story rather than about one version.
KEPT_ON_REVERT = (
    "id",
    "created_at",
    "updated_at",
    "created_by",
    "import_key",
    "version",
    "last_edited_by",
    "search_vector",
    *PHOTO_FIELDS,
    # Live coverage is the story's timeline, not one version's text: a revert neither
    # ends nor restarts it. Its updates are not the story's own rows either (not
    # followed): a revert never removes an update posted after the version restored.
    "live_started_at",
    "live_ended_at",
)


def register():
    """Register the story and what belongs to it with django-reversion (idempotent).

    Called from the app's ready() and, because the admin is autodiscovered before
    that and VersionAdmin registers its model with defaults of its own, from
    articles/admin.py before StoryAdmin is created.
    """
    options = {
        Story: {"exclude": STORY_EXCLUDE, "follow": STORY_FOLLOW},
        StoryAuthor: {},
        RelatedHeadline: {},
        Correction: {},
        # The tag row is recorded for its name: comparing versions shows it, and a
        # revert can re-create a tag deleted since. A revert never writes a tag that
        # exists (see `restore`): tags are shared by every story that uses them.
        TaggedItem: {"follow": ("tag",)},
        Tag: {},
        # Live updates register themselves (articles/live/history.py).
    }
    for model, kwargs in options.items():
        if not reversion.is_registered(model):
            reversion.register(model, **kwargs)


def stories_for_revisions(pks):
    """Stories with everything a revision follows prefetched: constant queries for any number."""
    return Story.objects.filter(pk__in=pks).prefetch_related(
        "story_authors",
        "related_headlines",
        "corrections",
        Prefetch("tagged_items", queryset=TaggedItem.objects.select_related("tag")),
    )


def record_story_revisions(stories, *, user=None, comment=""):
    """Record one revision per story, with `user` and `comment`.

    For writes that bypass `Model.save()` or happen outside the admin's own revision
    (bulk actions, the importer). Pass stories from `stories_for_revisions` to keep the
    query count per story small and fixed. Must not run inside another
    `reversion.create_revision()`: nested revisions merge into one.
    """
    for story in stories:
        with reversion.create_revision():
            reversion.set_user(user)
            reversion.set_comment(comment)
            reversion.add_to_revision(story)


# ------------------------------------------------------------------- restoring


class CannotRestore(Exception):
    """A version that cannot be brought back; the message says why, for the editor."""


def _recorded_fields(version):
    """The field names a version's data holds (older versions recorded fewer)."""
    if version.format != "json":
        return set()
    try:
        return set(json.loads(version.serialized_data)[0]["fields"])
    except (ValueError, LookupError, TypeError):
        return set()


def restores_photo(version, current_photo_id, checked=None):
    """Whether restoring `version` brings back its own photo (True) or keeps the current one.

    A version's photo comes back only if it is another photo than the current one and
    it is still in the library (an unused library photo may have been deleted since).
    Otherwise (no photo then, the same photo, deleted since, or a version recorded
    before photos were) the story keeps the photo it has: a revert never loses a photo.
    `checked` caches look-ups by photo id across calls (the history page).
    """
    if "lead_photo" not in _recorded_fields(version):
        return False
    try:
        old = version._object_version.object
    except RevertError:
        return False
    photo_id = old.lead_photo_id
    if not photo_id or photo_id == current_photo_id:
        return False
    checked = {} if checked is None else checked
    if photo_id not in checked:
        checked[photo_id] = Photo.objects.filter(pk=photo_id).exists()
    return checked[photo_id]


@dataclass
class Restored:
    """What `restore` did besides writing the version back, for the editor to know."""

    story: Story
    photo_restored: bool = False
    notes: list[str] = field(default_factory=list)


def _own_rows(version, story_pk):
    """The rows of the story's own models in the version's revision, and recorded tags.

    Only rows that belong to this story: an old revision may hold other stories' rows.
    """
    story_type = ContentType.objects.get_for_model(Story)
    rows = {StoryAuthor: [], RelatedHeadline: [], Correction: [], TaggedItem: []}
    recorded_tags = {}
    for other in version.revision.version_set.exclude(pk=version.pk):
        model = other._model
        if model not in rows and model is not Tag:
            continue
        try:
            obj = other._object_version.object
        except RevertError:
            continue
        if model is Tag:
            recorded_tags[obj.pk] = obj
        elif model is TaggedItem:
            if obj.content_type_id == story_type.pk and str(obj.object_id) == str(story_pk):
                rows[TaggedItem].append(obj)
        elif obj.story_id == story_pk:
            if model is StoryAuthor:
                obj.author_name = other.object_repr
            rows[model].append(obj)
    return rows, recorded_tags


def _tag_pk(tag_pk, recorded_tags, existing):
    """The tag to use for a recorded tagged item, or None.

    The tag itself if it still exists (under whatever name it has now: a revert never
    renames a shared tag). A tag deleted since is found again by its recorded name or
    slug, and re-created from them only if no tag has either: that way the version's
    tag comes back without overwriting any existing tag.
    """
    if tag_pk in existing:
        return tag_pk
    recorded = recorded_tags.get(tag_pk)
    if recorded is None:
        return None
    found = Tag.objects.filter(Q(name=recorded.name) | Q(slug=recorded.slug)).first()
    if found is None:
        found = Tag.objects.create(name=recorded.name, slug=recorded.slug)
    return found.pk


def _checked_rows(rows, recorded_tags, restored):
    """The rows with their references to shared objects checked; raises CannotRestore.

    A byline's author cannot be replaced by anything: a version whose byline author was
    deleted is refused. A related headline whose linked story was deleted is treated as
    the deletion treats it: it keeps its own headline text, or goes if it has none.
    """
    author_pks = {row.author_id for row in rows[StoryAuthor]}
    existing_authors = set(Author.objects.filter(pk__in=author_pks).values_list("pk", flat=True))
    missing = [
        row.author_name for row in rows[StoryAuthor] if row.author_id not in existing_authors
    ]
    if missing:
        raise CannotRestore(
            "This version cannot be restored: its byline names an author who has since "
            f"been deleted ({', '.join(missing)}). Nothing was changed."
        )

    target_pks = {row.target_id for row in rows[RelatedHeadline] if row.target_id}
    existing_targets = set(Story.objects.filter(pk__in=target_pks).values_list("pk", flat=True))
    kept = []
    for row in rows[RelatedHeadline]:
        if row.target_id and row.target_id not in existing_targets:
            row.target_id = None
            if not row.headline:
                restored.notes.append(
                    "A related headline of this version linked a story that has since been "
                    "deleted; it is left out."
                )
                continue
            restored.notes.append(
                f"The related headline “{row.headline}” linked a story that has since been "
                "deleted; it keeps its own text, without the link."
            )
        kept.append(row)
    rows[RelatedHeadline] = kept

    tag_pks = {row.tag_id for row in rows[TaggedItem]}
    existing_tags = set(Tag.objects.filter(pk__in=tag_pks).values_list("pk", flat=True))
    items, seen = [], set()
    for row in rows[TaggedItem]:
        row.tag_id = _tag_pk(row.tag_id, recorded_tags, existing_tags)
        if row.tag_id is None:
            restored.notes.append(
                "A tag of this version has since been deleted and its name was not "
                "recorded; it is left out."
            )
        elif row.tag_id not in seen:
            seen.add(row.tag_id)
            items.append(row)
    rows[TaggedItem] = items
    return rows


def _write_own_rows(story_pk, rows):
    """Replace the story's bylines, related headlines, notes and tagged items with `rows`.

    Rows keep their recorded primary keys (the revert form, rendered before, names
    them) unless another row has taken one since. Raw saves: no model save() side
    effects (a note's save() would count as an edit of the story).
    """
    story_type = ContentType.objects.get_for_model(Story)
    current = {
        StoryAuthor: StoryAuthor.objects.filter(story_id=story_pk),
        RelatedHeadline: RelatedHeadline.objects.filter(story_id=story_pk),
        Correction: Correction.objects.filter(story_id=story_pk),
        TaggedItem: TaggedItem.objects.filter(content_type=story_type, object_id=story_pk),
    }
    for model, queryset in current.items():
        queryset.delete()
        taken = set(
            model.objects.filter(pk__in=[row.pk for row in rows[model]]).values_list(
                "pk", flat=True
            )
        )
        for row in rows[model]:
            if row.pk in taken:
                row.pk = None
            row.save_base(raw=True, force_insert=True)


def _story_fields(version, old, current):
    """The version's values for the fields a revert (or recovery) writes.

    A revert writes only what the version recorded, bookkeeping and photo aside: a
    field added since keeps its current value rather than getting its default. A
    recovery needs every field; the photo's are empty unless `restores_photo`.
    """
    if current is None:
        fields = {f.attname: getattr(old, f.attname) for f in Story._meta.concrete_fields}
        fields.update(
            {Story._meta.get_field(name).attname: None for name in PHOTO_FIELDS}  # no photo
        )
        fields.update(version=0, last_edited_by_id=None)
        if fields["created_by_id"] and not (
            get_user_model().objects.filter(pk=fields["created_by_id"]).exists()
        ):
            fields["created_by_id"] = None
        if old.import_key and Story.objects.filter(import_key=old.import_key).exists():
            fields["import_key"] = None
    else:
        kept = {Story._meta.get_field(name) for name in KEPT_ON_REVERT}
        recorded = _recorded_fields(version)
        fields = {
            f.attname: getattr(old, f.attname)
            for f in Story._meta.concrete_fields
            if f not in kept and f.name in recorded
        }
    if "slug" in fields and Story.objects.filter(slug=old.slug).exclude(pk=old.pk).exists():
        # Another story has the address now; this one keeps (or gets) its own.
        fields["slug"] = current.slug if current else unique_slug(Story, old.headline)
    return fields


def restore(version):
    """Write `version` (a Version of a Story) back over the story, or re-create it.

    Only the story's row and its own rows are written: its bylines, related headlines,
    notes and tagged items; sections, authors and tags are shared and only pointed at.
    Bookkeeping (`KEPT_ON_REVERT`) stays; the photo follows `restores_photo`. Runs in
    the caller's transaction; raises CannotRestore, with nothing written, for a version
    that cannot be restored. Returns a `Restored`.
    """
    if version._model is not Story:
        raise CannotRestore("That is not a version of a story.")
    try:
        old = version._object_version.object
    except RevertError as error:
        raise CannotRestore(str(error)) from error
    story_pk = old.pk
    current = Story.objects.select_for_update().filter(pk=story_pk).first()
    if not Section.objects.filter(pk=old.section_id).exists():
        raise CannotRestore(
            "This version cannot be restored: its section has since been deleted. "
            "Nothing was changed."
        )
    restored = Restored(story=current)
    rows = _checked_rows(*_own_rows(version, story_pk), restored)
    fields = _story_fields(version, old, current)
    if fields.get("slug", old.slug) != old.slug:
        restored.notes.append(
            f"Another story has the address “{old.slug}” now: this one keeps “{fields['slug']}”."
        )

    restored.photo_restored = restores_photo(version, current.lead_photo_id if current else None)
    if restored.photo_restored:
        # The current photo stays in the library (other stories may use it).
        attnames = [Story._meta.get_field(name).attname for name in PHOTO_FIELDS]
        fields.update({attname: getattr(old, attname) for attname in attnames})

    if current is not None:
        # The lists it is on now, before update() (which sends no signal) changes them.
        lists_before = story_tags(story_pk, navigation=True)
        if fields:
            Story.objects.filter(pk=story_pk).update(**fields)
        if fields.get("slug", current.slug) != current.slug:
            # As Story.save() does: the current address always wins over a former one,
            # and the address the story had keeps working.
            StorySlug.objects.filter(slug=fields["slug"]).delete()
            StorySlug.objects.update_or_create(slug=current.slug, defaults={"story": current})
    else:
        # Recovering a deleted story (with its photo if that is still in the library).
        story = Story(**fields)
        story.save_base(raw=True, force_insert=True)
        restored.story = story
    _write_own_rows(story_pk, rows)
    # Its row and tags were written without save() or taggit's signals.
    refresh_related_stories([story_pk])
    if current is not None:
        purge_stories([story_pk], also=lists_before)  # and the lists it is on now
    return restored


# ------------------------------------------------------------------- comparing


_BLOCK_END = re.compile(
    r"</(p|h[1-6]|li|blockquote|figcaption|figure)\s*>|<br\s*/?>|<hr\s*/?>", re.IGNORECASE
)
_WORDS = re.compile(r"\s+|\w+|[^\w\s]")


def body_text(body_html: str) -> str:
    """A story body as plain text, one paragraph (or list item, heading…) a line."""
    text = _BLOCK_END.sub("\n", body_html or "")
    text = html.unescape(strip_tags(text)).replace("\xa0", " ")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _word_diff(old: str, new: str) -> str:
    """`old` → `new` word by word: removed words in <del>, added words in <ins>, all escaped."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    out = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return "".join(out)


def text_diff(old: str, new: str) -> SafeString:
    """Paragraphs of `old` → `new` as HTML: unchanged, removed, added or changed word by word.

    Every paragraph is a <p>; a removed one holds a <del>, an added one an <ins>.
    The texts are escaped: whatever they contain is shown, never interpreted.
    """
    a, b = (old or "").splitlines(), (new or "").splitlines()
    out = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out += [f"<p>{escape(line)}</p>" for line in a[i1:i2]]
        elif op == "replace":
            # Pair changed paragraphs in order; what is left over was removed or added.
            for offset in range(max(i2 - i1, j2 - j1)):
                old_line = a[i1 + offset] if i1 + offset < i2 else None
                new_line = b[j1 + offset] if j1 + offset < j2 else None
                if old_line is None:
                    out.append(f'<p class="diff-added"><ins>{escape(new_line)}</ins></p>')
                elif new_line is None:
                    out.append(f'<p class="diff-removed"><del>{escape(old_line)}</del></p>')
                else:
                    out.append(f'<p class="diff-changed">{_word_diff(old_line, new_line)}</p>')
        elif op == "delete":
            out += [f'<p class="diff-removed"><del>{escape(line)}</del></p>' for line in a[i1:i2]]
        elif op == "insert":
            out += [f'<p class="diff-added"><ins>{escape(line)}</ins></p>' for line in b[j1:j2]]
    # Safe: every piece of text above went through escape().
    return mark_safe("".join(out))


@dataclass(frozen=True)
class FieldDiff:
    label: str
    old: str
    new: str
    diff: SafeString

    @property
    def changed(self):
        return self.old != self.new


@dataclass(frozen=True)
class StorySnapshot:
    """What the comparison shows of one version of a story, as text."""

    headline: str
    dek: str
    body: str
    status: str
    published_at: object
    section_id: int | None
    tags: tuple[str, ...]
    author_ids: tuple[int, ...]


def snapshot(version) -> StorySnapshot:
    """The story in `version` (a reversion Version of a Story), read from its revision."""
    data = version.field_dict
    story_pk = int(version.object_id)
    tag_ids, bylines = [], []
    tag_names = {}
    for other in version.revision.version_set.select_related("content_type"):
        model = other._model
        if model is TaggedItem:
            item = other.field_dict
            if str(item["object_id"]) == str(story_pk):
                tag_ids.append(item["tag_id"])
        elif model is Tag:
            tag_names[int(other.object_id)] = other.field_dict["name"]
        elif model is StoryAuthor:
            byline = other.field_dict
            if byline["story_id"] == story_pk:
                bylines.append((byline["order"], int(other.object_id), byline["author_id"]))
    return StorySnapshot(
        headline=data.get("headline", ""),
        dek=data.get("dek", ""),
        body=body_text(data.get("body", "")),
        status=data.get("status", ""),
        published_at=data.get("published_at"),
        section_id=data.get("section_id"),
        tags=tuple(sorted(tag_names.get(tag_id, f"#{tag_id}") for tag_id in tag_ids)),
        author_ids=tuple(author_id for _, _, author_id in sorted(bylines)),
    )


def compare(old: StorySnapshot, new: StorySnapshot) -> list[FieldDiff]:
    """Headline, dek and body, compared paragraph by paragraph and word by word."""
    return [
        FieldDiff(
            label,
            getattr(old, name),
            getattr(new, name),
            text_diff(getattr(old, name), getattr(new, name)),
        )
        for label, name in (("Headline", "headline"), ("Dek", "dek"), ("Body", "body"))
    ]
