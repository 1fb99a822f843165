"""The library photos and galleries a story's body shows (articles/inline_media.py)."""

from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import JSONObject

from .json_aggregates import JSONArrayAgg
from .photos.inline import MEDIA_FIELDS
from .photos.models import Gallery, GalleryPhoto, Photo


class BodyUse(models.Model):
    """A photo or gallery of the library that a story's body places between its
    paragraphs.

    Kept in step with the body on every save of a story (`record_body_uses`,
    articles/signal_handlers.py), so that "used in" and the refusal to delete a photo in
    use (PROTECT) are one indexed lookup, not a search of every body.
    """

    story = models.ForeignKey("articles.Story", on_delete=models.CASCADE, related_name="body_uses")
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
