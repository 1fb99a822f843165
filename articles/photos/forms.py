"""The library's admin forms: one photo, or many at once, with the upload checks of
articles/images.py (formats, decompression bombs, sizes) and a duplicate check; and
the photo upload field every form with a photo uses (`PhotoField`, the stories' and
authors' forms in articles/forms.py too)."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from PIL import Image

from .. import images
from . import fingerprints
from .models import Photo


def upload_limit_attrs(files=1):
    """The upload limits a file input carries for static/admin-extra/upload-limit.js,
    which refuses a file past them before anything is sent: the server's own limits
    (newsroom/uploads.py answers 413 past them), read when a form is made."""
    most = settings.NEWSROOM["PHOTO_MAX_BYTES"]
    attrs = {"data-max-bytes": str(most), "data-max-total-bytes": str(most * files)}
    if files > 1:
        attrs["data-max-files"] = str(files)
    return attrs


class UploadLimitMixin:
    """A file field whose input carries the upload limits (`upload_limit_attrs`). Set
    on each copy a form makes, so the input states the limits in force, not those of
    when the form class was defined."""

    limit_files = 1

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), **upload_limit_attrs(self.limit_files)}

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.widget.attrs.update(upload_limit_attrs(result.limit_files))
        return result


class PhotoField(UploadLimitMixin, forms.ImageField):
    """An image upload checked by reading it (articles.images.validate_photo).

    Replaces Django's own image check, whose one message ("Upload a valid image…")
    names no problem, and whose extension check trusts the file's name. The stored
    name's extension is the one the content calls for.
    """

    def __init__(self, *args, min_width=None, min_height=None, **kwargs):
        self.min_width, self.min_height = min_width, min_height
        super().__init__(*args, **kwargs)
        self.validators = []  # not validate_image_file_extension: the content decides

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        info = images.validate_photo(upload, min_width=self.min_width, min_height=self.min_height)
        stem = Path(upload.name).stem[:80] or "photo"
        upload.name = f"{stem}.{info.extension}"
        upload.content_type = Image.MIME.get(info.format)
        return upload


def find_duplicates(upload) -> list[Photo]:
    """Library photos that are this upload, byte for byte or to the eye."""
    return Photo.objects.duplicates_of(fingerprints.sha256_of(upload), fingerprints.dhash(upload))


def duplicate_error(photos) -> ValidationError:
    """ "Already in the library", with a link to each photo found, to use it instead."""
    links = format_html_join(
        ", ",
        '<a href="{}">{}</a>',
        ((reverse("admin:photos_photo_change", args=[p.pk]), str(p)) for p in photos),
    )
    return ValidationError(
        format_html("This photo is already in the library: {}. Use it instead.", links),
        code="duplicate",
    )


class PhotoAdminForm(forms.ModelForm):
    class Meta:
        model = Photo
        fields = [
            "original",
            "caption",
            "credit",
            "alt",
            "source",
            "focal_x",
            "focal_y",
            "rights_note",
            "rights_expire_on",
        ]
        field_classes = {"original": PhotoField}
        widgets = {
            "caption": forms.TextInput(attrs={"class": "vLargeTextField"}),
            "alt": forms.TextInput(attrs={"class": "vLargeTextField"}),
            # Set by clicking the preview (static/admin-extra/focal-point.js) or typed.
            "focal_x": forms.NumberInput(
                attrs={"step": "0.01", "min": "0", "max": "1", "data-focal": "x"}
            ),
            "focal_y": forms.NumberInput(
                attrs={"step": "0.01", "min": "0", "max": "1", "data-focal": "y"}
            ),
        }

    def clean_original(self):
        upload = self.cleaned_data.get("original")
        # Only a new photo's file is here: an existing photo's is read-only (the admin).
        if upload and self.instance.pk is None:
            sha256, dhash = fingerprints.sha256_of(upload), fingerprints.dhash(upload)
            found = Photo.objects.duplicates_of(sha256, dhash)
            if found:
                raise duplicate_error(found)
            # Kept for the save, which then does not fingerprint the file again.
            self.instance.sha256, self.instance.dhash = sha256, dhash
        return upload


class PhotoCaptionForm(PhotoAdminForm):
    """The words of one photo among many (the upload's page, "Edit captions"): the
    photo form's own fields, widgets and checks, without the rest."""

    class Meta(PhotoAdminForm.Meta):
        fields = ["caption", "credit", "alt"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(UploadLimitMixin, forms.FileField):
    """The uploaded files as a list, unchecked: the view checks each on its own."""

    widget = MultipleFileInput

    @property
    def limit_files(self):
        return settings.NEWSROOM["PHOTO_BULK_MAX_FILES"]

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            raise ValidationError("Choose at least one photo.", code="required")
        return files


class BulkUploadForm(forms.Form):
    """Many photos at once; what they share (credit, source, rights) typed once.

    The files are checked one by one in the view (articles/photos/admin.py), so that
    one refused file does not refuse the others.
    """

    files = MultipleFileField(
        widget=MultipleFileInput(attrs={"accept": "image/*"}),
        label="Photos",
        help_text="Choose several files at once.",
    )
    credit = forms.CharField(max_length=120, required=False)
    source = forms.CharField(label="Source or photographer", max_length=120, required=False)
    rights_note = forms.CharField(label="Usage rights", max_length=300, required=False)
    rights_expire_on = forms.DateField(
        label="Rights expire on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The last day these photos may be published.",
    )

    def __init__(self, *args, may_set_rights=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_set_rights:
            del self.fields["rights_note"]
            del self.fields["rights_expire_on"]

    def clean_files(self):
        files = self.cleaned_data["files"]
        most = settings.NEWSROOM["PHOTO_BULK_MAX_FILES"]
        if len(files) > most:
            raise ValidationError(
                "At most %(most)s photos can be uploaded at once; you chose %(count)s.",
                code="too_many",
                params={"most": most, "count": len(files)},
            )
        return files
