"""Admin forms for stories: the checks an editor should see as form errors, not 500s."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminFileWidget
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from . import blocks, embeds, languages, workflow
from .models import Author, RelatedHeadline, Story, StoryAuthor
from .photos.forms import PhotoField, duplicate_error, find_duplicates
from .photos.models import Photo
from .sanitize import sanitize_body


class _PublishedPhoto:
    """What the file input shows as the current photo: its name, linked to the largest
    published rendition, since the original is private and has no working URL."""

    def __init__(self, field_file):
        self.name = field_file.name
        picture = getattr(field_file.instance, "lead_picture", None)
        self.url = picture.src if picture else ""

    def __str__(self):
        return self.name


class PhotoInput(AdminFileWidget):
    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if context["widget"]["is_initial"]:
            context["widget"]["value"] = _PublishedPhoto(value)
        return context


class StoryAdminForm(forms.ModelForm):
    # The story's version when the form was opened. Saving compares it with the row
    # the admin has locked (StoryAdmin.get_object): a difference means someone else
    # saved in between, and this save is refused instead of overwriting their work.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    # The editor's explicit choice; without it, publishing before the embargo is refused
    # (StoryAdmin shows it only to those who may publish).
    publish_when_embargo_lifts = forms.BooleanField(
        required=False,
        label="Publish when the embargo lifts",
        help_text="Tick to schedule an embargoed story for the embargo's end.",
    )

    class Meta:
        model = Story
        # The admin narrows these to its fieldsets (and drops the publishing fields
        # for editors without the publish permission).
        fields = [
            "headline",
            "slug",
            "dek",
            "section",
            "language",
            "tags",
            "body",
            "lead_photo",
            "photo_caption",
            "status",
            "published_at",
            "embargo_until",
            "live_started_at",
            "live_ended_at",
        ]
        # Headlines, deks and captions are read in full while editing: wide inputs.
        widgets = {
            "headline": forms.TextInput(attrs={"class": "vLargeTextField wide-input"}),
            "slug": forms.TextInput(attrs={"class": "vLargeTextField wide-input"}),
            "dek": forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
            "photo_caption": forms.TextInput(attrs={"class": "vLargeTextField wide-input"}),
        }

    # Uploaded on the spot: saving the story adds it to the library (articles/photos/)
    # and makes it the lead photo. Credit and alt text belong to the photo.
    new_photo = PhotoField(
        label="or upload a new photo",
        required=False,
        help_text="JPEG, PNG, WebP, GIF or AVIF; added to the photo library. Published in "
        "several sizes, without its metadata (camera, location).",
    )
    new_photo_credit = forms.CharField(label="credit", max_length=120, required=False)
    new_photo_alt = forms.CharField(
        label="alt text",
        max_length=250,
        required=False,
        help_text="What the photo shows, for readers who cannot see it.",
        widget=forms.TextInput(attrs={"class": "vLargeTextField wide-input"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            # Story.save() makes a unique slug from the headline when none is given,
            # so an editor who clears the field gets one instead of an error.
            self.fields["slug"].required = False
            self.fields["slug"].help_text += " Leave empty to make one from the headline."
        if "body" in self.fields:
            self.fields["body"].help_text = (
                "To embed a video, post, track, chart or map, paste its address as a "
                "paragraph of its own (or make that paragraph a link, whose text becomes "
                f"the title). {embeds.SUPPORTED} Readers load it with a click. "
                "To place a photo or gallery of the library, paste the code the library "
                "shows beside it, like [photo 12], [photo 12 | A caption for this story] "
                "or [gallery 3], as a paragraph of its own."
            )
        if "language" in self.fields:
            # A menu of languages; a tag the wire brought that is not on it stays on it.
            current = self.initial.get("language") or self.instance.language
            self.fields["language"].widget = forms.Select(
                choices=languages.language_choices(current)
            )
            # A form posted without it (a script, an older open form) keeps the story's.
            self.fields["language"].required = False
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
            # Read by static/admin-extra/story-concurrency.js, which warns while the
            # form is open when someone else saves.
            self.fields["loaded_version"].widget.attrs.update(
                {
                    "data-version-url": reverse(
                        "admin:articles_story_version", args=[self.instance.pk]
                    ),
                    "data-poll-seconds": workflow.EDIT_POLL_SECONDS,
                }
            )

    def clean_body(self):
        """A paragraph that is only an address becomes an embed, one that is only a
        library code a photo or gallery (articles/blocks.py); one that cannot (an
        unsupported provider, a malformed address, no such photo) is refused here."""
        body = self.cleaned_data.get("body")
        # Judged as it will be stored: what the sanitiser removes cannot be an error.
        problems = blocks.errors(sanitize_body(body))
        if problems:
            raise forms.ValidationError(
                [forms.ValidationError(message, code="embed") for message in problems]
            )
        return body

    def clean_language(self):
        # "en-gb" is "en-GB": stored in the one form pages compare; the model's
        # validator explains a tag that is not one.
        value = self.cleaned_data["language"] or self.instance.language
        return languages.normalize(value, default=value)

    def clean_new_photo(self):
        upload = self.cleaned_data.get("new_photo")
        if upload:
            found = find_duplicates(upload)
            if found:
                # Offered instead of a second copy: the link opens it; choose it above.
                raise duplicate_error(found)
        return upload

    def photo_for_readiness(self):
        """(has a photo, its alt text) as submitted: the library photo chosen, or the
        one uploaded on the spot."""
        if self.cleaned_data.get("new_photo"):
            return True, self.cleaned_data.get("new_photo_alt") or ""
        photo = self.cleaned_data.get("lead_photo", self.instance.lead_photo)
        return photo is not None, (photo.alt if photo is not None else "")

    def attach_new_photo(self, story, user):
        """Add the photo uploaded on the spot to the library and make it the lead.

        Its caption is the one typed for the story, kept in the library for the next
        story that uses it."""
        upload = self.cleaned_data.get("new_photo")
        if not upload:
            return
        story.lead_photo = Photo.objects.create(
            original=upload,
            caption=story.photo_caption,
            credit=self.cleaned_data.get("new_photo_credit") or "",
            alt=self.cleaned_data.get("new_photo_alt") or "",
            uploaded_by=user,
        )
        story.photo_caption = ""

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk:
            loaded = cleaned_data.get("loaded_version")
            if loaded is None:
                raise forms.ValidationError(
                    "This form is missing the story's version. Reload the page and try again.",
                    code="no_version",
                )
            if loaded != self.instance.version:
                raise forms.ValidationError(
                    workflow.conflict_message(self.instance), code="edit_conflict"
                )
        # Publishing without a time means "now". Story.save() would fill it in too,
        # but the model's CheckConstraint is validated before save and would reject
        # the form, so the time is set here.
        if (
            cleaned_data.get("status") == Story.Status.PUBLISHED
            and "published_at" in self.fields
            and not cleaned_data.get("published_at")
            and "published_at" not in self.errors
        ):
            cleaned_data["published_at"] = timezone.now().replace(microsecond=0)
        self.check_embargo(cleaned_data)
        self.check_photo_alt(cleaned_data)
        self.check_live_times(cleaned_data)
        return cleaned_data

    def check_embargo(self, cleaned_data):
        """A published story goes public no earlier than its embargo: refused, with the
        embargo's time, unless the editor asked to publish when it lifts."""
        if "status" not in self.fields or cleaned_data.get("status") != Story.Status.PUBLISHED:
            return
        if "embargo_until" in self.fields:
            embargo = cleaned_data.get("embargo_until")
        else:
            embargo = self.instance.embargo_until
        when = cleaned_data.get("published_at")
        if embargo is None or "published_at" in self.errors or (when and when >= embargo):
            return
        if cleaned_data.get("publish_when_embargo_lifts"):
            cleaned_data["published_at"] = embargo
            return
        local = timezone.localtime(embargo, timezone.get_default_timezone())
        self.add_error(
            "published_at" if "published_at" in self.fields else None,
            forms.ValidationError(
                f"Not published: this story is embargoed until {local:%Y-%m-%d %H:%M %Z}. "
                "Tick “Publish when the embargo lifts” to schedule it for then.",
                code="embargoed",
            ),
        )

    def check_live_times(self, cleaned_data):
        """Live coverage starts and ends now or in the past, never at a later time: the
        page, the poll and the caches change with a save, not with the clock."""
        soon = timezone.now() + timedelta(minutes=1)
        for name in ("live_started_at", "live_ended_at"):
            value = cleaned_data.get(name)
            if value is not None and value > soon:
                self.add_error(name, "Set this when it happens: it may not be a later time.")
        started, ended = cleaned_data.get("live_started_at"), cleaned_data.get("live_ended_at")
        if ended is not None and (started is None or ended < started):
            self.add_error("live_ended_at", "Live coverage ends after it starts.")

    def check_photo_alt(self, cleaned_data):
        """With NEWSROOM["PHOTO_ALT_REQUIRED"], a published story's photo needs alt text.

        Otherwise the publication checklist (articles/workflow.py) only warns.
        """
        if not settings.NEWSROOM["PHOTO_ALT_REQUIRED"] or "lead_photo" not in self.fields:
            return
        status = cleaned_data.get("status", self.instance.status)
        has_photo, alt = self.photo_for_readiness()
        if status == Story.Status.PUBLISHED and has_photo and not alt:
            self.add_error(
                "new_photo_alt" if cleaned_data.get("new_photo") else "lead_photo",
                forms.ValidationError(
                    "Describe the photo for readers who cannot see it (its alt text, in the "
                    "photo library): this newsroom publishes no photo without alt text.",
                    code="alt_required",
                ),
            )

    def _post_clean(self):
        super()._post_clean()
        # After super(): the instance now holds what was submitted.
        if self.is_publishing() and workflow.readiness_blocks_publishing():
            facts = self.submitted_facts()
            if facts is not None:
                not_ready = workflow.problems(workflow.check_readiness(facts))
                if not_ready:
                    self.add_error(
                        None,
                        forms.ValidationError(
                            "Not published: this newsroom publishes only stories that are "
                            "ready. Still to do: " + " ".join(check.text for check in not_ready),
                            code="not_ready",
                        ),
                    )

    def is_publishing(self):
        """Whether this save turns a story that is not published into a published one."""
        if "status" not in self.fields or self.cleaned_data.get("status") != Story.Status.PUBLISHED:
            return False
        # While a story is being restored from its history, the form's initial data is
        # the old version; the admin records the status it had before (StoryBeforeRevert).
        stored = getattr(self.instance, "stored_status", self.initial.get("status"))
        return stored != Story.Status.PUBLISHED

    def submitted_facts(self):
        """Readiness facts for the story as submitted, inline rows included.

        None while the inline rows are invalid (their errors are shown anyway).
        StoryAdmin hands the form its inline formsets through the instance.
        """
        formsets = getattr(self.instance, "inline_formsets", ())
        if not all(formset.is_valid() for formset in formsets):
            return None
        live = {
            formset.model: [
                form.cleaned_data
                for form in formset.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ]
            for formset in formsets
        }
        bylines = [row for row in live.get(StoryAuthor, []) if row.get("author")]
        related = live.get(RelatedHeadline, [])
        target_ids = [row["target"].pk for row in related if row.get("target")]
        public = set(
            Story.objects.published().filter(pk__in=target_ids).values_list("pk", flat=True)
        )
        unresolved = sum(
            1
            for row in related
            if not row.get("headline") and not (row.get("target") and row["target"].pk in public)
        )
        has_photo, alt = self.photo_for_readiness()
        return workflow.StoryFacts(
            headline=self.instance.headline,
            dek=self.instance.dek,
            body=self.instance.body,
            has_photo=has_photo,
            photo_alt=alt,
            tag_count=len(self.cleaned_data.get("tags") or ()),
            byline_count=len(bylines),
            unresolved_related=unresolved,
        )


