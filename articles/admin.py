"""The editors' workspace: sections, authors and, above all, stories."""

from adminsortable2.admin import SortableAdminBase, SortableTabularInline
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Prefetch, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from reversion.admin import VersionAdmin
from taggit import admin as taggit_admin
from taggit.models import Tag

from . import extensions, history, workflow
from .admin_history import StoryHistoryMixin
from .admin_workflow import (
    LinkedStoriesMixin,
    StoryRowPermissions,
    StoryWorkflowMixin,
    embargo_label,
    scheduled_label,
)
from .forms import AuthorAdminForm, RelatedHeadlineForm, StoryAdminForm
from .models import (
    Author,
    Correction,
    RelatedHeadline,
    Section,
    Story,
    StoryAuthor,
)
from .related import refresh_related_stories
from .roles import (
    PUBLISH_PERMISSION,  # noqa: F401 - re-exported for existing imports
    can_publish,
)
from .signal_handlers import purge_stories

# Before StoryAdmin exists: VersionAdmin would otherwise register Story with defaults.
history.register()


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "user"]
    list_select_related = ["user"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "user", "bio", "photo"]
    form = AuthorAdminForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # Linking a byline to an account decides whose stories a reporter sees. Editors
            # may do it without seeing the accounts list (no auth.view_user, so no
            # autocomplete): a plain choice of the active staff accounts, by name.
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(is_staff=True, is_active=True)
                .order_by("first_name", "last_name", "username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# taggit's own TagAdmin, whose merge view (merge-tags/) checks no permission: any staff
# account could merge (rename, delete) the shared tags of every story.
admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(taggit_admin.TagAdmin):
    def merge_tags_view(self, request):
        if not (self.has_change_permission(request) and self.has_delete_permission(request)):
            raise PermissionDenied
        # Ids are kept in the session by the "Merge selected tags" action; without
        # them (the page opened directly, tags deleted since) there is nothing to merge.
        selected = request.session.get("selected_tag_ids", "").split(",")
        existing = Tag.objects.filter(pk__in=[pk for pk in selected if pk.isdigit()])
        request.session["selected_tag_ids"] = ",".join(
            str(pk) for pk in existing.values_list("pk", flat=True)
        )
        if not request.session["selected_tag_ids"]:
            self.message_user(
                request, "Choose the tags to merge in the list first.", messages.WARNING
            )
            return redirect("admin:taggit_tag_changelist")
        return super().merge_tags_view(request)


class StoryStatusFilter(admin.SimpleListFilter):
    """Draft, scheduled or live: 'published' alone hides whether readers can see it."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("draft", "Draft"),
            ("scheduled", "Scheduled"),
            ("live", "Published (live)"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "draft":
                return queryset.filter(status=Story.Status.DRAFT)
            case "scheduled":
                return queryset.scheduled()
            case "live":
                return queryset.published()
        return queryset


class EmbargoFilter(admin.SimpleListFilter):
    """Stories under an embargo that has not lifted, and those whose embargo has."""

    title = "embargo"
    parameter_name = "embargo"

    def lookups(self, request, model_admin):
        return [("active", "Under embargo"), ("lifted", "Embargo lifted"), ("none", "No embargo")]

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "active":
                return queryset.filter(embargo_until__gt=now)
            case "lifted":
                return queryset.filter(embargo_until__lte=now)
            case "none":
                return queryset.filter(embargo_until__isnull=True)
        return queryset


class VisibleRelatedFilter(admin.RelatedOnlyFieldListFilter):
    """A changelist filter (section, tag, author) offering only what the stories this
    user may see use: a tag on someone else's draft is not listed for a reporter.

    Those who may publish see every story: for them the whole table is listed (one
    small query) rather than the links of every story searched for the ones in use.
    """

    def field_choices(self, field, request, model_admin):
        if can_publish(request.user):
            return admin.RelatedFieldListFilter.field_choices(self, field, request, model_admin)
        return super().field_choices(field, request, model_admin)


class RowLinksMixin:
    """Keep the edit/delete pop-up links off the autocomplete fields of inline rows.

    In a row of a story's form, a delete link next to an author or a linked story
    would delete that author or story, not the row.
    """

    related_links = {"can_change_related": False, "can_delete_related": False}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, RelatedFieldWidgetWrapper):
            for name, allowed in self.related_links.items():
                setattr(formfield.widget, name, allowed)
        return formfield


class BylineInline(StoryRowPermissions, LinkedStoriesMixin, RowLinksMixin, SortableTabularInline):
    model = StoryAuthor
    fields = ["author"]
    autocomplete_fields = ["author"]
    extra = 1
    verbose_name_plural = "bylines"


class RelatedHeadlineInline(
    StoryRowPermissions, LinkedStoriesMixin, RowLinksMixin, SortableTabularInline
):
    model = RelatedHeadline
    # A story is written in its own form, not in a pop-up from another story's.
    related_links = {**RowLinksMixin.related_links, "can_add_related": False}
    fk_name = "story"
    form = RelatedHeadlineForm
    fields = ["target", "headline", "url"]
    autocomplete_fields = ["target"]
    extra = 1


class CorrectionInline(StoryRowPermissions, LinkedStoriesMixin, admin.TabularInline):
    model = Correction
    fields = ["kind", "noted_at", "text"]
    extra = 0
    verbose_name_plural = "corrections and updates (shown below the story, dated)"
    formfield_overrides = {
        Correction._meta.get_field("text"): {"widget": admin.widgets.AdminTextareaWidget},
    }


@admin.register(Story)
class StoryAdmin(
    StoryWorkflowMixin,
    StoryHistoryMixin,
    LinkedStoriesMixin,
    SortableAdminBase,
    VersionAdmin,
):
    form = StoryAdminForm
    inlines = [BylineInline, RelatedHeadlineInline, CorrectionInline]

    class Media:
        css = {"all": ["admin-extra/story-form.css", "admin-extra/photo-library.css"]}
        js = ["admin-extra/photo-autocomplete.js"]

    list_display = [
        "headline",
        "section",
        "bylines",
        "status_label",
        "embargo",
        "published_at",
        "updated_at",
        "public_link",
    ]
    list_select_related = ["section"]
    list_filter = [
        StoryStatusFilter,
        EmbargoFilter,
        ("section", VisibleRelatedFilter),
        ("tags", VisibleRelatedFilter),
        ("authors", VisibleRelatedFilter),
        ("published_at", admin.DateFieldListFilter),
    ]
    search_fields = ["headline", "dek", "body"]
    date_hierarchy = "published_at"
    actions = ["publish", "unpublish"]

    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section", "lead_photo"]
    readonly_fields = ["photo_preview"]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "dek", "section", "language", "tags"]}),
        ("Body", {"fields": ["body"]}),
        (
            "Lead photo",
            {
                "fields": [
                    "lead_photo",
                    "photo_preview",
                    "photo_caption",
                    "new_photo",
                    ("new_photo_credit", "new_photo_alt"),
                ],
                "description": "Choose a photo of the library (type words of its caption, "
                "credit or alt text), or upload a new one, which is added to the library. "
                "Credit, alt text and focal point are the photo's own: edit them in the "
                "library.",
            },
        ),
        (
            "Publishing",
            {
                "fields": [
                    "status",
                    "published_at",
                    "embargo_until",
                    "publish_when_embargo_lifts",
                ]
            },
        ),
        (
            "Live coverage",
            {
                "fields": ["live_started_at", "live_ended_at"],
                "classes": ["collapse"],
                "description": "A live story shows dated updates, newest first, and "
                "readers' pages show new ones as they are posted. Start it now; end it "
                "when the coverage ends (the page becomes its archive).",
            },
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if can_publish(request.user):
            return fieldsets
        # Scheduling is publishing: the choice is not offered without the permission.
        return [
            (
                name,
                {
                    **options,
                    "fields": [f for f in options["fields"] if f != "publish_when_embargo_lifts"],
                },
            )
            for name, options in fieldsets
        ]

    def get_queryset(self, request):
        # The bylines column reads these; one query for the whole page, not one per row.
        return (
            super()
            .get_queryset(request)
            .select_related("section", "lead_photo")  # (list_select_related is then unused)
            .prefetch_related(
                Prefetch(
                    "story_authors",
                    queryset=StoryAuthor.objects.select_related("author").order_by("order", "pk"),
                    to_attr="admin_bylines",
                )
            )
        )

    def view_on_site(self, obj):
        # Straight to the story (a staff preview for drafts) rather than through
        # the contenttypes redirect.
        return obj.get_absolute_url()

    # Changelist columns

    @admin.display(description="bylines")
    def bylines(self, obj):
        return ", ".join(byline.author.name for byline in obj.admin_bylines)

    @admin.display(description="status", ordering="status")
    def status_label(self, obj):
        if obj.is_scheduled:
            return scheduled_label(obj.published_at)
        return obj.get_status_display()

    @admin.display(description="embargo", ordering="embargo_until")
    def embargo(self, obj):
        # Words and a symbol, not a colour alone: the embargo must not be missed.
        if obj.is_embargoed:
            return format_html(
                '<strong class="embargo-flag"><span aria-hidden="true">⛔</span> {}</strong>',
                embargo_label(obj.embargo_until),
            )
        return "Lifted" if obj.embargo_until else "—"

    @admin.display(description="on site")
    def public_link(self, obj):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            obj.get_absolute_url(),
            "View" if obj.is_public else "Preview",
        )

    # Change form

    @admin.display(description="preview")
    def photo_preview(self, obj):
        photo = obj.lead_photo
        if photo is None:
            return "No photo yet."
        link = reverse("admin:photos_photo_change", args=[photo.pk])
        picture = photo.lead_picture
        if picture is None:
            return format_html(
                'Processing: <a href="{}">the photo</a> is being prepared; readers see the '
                "story without it until it is ready.",
                link,
            )
        # Shown at most 480 pixels wide; width and height keep the form from jumping.
        shown_width = min(picture.width, 480)
        notes = []
        if photo.rights_expired:
            notes.append(f"Usage rights expired on {photo.rights_expire_on:%Y-%m-%d}.")
        return format_html(
            '<img src="{}" alt="{}" width="{}" height="{}"><br>'
            'Credit: {} · Alt text: {} · <a href="{}">Edit in the library</a> {}',
            picture.src,
            photo.alt,
            shown_width,
            round(picture.height * shown_width / picture.width),
            photo.credit or "none",
            photo.alt or "none",
            link,
            " ".join(notes),
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        form.attach_new_photo(obj, request.user)
        super().save_model(request, obj, form, change)

    @cached_property
    def desk_parts(self):
        """What the desks add to this admin (the wire's warnings…): articles/extensions.py."""
        return [part(self) for part in extensions.story_admin_parts.values()]

    def get_urls(self):
        return [*(url for part in self.desk_parts for url in part.urls()), *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:
            for part in self.desk_parts:
                context.update(part.change_form_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    # Bulk actions

    @admin.action(description="Publish selected stories", permissions=["publish"])
    def publish(self, request, queryset):
        now = timezone.now().replace(microsecond=0)  # the form shows whole seconds
        stories = self._only_unembargoed(
            request, list(queryset.exclude(status=Story.Status.PUBLISHED)), now
        )
        if workflow.readiness_blocks_publishing():
            stories = self._only_ready(request, stories)
        if settings.NEWSROOM["PHOTO_ALT_REQUIRED"]:
            stories = self._only_described(request, stories)
        with transaction.atomic():
            # One UPDATE, so the publication-time constraint holds at every moment. A
            # story that has a publication time keeps it: a future one stays scheduled.
            Story.objects.filter(pk__in=[story.pk for story in stories]).update(
                status=Story.Status.PUBLISHED,
                published_at=Coalesce("published_at", Value(now)),
                updated_at=now,
                **self._next_version(request),
            )
            self._record_changes(request, stories, "Published with the bulk action.")
            # update() sends no signals: re-rank related headlines, purge what shows them.
            refresh_related_stories([story.pk for story in stories])
            purge_stories([story.pk for story in stories])
        scheduled = sum(1 for story in stories if story.published_at and story.published_at > now)
        message = f"Published {len(stories)} {self._stories(len(stories))}"
        if scheduled:
            message += f" ({scheduled} scheduled for later)"
        self.message_user(request, message + ".")

    @admin.action(description="Unpublish selected stories", permissions=["publish"])
    def unpublish(self, request, queryset):
        # published_at is kept: publishing again restores the original time.
        stories = list(queryset.filter(status=Story.Status.PUBLISHED))
        with transaction.atomic():
            Story.objects.filter(pk__in=[story.pk for story in stories]).update(
                status=Story.Status.DRAFT, updated_at=timezone.now(), **self._next_version(request)
            )
            self._record_changes(request, stories, "Unpublished with the bulk action.")
            # update() sends no signals: re-rank related headlines, purge what shows them.
            refresh_related_stories([story.pk for story in stories])
            purge_stories([story.pk for story in stories])
        self.message_user(
            request, f"Unpublished {len(stories)} {self._stories(len(stories))}; now drafts."
        )

    @staticmethod
    def _next_version(request):
        # What Story.save() and the admin's save_model do for a single save: an open
        # form on one of these stories must now be refused, naming this editor.
        return {"version": F("version") + 1, "last_edited_by": request.user}

    def _record_changes(self, request, stories, message):
        """A log entry and a revision per story, like a save through the form leaves."""
        saved = list(history.stories_for_revisions([story.pk for story in stories]))
        for story in saved:
            self.log_change(request, story, message)
        history.record_story_revisions(saved, user=request.user, comment=message)

    def _only_unembargoed(self, request, stories, now):
        """Without the stories that would go public before their embargo (as the form
        refuses); the editor schedules those in the story's form."""
        allowed = []
        for story in stories:
            when = story.published_at or now
            if story.embargo_until and when < story.embargo_until:
                self.message_user(
                    request,
                    f"Not published: “{story.headline}”. {embargo_label(story.embargo_until)}"
                    ": open it and tick “Publish when the embargo lifts” to schedule it.",
                    messages.ERROR,
                )
            else:
                allowed.append(story)
        return allowed

    def _only_described(self, request, stories):
        """Without the stories whose photo has no alt text (as the form would refuse)."""
        described = []
        for story in stories:
            has_photo, alt = workflow.photo_facts(story)
            if has_photo and not alt.strip():
                self.message_user(
                    request,
                    f"Not published: “{story.headline}”. Describe its photo in the alt "
                    "text first: this newsroom publishes no photo without one.",
                    messages.WARNING,
                )
            else:
                described.append(story)
        return described

    def _only_ready(self, request, stories):
        """The stories that pass the publication checklist; the others are named with why."""
        facts = workflow.facts_for_stories(stories)
        ready = []
        for story in stories:
            to_do = workflow.problems(workflow.check_readiness(facts[story.pk]))
            if to_do:
                self.message_user(
                    request,
                    f"Not published: “{story.headline}”. Still to do: "
                    + " ".join(check.text for check in to_do),
                    messages.ERROR,
                )
            else:
                ready.append(story)
        return ready

    @staticmethod
    def _stories(count):
        return "story" if count == 1 else "stories"
