"""A story's history: what django-reversion records, and how two versions compare.

Every write path records a revision: the admin (StoryAdmin is a reversion VersionAdmin),
the bulk actions and the importer (both through `record_story_revisions`). A revision
holds exactly one story with everything that belongs to it (bylines, related headlines,
corrections, tags), because reverting a revision restores *all* of its objects:
a revision shared by two stories would let reverting one silently revert the other.

The comparison functions are pure: they take reversion `Version`s (or plain text) and
return escaped HTML, no database.
"""

import difflib
import html
import re
from dataclasses import dataclass

import reversion
from django.db.models import Prefetch
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from taggit.models import Tag, TaggedItem

from .models import Correction, RelatedHeadline, Story, StoryAuthor

# Bookkeeping that a restored version must not roll back: the optimistic-lock version
# and the last editor belong to the row's present, not to its past; the search vector
# is rebuilt by the database. `tags` and `authors` are stored through their rows.
# Photo files are not versioned (a replaced photo's files are deleted), so a restore
# keeps the current photo, its focal point and renditions; caption, credit and alt
# text are text and do come back.
STORY_EXCLUDE = (
    "search_vector",
    "version",
    "last_edited_by",
    "tags",
    "authors",
    "lead_photo",
    "lead_photo_width",
    "lead_photo_height",
    "lead_photo_focal_x",
    "lead_photo_focal_y",
    "lead_photo_renditions",
)
STORY_FOLLOW = ("story_authors", "related_headlines", "corrections", "tagged_items")


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
        # The tag row comes along so a story can be restored even if one of its tags
        # has been deleted since. (Restoring also restores that tag's name and slug.)
        TaggedItem: {"follow": ("tag",)},
        Tag: {},
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