class LinkedStoryField(forms.ModelChoiceField):
    """A story to link, out of those the admin offers this user (`linkable_by`).

    Any other id is "Select a valid choice", and nothing of that story is printed back.
    A row may already link a story the user may not see (an editor linked it): `keep`
    accepts that one id unchanged, shown without its headline, so the user can still
    save the form (or remove the link) without learning what it points to.
    """

    hidden_label = "A story you cannot open (linked by an editor)"

    def keep(self, pk):
        self.kept_pk = None
        if pk is None or self.queryset.filter(pk=pk).exists():
            return
        self.kept_pk = pk
        self.queryset = self.queryset | self.queryset.model.objects.filter(pk=pk)

    def label_from_instance(self, obj):
        if obj.pk == getattr(self, "kept_pk", None):
            return self.hidden_label
        return super().label_from_instance(obj)


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        target = self.fields.get("target")
        if isinstance(target, LinkedStoryField):
            target.keep(self.instance.target_id)

    def clean_target(self):
        target = self.cleaned_data.get("target")
        # The inline formset has already attached the parent story to the instance.
        story_id = self.instance.story_id
        if target is not None and story_id is not None and target.pk == story_id:
            raise forms.ValidationError("A story cannot be related to itself.")
        return target


class AuthorAdminForm(forms.ModelForm):
    class Meta:
        model = Author
        fields = ["name", "slug", "user", "bio", "photo"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "photo" not in self.fields:
            return  # read-only (a reporter may view authors): nothing to upload
        smallest = settings.NEWSROOM["PORTRAIT_MIN_SIZE"]
        field = self.fields["photo"]
        self.fields["photo"] = PhotoField(
            label=field.label,
            required=False,
            help_text=field.help_text,
            widget=field.widget,
            min_width=smallest,
            min_height=smallest,
        )
