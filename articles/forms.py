"""Admin forms for stories: the checks an editor should see as form errors, not 500s."""

from django import forms
from django.utils import timezone
from django.utils.text import capfirst

from .models import RelatedHeadline, Story


class StoryAdminForm(forms.ModelForm):
    class Meta:
        model = Story
        # The admin narrows these to its fieldsets (and drops the publishing fields
        # for editors without the publish permission).
        fields = [
            "headline",
            "slug",
            "dek",
            "section",
            "tags",
            "body",
            "lead_photo",
            "photo_caption",
            "photo_credit",
            "photo_alt",
            "status",
            "published_at",
        ]
        # Headlines, deks and captions are read in full while editing: wide inputs.
        widgets = {
            "headline": forms.TextInput(attrs={"class": "vLargeTextField wide-input"}),
            "slug": forms.TextInput(attrs={"class": "vLargeTextField wide-input"}),
            "dek": forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
            "photo_caption": forms.TextInput(attrs={"class": "vLargeTextField wide-input"}),
            "photo_alt": forms.TextInput(attrs={"class": "vLargeTextField wide-input"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            # Story.save() makes a unique slug from the headline when none is given,
            # so an editor who clears the field gets one instead of an error.
            self.fields["slug"].required = False
            self.fields["slug"].help_text += " Leave empty to make one from the headline."

    def clean(self):
        cleaned_data = super().clean()
        # Publishing without a time means "now". Story.save() would fill it in too,
        # but the model's CheckConstraint is validated before save and would reject
        # the form, so the time is set here.
        if (
            cleaned_data.get("status") == Story.Status.PUBLISHED
            and "published_at" in self.fields
            and not cleaned_data.get("published_at")
            and "published_at" not in self.errors
        ):
            cleaned_data["published_at"] = timezone.now()
        return cleaned_data


class RelatedHeadlineForm(forms.ModelForm):
    # Declared for assume_scheme: "example.com/x" becomes https://, as Django 6 will
    # do by default. The model field's validator still limits schemes to http(s).
    url = forms.URLField(
        label=capfirst(RelatedHeadline._meta.get_field("url").verbose_name),
        max_length=RelatedHeadline._meta.get_field("url").max_length,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = RelatedHeadline
        fields = ["target", "headline", "url"]
        help_texts = {"target": "Link a story or type a headline (with an optional URL)."}

    def clean_target(self):
        target = self.cleaned_data.get("target")
        # The inline formset has already attached the parent story to the instance.
        story_id = self.instance.story_id
        if target is not None and story_id is not None and target.pk == story_id:
            raise forms.ValidationError("A story cannot be related to itself.")
        return target
