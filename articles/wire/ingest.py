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
4. **Pictures** (`import_pictures`, in the worker): a picture that came with an item,
   dropped in the same folder or linked from a host its source trusts, becomes a library
   photo with its caption, credit and rights (the draft's lead photo). The file is read
   or fetched (size and time capped) and checked outside any transaction; only the
   rows are written in one.
"""

import logging
import os
import time
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .. import images
from ..history import record_story_revisions, stories_for_revisions
from ..importing import PHOTO_SUFFIXES
from ..languages import normalize, site_language
from ..models import Author, RelatedHeadline, Section, Story, StoryAuthor, unique_slug
from ..photos import fingerprints
from ..photos.models import Photo
from ..tasks import background_task
from .formats import MAX_BYTES, WITHDRAWN, WireFormatError, parse
from .models import SubjectMapping, WireItem, WireSource

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


def receive(source, data, name="", folder=None, settled=None):
    """Store one item from `source`: (item, created). Rejected items come back with
    status REJECTED and their reason; a guid and version already received return the
    existing item, unchanged, with created False. `folder`: the watched folder the item
    was dropped in, where the pictures it names may be too; `settled(path, stat)`: whether
    one of them has finished arriving (scan_folder's rule)."""
    try:
        copy = parse(source.format, data, name or "item")
    except WireFormatError as error:
        logger.warning("Wire item %r from %s rejected: %s", name, source, error)
        return reject(source, data, name, str(error)), True
    pictures = [
        _claim(_picture_to_take(picture, source, folder, settled), folder)
        for picture in copy.pictures
    ]
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
        "signals": copy.signals,
        "section_hint": copy.section_hint,
        "pictures": pictures,
    }
    key = {"source": source, "guid": copy.guid, "version": copy.version}
    try:
        with transaction.atomic():
            # One receiver at a time per source (PostgreSQL; SQLite has one writer
            # anyway): two versions of a guid arriving at once on two hosts must still
            # leave exactly one marked latest.
            WireSource.objects.select_for_update().filter(pk=source.pk).exists()
            # A guid's first version has no story to update or kill yet: nothing to
            # process, no task (most of the wire). A later one queues its processing.
            others = WireItem.objects.filter(source=source, guid=copy.guid)
            if others.exclude(status=WireItem.Status.REJECTED).exists():
                item = WireItem.objects.create(**key, **fields)
                mark_latest(item)
                process_wire_item.enqueue(item.pk)
            else:
                item = WireItem.objects.create(
                    **key, **fields, status=WireItem.Status.PROCESSED, processed_at=timezone.now()
                )
            if any("file" in picture or "fetch" in picture for picture in pictures):
                import_wire_pictures.enqueue(item.pk)
    except IntegrityError:
        existing = WireItem.objects.exclude(status=WireItem.Status.REJECTED).filter(**key).first()
        if existing is None:
            raise
        return existing, False
    return item, True


def mark_latest(item):
    """Mark the newest version of `item`'s guid as the one the Wire lists (an older
    version arriving late leaves the newer one listed)."""
    versions = WireItem.objects.filter(source_id=item.source_id, guid=item.guid).exclude(
        status=WireItem.Status.REJECTED
    )
    newest = versions.order_by("-version", "-pk").values_list("pk", flat=True).first()
    versions.filter(latest=True).exclude(pk=newest).update(latest=False)
    versions.filter(pk=newest, latest=False).update(latest=True)
    item.latest = item.pk == newest


# ------------------------------------------------------------------------ pictures

# A trusted fetch gives up after this long, however slowly the bytes come.
PICTURE_FETCH_SECONDS = 30


class PictureError(Exception):
    """Why a picture could not be taken into the library."""


def _renditions_by_preference(picture):
    """The picture's renditions, the largest first, leaving out those the library would
    refuse by their stated size (bytes or pixels) or type."""
    limits = settings.NEWSROOM
    kept = []
    for rendition in picture["renditions"]:
        contenttype = rendition.get("contenttype") or ""
        if contenttype and not contenttype.startswith("image/"):
            continue
        if (rendition.get("size") or 0) > limits["PHOTO_MAX_BYTES"]:
            continue
        pixels = (rendition.get("width") or 0) * (rendition.get("height") or 0)
        if pixels > limits["PHOTO_MAX_PIXELS"]:
            continue
        kept.append((pixels, rendition.get("size") or 0, rendition))
    return [rendition for *_, rendition in sorted(kept, key=lambda row: row[:2], reverse=True)]


def dropped_name(href):
    """The name of the file `href` names in the drop folder ("a001.jpg", "./a001.jpg",
    "file:a001.jpg") if it is a photo's, else None."""
    parts = urlsplit(href)
    if parts.scheme not in ("", "file") or parts.netloc:
        return None
    name = PurePosixPath(unquote(parts.path)).name
    if not name or name.startswith(".") or Path(name).suffix.lower() not in PHOTO_SUFFIXES:
        return None
    return name


def _dropped_file(href, folder, settled=None):
    """The file `href` names in the drop folder ("a001.jpg", "./a001.jpg", "file:a001.jpg"),
    if it is there, settled, a photo's suffix and not a link; else None."""
    name = dropped_name(href) if folder is not None else None
    if name is None:
        return None
    path = Path(folder) / name
    if path.is_symlink() or not path.is_file():
        return None
    stat = path.stat()
    if not (settled(path, stat) if settled else time.time() - stat.st_mtime >= SETTLE_SECONDS):
        return None  # still arriving
    return path


def _picture_to_take(picture, source, folder, settled=None):
    """The picture as stored, with where the worker takes its file from: a file dropped
    with the item ("file") or a trusted href ("fetch"); neither: only recorded."""
    picture = dict(picture)
    for rendition in _renditions_by_preference(picture):
        path = _dropped_file(rendition["href"], folder, settled)
        if path is not None:
            picture["file"] = str(path)
            return picture
    for rendition in _renditions_by_preference(picture):
        if source.trusts(rendition["href"]):
            picture["fetch"] = rendition["href"]
            return picture
    if any(urlsplit(r["href"]).scheme in ("http", "https") for r in picture["renditions"]):
        picture["note"] = "Linked from a host this source is not trusted to send pictures from."
    else:
        picture["note"] = "Its file did not arrive with the item."
    return picture


def _claim(picture, folder):
    """A picture file taken from the drop folder moves to processed/ with its item (the
    folder scan never reads it as an item), before the item is stored: the worker that
    takes it may start as soon as the item is."""
    if not picture.get("file") or folder is None:
        return picture
    moved = _move(Path(picture["file"]), Path(folder) / "processed")
    return {**picture, "file": str(moved)}


class _TrustedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to a host the source trusts."""

    def __init__(self, source):
        super().__init__()
        self.source = source

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not self.source.trusts(newurl):
            raise PictureError(f"redirected to {urlsplit(newurl).hostname}, not a trusted host")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _fetch(url, source):
    """The bytes at a trusted `url`: at most PHOTO_MAX_BYTES, within
    PICTURE_FETCH_SECONDS. Never called for a host the source does not trust."""
    if not source.trusts(url):
        raise PictureError("not a trusted host")  # checked before; never fetched
    limit = settings.NEWSROOM["PHOTO_MAX_BYTES"]
    deadline = time.monotonic() + PICTURE_FETCH_SECONDS
    opener = urllib.request.build_opener(_TrustedRedirects(source))
    request = urllib.request.Request(url, headers={"User-Agent": "Newsroom wire desk"})
    try:
        with opener.open(request, timeout=PICTURE_FETCH_SECONDS) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise PictureError(f"is {int(declared):,} bytes, larger than {limit:,} bytes")
            chunks, total = [], 0
            while chunk := response.read(64 * 1024):
                total += len(chunk)
                if total > limit:
                    raise PictureError(f"is larger than {limit:,} bytes")
                if time.monotonic() > deadline:
                    raise PictureError(f"took longer than {PICTURE_FETCH_SECONDS} s")
                chunks.append(chunk)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise PictureError(f"could not be fetched ({error})") from None
    return b"".join(chunks)


def _read_dropped(path):
    root = Path(settings.NEWSROOM["WIRE_ROOT"]).resolve()
    path = Path(path)
    if path.is_symlink() or not path.resolve().is_relative_to(root):
        raise PictureError("its file is not in the wire folder")
    limit = settings.NEWSROOM["PHOTO_MAX_BYTES"]
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise PictureError(f"its file cannot be read ({error.strerror or error})") from None
    if len(data) > limit:
        raise PictureError(f"is larger than {limit:,} bytes")
    return data


def _library_photo(data, picture, item):
    """A library photo of `data` (the one already there, byte for byte, or a new one).
    Checked, fingerprinted and stored before any transaction; the row is saved in one
    (the renditions are the photo task's, as for any upload)."""
    upload = ContentFile(data, name="wire.jpg")
    try:
        info = images.validate_photo(upload)
    except ValidationError as error:
        raise PictureError(" ".join(error.messages)) from None
    sha256 = fingerprints.sha256_of(upload)
    existing = Photo.objects.filter(sha256=sha256).order_by("pk").first()
    if existing is not None:
        return existing
    dhash = fingerprints.dhash(upload)
    stem = (item.guid.rsplit(":", 1)[-1] or "wire")[:60]
    field = Photo._meta.get_field("original")
    name = field.storage.save(field.generate_filename(None, f"{stem}.{info.extension}"), upload)
    photo = Photo(
        original=name,
        width=info.width,
        height=info.height,
        caption=picture["caption"][:300],
        credit=picture["credit"][:120],
        source=item.source.name[:120],
        rights_note=picture["rights"][:300],
        sha256=sha256,
        dhash=dhash,
    )
    try:
        with transaction.atomic():
            photo.save()
    except BaseException:
        field.storage.delete(name)
        raise
    return photo


@background_task
def import_wire_pictures(item_id):
    import_pictures(item_id)


def import_pictures(item_id):
    """Take the pictures of a received item into the photo library. Idempotent: a
    picture with its photo is not taken again."""
    item = WireItem.objects.select_related("source").filter(pk=item_id).first()
    if item is None:
        return None
    outcomes = {}
    for index, picture in enumerate(item.pictures):
        if picture.get("photo") or not (picture.get("file") or picture.get("fetch")):
            continue
        try:
            if picture.get("file"):
                data = _read_dropped(picture["file"])
            else:
                data = _fetch(picture["fetch"], item.source)
            photo = _library_photo(data, picture, item)
        except PictureError as error:
            logger.warning("Wire picture %s of item %s not taken: %s", index, item.pk, error)
            outcomes[index] = {"note": f"Not added to the photo library: {error}"}
        else:
            outcomes[index] = {"photo": photo.pk, "note": ""}
    if outcomes:
        with transaction.atomic():
            item = WireItem.objects.select_for_update().get(pk=item.pk)
            pictures = [
                {**picture, **outcomes.get(index, {})}
                for index, picture in enumerate(item.pictures)
            ]
            WireItem.objects.filter(pk=item.pk).update(pictures=pictures)
            item.pictures = pictures
    return item


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
    """An Author for each name: the one the newsroom has by that name (case and spacing
    aside), else a new one."""
    authors = []
    for name in dict.fromkeys(" ".join(name.split()) for name in names if name.strip()):
        author = Author.objects.filter(name__iexact=name).order_by("pk").first()
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
    lead_photo = Photo.objects.filter(pk__in=item.picture_photo_ids).order_by("pk").first()
    story = Story(
        headline=item.headline or item.file_name or "Wire item",
        dek=item.dek,
        body=item.body_html,
        language=item.language or site_language(),
        section=_section(item, mappings),
        status=Story.Status.DRAFT,
        embargo_until=item.embargo_until,
        lead_photo=lead_photo,
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


def scan_folder(source, *, now=None, settled=None):
    """Receive every settled file in `source`'s folder and move it to processed/ or
    rejected/ inside it. Returns {"received", "duplicates", "rejected"} counts.

    `settled(path, stat)` says whether a file has finished arriving; by default, once
    nothing has written it for SETTLE_SECONDS. The watcher (articles/wire/watch.py),
    woken by the file's own events, knows sooner."""
    counts = {"received": 0, "duplicates": 0, "rejected": 0}
    folder = source.folder_path()
    if folder is None or not folder.is_dir():
        return counts
    now = now if now is not None else timezone.now().timestamp()
    for path in sorted(folder.iterdir()):
        # Not a symbolic link: whoever may drop files must not make us read others.
        if path.name.startswith(".") or path.is_symlink() or not path.is_file():
            continue
        if path.suffix.lower() in PHOTO_SUFFIXES:
            continue  # a picture, taken with the item that names it

        stat = path.stat()
        if not (settled(path, stat) if settled else now - stat.st_mtime >= SETTLE_SECONDS):
            continue  # still arriving
        if stat.st_size > MAX_BYTES:
            with path.open("rb") as handle:
                head = handle.read(RAW_KEPT_REJECTED)
            reject(
                source, head, path.name, f"is {stat.st_size:,} bytes; the limit is {MAX_BYTES:,}"
            )
            outcome = "rejected"
        else:
            item, created = receive(
                source, path.read_bytes(), path.name, folder=folder, settled=settled
            )
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
    return target
