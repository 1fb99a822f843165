"""Library photos and galleries between the paragraphs of a story's body.

A paragraph that is only a library code (`[photo 12]`, `[photo 12 | A caption]`,
`[gallery 3]`: articles/photos/inline.py) is a block of the body (articles/blocks.py
asks `LibraryKind` for it) and becomes a figure. Nothing new is stored in the body (a
code is plain text, sanitised like any other). The credit and the alt text always come
from the photo. A photo still processing, deleted, or hidden for expired rights
(`Photo.objects.public()`) is left out, never a broken image; a code naming no photo or
gallery of the library is a form error (`check`).

`prefetch` loads a body's galleries' items (one query) and every photo, inline or in a
gallery (one query), however many the body holds; none at all when the story's own
query brought them (`preloaded`, through BodyUse: `body_media_annotations` in
articles/models.py). Each block names its cache tags (`photo:<pk>`, `gallery:<pk>`), so
a change of the photo or gallery purges the pages showing it (articles/photos/).
"""

import contextlib
import json
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .cache import names
from .cards import picture
from .metadata import absolute_url
from .photos import inline as library

INLINE_SIZES = "(min-width: 42rem) 40rem, 100vw"
GALLERY_SIZES = "(min-width: 42rem) 13rem, 50vw"


# What the story's own query brought (`StoryQuerySet.for_detail`, through BodyUse): the
# photos and gallery items its body shows, so the story page loads them with no query
# of its own, whatever their number. Set around a render by `preloaded()`.
_PRELOADED = ContextVar("preloaded_body_media", default=None)


@contextlib.contextmanager
def preloaded(story):
    """Render `story`'s body with the photos and gallery items its query brought (no
    query), if it brought them (`body_photos_json`); else `prefetch` loads them."""
    if not hasattr(story, "body_photos_json"):
        yield
        return
    token = _PRELOADED.set(_media_of(story))
    try:
        yield
    finally:
        _PRELOADED.reset(token)


def _rows(raw):
    return json.loads(raw) if raw else []


def _media_of(story):
    """({public photo id: Photo}, {every photo id it knows}, [(gallery id, title,
    order, item id, photo id, caption)])."""
    photos, known, items = {}, set(), []
    for row in _rows(story.body_photos_json):
        known.add(row["id"])
        if row["public"]:
            photos[row["id"]] = library.photo_from_row(row)
    for row in _rows(story.body_gallery_json):
        known.add(row["photo_id"])
        if row["photo_public"] and row["photo_id"] not in photos:
            photos[row["photo_id"]] = library.photo_from_row(row, "photo_")
        items.append(
            (
                row["gallery_id"],
                row["title"],
                row["order"],
                row["id"],
                row["photo_id"],
                row["caption"],
            )
        )
    return photos, known, items


@dataclass
class PhotoBlock:
    photo_id: int
    caption: str  # this story's own caption, or "" for the library's
    kind: "LibraryKind"
    photo: object = None  # the Photo, if public (set by prefetch)

    @property
    def tags(self):
        return {names.photo(self.photo_id)}


@dataclass
class GalleryBlock:
    gallery_id: int
    kind: "LibraryKind"
    title: str = ""
    items: list = field(default_factory=list)  # (Photo, caption), public photos only
    photo_ids: set = field(default_factory=set)

    @property
    def tags(self):
        return {names.gallery(self.gallery_id), *(names.photo(pk) for pk in self.photo_ids)}


def _caption_html(caption, credit):
    if not caption and not credit:
        return ""
    return format_html(
        "<figcaption>{}{}</figcaption>",
        caption,
        format_html(' <span class="credit">{}</span>', credit) if credit else "",
    )


