"""The wire desk in the admin: the Wire (incoming items), sources and subject mappings.

Editors and reporters read the wire and make drafts from it (`view_wireitem`,
`make_story_from_wireitem`); sources (push tokens, folders) and mappings are editors'
(articles/roles.py). Items are never edited or added by hand: they are the agency's.
"""

from datetime import datetime

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from .. import extensions, history
from ..admin_workflow import embargo_label
from ..models import Story
from ..photos.models import Photo
from ..roles import ADD_STORY_PERMISSION, WIRE_DRAFT_PERMISSION
from . import ingest
from .models import SubjectMapping, WireItem, WireSource

URGENCY_WORDS = {1: "Flash", 2: "Bulletin"}
# Versions that change what a story says (or unpublish it) stand out in bold.
LOUD_KINDS = {"Kill", "Withheld", "Correction"}


@admin.register(WireSource)
class WireSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "format", "default_section", "folder", "active", "has_token"]
    list_filter = ["format", "active"]
    fields = [
        "name",
        "slug",
        "format",
        "default_section",
        "folder",
        "trusted_picture_hosts",
        "active",
    ]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["issue_token"]

    @admin.display(description="push token", boolean=True)
    def has_token(self, obj):
        return bool(obj.token_hash)

    def save_model(self, request, obj, form, change):
        token = None if obj.token_hash else obj.new_token()
        super().save_model(request, obj, form, change)
        if token:
            self._show_token(request, obj, token)

    @admin.action(description="Issue a new push token (the old one stops working)")
    def issue_token(self, request, queryset):
        for source in queryset:
            token = source.new_token()
            source.save(update_fields=["token_hash"])
            self._show_token(request, source, token)

    def _show_token(self, request, source, token):
        # Only the hash is stored: this message is the one time the token is shown.
        self.message_user(
            request,
            format_html(
                "Push token for {}: <code>{}</code> — send it in the X-Wire-Token header "
                "to {}. Copy it now: it is not shown again.",
                source,
                token,
                reverse("articles:wire_push", args=[source.slug]),
            ),
            messages.WARNING,
        )


@admin.register(SubjectMapping)
class SubjectMappingAdmin(admin.ModelAdmin):
    list_display = ["code", "source", "tag", "section"]
    list_filter = ["source", "section"]
    search_fields = ["code", "tag"]


class UrgencyFilter(admin.SimpleListFilter):
    title = "urgency"
    parameter_name = "urgency"

    def lookups(self, request, model_admin):
        return [("high", "Flash and bulletin (1–2)"), ("urgent", "Urgent (3–4)"), ("rest", "5–9")]

    def queryset(self, request, queryset):
        match self.value():
            case "high":
                return queryset.filter(urgency__lte=2)
            case "urgent":
                return queryset.filter(urgency__in=[3, 4])
            case "rest":
                return queryset.filter(Q(urgency__gte=5) | Q(urgency=None))
        return queryset


class SubjectFilter(admin.SimpleListFilter):
    """The subjects the desk has mapped (the codes editors care about)."""

    title = "subject"
    parameter_name = "subject"

    def lookups(self, request, model_admin):
        codes = SubjectMapping.objects.order_by("code").values_list("code", "tag").distinct()
        return [(code, f"{tag} ({code})" if tag else code) for code, tag in codes]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # Subjects are stored as [[code, name], …]: the code in quotes, as JSON writes it.
        return queryset.filter(subjects__icontains=f'"{self.value()}"')


class WireEmbargoFilter(admin.SimpleListFilter):
    title = "embargo"
    parameter_name = "embargo"

    def lookups(self, request, model_admin):
        return [("active", "Under embargo"), ("none", "No embargo or lifted")]

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "active":
                return queryset.filter(embargo_until__gt=now)
            case "none":
                return queryset.filter(Q(embargo_until=None) | Q(embargo_until__lte=now))
        return queryset


class NewSinceFilter(admin.SimpleListFilter):
    """Items received since this editor's look before the current one (kept in their
    session: WireItemAdmin.changelist_view moves it on each unfiltered look)."""

    title = "new"
    parameter_name = "new"
    SESSION_PREVIOUS, SESSION_CURRENT = "wire_previous_look", "wire_current_look"

    def lookups(self, request, model_admin):
        return [("1", "New since I last looked")]

    def queryset(self, request, queryset):
        if self.value() != "1":
            return queryset
        previous = request.session.get(self.SESSION_PREVIOUS)
        if previous:
            return queryset.filter(received_at__gt=datetime.fromisoformat(previous))
        return queryset

    @classmethod
    def note_look(cls, request):
        session = request.session
        if session.get(cls.SESSION_CURRENT):
            session[cls.SESSION_PREVIOUS] = session[cls.SESSION_CURRENT]
        session[cls.SESSION_CURRENT] = timezone.now().isoformat()


