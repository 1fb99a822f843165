"""The live-update form of a live story's admin page."""

from django import forms
from django.utils.html import linebreaks

from articles.forms import PhotoInput
from articles.models import Author
from articles.photos.forms import PhotoField
from articles.sanitize import sanitize_body

from .models import LiveUpdate


class LiveUpdateForm(forms.ModelForm):
    """One live update: the short form at the top of a live story's admin page.

    Only the update is validated and saved, never the story (nor its version, the
    optimistic lock of the story form). The text is a plain text box: a paragraph per
    blank line, or HTML, which goes through the story body's sanitiser either way.
    """

    # An upload, not the model's field: a new one becomes a library photo
    # (`uploads.photo_from_upload`, stored before the update's transaction opens).
    photo = PhotoField(required=False, widget=PhotoInput)

    class Meta:
        model = LiveUpdate
        fields = ["headline", "body", "authors", "photo_alt", "pinned"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 5, "cols": 60}),
            "authors": forms.SelectMultiple(attrs={"size": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authors"].queryset = Author.objects.order_by("name")
        self.fields["authors"].required = False
        self.fields["body"].help_text = "A blank line starts a new paragraph."
        self.fields["body"].error_messages["required"] = "Write the update's text."
        if self.instance.photo_id:
            self.initial["photo"] = self.instance.photo.original

    def clean_body(self):
        text = (self.cleaned_data.get("body") or "").strip()
        if text and "<" not in text:
            text = linebreaks(text, autoescape=True)
        body = sanitize_body(text)
        if not body:
            raise forms.ValidationError("Write the update's text.", code="required")
        return body

    def clean(self):
        cleaned = super().clean()
        has_photo = bool(cleaned.get("photo")) or bool(self.instance.photo_id)
        if cleaned.get("photo") is False:  # "clear" ticked
            has_photo = False
        if has_photo and not (cleaned.get("photo_alt") or "").strip():
            self.add_error("photo_alt", "Describe the photo for readers who cannot see it.")
        return cleaned
