"""The breaking-news banner in the admin: editors only (`fronts.arrange_fronts`),
with history and undo (django-reversion), a story picked by autocomplete."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.validators import URLValidator
from django.http import Http404
from django.utils import timezone
from reversion.admin import VersionAdmin
from reversion.models import Version

from ..admin_workflow import LinkedStoriesMixin
from ..forms import LinkedStoryField
from .banner import URL_MESSAGE, URL_SCHEMES, Banner
from .permissions import DeskPermissions

ONE_AT_A_TIME = (
    "Readers see one banner at a time: the most recently started one that has not "
    "expired. It disappears by itself at its end time."
)


class BannerURLField(forms.URLField):
    # Only http(s), with the message saying so (Django's also takes ftp://).
    default_validators = [URLValidator(schemes=URL_SCHEMES, message=URL_MESSAGE)]


class BannerForm(forms.ModelForm):
    url = BannerURLField(
        label="Or web address",
        max_length=Banner._meta.get_field("url").max_length,
        required=False,
        assume_scheme="https",
        # Django's "Enter a valid URL." would replace the validator's own message.
        error_messages={"invalid": URL_MESSAGE},
        help_text="http:// or https:// only. Leave empty to link a story, or nothing.",
    )

    class Meta:
        model = Banner
        fields = ["text", "level", "story", "url", "starts_at", "expires_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        story = self.fields.get("story")
        if isinstance(story, LinkedStoryField):
            story.keep(self.instance.story_id)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("story") and cleaned.get("url"):
            self.add_error("url", "Link a story or a web address, not both.")
        starts, ends = cleaned.get("starts_at"), cleaned.get("expires_at")
        if starts and ends and ends <= starts:
            self.add_error("expires_at", "The banner must end after it starts.")
        return cleaned


@admin.register(Banner)
class BannerAdmin(DeskPermissions, LinkedStoriesMixin, VersionAdmin):
    # Editors only, on every URL (list, form, delete, history, revert, recover).
    form = BannerForm
    list_display = ["text", "level", "starts_at", "expires_at", "showing", "updated_by"]
    list_select_related = ["updated_by"]
    list_filter = ["level"]
    search_fields = ["text"]
    autocomplete_fields = ["story"]
    readonly_fields = ["created_by", "created_at", "updated_by", "updated_at"]
    fieldsets = [
        (None, {"fields": ["text", "level"], "description": ONE_AT_A_TIME}),
        ("Link (optional)", {"fields": ["story", "url"]}),
        ("When", {"fields": ["starts_at", "expires_at"]}),
        ("Record", {"fields": [("created_by", "created_at"), ("updated_by", "updated_at")]}),
    ]

    @admin.display(boolean=True, description="showing now")
    def showing(self, obj):
        now = timezone.now()
        return obj.starts_at <= now < obj.expires_at

    def changelist_view(self, request, extra_context=None):
        extra_context = {"subtitle": ONE_AT_A_TIME, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    # reversion looks a version up by id alone: only a banner's is brought back here.

    def _banner_version(self, version_id, object_id=None):
        versions = Version.objects.get_for_model(Banner).filter(pk=version_id)
        if object_id is not None:
            versions = versions.filter(object_id=object_id)
        if not versions.exists():
            raise Http404("No such version.")

    # Refused before reversion reverts anything (it reverts first, then asks the form).

    def recover_view(self, request, version_id, extra_context=None):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        self._banner_version(version_id)
        return super().recover_view(request, version_id, extra_context)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        if not self.has_change_permission(request):
            raise PermissionDenied
        self._banner_version(version_id, unquote(object_id))
        return super().revision_view(request, object_id, version_id, extra_context)