class WireChangeList(ChangeList):
    """The Wire: one row per item (its latest version, through the partial index on
    `latest`), with how many versions it has, counted in the same query."""

    @property
    def root_queryset(self):
        return self._root_queryset

    @root_queryset.setter
    def root_queryset(self, queryset):
        # Set by ChangeList.__init__ and used for the list, its counts and its filters.
        versions = (
            WireItem.objects.filter(source_id=OuterRef("source_id"), guid=OuterRef("guid"))
            .exclude(status=WireItem.Status.REJECTED)
            .order_by()
            .values("source_id")
            .annotate(count=Count("pk"))
            .values("count")
        )
        self._root_queryset = queryset.filter(latest=True).annotate(
            version_count=Subquery(versions)
        )


@admin.register(WireItem)
class WireItemAdmin(admin.ModelAdmin):
    list_display = [
        "urgency_label",
        "headline_column",
        "source",
        "version_label",
        "embargo",
        "state",
        "received_at",
        "draft",
    ]
    list_display_links = ["headline_column"]
    list_select_related = ["source"]
    list_filter = [
        NewSinceFilter,
        "source",
        UrgencyFilter,
        SubjectFilter,
        WireEmbargoFilter,
        "status",
        "attention",
    ]
    search_fields = ["headline", "guid", "file_name"]
    date_hierarchy = "received_at"
    actions = ["make_drafts"]
    fields = [
        "source",
        "guid",
        "version",
        "versions",
        "status",
        "reason",
        "attention",
        "urgency",
        "embargo_until",
        "headline",
        "dek",
        "body_preview",
        "bylines",
        "subjects",
        "related_headlines",
        "pictures_list",
        "section_hint",
        "language",
        "pub_status",
        "file_name",
        "received_at",
        "processed_at",
        "raw",
    ]
    readonly_fields = [*fields, "against_story"]

    def get_fields(self, request, obj=None):
        fields = [name for name in super().get_fields(request, obj) if name != "against_story"]
        # The story's text only for those who may open that story.
        visible = Story.objects.visible_to(request.user)
        if obj is not None and obj.story_id and visible.filter(pk=obj.story_id).exists():
            fields.insert(fields.index("headline"), "against_story")
        return fields

    @admin.display(description="against the story")
    def against_story(self, obj):
        """What this version would change in the story as it is now (the editor's text):
        the history's word diff, story → wire; for a flagged update, the editor's choice
        (buttons of the page's own form, which carries the CSRF token)."""
        story = obj.story
        choice = ""
        if obj.attention == WireItem.Attention.UPDATE:
            choice = format_html(
                '<p class="wire-choice">'
                '<button type="submit" class="button" formaction="{}" formmethod="post">'
                "Use this version in the story</button> "
                '<button type="submit" class="button" formaction="{}" formmethod="post">'
                "Keep the story’s text</button></p>",
                reverse("admin:wire_wireitem_apply", args=[obj.pk]),
                reverse("admin:wire_wireitem_keep", args=[obj.pk]),
            )
        return format_html(
            '<p><a href="{}">{}</a></p><div class="wire-diff">{}{}</div>{}',
            reverse("admin:articles_story_change", args=[story.pk]),
            "Open the story",
            history.text_diff(story.headline, obj.headline),
            history.text_diff(history.body_text(story.body), history.body_text(obj.body_html)),
            choice,
        )

    @admin.display(description="versions")
    def versions(self, obj):
        """The item's history: every version of its guid, newest first, each said in
        words (new, update, correction, kill), linked to its own page."""
        if obj.status == WireItem.Status.REJECTED:
            rows = [obj]
        else:
            rows = (
                WireItem.objects.filter(source_id=obj.source_id, guid=obj.guid)
                .exclude(status=WireItem.Status.REJECTED)
                .order_by("-version", "-pk")
            )
        items = []
        for row in rows:
            label = format_html(
                "v{} · {} · received {} · {}",
                row.version,
                _kind(row),
                timezone.localtime(row.received_at).strftime("%Y-%m-%d %H:%M:%S"),
                row,
            )
            if row.pk == obj.pk:
                items.append((format_html("{} <em>(this version)</em>", label),))
            else:
                url = reverse("admin:wire_wireitem_change", args=[row.pk])
                items.append((format_html('<a href="{}">{}</a>', url, label),))
        return format_html(
            '<ul id="versions" class="wire-versions">{}</ul>',
            format_html_join("", "<li>{}</li>", items),
        )

    def get_changelist(self, request, **kwargs):
        return WireChangeList

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_make_draft_permission(self, request):
        return request.user.has_perm(WIRE_DRAFT_PERMISSION) and request.user.has_perm(
            ADD_STORY_PERMISSION
        )

    # Columns

    @admin.display(description="urgency", ordering="urgency")
    def urgency_label(self, obj):
        # Flash and bulletin stand out by word, weight and a mark, not by colour alone.
        word = URGENCY_WORDS.get(obj.urgency)
        if word:
            return format_html(
                '<strong class="wire-urgent"><span aria-hidden="true">⚡</span> {} ({})</strong>',
                word.upper(),
                obj.urgency,
            )
        return obj.urgency or "—"

    @admin.display(description="headline", ordering="headline")
    def headline_column(self, obj):
        if obj.urgency and obj.urgency <= 2:
            return format_html("<strong>{}</strong>", str(obj))
        return str(obj)

    @admin.display(description="version", ordering="version")
    def version_label(self, obj):
        """The latest version, what it is in words, and how many versions the item has
        (its page lists them)."""
        if obj.status == WireItem.Status.REJECTED:
            return "—"
        count = getattr(obj, "version_count", None) or 1
        history = "1 version"
        if count > 1:
            url = reverse("admin:wire_wireitem_change", args=[obj.pk])
            history = format_html('<a href="{}#versions">{} versions</a>', url, count)
        return format_html("v{} · {}<br>{}", obj.version, _kind(obj), history)

    @admin.display(description="embargo", ordering="embargo_until")
    def embargo(self, obj):
        if obj.embargo_until and obj.embargo_until > timezone.now():
            return format_html(
                '<strong><span aria-hidden="true">⛔</span> {}</strong>',
                embargo_label(obj.embargo_until),
            )
        return "Lifted" if obj.embargo_until else "—"

    @admin.display(description="state", ordering="status")
    def state(self, obj):
        if obj.status == WireItem.Status.REJECTED:
            return format_html("<strong>Rejected:</strong> {}", obj.reason[:200])
        if obj.attention:
            return format_html("<strong>{}</strong>", obj.get_attention_display())
        return obj.get_status_display()

    @admin.display(description="story")
    def draft(self, obj):
        if obj.status == WireItem.Status.REJECTED:
            return "—"
        if obj.withdrawn and not obj.story_id:
            return mark_safe("<strong>Withdrawn</strong>")
        label = "Open the draft" if obj.story_id else "Make a draft story"
        # A button of the changelist's own form (it carries the CSRF token): one click.
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button>',
            reverse("admin:wire_wireitem_draft", args=[obj.pk]),
            label,
        )

    @admin.display(description="body")
    def body_preview(self, obj):
        return format_html('<div class="wire-body">{}</div>', _safe_body(obj.body_html))

    @admin.display(description="pictures")
    def pictures_list(self, obj):
        return _pictures_list(obj)

    def changelist_view(self, request, extra_context=None):
        if NewSinceFilter.parameter_name not in request.GET and request.method == "GET":
            NewSinceFilter.note_look(request)
        return super().changelist_view(request, extra_context)

    # Making drafts

    def get_urls(self):
        return [
            path(
                "<path:object_id>/draft/",
                self.admin_site.admin_view(self.draft_view),
                name="wire_wireitem_draft",
            ),
            path(
                "<path:object_id>/apply/",
                self.admin_site.admin_view(self.update_choice_view),
                {"apply": True},
                name="wire_wireitem_apply",
            ),
            path(
                "<path:object_id>/keep/",
                self.admin_site.admin_view(self.update_choice_view),
                {"apply": False},
                name="wire_wireitem_keep",
            ),
            *super().get_urls(),
        ]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_make_draft_permission(request):
            actions.pop("make_drafts", None)
        return actions

    @admin.action(description="Make draft stories from the selected items")
    def make_drafts(self, request, queryset):
        made = [self._draft(request, item) for item in queryset.select_related("source")]
        stories = [story for story in made if story is not None]
        if len(stories) == 1 and len(made) == 1:
            return redirect(reverse("admin:articles_story_change", args=[stories[0].pk]))
        if stories:
            links = format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                (
                    (reverse("admin:articles_story_change", args=[story.pk]), story.headline)
                    for story in stories
                ),
            )
            self.message_user(request, format_html("Drafts: {}", links))
        return None

    @method_decorator(require_POST)
    def draft_view(self, request, object_id):
        if not self.has_make_draft_permission(request):
            raise PermissionDenied
        item = self.get_object(request, object_id)
        if item is None:
            raise Http404("No such wire item.")
        story = self._draft(request, item)
        if story is None:
            return redirect(reverse("admin:wire_wireitem_changelist"))
        return redirect(reverse("admin:articles_story_change", args=[story.pk]))

    @method_decorator(require_POST)
    def update_choice_view(self, request, object_id, apply):
        """A newer wire version of a story someone edited: use it, or keep the story's
        text. Only for those who may change that story (its admin's own rule)."""
        item = self.get_object(request, object_id)
        if item is None or item.story_id is None:
            raise Http404("No such wire item.")
        # The story admin's own rules: which stories this user may open, and change.
        story_admin = self.admin_site.get_model_admin(Story)
        story = story_admin.get_queryset(request).filter(pk=item.story_id).first()
        if story is None or not story_admin.has_change_permission(request, story):
            raise PermissionDenied
        if item.attention != WireItem.Attention.UPDATE:
            self.message_user(request, "This version was already dealt with.", messages.WARNING)
        elif apply:
            ingest.apply_update(item.pk, user=request.user)
            self.message_user(
                request,
                f"The story now has version {item.version}; its history holds the edited text.",
            )
        else:
            ingest.keep_edits(item.pk)
            self.message_user(request, "The story keeps its text.")
        return redirect(reverse("admin:articles_story_change", args=[item.story_id]))

    def _draft(self, request, item):
        """The item's draft story, made if needed; None (with a message) if this user
        cannot open it or the item cannot become a story."""
        if item.status == WireItem.Status.REJECTED:
            self.message_user(request, f"“{item}” was rejected: {item.reason}", messages.ERROR)
            return None
        try:
            story, created = ingest.make_draft(item, user=request.user)
        except ingest.Withdrawn as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return None
        if not Story.objects.visible_to(request.user).filter(pk=story.pk).exists():
            self.message_user(
                request,
                f"A story was already made from “{item}” by someone else; ask an editor.",
                messages.WARNING,
            )
            return None
        if created:
            self.message_user(request, f"Draft made from the wire: “{story.headline}”.")
        return story


