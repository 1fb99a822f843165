"""Posting live updates from a live story's admin page (articles/live/).

One short form at the top of the story's change page (templates/admin/articles/story/
change_form.html), outside the story's own form, posting to its own URL: an update is
saved without validating, saving or re-rendering the story, and without its
optimistic lock, so two people posting at once each add their row.

Who may post: anyone who may change stories (`articles.change_story`) on a story they
may see in the admin (`StoryQuerySet.visible_to`): a reporter on their own live
stories, an editor on all. Unlike the story's own fields, a reporter's own published
story takes updates: posting them is what live coverage is for.

The views and the panel are a part of the story admin (`LiveUpdatesAdmin`, registered
from `LiveConfig.ready` in articles/extensions.py): their URLs are the story admin's
(`admin:articles_story_live`, …/live/), and LiveUpdate has no admin of its own.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from articles.extensions import StoryAdminPart
from articles.models import Story
from articles.roles import CHANGE_STORY_PERMISSION

from . import history
from .forms import LiveUpdateForm
from .models import LiveUpdate
from .uploads import discard_stored, photo_from_upload

# Updates listed on the admin pages (the public page has them all, a page at a time).
ADMIN_LISTED = 50


def may_post_live_updates(user, story):
    """Whether `user` may post, edit and delete `story`'s live updates."""
    return (
        story.is_live_coverage
        and user.has_perm(CHANGE_STORY_PERMISSION)
        and Story.objects.visible_to(user).filter(pk=story.pk).exists()
    )


class LiveUpdatesAdmin(StoryAdminPart):
    """StoryAdmin's live-update views and the panel on its change page."""

    def __init__(self, model_admin):
        super().__init__(model_admin)
        self.admin_site = model_admin.admin_site
        self.opts = model_admin.opts

    def urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/live/",
                view(self.live_updates_view),
                name="{}_{}_live".format(*info),
            ),
            path(
                "<path:object_id>/live/<int:update_id>/",
                view(self.live_update_edit_view),
                name="{}_{}_live_edit".format(*info),
            ),
            path(
                "<path:object_id>/live/<int:update_id>/delete/",
                view(self.live_update_delete_view),
                name="{}_{}_live_delete".format(*info),
            ),
        ]

    def change_form_context(self, request, story):
        # The story's own form as before; a live story's page also gets the live panel
        # (no query for a story that is not covered live).
        if not story.is_live_coverage:
            return {}
        return {"live_panel": self._live_panel(request, story, LiveUpdateForm())}

    # Views -----------------------------------------------------------------------

    def _story_or_none(self, request, object_id):
        """The story if this user may see it in the admin (else the admin's "no such
        object" redirect, as the change view gives)."""
        return Story.objects.visible_to(request.user).filter(pk=_pk(object_id)).first()

    def _panel_context(self, request, story, form, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": story,
            "title": f"Live updates: {story.headline}",
            "panel": self._live_panel(request, story, form),
            **extra,
        }

    def _live_panel(self, request, story, form):
        may_post = may_post_live_updates(request.user, story)
        updates = list(
            LiveUpdate.objects.filter(story=story)
            .newest_first()
            .select_related("created_by")
            .prefetch_related("authors")[:ADMIN_LISTED]
        )
        return {
            "story": story,
            "form": form if may_post else None,
            "may_post": may_post,
            "updates": updates,
            "post_url": reverse("admin:articles_story_live", args=[story.pk]),
        }

    @method_decorator(never_cache)
    def live_updates_view(self, request, object_id):
        """GET: the live desk (the form and the updates); POST: post an update."""
        story = self._story_or_none(request, unquote(object_id))
        if story is None:
            return self.model_admin._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not request.user.has_perm(CHANGE_STORY_PERMISSION) and request.method == "POST":
            raise PermissionDenied
        form = LiveUpdateForm()
        if request.method == "POST":
            if not may_post_live_updates(request.user, story):
                raise PermissionDenied
            form = LiveUpdateForm(request.POST, request.FILES)
            if form.is_valid():
                update = form.save(commit=False)
                update.story = story
                update.created_by = request.user
                _save(form, update, request.user)
                messages.success(request, "Update posted: readers see it within a poll.")
                if request.POST.get("from") == "change":
                    url = reverse("admin:articles_story_change", args=[story.pk])
                    return redirect(f"{url}#live-updates")
                return redirect("admin:articles_story_live", story.pk)
        return TemplateResponse(
            request,
            "admin/articles/story/live_updates.html",
            self._panel_context(request, story, form),
        )

    def _update_or_none(self, request, object_id, update_id):
        story = self._story_or_none(request, unquote(object_id))
        if story is None or update_id >= 2**63:  # past any id (PostgreSQL's bigint)
            return story, None
        return story, LiveUpdate.objects.filter(story=story, pk=update_id).first()

    @method_decorator(never_cache)
    def live_update_edit_view(self, request, object_id, update_id):
        story, update = self._update_or_none(request, object_id, update_id)
        if update is None:
            return self.model_admin._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not may_post_live_updates(request.user, story):
            raise PermissionDenied
        form = LiveUpdateForm(instance=update)
        if request.method == "POST":
            form = LiveUpdateForm(request.POST, request.FILES, instance=update)
            if form.is_valid():
                _save(
                    form,
                    form.save(commit=False),
                    request.user,
                    comment=f"Edited live update #{update.pk}",
                )
                messages.success(request, "Update saved.")
                return redirect("admin:articles_story_live", story.pk)
        return TemplateResponse(
            request,
            "admin/articles/story/live_update_form.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": story,
                "update": update,
                "form": form,
                "title": f"Edit live update #{update.pk}",
            },
        )

    @method_decorator(never_cache)
    def live_update_delete_view(self, request, object_id, update_id):
        story, update = self._update_or_none(request, object_id, update_id)
        if update is None:
            return self.model_admin._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not may_post_live_updates(request.user, story):
            raise PermissionDenied
        if request.method == "POST":
            label = str(update)
            with transaction.atomic():
                number = update.pk
                update.delete()
                history.record_live_change(
                    update, user=request.user, comment=f"Deleted live update #{number}: {label}"
                )
            messages.success(request, f"Update #{number} deleted.")
            return redirect("admin:articles_story_live", story.pk)
        return TemplateResponse(
            request,
            "admin/articles/story/live_update_delete.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": story,
                "update": update,
                "title": f"Delete live update #{update.pk}?",
            },
        )


def _save(form, update, user, comment=None):
    """Save a valid form's update, with a new photo if one was uploaded.

    The upload is stored and read before the transaction opens (`photo_from_upload`),
    and its renditions are made by the worker: the transaction holds SQLite's one write
    lock for a few INSERTs only, so a second editor's post never waits for a photo.
    """
    upload = form.cleaned_data.get("photo")
    photo = None
    if isinstance(upload, UploadedFile):
        photo = photo_from_upload(upload, alt=form.cleaned_data.get("photo_alt", ""), user=user)
    try:
        with transaction.atomic():
            if photo is not None:
                photo.save()
                update.photo = photo
            elif upload is False:  # "clear" ticked: the photo stays in the library
                update.photo = None
            update.save()
            form.save_m2m()
            if comment:
                history.record_live_change(update, user=user, comment=f"{comment}: {update}")
    except BaseException:
        discard_stored(photo)
        raise


def _pk(object_id):
    value = str(object_id)
    return int(value) if value.isdecimal() and len(value) <= 18 else None
