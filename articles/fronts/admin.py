"""The front-page desk in the admin: editors (`fronts.arrange_fronts`) arrange the
home page and each section's page; everyone else is refused on every view of it
(lists, forms, history, preview, the story autocomplete of its pins).

A layout's page holds its zones (drag to order, change the slots) and its pins (pick a
story by headline, choose its zone, optional start and end, drag to order). "Prepare
the next edition" copies a layout into a new one being prepared; "Preview" shows a
layout exactly as readers will see it; "Publish now", or a time in "goes live at".
History and undo are django-reversion's, recording a layout with its zones and pins
(never the stories or sections they point to).
"""

from collections import defaultdict

import reversion
from adminsortable2.admin import CustomInlineFormSet, SortableAdminBase, SortableTabularInline
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from reversion.admin import VersionAdmin

from ..models import Story
from . import views
from .models import Front, Layout, Pin, Zone
from .permissions import DeskPermissions


def register_history():
    """Layouts are versioned with their zones and pins (idempotent). Not the stories or
    sections those point to: a revert never writes shared objects."""
    for model, options in (
        (Layout, {"follow": ("zones", "pins")}),
        (Zone, {}),
        (Pin, {}),
    ):
        if not reversion.is_registered(model):
            reversion.register(model, **options)


# Before LayoutAdmin exists: VersionAdmin would otherwise register Layout itself.
register_history()


def story_choice_label(story):
    """'Headline — Section · Published 30 Nov 2026, 14:05' (or Draft, or Scheduled for
    …), in the newsroom's zone: what an editor needs to pick the right story."""
    if story.status != Story.Status.PUBLISHED:
        state = "Draft"
    else:
        when = timezone.localtime(story.published_at, timezone.get_default_timezone())
        verb = "Scheduled for" if story.published_at > timezone.now() else "Published"
        state = f"{verb} {when:%d %b %Y, %H:%M}"
    return f"{story.headline} — {story.section.name} · {state}"


class NoRelatedLinks:
    """A row edits itself, not the section, zone or story it points to: no pop-up links
    to add, change or delete those (set on the wrapper the admin adds around the
    widget, as articles/admin.py's RowLinksMixin does)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, RelatedFieldWidgetWrapper):
            for name in ("can_add_related", "can_change_related", "can_delete_related"):
                setattr(formfield.widget, name, False)
        return formfield


class ZoneInline(DeskPermissions, NoRelatedLinks, SortableTabularInline):
    model = Zone
    fields = ["kind", "section", "slots"]
    extra = 0
    verbose_name_plural = "zones (top to bottom; drag to reorder)"


class PinForm(forms.ModelForm):
    # Only rows already saved can be dragged (adminsortable2), so a new pin says where
    # it goes here: without it an editor leading with a new story saved, dragged, and
    # saved again. A saved pin shows its place, read-only (drag it to move it).
    place = forms.IntegerField(
        label="place in zone",
        min_value=1,
        required=False,
        help_text="For a new pin: 1 puts it first in its zone, the others move down; "
        "empty puts it last.",
        widget=forms.NumberInput(attrs={"class": "vIntegerField", "min": "1"}),
    )

    class Meta:
        model = Pin
        fields = ["story", "zone", "place", "starts_at", "ends_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["place"].disabled = True


class PinFormSet(CustomInlineFormSet):
    """Saves the rows, then puts each new pin with a place at that place in its zone and
    renumbers the layout's pins, all in the one save."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if form.instance.pk is not None:
            form.fields["place"].initial = self._saved_places().get(form.instance.pk)
        return form

    def _saved_places(self):
        """Each saved pin's place in its zone (1 first), from the formset's own query."""
        if not hasattr(self, "_places"):
            counts, self._places = defaultdict(int), {}
            for saved in self.get_queryset():
                counts[saved.zone_id] += 1
                self._places[saved.pk] = counts[saved.zone_id]
        return self._places

    def save(self, commit=True):
        saved = super().save(commit)
        if commit:
            self._place_new_pins()
        return saved

    def _place_new_pins(self):
        placed = [
            (form.instance, form.cleaned_data["place"])
            for form in self.extra_forms
            if form.instance.pk is not None
            and form.cleaned_data.get("place")
            and not self._should_delete_form(form)
        ]
        if not placed:
            return
        new = {pin.pk for pin, _ in placed}
        pins = list(Pin.objects.filter(layout=self.instance).order_by("position", "pk"))
        # The zones' order as they stand; a zone's pins keep their order around the new.
        zones = {}
        for pin in pins:
            if pin.pk not in new:
                zones.setdefault(pin.zone_id, []).append(pin)
        for pin, place in sorted(placed, key=lambda item: item[1]):
            zones.setdefault(pin.zone_id, []).insert(place - 1, pin)
        ordered = [pin for zone_pins in zones.values() for pin in zone_pins]
        for number, pin in enumerate(ordered, start=1):
            pin.position = number
        Pin.objects.bulk_update(ordered, ["position"])


