"""How wire copy arrives and what happens to it.

One mechanism, the site's background tasks (articles/tasks.py):

1. **Receiving** (`receive`): the push endpoint (`POST /wire/<source>/`) or
   `manage.py wire_ingest` (the watched folders) parses the bytes at once (pure, size
   capped) and writes one `WireItem`: received, or rejected with the reason. Nothing
   else is written, so a bad item is never half-imported. The same guid and version
   again finds the item already there and changes nothing. A later version of a guid
   enqueues `process_wire_item` in the same transaction (a first version has nothing
   to update or kill, and is stored as processed).
2. **Processing** (`process_item`, run by `manage.py worker` on any host): a newer
   version updates the draft made from an earlier one, unless the story changed since
   the wire wrote it (then the item is flagged "wire update available"); a kill or
   withdrawal unpublishes the story made from that guid and flags it. The item's row is
   locked with SKIP LOCKED, so two workers never process one item twice.
3. **Making a draft** (`make_draft`): an editor's click in the Wire view.
"""

import logging
import os

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..history import record_story_revisions, stories_for_revisions
from ..languages import normalize, site_language
from ..models import Author, RelatedHeadline, Section, Story, StoryAuthor, unique_slug
from ..tasks import background_task
from .formats import MAX_BYTES, WITHDRAWN, WireFormatError, parse
from .models import SubjectMapping, WireItem

logger = logging.getLogger(__name__)

# The raw payload kept with a rejected item: enough to see what went wrong.
RAW_KEPT_REJECTED = 64 * 1024
# A file younger than this may still be being written by the agency's upload.
SETTLE_SECONDS = 2.0


def _raw_text(data, limit=None):
    text = (
        data[:limit].decode("utf-8", errors="replace") if limit else data.decode("utf-8", "replace")
    )
    return text.replace("\x00", "\ufffd")  # PostgreSQL text holds no NUL


def reject(source, data, name, reason):
    return WireItem.objects.create(
        source=source,
        file_name=name[:255],
        raw=_raw_text(data, RAW_KEPT_REJECTED),
        status=WireItem.Status.REJECTED,
        reason=reason,
        processed_at=timezone.now(),
    )


def receive(source, data, name=""):
    """Store one item from `source`: (item, created). Rejected items come back with
    status REJECTED and their reason; a guid and version already received return the
    existing item, unchanged, with created False."""
    try:
        copy = parse(source.format, data, name or "item")
    except WireFormatError as error:
        logger.warning("Wire item %r from %s rejected: %s", name, source, error)
        return reject(source, data, name, str(error)), True
    fields = {
        "file_name": name[:255],
        "raw": _raw_text(data),
        "headline": copy.headline[:300],
        "dek": copy.dek[:300],
        "body_html": copy.body_html,
        "bylines": copy.bylines,
        "subjects": [list(pair) for pair in copy.subjects],
        "related_headlines": copy.related_headlines,
        "urgency": copy.urgency,
        "embargo_until": copy.embargoed,
        "pub_status": copy.pub_status,
        # Not a tag (a typo, "English"): unknown, so the draft gets the site's language
        # and the copy is kept rather than refused for a label.
        "language": normalize(copy.language, default=""),
        "section_hint": copy.section_hint,
    }
    key = {"source": source, "guid": copy.guid, "version": copy.version}
    try:
        with transaction.atomic():
            # A guid's first version has no story to update or kill yet: nothing to
            # process, no task (most of the wire). A later one queues its processing.
            others = WireItem.objects.filter(source=source, guid=copy.guid)
            if others.exclude(status=WireItem.Status.REJECTED).exists():
                item = WireItem.objects.create(**key, **fields)
                process_wire_item.enqueue(item.pk)
            else:
                item = WireItem.objects.create(
                    **key, **fields, status=WireItem.Status.PROCESSED, processed_at=timezone.now()
                )
    except IntegrityError:
        existing = WireItem.objects.exclude(status=WireItem.Status.REJECTED).filter(**key).first()
        if existing is None:
            raise
        return existing, False
    return item, True


# ------------------------------------------------------------------------ processing


@background_task
def process_wire_item(item_id):
    process_item(item_id)


