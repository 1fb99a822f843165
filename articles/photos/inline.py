"""Library photos and galleries between the paragraphs of a story's body.

An editor places one with a short code on a paragraph of its own, as the library shows
it beside each photo and gallery (with a "copy" button):

    [photo 12]                        the photo, with its library caption
    [photo 12 | Words for this story] the photo, with this story's own caption
    [gallery 3]                       the gallery, in its order

Nothing new is stored in the body (a code is plain text, sanitised like any other);
articles/blocks.py finds the paragraph and asks `LibraryKind` for its block. The credit
and the alt text always come from the photo. A photo still processing, deleted, or
hidden for expired rights (`Photo.objects.public()`) is left out, never a broken image;
a code naming no photo or gallery of the library is a form error (`check`).

`prefetch` loads a body's galleries' items (one query) and every photo, inline or in a
gallery (one query), however many the body holds. Each block names its cache tags
(`photo:<pk>`, `gallery:<pk>`), so a change of the photo or gallery purges the pages
showing it (articles/photos/models.py).
"""

import re
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

CODE = re.compile(r"\[\s*(photo|gallery)\s*#?\s*(\d{1,12})\s*(?:\|\s*(.*?)\s*)?\]", re.I | re.S)
# Something meant as a code but not one ("[photo twelve]", "[gallery]").
_ALMOST = re.compile(r"\[\s*(?:photo|gallery)\b.*\]", re.I | re.S)

INLINE_SIZES = "(min-width: 42rem) 40rem, 100vw"
GALLERY_SIZES = "(min-width: 42rem) 13rem, 50vw"
CAPTION_MAX = 300


def code_for(obj, caption=""):
    """The short code an editor pastes for a Photo or a Gallery."""
    kind = "gallery" if obj.__class__.__name__ == "Gallery" else "photo"
    return f"[{kind} {obj.pk}{f' | {caption}' if caption else ''}]"


@dataclass
class PhotoBlock:
    photo_id: int
    caption: str  # this story's own caption, or "" for the library's
    kind: "LibraryKind"
    photo: object = None  # the Photo, if public (set by prefetch)

    @property
    def tags(self):
        return {f"photo:{self.photo_id}"}


@dataclass
class GalleryBlock:
    gallery_id: int
    kind: "LibraryKind"
    title: str = ""
    items: list = field(default_factory=list)  # (Photo, caption), public photos only
    photo_ids: set = field(default_factory=set)

    @property
    def tags(self):
        return {f"gallery:{self.gallery_id}", *(f"photo:{pk}" for pk in self.photo_ids)}


def references(body):
    """(photo ids, gallery ids) the body places, for BodyUse and the form's check."""
    from .. import blocks

    photo_ids, gallery_ids = set(), set()
    for part in blocks._split(body or ""):
        if isinstance(part, blocks.Paragraph):
            match = CODE.fullmatch(part.text)
            if match:
                pk = int(match.group(2))
                (gallery_ids if match.group(1).lower() == "gallery" else photo_ids).add(pk)
    return photo_ids, gallery_ids


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
        match = CODE.fullmatch(paragraph.text)
        if match is None:
            if _ALMOST.fullmatch(paragraph.text):
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
        if len(caption) > CAPTION_MAX:
            raise ValueError(
                f"The caption of photo {pk} is {len(caption)} characters long; at most "
                f"{CAPTION_MAX}."
            )
        return PhotoBlock(pk, caption, self)

    def check(self, found):
        """Form errors for codes naming no photo or gallery of the library."""
        from .models import Gallery, Photo

        messages = []
        photo_ids = {b.photo_id for b in found if isinstance(b, PhotoBlock)}
        gallery_ids = {b.gallery_id for b in found if isinstance(b, GalleryBlock)}
        if photo_ids:
            known = set(Photo.objects.filter(pk__in=photo_ids).values_list("pk", flat=True))
            messages += [
                f"There is no photo {pk} in the library: copy the code shown beside the photo."
                for pk in sorted(photo_ids - known)
            ]
        if gallery_ids:
            known = set(Gallery.objects.filter(pk__in=gallery_ids).values_list("pk", flat=True))
            messages += [
                f"There is no gallery {pk}: copy the code shown on the gallery's page."
                for pk in sorted(gallery_ids - known)
            ]
        return messages

    def prefetch(self, found):
        """The galleries' items in one query, then every photo in one more."""
        from .models import GalleryPhoto, Photo

        galleries = [b for b in found if isinstance(b, GalleryBlock)]
        items = []
        if galleries:
            items = list(
                GalleryPhoto.objects.filter(gallery_id__in={b.gallery_id for b in galleries})
                .select_related("gallery")
                .only("gallery_id", "photo_id", "caption", "order", "gallery__title")
                .order_by("gallery_id", "order", "pk")
            )
        photo_ids = {b.photo_id for b in found if isinstance(b, PhotoBlock)}
        photo_ids |= {item.photo_id for item in items}
        photos = Photo.objects.public().in_bulk(photo_ids) if photo_ids else {}
        for block in found:
            if isinstance(block, PhotoBlock):
                block.photo = photos.get(block.photo_id)
        by_gallery = {}
        for item in items:
            by_gallery.setdefault(item.gallery_id, []).append(item)
        for block in galleries:
            mine = by_gallery.get(block.gallery_id, [])
            block.title = mine[0].gallery.title if mine else ""
            block.photo_ids = {item.photo_id for item in mine}
            block.items = [
                (photos[item.photo_id], item.caption)
                for item in mine
                if item.photo_id in photos and photos[item.photo_id].lead_picture
            ]

    # Readers

    def reader_html(self, block, number):
        from ..cards import picture

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
    from ..metadata import absolute_url

    picture = photo.lead_picture
    return format_html(
        '<figure><img src="{}" alt="{}" width="{}" height="{}">{}</figure>',
        absolute_url(picture.src),
        photo.alt,
        picture.width,
        picture.height,
        _caption_html(caption or photo.caption, photo.credit),
    )
