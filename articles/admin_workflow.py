"""The story admin's workflow: roles, no lost edits, and the publication checklist.

Mixed into StoryAdmin (articles/admin.py). The labels and the linking rule here are
shared with the desks' admins (banner, wire): they import them from here, not from
articles/admin.py, which imports theirs to register them. The rules themselves live in
articles/roles.py (who may do what) and articles/workflow.py (readiness, who changed
a story last); this module applies them to the admin's views.
"""

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.cache import never_cache

from . import workflow
from .forms import LinkedStoryField
from .models import Story
from .roles import can_publish


def embargo_label(embargo_until):
    """'Embargoed until 2026-11-28 09:00 KST', in the site's zone."""
    local = timezone.localtime(embargo_until, timezone.get_default_timezone())
    return f"Embargoed until {local:%Y-%m-%d %H:%M %Z}"


def scheduled_label(published_at):
    """'Scheduled for 2026-11-28 09:00 KST', in the site's zone."""
    local = timezone.localtime(published_at, timezone.get_default_timezone())
    return f"Scheduled for {local:%Y-%m-%d %H:%M %Z}"


class LinkedStoriesMixin:
    """Any form field pointing to stories accepts (and prints) only the stories this
    user may link: the ones they may see and public ones (`StoryQuerySet.linkable_by`),
    the same set the story autocomplete offers."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Story:
            kwargs.setdefault("queryset", Story.objects.linkable_by(request.user))
            kwargs.setdefault("form_class", LinkedStoryField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is Story:
            kwargs.setdefault("queryset", Story.objects.linkable_by(request.user))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# Form keys that only exist when the publishing fields are editable.
PUBLISHING_KEYS = ("status", "published_at", "published_at_0", "published_at_1")


@dataclass(frozen=True)
class StoryBeforeRevert:
    """The story's row as it was before a revert or recovery wrote an old version over it.

    Restoring a version rewrites the row inside the request's transaction; what the
    form is checked against (the version, who saved it last and when) and, for users
    who may not publish, the status and publication time, come from here instead.
    """

    pk: int
    version: int
    created_by_id: int | None
    last_edited_by_id: int | None
    updated_at: datetime
    status: str
    published_at: datetime | None

    @classmethod
    def of(cls, story):
        return cls(
            story.pk,
            story.version,
            story.created_by_id,
            story.last_edited_by_id,
            story.updated_at,
            story.status,
            story.published_at,
        )

    def apply(self, story, *, keep_publishing):
        story.version = self.version
        # Who created a story is a fact about the story, not about one of its versions.
        story.created_by_id = self.created_by_id
        story.last_edited_by_id = self.last_edited_by_id
        story.updated_at = self.updated_at
        story.stored_status = self.status
        if keep_publishing:
            story.status, story.published_at = self.status, self.published_at


class StoryRowPermissions:
    """Inline rows (bylines, related headlines, notes) are editable only with their story.

    A reporter looking at their published story sees it read-only, rows included.
    """

    def _story_editable(self, request, obj):
        story_admin = self.admin_site.get_model_admin(Story)
        return obj is None or story_admin.has_change_permission(request, obj)

    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and self._story_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._story_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._story_editable(request, obj)


class StoryWorkflowMixin:
    """Roles, optimistic locking and readiness for StoryAdmin."""

    @property
    def media(self):
        return super().media + forms.Media(
            css={"all": ["admin-extra/workflow.css"]},
            js=["admin-extra/story-concurrency.js"],
        )

    # Roles ---------------------------------------------------------------------

    def has_publish_permission(self, request):
        return can_publish(request.user)

    def get_queryset(self, request):
        # The same rule as the preview at the story's public address (visible_to).
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match is not None and match.url_name == "autocomplete":
            # Stories are offered to be linked (related headlines): any public story
            # too, the same set the form accepts (articles.forms.LinkedStoryField).
            return queryset.linkable_by(request.user)
        return queryset.visible_to(request.user)

    def _editable_without_publishing(self, request, obj):
        # Changing a published or scheduled story changes what readers see (or will
        # see at a set time): that takes the publish permission.
        return obj is None or can_publish(request.user) or obj.status != Story.Status.PUBLISHED

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._editable_without_publishing(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._editable_without_publishing(
            request, obj
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # Without the publish permission the form must not become a way around it.
        if not can_publish(request.user):
            readonly += [name for name in ("status", "published_at") if name not in readonly]
        return [*readonly, "readiness"]

    def save_model(self, request, obj, form, change):
        # Read by StoryHistoryMixin: a revert counts only if the form really saved.
        request.story_saved = True
        obj.last_edited_by = request.user
        if not can_publish(request.user) and any(key in request.POST for key in PUBLISHING_KEYS):
            # The form has no publishing fields for this user; someone added them.
            messages.error(
                request,
                "Publishing, scheduling and unpublishing need an editor: the status and "
                "publication time were left as they were.",
            )
        super().save_model(request, obj, form, change)

    # No lost edits ---------------------------------------------------------------

    def get_object(self, request, object_id, from_field=None):
        before = getattr(request, "story_before_revert", None)
        # During a revert, the user's access was checked on the story as it was before
        # the old version was written over it (StoryHistoryMixin); the old version may
        # not be in their queryset (an earlier byline, say).
        queryset = Story.objects.all() if before is not None else self.get_queryset(request)
        if request.method == "POST" and transaction.get_connection().in_atomic_block:
            # Lock the row until this save commits (PostgreSQL; SQLite takes the whole
            # database for the transaction), so the version the form is checked against
            # stays the current one until the new version is written.
            queryset = queryset.select_for_update(of=("self",))
        field = Story._meta.pk if from_field is None else Story._meta.get_field(from_field)
        try:
            obj = queryset.get(**{field.name: field.to_python(object_id)})
        except (Story.DoesNotExist, ValidationError, ValueError):
            return None
        if before is not None and before.pk == obj.pk:
            before.apply(obj, keep_publishing=not can_publish(request.user))
        return obj

    def _create_formsets(self, request, obj, change):
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        # The form checks readiness of the story as submitted, inline rows included;
        # Django creates the formsets before validating the form, for this instance.
        obj.inline_formsets = formsets
        return formsets, inline_instances

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and request.method == "GET":
            warning = workflow.recent_edit_by_someone_else(obj, request.user)
            if warning:
                messages.warning(request, warning)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/version/",
                self.admin_site.admin_view(self.version_view),
                name="{}_{}_version".format(*info),
            ),
            *super().get_urls(),
        ]

    @method_decorator(never_cache)
    def version_view(self, request, object_id):
        """The story's current version, for the change form's "changed meanwhile" notice."""
        story = self.get_object(request, unquote(object_id))
        if story is None:
            raise Http404("No such story.")
        if not self.has_view_or_change_permission(request, story):
            raise PermissionDenied
        return JsonResponse(
            {
                "version": story.version,
                "saved_by": workflow.editor_name(story.last_edited_by),
                "saved_at": story.updated_at.isoformat(),
                "message": (
                    f"{workflow.last_change(story)}, after you opened this page: "
                    "your save will be refused. Copy your text before you reload."
                ),
            }
        )

    # Readiness -------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None:
            return fieldsets
        fields = ["readiness"]
        if self.has_change_permission(request, obj):
            fields.append("loaded_version")
        return [("Publication checklist", {"fields": fields}), *fieldsets]

    @admin.display(description="readiness")
    def readiness(self, obj):
        checks = workflow.readiness(obj)
        to_do = workflow.problems(checks)
        if not to_do:
            summary = "Ready to publish."
        else:
            summary = f"{len(to_do)} thing(s) to do before publishing."
            if workflow.readiness_blocks_publishing():
                summary += " Publishing is blocked until they are done."
        marks = {"Done": "✓", "To do": "✗", "Suggested": "–"}
        items = format_html_join(
            "",
            '<li class="readiness__item readiness__item--{}">'
            '<span aria-hidden="true">{}</span> <strong>{}:</strong> {}</li>',
            (
                (check.state.lower().replace(" ", "-"), marks[check.state], check.state, check.text)
                for check in checks
            ),
        )
        return format_html(
            '<p class="readiness__summary">{}</p><ul class="readiness">{}</ul>'
            '<p class="help">As last saved; saving updates it.</p>',
            summary,
            items,
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        to_do = workflow.problems(workflow.readiness(form.instance))
        if to_do:
            messages.warning(
                request,
                "Publication checklist, still to do: " + " ".join(check.text for check in to_do),
            )