def _earlier_with_story(item):
    return (
        WireItem.objects.filter(source_id=item.source_id, guid=item.guid, story__isnull=False)
        .exclude(pk=item.pk)
        .select_related("story")
        .order_by("-version", "-pk")
        .first()
    )


@transaction.atomic
def process_item(item_id):
    """Apply one received item; returns the item, or None when another worker holds it
    or it was processed already (so running it twice changes nothing)."""
    item = (
        WireItem.objects.select_for_update(skip_locked=True)
        .filter(pk=item_id, status=WireItem.Status.RECEIVED)
        .first()
    )
    if item is None:
        return None
    earlier = _earlier_with_story(item) if item.guid else None
    if earlier is not None and earlier.version > item.version:
        earlier = None  # an older version arriving late never overwrites a newer one
    if earlier is not None:
        story = Story.objects.select_for_update().get(pk=earlier.story_id)
        item.story = story
        if item.withdrawn:
            _kill(item, story)
            _record(story, None, f"Killed by {item.source.name} (version {item.version}).")
        elif story.version == earlier.story_version:
            _write(item, story)
            item.story_version = story.version
            _record(story, None, f"Version {item.version} from {item.source.name}.")
        else:
            item.attention = WireItem.Attention.UPDATE
    item.status = WireItem.Status.PROCESSED
    item.processed_at = timezone.now()
    item.save()
    return item


def _record(story, user, comment):
    """A revision in the story's history for a change the wire made (undone like any)."""
    record_story_revisions(stories_for_revisions([story.pk]), user=user, comment=comment)


def apply_update(item_id, user=None):
    """The editor chose the agency's newer version over their edits: its headline, dek
    and body replace the story's, recorded in the story's history (so the editor's text
    is one undo away). Returns the story, or None if there is no update to apply."""
    with transaction.atomic():
        item = (
            WireItem.objects.select_for_update(of=("self",))
            .select_related("source")
            .filter(pk=item_id, attention=WireItem.Attention.UPDATE, story__isnull=False)
            .first()
        )
        if item is None:
            return None
        story = Story.objects.select_for_update().get(pk=item.story_id)
        _write(item, story)
        item.attention = ""
        item.story_version = story.version
        item.save(update_fields=["attention", "story_version"])
        _record(story, user, f"Version {item.version} from {item.source.name}, chosen on the wire.")
    return story


def keep_edits(item_id):
    """The editor keeps their text: the update is no longer flagged (the item stays)."""
    return WireItem.objects.filter(pk=item_id, attention=WireItem.Attention.UPDATE).update(
        attention=""
    )


def _kill(item, story):
    item.attention = WireItem.Attention.KILLED
    if story.status == Story.Status.PUBLISHED:
        story.status = Story.Status.DRAFT
        story.save()
        logger.warning("Wire kill: story %s unpublished (%s)", story.pk, item.guid)


def _write(item, story):
    """The wire's newer text over a draft nobody has changed since the wire wrote it."""
    story.headline = item.headline or story.headline
    story.dek = item.dek
    story.body = item.body_html
    story.embargo_until = item.embargo_until
    story.language = item.language or story.language
    published = story.status == Story.Status.PUBLISHED
    if published and item.embargo_until and story.published_at < item.embargo_until:
        story.published_at = item.embargo_until  # never public before the embargo
    story.save()


# ------------------------------------------------------------------------ drafts


class Withdrawn(Exception):
    """The item (or its guid) cannot become a story: killed, withheld or rejected."""


def _mappings(item):
    codes = item.subject_codes
    if not codes:
        return []
    rows = SubjectMapping.objects.filter(code__in=codes).filter(
        Q(source=None) | Q(source_id=item.source_id)
    )
    # A source's own mapping wins over the general one.
    return sorted(rows.select_related("section"), key=lambda row: row.source_id is None)


def _section(item, mappings):
    for mapping in mappings:
        if mapping.section is not None:
            return mapping.section
    if item.section_hint:
        hinted = Section.objects.filter(name__iexact=item.section_hint).first()
        if hinted:
            return hinted
    if item.source.default_section_id:
        return item.source.default_section
    return Section.objects.order_by("order", "pk").first() or Section.objects.create(
        name="News", slug="news"
    )


def _authors(names):
    authors = []
    for name in dict.fromkeys(name for name in names if name):
        author = Author.objects.filter(name=name).order_by("pk").first()
        if author is None:
            author = Author.objects.create(
                name=name, slug=unique_slug(Author, name, max_length=120)
            )
        authors.append(author)
    return authors