def _pictures_list(item):
    """The pictures that came with the item: a thumbnail once in the photo library,
    caption, credit, rights, what became of it, and the agency's renditions."""
    if not item.pictures:
        return "—"
    photos = Photo.objects.in_bulk(item.picture_photo_ids)
    rows = []
    for picture in item.pictures:
        photo = photos.get(picture.get("photo"))
        if photo is not None:
            state = format_html(
                '{}<a href="{}">In the photo library{}</a>',
                format_html('<img src="{}" alt="" width="120"> ', photo.thumbnail_url)
                if photo.thumbnail_url
                else "",
                reverse("admin:photos_photo_change", args=[photo.pk]),
                " (processing)" if photo.is_processing else "",
            )
        elif picture.get("note"):
            state = picture["note"]
        elif picture.get("file") or picture.get("fetch"):
            state = "Waiting for the worker to add it to the photo library."
        else:
            state = ""
        renditions = format_html_join(
            ", ",
            "{} ({}×{}, {})",
            (
                (r["name"] or r["href"], r["width"] or "?", r["height"] or "?", r["href"])
                for r in picture["renditions"]
            ),
        )
        rows.append(
            format_html(
                "<li><p><strong>{}</strong></p><p>Credit: {} · Rights: {}</p><p>{}</p>"
                "<p>Renditions: {}</p></li>",
                picture["caption"] or "(no caption)",
                picture["credit"] or "—",
                picture["rights"] or "—",
                state,
                renditions,
            )
        )
    return format_html('<ul class="wire-pictures">{}</ul>', mark_safe("".join(rows)))


def _kind(item):
    kind = item.kind
    return format_html("<strong>{}</strong>", kind) if kind in LOUD_KINDS else kind


def _safe_body(html):
    # Stored bodies went through articles/sanitize.py when they were received.
    return mark_safe(html)


class WireWarningAdmin(extensions.StoryAdminPart):
    """On a story's admin page: a kill or a newer version from the agency, loudly, on the
    story it concerns (registered by WireConfig.ready() in articles/extensions.py)."""

    def change_form_context(self, request, story):
        if request.method == "GET":
            self.warn_about_the_wire(request, story)
        return {}

    def warn_about_the_wire(self, request, story):
        flagged = (
            WireItem.objects.filter(story=story).exclude(attention="").order_by("-version").first()
        )
        if flagged is None:
            return
        link = reverse("admin:wire_wireitem_change", args=[flagged.pk])
        if flagged.attention == flagged.Attention.KILLED:
            text = "KILLED by the agency: this story was withdrawn (version {}) and unpublished."
            level = messages.ERROR
        else:
            text = "Wire update available: the agency sent version {} after your edits."
            level = messages.WARNING
        self.model_admin.message_user(
            request,
            format_html(text + ' <a href="{}">Read it on the wire</a>.', flagged.version, link),
            level,
        )