class PinInline(DeskPermissions, NoRelatedLinks, SortableTabularInline):
    model = Pin
    form = PinForm
    formset = PinFormSet
    fk_name = "layout"
    fields = ["story", "zone", "place", "starts_at", "ends_at"]
    autocomplete_fields = ["story"]
    extra = 1
    verbose_name_plural = "pinned stories (in order within each zone; drag to reorder)"

    def autocomplete_result(self, request, obj, result, source_field):
        """Pinning a story on a front: which one it is at a glance (articles/admin_site.py
        asks the admin of the field's own model first)."""
        if source_field.name == "story":
            result["text"] = story_choice_label(obj)
        return result

    def get_formset(self, request, obj=None, **kwargs):
        self._layout = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "zone":
            # Only this layout's zones (none before it is saved with some).
            layout = getattr(self, "_layout", None)
            kwargs["queryset"] = Zone.objects.filter(layout=layout).select_related("section")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Front)
class FrontAdmin(DeskPermissions, admin.ModelAdmin):
    list_display = ["__str__", "current_layout", "layouts_link"]
    list_select_related = ["section"]
    fields = ["section"]
    autocomplete_fields = ["section"]

    def get_queryset(self, request):
        # The "readers see" column: each front's current layout's name in the list's
        # own query, not one query per front (a front per section).
        current = Layout.objects.live_at(timezone.now()).filter(front=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(current_layout_name=Subquery(current.values("name")[:1]))
        )

    @admin.display(description="readers see")
    def current_layout(self, obj):
        return obj.current_layout_name or "(no layout: newest first)"

    @admin.display(description="layouts")
    def layouts_link(self, obj):
        url = reverse("admin:fronts_layout_changelist") + f"?front__id__exact={obj.pk}"
        return format_html('<a href="{}">Arrange</a>', url)


@admin.register(Layout)
class LayoutAdmin(DeskPermissions, SortableAdminBase, VersionAdmin):
    list_display = ["name", "front", "state_label", "publish_at", "preview_link"]
    list_filter = ["front"]
    list_select_related = ["front__section"]
    fields = ["front", "name", "publish_at", "preview_link"]
    readonly_fields = ["preview_link"]
    inlines = [ZoneInline, PinInline]
    actions = ["prepare_next_edition", "publish_now"]
    history_latest_first = True

    @admin.display(description="state")
    def state_label(self, obj):
        return obj.state

    @admin.display(description="preview")
    def preview_link(self, obj):
        if obj is None or obj.pk is None:
            return "Save first."
        url = reverse("admin:fronts_layout_preview", args=[obj.pk])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Preview as readers will see it</a>',
            url,
        )

    def get_urls(self):
        return [
            path(
                "<int:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="fronts_layout_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        """The front with this layout, exactly as readers would see it now: private,
        never stored (articles/fronts/views.py renders it outside the page cache)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        layout = get_object_or_404(Layout.objects.select_related("front__section"), pk=object_id)
        section = layout.front.section
        if section is None:
            view = views.HomeView.as_view(preview_layout=layout)
            response = view(request)
        else:
            view = views.SectionFrontView.as_view(preview_layout=layout)
            response = view(request, slug=section.slug)
        response.render()
        response["Cache-Control"] = "private, no-store"
        return response

    def revision_view(self, request, object_id, version_id, extra_context=None):
        # Refused before reversion writes anything (it reverts, then asks the form).
        if not self.has_change_permission(request):
            raise PermissionDenied
        return super().revision_view(request, object_id, version_id, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return super().recover_view(request, version_id, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is not None:
            # A version brought back from history may pin a story deleted since (the
            # pin itself went with it): such a pin is left out rather than restored.
            # In normal use there is none (pins are deleted with their story).
            orphans = Pin.objects.filter(layout_id=object_id).filter(
                ~Exists(Story.objects.filter(pk=OuterRef("story_id")))
            )
            orphans.delete()
        return super().changeform_view(request, object_id, form_url, extra_context)

    # Actions

    @admin.action(description="Prepare the next edition (a copy, being prepared)")
    def prepare_next_edition(self, request, queryset):
        made = []
        with transaction.atomic():
            for layout in queryset.prefetch_related("zones", "pins"):
                made.append(copy_layout(layout, f"{layout.name} (next edition)"))
        if len(made) == 1:
            messages.success(
                request, f"“{made[0].name}” is being prepared: arrange and preview it."
            )
            return redirect("admin:fronts_layout_change", made[0].pk)
        messages.success(request, f"{len(made)} editions are being prepared.")
        return None

    @admin.action(description="Publish now")
    def publish_now(self, request, queryset):
        now = timezone.now()
        with transaction.atomic(), reversion.create_revision():
            reversion.set_user(request.user)
            reversion.set_comment("Published now.")
            for layout in queryset:
                layout.publish_at = now
                layout.save()
        messages.success(request, f"{queryset.count()} layout(s) now shown to readers.")


def copy_layout(layout, name):
    """A new layout of the same front, being prepared, with the same zones and pins."""
    with reversion.create_revision():
        reversion.set_comment(f"Copied from “{layout.name}”.")
        copy = Layout.objects.create(front_id=layout.front_id, name=name[:120], publish_at=None)
        zones = {}
        for zone in layout.zones.all():
            old_pk = zone.pk
            zone.pk, zone.layout = None, copy
            zone.save()
            zones[old_pk] = zone
        for pin in layout.pins.all():
            pin.pk, pin.layout, pin.zone = None, copy, zones[pin.zone_id]
            pin.save()
    return copy


# The breaking-news banner's admin (its own module).
from . import admin_banner  # noqa: E402, F401