class LibraryKind:
    """A paragraph that is only `[photo <id>]`, `[photo <id> | caption]` or `[gallery <id>]`."""

    name = "library"

    def claim(self, paragraph):
        match = library.CODE.fullmatch(paragraph.text)
        if match is None:
            if library.ALMOST.fullmatch(paragraph.text):
                raise ValueError(
                    f"“{paragraph.text[:80]}” is not a photo or gallery code: copy it from the "
                    "photo library, like [photo 12], [photo 12 | A caption] or [gallery 3]."
                )
            return None
        kind, pk, caption = match.group(1).lower(), int(match.group(2)), match.group(3) or ""
        if kind == "gallery":
            if caption:
                raise ValueError(
                    f"“{paragraph.text[:80]}”: a gallery takes no caption here; each photo's "
                    "caption is set in the gallery."
                )
            return GalleryBlock(pk, self)
        if len(caption) > library.CAPTION_MAX:
            raise ValueError(
                f"The caption of photo {pk} is {len(caption)} characters long; at most "
                f"{library.CAPTION_MAX}."
            )
        return PhotoBlock(pk, caption, self)

    def check(self, found):
        """Form errors for codes naming no photo or gallery of the library."""
        return library.missing(
            {b.photo_id for b in found if isinstance(b, PhotoBlock)},
            {b.gallery_id for b in found if isinstance(b, GalleryBlock)},
        )

    def prefetch(self, found):
        """The galleries' items in one query, then every photo in one more; none at all
        when the story's own query brought them (`preloaded`)."""
        galleries = [b for b in found if isinstance(b, GalleryBlock)]
        gallery_ids = {b.gallery_id for b in galleries}
        photo_ids = {b.photo_id for b in found if isinstance(b, PhotoBlock)}
        photos, items = {}, []
        media = _PRELOADED.get()
        if media is not None:
            preloaded_photos, known, all_items = media
            photos = dict(preloaded_photos)
            items = [item for item in all_items if item[0] in gallery_ids]
            # What BodyUse did not know (a body written without Story.save, e.g. a
            # restored backup) is loaded as before.
            gallery_ids -= {item[0] for item in items}
            photo_ids -= known
        library.load(photo_ids, gallery_ids, photos, items)
        for block in found:
            if isinstance(block, PhotoBlock):
                block.photo = photos.get(block.photo_id)
        by_gallery = {}
        for item in sorted(items, key=lambda item: (item[0], item[2], item[3])):
            by_gallery.setdefault(item[0], []).append(item)
        for block in galleries:
            mine = by_gallery.get(block.gallery_id, [])
            block.title = mine[0][1] if mine else ""
            block.photo_ids = {item[4] for item in mine}
            block.items = [
                (photos[item[4]], item[5])
                for item in mine
                if item[4] in photos and photos[item[4]].lead_picture
            ]

    # Readers

    def reader_html(self, block, number):
        if isinstance(block, PhotoBlock):
            photo = block.photo
            if photo is None or photo.lead_picture is None:
                return ""
            return format_html(
                '<figure class="inline-photo">{}{}</figure>',
                picture(photo.lead_picture, photo.alt, INLINE_SIZES),
                _caption_html(block.caption or photo.caption, photo.credit),
            )
        if not block.items:
            return ""
        title_id = f"gallery-{number}-title"
        count = len(block.items)
        items = []
        for position, (photo, caption) in enumerate(block.items, 1):
            full = photo.lead_picture
            thumb = photo.card_picture or full
            items.append(
                format_html(
                    '<li class="gallery__item" data-full-src="{}" data-full-srcset="{}"'
                    ' data-full-width="{}" data-full-height="{}">'
                    '<figure><a class="gallery__open" href="{}" aria-label="{}">{}</a>{}</figure>'
                    "</li>",
                    full.src,
                    full.srcset,
                    full.width,
                    full.height,
                    full.src,
                    f"Photo {position} of {count}, full size"
                    + (f": {photo.alt}" if photo.alt else ""),
                    picture(thumb, photo.alt, GALLERY_SIZES),
                    _caption_html(caption or photo.caption, photo.credit),
                )
            )
        return format_html(
            '<figure class="gallery" data-gallery aria-labelledby="{}">'
            '<figcaption id="{}" class="gallery__title">{} <span class="gallery__count">'
            "({} photo{})</span></figcaption>"
            '<ul class="gallery__items">{}</ul></figure>',
            title_id,
            title_id,
            block.title or "Photo gallery",
            count,
            "s" if count != 1 else "",
            mark_safe("".join(items)),  # each built by format_html above
        )

    # Feeds: plain figures, no script

    def feed_html(self, block):
        if isinstance(block, PhotoBlock):
            if block.photo is None or block.photo.lead_picture is None:
                return ""
            return _feed_figure(block.photo, block.caption)
        return format_html_join("", "{}", ((_feed_figure(p, c),) for p, c in block.items))


def _feed_figure(photo, caption):
    picture = photo.lead_picture
    return format_html(
        '<figure><img src="{}" alt="{}" width="{}" height="{}">{}</figure>',
        absolute_url(picture.src),
        photo.alt,
        picture.width,
        picture.height,
        _caption_html(caption or photo.caption, photo.credit),
    )
