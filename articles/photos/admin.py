"""The photo library in the admin: thumbnails, search, filters, bulk upload; galleries.

Each photo and gallery shows the code an editor pastes in a story's body to place it
(`[photo 12]`, `[gallery 3]`: articles/photos/inline.py), with a "Copy" button.

Reporters may use and upload photos (add, change, view); deleting a photo and setting
its usage rights are for editors (`articles.delete_photo`,
`articles.change_photo_rights`; articles/roles.py).
"""

from __future__ import annotations

from datetime import timedelta

from adminsortable2.admin import SortableAdminBase, SortableTabularInline
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from reversion.admin import VersionAdmin

from .. import images
from ..forms import PhotoField
from .forms import BulkUploadForm, PhotoAdminForm, duplicate_error, find_duplicates
from .inline import code_for
from .models import RIGHTS_PERMISSION, Gallery, GalleryPhoto, Photo

THUMBNAIL_WIDTH = 160
RIGHTS_FIELDS = ("rights_note", "rights_expire_on")


class RightsFilter(admin.SimpleListFilter):
    title = "usage rights"
    parameter_name = "rights"

    def lookups(self, request, model_admin):
        return [
            ("expired", "Expired"),
            ("expiring", "Expiring within 30 days"),
            ("limited", "Limited to a date"),
            ("unlimited", "No end date"),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "expired":
                return queryset.rights_expired(today)
            case "expiring":
                return queryset.filter(
                    rights_expire_on__gte=today, rights_expire_on__lte=today + timedelta(days=30)
                )
            case "limited":
                return queryset.exclude(rights_expire_on=None)
            case "unlimited":
                return queryset.filter(rights_expire_on=None)
        return queryset


class SourceFilter(admin.SimpleListFilter):
    """The sources in the library (one indexed DISTINCT), most used first would need a
    count of every row; alphabetical is enough to find an agency."""

    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        sources = (
            Photo.objects.exclude(source="")
            .order_by("source")
            .values_list("source", flat=True)
            .distinct()[:50]
        )
        return [(source, source) for source in sources]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(source=self.value())
        return queryset


def photo_thumbnail(obj):
    """A photo's smallest card rendition, for the library's lists and gallery rows."""
    url = obj.thumbnail_url
    if not url:
        return format_html('<span class="photo-thumb photo-thumb--processing">{}</span>', "…")
    return format_html(
        '<img class="photo-thumb" src="{}" alt="{}" width="{}" height="{}" loading="lazy">',
        url,
        obj.alt,
        THUMBNAIL_WIDTH,
        THUMBNAIL_WIDTH * images.CARD_RATIO[1] // images.CARD_RATIO[0],
    )


def code_block(obj):
    """The short code to paste on a paragraph of its own in a story's body, with a
    "Copy" button (admin-extra/copy-code.js; without JavaScript, select and copy)."""
    if obj is None or obj.pk is None:
        return "Shown once saved."
    return format_html(
        '<span class="paste-code"><code>{}</code> '
        '<button type="button" class="paste-code__copy" data-copy="{}" hidden>Copy</button>'
        '<span class="paste-code__done" role="status"></span></span>',
        code_for(obj),
        code_for(obj),
    )


class PhotoChangeList(ChangeList):
    """The library's page of photos as cards (admin/articles/photo/change_list_results.html).

    A template cannot call the admin's display methods with a photo, so each card's
    rendered parts are made here from the page's photos (no query more)."""

    @cached_property
    def cards(self):
        admin = self.model_admin
        # Reporters have no action (deleting is for editors): no checkbox then.
        with_checkbox = "action_checkbox" in self.list_display
        return [
            {
                "photo": photo,
                "url": self.url_for_result(photo),
                "checkbox": admin.action_checkbox(photo) if with_checkbox else "",
                "thumbnail": photo_thumbnail(photo),
                "state": admin.state(photo),
                "code": code_block(photo),
            }
            for photo in self.result_list
        ]


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    form = PhotoAdminForm
    change_list_template = "admin/articles/photo/change_list.html"
    change_form_template = "admin/articles/photo/change_form.html"
    list_display = ["thumbnail", "label", "credit", "source", "uploaded_at", "state", "code"]
    list_display_links = ["thumbnail", "label"]
    search_fields = ["caption", "credit", "alt", "tags__name"]
    list_filter = [("uploaded_at", admin.DateFieldListFilter), SourceFilter, RightsFilter]
    list_per_page = 60
    readonly_fields = ["preview", "state", "uploaded_at", "uploaded_by", "dimensions", "code"]
    fieldsets = [
        (None, {"fields": ["original", "preview", "state", "dimensions", "code"]}),
        (
            "Description",
            {"fields": ["caption", "credit", "alt", "tags", "source", ("focal_x", "focal_y")]},
        ),
        (
            "Usage rights",
            {
                "fields": ["rights_note", "rights_expire_on"],
                "description": "Past its end date a photo is flagged here and, with "
                "NEWSROOM_HIDE_EXPIRED_PHOTOS, no longer shown to readers.",
            },
        ),
        ("Upload", {"fields": ["uploaded_at", "uploaded_by"]}),
    ]

    class Media:
        # The focal point: click the preview (as the story form once had it).
        css = {"all": ["admin-extra/photo-library.css", "admin-extra/story-form.css"]}
        js = ["admin-extra/focal-point.js", "admin-extra/copy-code.js", "admin-extra/photo-grid.js"]

    def get_changelist(self, request, **kwargs):
        return PhotoChangeList

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # A library photo is used by many stories: its file is never swapped under
            # them. Upload the new one as a photo of its own.
            fields.append("original")
        if not request.user.has_perm(RIGHTS_PERMISSION):
            fields.extend(RIGHTS_FIELDS)
        return fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(
            request,
            object_id,
            form_url,
            {**(extra_context or {}), "used_in": self._used_in(request, object_id)},
        )

    def _used_in(self, request, object_id):
        """The stories using the photo that this user may see (theirs and public ones:
        `linkable_by`), and how many others: a photo in use cannot be deleted, and a
        reporter sees no one else's draft."""
        from ..models import Story

        try:
            pk = int(object_id)
        except ValueError:
            return None
        # As its lead photo, between its paragraphs, or in a gallery the body shows.
        using = Story.objects.filter(
            pk__in=Story.objects.filter(
                Q(lead_photo_id=pk)
                | Q(body_uses__photo_id=pk)
                | Q(body_uses__gallery__items__photo_id=pk)
            ).values("pk")
        )
        visible = list(using.linkable_by(request.user).order_by("-published_at", "-pk")[:20])
        galleries = list(Gallery.objects.filter(items__photo_id=pk).distinct()[:20])
        return {
            "stories": visible,
            "others": using.count() - len(visible),
            "galleries": galleries,
        }

    # Columns and read-only fields

    @admin.display(description="photo")
    def thumbnail(self, obj):
        return photo_thumbnail(obj)

    @admin.display(description="code for the story body")
    def code(self, obj):
        return code_block(obj)

    @admin.display(description="caption", ordering="caption")
    def label(self, obj):
        return str(obj)

    @admin.display(description="status")
    def state(self, obj):
        if obj.pk is None:
            return "Not uploaded yet."
        notes = []
        notes.append("Processing: renditions are being made." if obj.is_processing else "Ready")
        if obj.rights_expired:
            notes.append(f"Rights expired on {obj.rights_expire_on:%Y-%m-%d}")
        return format_html(
            '<span class="{}">{}</span>',
            "photo-state--flagged" if obj.rights_expired else "",
            "; ".join(notes),
        )

    @admin.display(description="size")
    def dimensions(self, obj):
        if not obj.width:
            return "—"
        return f"{obj.width}×{obj.height} pixels"

    @admin.display(description="preview")
    def preview(self, obj):
        picture = obj.lead_picture if obj.pk else None
        if picture is None:
            return "No preview yet: the photo is processing." if obj.pk else "—"
        shown_width = min(picture.width, 480)
        return format_html(
            '<div class="focal-preview"><img src="{}" alt="{}" width="{}" height="{}">'
            '<span class="focal-preview__marker" hidden></span></div>',
            picture.src,
            obj.alt,
            shown_width,
            round(picture.height * shown_width / picture.width),
        )

    # Bulk upload

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.bulk_upload_view),
                name="articles_photo_bulk_upload",
            ),
            *super().get_urls(),
        ]

    def bulk_upload_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        may_set_rights = request.user.has_perm(RIGHTS_PERMISSION)
        results = []
        if request.method == "POST":
            form = BulkUploadForm(request.POST, request.FILES, may_set_rights=may_set_rights)
            if form.is_valid():
                shared = form.cleaned_data
                results = [self._upload_one(request, upload, shared) for upload in shared["files"]]
                accepted = sum(1 for result in results if result["photo"])
                if accepted:
                    messages.success(
                        request,
                        f"{accepted} photo{'s' if accepted != 1 else ''} added to the library; "
                        "renditions are being made.",
                    )
        else:
            form = BulkUploadForm(may_set_rights=may_set_rights)
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload photos",
            "opts": self.opts,
            "form": form,
            "results": results,
            "refused": sum(1 for result in results if not result["photo"]),
            "max_files": settings.NEWSROOM["PHOTO_BULK_MAX_FILES"],
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/articles/photo/bulk_upload.html", context)

    def _upload_one(self, request, upload, shared):
        """Check and store one file; refused or duplicate files store nothing."""
        name = upload.name
        try:
            checked = PhotoField().clean(upload)
            found = find_duplicates(checked)
            if found:
                raise duplicate_error(found)
            with transaction.atomic():
                photo = Photo(
                    original=checked,
                    credit=shared.get("credit", ""),
                    source=shared.get("source", ""),
                    rights_note=shared.get("rights_note") or "",
                    rights_expire_on=shared.get("rights_expire_on"),
                    uploaded_by=request.user,
                )
                photo.full_clean(exclude=["original"])
                photo.save()
        except ValidationError as error:
            return {"name": name, "photo": None, "errors": error.messages}
        return {
            "name": name,
            "photo": photo,
            "url": reverse("admin:articles_photo_change", args=[photo.pk]),
            "errors": [],
        }


