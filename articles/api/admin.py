"""Partners' keys and webhooks in the admin: editors only (the api app's model
permissions, given to the Editor group in articles/roles.py; reporters hold none)."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from .models import ApiKey, Event, WebhookDelivery, WebhookSubscriber


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiKey.Scope.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A key with no scope sees what the public pages show.",
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "rate_limit"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix", "scope_list", "rate_limit", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description="scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes or []) or "—"

    def save_model(self, request, obj, form, change):
        token = None
        if not change:
            token = obj.new_token()
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if token:
            # Only the hash is stored: this message is the one time the token is shown.
            self.message_user(
                request,
                format_html(
                    "API key for {}: <code>{}</code> — send it as "
                    "<code>Authorization: Bearer …</code>. Copy it now: it is not shown again.",
                    obj.name,
                    token,
                ),
                messages.WARNING,
            )

    @admin.action(description="Revoke the chosen keys (they stop working at once)")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} key(s) revoked.")


class WebhookSubscriberForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=Event.choices, required=True, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscriber
        fields = ["name", "url", "secret", "events", "active"]
        widgets = {"secret": forms.PasswordInput(render_value=True)}

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Only http and https addresses.")
        return url


@admin.register(WebhookSubscriber)
class WebhookSubscriberAdmin(admin.ModelAdmin):
    form = WebhookSubscriberForm
    list_display = ["name", "url", "active", "consecutive_failures", "switched_off_at"]
    list_filter = ["active"]
    readonly_fields = ["consecutive_failures", "switched_off_at", "created_at"]
    actions = ["switch_on"]

    def save_model(self, request, obj, form, change):
        if obj.active and "active" in form.changed_data:
            obj.consecutive_failures, obj.switched_off_at = 0, None
        super().save_model(request, obj, form, change)

    @admin.action(description="Switch the chosen subscribers back on")
    def switch_on(self, request, queryset):
        queryset.update(active=True, consecutive_failures=0, switched_off_at=None)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read only."""

    list_display = [
        "created_at",
        "subscriber",
        "event",
        "story_id",
        "attempts",
        "last_status",
        "delivered_at",
        "next_attempt_at",
    ]
    list_filter = ["event", "subscriber"]
    list_select_related = ["subscriber"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
