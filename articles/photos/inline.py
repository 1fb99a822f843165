"""The library's short codes: how a story's body names a photo or gallery.

An editor places one with a short code on a paragraph of its own, as the library shows
it beside each photo and gallery (with a "copy" button):

    [photo 12]                        the photo, with its library caption
    [photo 12 | Words for this story] the photo, with this story's own caption
    [gallery 3]                       the gallery, in its order

This module is the library's side of it, knowing no story: the codes (`CODE`,
`code_for`, `references`), which codes name nothing (`missing`), and loading what
codes name (`load`, one query for the galleries' items, one for every photo). The
story core renders the figures between a body's paragraphs (articles/inline_media.py,
a kind of block of articles/blocks.py) and records which story shows which photo
(BodyUse, articles/models.py).
"""

import json
import re

from .models import Gallery, GalleryPhoto, Photo

CODE = re.compile(r"\[\s*(photo|gallery)\s*#?\s*(\d{1,12})\s*(?:\|\s*(.*?)\s*)?\]", re.I | re.S)
# Something meant as a code but not one ("[photo twelve]", "[gallery]").
ALMOST = re.compile(r"\[\s*(?:photo|gallery)\b.*\]", re.I | re.S)

CAPTION_MAX = 300

# The Photo fields a figure needs, as a story's query brings them.
MEDIA_FIELDS = ("renditions", "width", "height", "alt", "caption", "credit")


def code_for(obj, caption=""):
    """The short code an editor pastes for a Photo or a Gallery."""
    kind = "gallery" if isinstance(obj, Gallery) else "photo"
    return f"[{kind} {obj.pk}{f' | {caption}' if caption else ''}]"


def references(texts):
    """(photo ids, gallery ids) that paragraphs of these texts place (each text a whole
    paragraph's, as read by readers)."""
    photo_ids, gallery_ids = set(), set()
    for text in texts:
        match = CODE.fullmatch(text)
        if match:
            pk = int(match.group(2))
            (gallery_ids if match.group(1).lower() == "gallery" else photo_ids).add(pk)
    return photo_ids, gallery_ids


def photo_from_row(row, prefix=""):
    """An unsaved Photo of a row of MEDIA_FIELDS (and id), as a JSON object brought it."""
    fields = {name: row[prefix + name] for name in MEDIA_FIELDS}
    if isinstance(fields["renditions"], str):  # SQLite nests JSON columns as text
        fields["renditions"] = json.loads(fields["renditions"])
    return Photo(id=row[prefix + "id"], **fields)


def missing(photo_ids, gallery_ids):
    """Form errors for codes naming no photo or gallery of the library."""
    messages = []
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


def load(photo_ids, gallery_ids, photos, items):
    """Load into `photos` ({id: Photo}, public ones) and `items` ([(gallery id, title,
    order, item id, photo id, caption)]) what the ids name: the galleries' items in one
    query, then their photos and `photo_ids` in one more. Returns the photo ids looked
    up and the gallery ids."""
    if gallery_ids:
        for item in (
            GalleryPhoto.objects.filter(gallery_id__in=gallery_ids)
            .select_related("gallery")
            .only("gallery_id", "photo_id", "caption", "order", "gallery__title")
        ):
            items.append(
                (
                    item.gallery_id,
                    item.gallery.title,
                    item.order,
                    item.pk,
                    item.photo_id,
                    item.caption,
                )
            )
            if item.photo_id not in photos:
                photo_ids.add(item.photo_id)
    photo_ids = photo_ids - set(photos)
    if photo_ids:
        photos.update(Photo.objects.public().in_bulk(photo_ids))
    return photo_ids, gallery_ids