class GalleryPhotoInline(SortableTabularInline):
    """The gallery's photos, in order: drag a row to move it (django-admin-sortable2)."""

    model = GalleryPhoto
    fields = ["thumbnail", "photo", "caption"]
    readonly_fields = ["thumbnail"]
    autocomplete_fields = ["photo"]
    extra = 0

    @admin.display(description="photo")
    def thumbnail(self, obj):
        if obj is None or obj.pk is None:
            return ""
        return photo_thumbnail(obj.photo)

    def get_queryset(self, request):
        # The thumbnails come with the rows: one query, not one per photo.
        return super().get_queryset(request).select_related("photo")


@admin.register(Gallery)
class GalleryAdmin(SortableAdminBase, VersionAdmin):
    """Galleries: reporters make and arrange them; deleting one is for editors. A
    gallery shown by a story cannot be deleted (BodyUse protects it)."""

    inlines = [GalleryPhotoInline]
    change_form_template = "admin/articles/gallery/change_form.html"
    list_display = ["title", "photo_count", "created_at", "code"]
    search_fields = ["title"]
    readonly_fields = ["code", "created_at", "updated_at"]
    fields = ["title", "code", "created_at", "updated_at"]

    class Media:
        css = {"all": ["admin-extra/photo-library.css"]}
        js = ["admin-extra/copy-code.js", "admin-extra/photo-autocomplete.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(photo_total=Count("items"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(
            request,
            object_id,
            form_url,
            {**(extra_context or {}), "used_in": self._used_in(request, object_id)},
        )

    def _used_in(self, request, object_id):
        """The stories showing the gallery that this user may see, and how many others
        (as a photo's page: no one else's draft is named)."""
        from ..models import Story

        try:
            using = Story.objects.filter(body_uses__gallery_id=int(object_id))
        except ValueError:
            return None
        visible = list(using.linkable_by(request.user).order_by("-published_at", "-pk")[:20])
        return {"stories": visible, "others": using.count() - len(visible)}

    @admin.display(description="photos", ordering="photo_total")
    def photo_count(self, obj):
        return obj.photo_total

    @admin.display(description="code for the story body")
    def code(self, obj):
        return code_block(obj)
