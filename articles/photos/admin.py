"""The photo library in the admin: thumbnails, search, filters, bulk upload; galleries.

Each photo and gallery shows the code an editor pastes in a story's body to place it
(`[photo 12]`, `[gallery 3]`: articles/photos/inline.py), with a "Copy" button.

Reporters may use and upload photos (add, change, view); deleting a photo and setting
its usage rights are for editors (`photos.delete_photo`,
`photos.change_photo_rights`; articles/roles.py).

"Used in" lists the stories showing a photo or gallery through the reverse relations
the story core declares (Story.lead_photo's "stories", BodyUse's "body_uses"): the
library imports no story.
"""

from __future__ import annotations

from datetime import timedelta

from adminsortable2.admin import SortableAdminBase, SortableTabularInline
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from reversion.admin import VersionAdmin

from .. import images
from ..roles import PHOTO_RIGHTS_PERMISSION
from .forms import BulkUploadForm, PhotoAdminForm, PhotoCaptionForm
from .inline import code_for
from .models import (
    Gallery,
    GalleryPhoto,
    Photo,
    PhotoUpload,
    PhotoUploadFile,
)
from .uploads import receive_all

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


def stories_model():
    """The story model, found through its relation to the library (Story.lead_photo,
    whose reverse name is "stories"), not imported: the library sits below the story
    core."""
    return Photo._meta.get_field("stories").related_model


def stories_seen_by(user, using):
    """Of the stories `using` a photo or gallery, those `user` may see (theirs and
    public ones: the story core's `linkable_by`), and how many others."""
    visible = list(using.linkable_by(user).order_by("-published_at", "-pk")[:20])
    return {"stories": visible, "others": using.count() - len(visible)}