@transaction.atomic
def make_draft(item, user=None):
    """The draft story made from `item` (or from an earlier version of its guid):
    (story, created). Section, tags and bylines are mapped from the item."""
    item = WireItem.objects.select_for_update().select_related("source").get(pk=item.pk)
    if item.status == WireItem.Status.REJECTED:
        raise Withdrawn("A rejected item cannot become a story.")
    if item.story_id:
        return item.story, False
    withdrawn = WireItem.objects.filter(
        source_id=item.source_id, guid=item.guid, pub_status__in=WITHDRAWN
    ).exclude(status=WireItem.Status.REJECTED)
    if item.withdrawn or (item.guid and withdrawn.exists()):
        raise Withdrawn(f"“{item}” was withdrawn by the agency: it may not become a story.")
    earlier = _earlier_with_story(item) if item.guid else None
    if earlier is not None:
        item.story = earlier.story
        item.save(update_fields=["story"])
        return earlier.story, False
    # Made from the newest usable version of the guid (one may have arrived while the
    # desk looked at an older one).
    newest = (
        WireItem.objects.filter(source_id=item.source_id, guid=item.guid, version__gt=item.version)
        .exclude(status=WireItem.Status.REJECTED)
        .exclude(pub_status__in=WITHDRAWN)
        .order_by("-version")
        .first()
        if item.guid
        else None
    )
    if newest is not None:
        item = WireItem.objects.select_for_update().select_related("source").get(pk=newest.pk)
    mappings = _mappings(item)
    story = Story(
        headline=item.headline or item.file_name or "Wire item",
        dek=item.dek,
        body=item.body_html,
        language=item.language or site_language(),
        section=_section(item, mappings),
        status=Story.Status.DRAFT,
        embargo_until=item.embargo_until,
        created_by=user,
    )
    story.save()
    for order, author in enumerate(_authors(item.bylines)):
        StoryAuthor.objects.create(story=story, author=author, order=order)
    RelatedHeadline.objects.bulk_create(
        RelatedHeadline(story=story, headline=text[:255], order=order)
        for order, text in enumerate(item.related_headlines[:50])
    )
    tags = [mapping.tag for mapping in mappings if mapping.tag]
    if tags:
        story.tags.add(*dict.fromkeys(tags))
    story.refresh_from_db(fields=["version"])
    item.story, item.story_version = story, story.version
    item.save(update_fields=["story", "story_version"])
    _record(story, user, f"Made from {item.source.name}'s item {item.guid or item.file_name}.")
    return story, True


# ------------------------------------------------------------------------ folders


def scan_folder(source, *, now=None):
    """Receive every settled file in `source`'s folder and move it to processed/ or
    rejected/ inside it. Returns {"received", "duplicates", "rejected"} counts."""
    counts = {"received": 0, "duplicates": 0, "rejected": 0}
    folder = source.folder_path()
    if folder is None or not folder.is_dir():
        return counts
    now = now if now is not None else timezone.now().timestamp()
    for path in sorted(folder.iterdir()):
        # Not a symbolic link: whoever may drop files must not make us read others.
        if path.name.startswith(".") or path.is_symlink() or not path.is_file():
            continue
        stat = path.stat()
        if now - stat.st_mtime < SETTLE_SECONDS:
            continue  # still arriving
        if stat.st_size > MAX_BYTES:
            with path.open("rb") as handle:
                head = handle.read(RAW_KEPT_REJECTED)
            reject(
                source, head, path.name, f"is {stat.st_size:,} bytes; the limit is {MAX_BYTES:,}"
            )
            outcome = "rejected"
        else:
            item, created = receive(source, path.read_bytes(), path.name)
            if item.status == WireItem.Status.REJECTED:
                outcome = "rejected"
            else:
                outcome = "received" if created else "duplicates"
        counts[outcome] += 1
        _move(path, folder / ("rejected" if outcome == "rejected" else "processed"))
    return counts


def _move(path, into):
    into.mkdir(exist_ok=True)
    target = into / path.name
    if target.exists():
        target = into / f"{path.stem}.{int(timezone.now().timestamp() * 1000)}{path.suffix}"
    os.replace(path, target)