def photo_choice_label(photo):
    label = str(photo)
    if photo.credit:
        label += f" — {photo.credit}"
    if photo.is_processing:
        label += " (processing)"
    if photo.rights_expired:
        label += " (usage rights expired)"
    return label


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
    """The library's page of photos as cards (admin/photos/photo/change_list_results.html).

    A template cannot call the admin's display methods with a photo, so each card's
    rendered parts are made here from the page's photos (no query more)."""

    @cached_property
    def cards(self):
        admin = self.model_admin
        # No action for this user (a popup, or no permission for any): no checkbox then.
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
    change_list_template = "admin/photos/photo/change_list.html"
    change_form_template = "admin/photos/photo/change_form.html"
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

    def autocomplete_result(self, request, obj, result, source_field):
        """A library photo chosen anywhere (a story's lead, a gallery's photos, a live
        update's): which one it is at a glance, a thumbnail (with
        admin-extra/photo-autocomplete.js) and its state. The admin site's autocomplete
        asks the target model's admin (articles/admin_site.py)."""
        return {**result, "text": photo_choice_label(obj), "thumbnail": obj.thumbnail_url}

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # A library photo is used by many stories: its file is never swapped under
            # them. Upload the new one as a photo of its own.
            fields.append("original")
        if not request.user.has_perm(PHOTO_RIGHTS_PERMISSION):
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
        try:
            pk = int(object_id)
        except ValueError:
            return None
        # As its lead photo, between its paragraphs, or in a gallery the body shows.
        stories = stories_model().objects
        using = stories.filter(
            pk__in=stories.filter(
                Q(lead_photo_id=pk)
                | Q(body_uses__photo_id=pk)
                | Q(body_uses__gallery__items__photo_id=pk)
            ).values("pk")
        )
        return {
            **stories_seen_by(request.user, using),
            "galleries": list(Gallery.objects.filter(items__photo_id=pk).distinct()[:20]),
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

    # Bulk upload, and captions for many photos at once

    actions = ["edit_captions"]

    @admin.action(permissions=["change"], description="Edit captions, credits and alt text")
    def edit_captions(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True)[: MAX_CAPTIONS + 1])
        if len(ids) > MAX_CAPTIONS:
            messages.warning(request, f"Only the first {MAX_CAPTIONS} chosen photos are listed.")
        ids = ",".join(str(pk) for pk in ids[:MAX_CAPTIONS])
        return HttpResponseRedirect(f"{reverse('admin:photos_photo_captions')}?ids={ids}")

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.bulk_upload_view),
                name="photos_photo_bulk_upload",
            ),
            path(
                "upload/<int:upload_id>/",
                self.admin_site.admin_view(self.upload_view),
                name="photos_photo_upload",
            ),
            path(
                "captions/",
                self.admin_site.admin_view(self.captions_view),
                name="photos_photo_captions",
            ),
            *super().get_urls(),
        ]

    def bulk_upload_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        may_set_rights = request.user.has_perm(PHOTO_RIGHTS_PERMISSION)
        if request.method == "POST":
            form = BulkUploadForm(request.POST, request.FILES, may_set_rights=may_set_rights)
            if form.is_valid():
                batch = receive_all(request.user, form.cleaned_data["files"], form.cleaned_data)
                accepted = batch.files.filter(photo__isnull=False).count()
                if accepted:
                    messages.success(
                        request,
                        f"{accepted} photo{'s' if accepted != 1 else ''} added to the library; "
                        "each is checked and its renditions made in the background.",
                    )
                # See other: a reload shows the progress, never sends the files again.
                return HttpResponseRedirect(
                    reverse("admin:photos_photo_upload", args=[batch.pk]), status=303
                )
        else:
            form = BulkUploadForm(may_set_rights=may_set_rights)
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload photos",
            "opts": self.opts,
            "form": form,
            "max_files": settings.NEWSROOM["PHOTO_BULK_MAX_FILES"],
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/photos/photo/bulk_upload.html", context)

    def upload_view(self, request, upload_id):
        """A bulk upload's files, each with its fate so far, and the captions, credits and
        alt text of the photos it added, typed on this one page. The uploader's page."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(PhotoUpload, pk=upload_id, uploaded_by=request.user)
        entries = list(batch.files.select_related("photo", "duplicate_of"))
        photos = [entry.photo for entry in entries if entry.photo is not None]
        saved = self._captions_posted(request, photos)
        if saved is True:
            return HttpResponseRedirect(request.path)
        forms = saved or {photo.pk: caption_form(photo) for photo in photos}
        rows = [
            {
                "entry": entry,
                "state": upload_state(entry),
                "form": forms.get(entry.photo_id) if entry.photo_id else None,
                "thumbnail": photo_thumbnail(entry.photo) if entry.photo_id else "",
                "url": reverse("admin:photos_photo_change", args=[entry.photo_id])
                if entry.photo_id
                else "",
            }
            for entry in entries
        ]
        pending = sum(1 for row in rows if row["state"]["pending"])
        refused = sum(1 for entry in entries if entry.photo_id is None)
        return self._captions_page(
            request,
            "admin/photos/photo/upload_results.html",
            {
                "title": f"Uploaded photos: {len(entries)} file{pluralize(len(entries))}",
                "rows": rows,
                "pending": pending,
                "refused": refused,
                "may_change": self.has_change_permission(request),
            },
        )

    def captions_view(self, request):
        """Captions, credits and alt text of the photos chosen in the library (the
        "Edit captions" action), on one page, with the photo form's own checks."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        raw = request.POST.get("ids") if request.method == "POST" else request.GET.get("ids")
        wanted = [int(pk) for pk in (raw or "").split(",") if pk.strip().isdigit()]
        photos = list(Photo.objects.filter(pk__in=wanted[:MAX_CAPTIONS]).order_by("pk"))
        saved = self._captions_posted(request, photos)
        if saved is True:
            return HttpResponseRedirect(reverse("admin:photos_photo_changelist"))
        forms = saved or {photo.pk: caption_form(photo) for photo in photos}
        rows = [
            {
                "photo": photo,
                "form": forms[photo.pk],
                "thumbnail": photo_thumbnail(photo),
                "url": reverse("admin:photos_photo_change", args=[photo.pk]),
            }
            for photo in photos
        ]
        return self._captions_page(
            request,
            "admin/photos/photo/captions.html",
            {
                "title": "Edit captions, credits and alt text",
                "rows": rows,
                "ids": ",".join(str(photo.pk) for photo in photos),
                "gone": len(set(wanted)) - len(photos),
                "may_change": True,
            },
        )

    def _captions_page(self, request, template, context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "media": self.media,
                **context,
            },
        )

    def _captions_posted(self, request, photos):
        """Save the posted captions of `photos`: True when saved (or nothing to save),
        the bound forms when one has an error, None for a GET."""
        if request.method != "POST":
            return None
        if not self.has_change_permission(request):
            raise PermissionDenied
        forms = {photo.pk: caption_form(photo, request.POST) for photo in photos}
        if not all(form.is_valid() for form in forms.values()):
            messages.error(request, "Please correct the errors below: nothing was saved.")
            return forms
        changed = [form for form in forms.values() if form.has_changed()]
        saved = 0
        for form in changed:
            photo = form.save(commit=False)
            try:
                with transaction.atomic():
                    photo.save(update_fields=form.changed_data)
            except DatabaseError:
                continue  # deleted meanwhile (a look-alike the worker removed)
            self.log_change(request, photo, self.construct_change_message(request, form, None))
            saved += 1
        messages.success(
            request,
            f"Saved the captions of {saved} photo{pluralize(saved)}."
            if saved
            else "Nothing was changed.",
        )
        return True


MAX_CAPTIONS = 100


def caption_form(photo, data=None):
    return PhotoCaptionForm(data, instance=photo, prefix=f"photo-{photo.pk}")


def upload_state(entry):
    """What became of a bulk upload's file, in words, and whether it is still moving."""
    State = PhotoUploadFile.State
    photo = entry.photo
    if entry.state == State.REFUSED:
        return {"ok": False, "pending": False, "text": f"Not added. {entry.message}"}
    if entry.state == State.DUPLICATE:
        return {"ok": False, "pending": False, "text": "Not added: already in the library."}
    if photo is None:
        return {"ok": False, "pending": False, "text": "Deleted since."}
    if entry.state == State.CHECKING:
        return {"ok": True, "pending": True, "text": "Accepted; being checked."}
    note = f" {entry.message}" if entry.message else ""
    if photo.is_processing:
        return {"ok": True, "pending": True, "text": f"Processing: renditions being made.{note}"}
    return {"ok": True, "pending": False, "text": f"Ready.{note}"}


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
    change_form_template = "admin/photos/gallery/change_form.html"
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
        try:
            using = stories_model().objects.filter(body_uses__gallery_id=int(object_id))
        except ValueError:
            return None
        return stories_seen_by(request.user, using)

    @admin.display(description="photos", ordering="photo_total")
    def photo_count(self, obj):
        return obj.photo_total

    @admin.display(description="code for the story body")
    def code(self, obj):
        return code_block(obj)
