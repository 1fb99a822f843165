"""A story's history in the admin: list, compare, revert and recover.

StoryAdmin is a django-reversion VersionAdmin; this mixin adds the comparison view,
a history page that links it, and the rules reversion's own views do not know about:
every view loads versions only through the story it is about (404 otherwise), a revert
or recovery restores only that story's own state (history.restore, never reversion's
Revision.revert), never publishes for someone without the publish permission, and is
checked against the story's current version like any other save.
"""

from contextlib import nullcontext

import reversion
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import localize
from django.utils.timezone import template_localtime
from reversion.admin import VersionAdmin
from reversion.models import Version
from reversion.utils import mute_signals

from . import history, workflow
from .admin_workflow import StoryBeforeRevert
from .models import Author, Section, Story
from .roles import can_publish


class _ShownNotSaved(Exception):
    """Carries a rendered revert form out of the transaction that is then undone."""

    def __init__(self, response):
        self.response = response


class StoryHistoryMixin:
    object_history_template = "admin/articles/story/object_history.html"
    change_list_template = "admin/articles/story/change_list.html"
    history_latest_first = True

    def has_recover_permission(self, request):
        # Bringing back a deleted story can bring back a published one: editors only.
        return (
            can_publish(request.user)
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )

    def changelist_view(self, request, extra_context=None):
        # VersionAdmin wraps the whole changelist in one revision (for list_editable,
        # unused here). Bulk actions record one revision per story instead, so that
        # reverting one story can never revert another: skip VersionAdmin's wrapper.
        context = {"can_recover": self.has_recover_permission(request), **(extra_context or {})}
        return super(VersionAdmin, self).changelist_view(request, context)

    def recoverlist_view(self, request, extra_context=None):
        if not self.has_recover_permission(request):
            raise PermissionDenied
        return super().recoverlist_view(request, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        """Reversion's recover form, for a version of a story that no longer exists."""
        if not self.has_recover_permission(request):
            raise PermissionDenied
        version = get_object_or_404(Version.objects.get_for_model(Story), pk=version_id)
        if Story.objects.filter(pk=version.object_id).exists():
            raise Http404("This story has not been deleted.")
        context = {
            "title": f"Recover “{version.object_repr}”",
            "recover": True,
            "photo_restored": history.restores_photo(version, None),
            **(extra_context or {}),
        }
        template = self.recover_form_template or self._reversion_get_template_list(
            "recover_form.html"
        )
        with transaction.atomic():
            return self._only_if_saved(
                request, self._reversion_revisionform_view(request, version, template, context)
            )

    def revision_view(self, request, object_id, version_id, extra_context=None):
        """Reversion's revert form, for a version of a story this user may see."""
        try:
            story_pk = Story._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404("No such story.") from None
        with transaction.atomic():
            # Lock and remember the story as it is now: the old version is written over
            # the row before the form is built (get_object restores the rest).
            story = (
                self.get_queryset(request)
                .select_for_update(of=("self",))
                .filter(pk=story_pk)
                .first()
            )
            if story is None:
                raise Http404("No such story.")
            # Only a version of this story: not a version of one of its rows, nor of
            # another object whose primary key happens to be the same.
            version = get_object_or_404(Version.objects.get_for_object(story), pk=version_id)
            request.story_before_revert = StoryBeforeRevert.of(story)
            context = {
                "title": f"Revert “{story}”",
                "revert": True,
                "photo_restored": history.restores_photo(version, story.lead_photo_id),
                **(extra_context or {}),
            }
            template = self.revision_form_template or self._reversion_get_template_list(
                "revision_form.html"
            )
            return self._only_if_saved(
                request, self._reversion_revisionform_view(request, version, template, context)
            )

    def _reversion_revisionform_view(self, request, version, template_name, extra_context=None):
        """The change form over a restored version (reversion's, but see history.restore).

        Reversion's own version of this reverts the version's whole revision, every
        object in it; this restores the story's own state only. A GET shows the
        restored story and undoes everything; a POST keeps it only if the form saves.
        """
        muted = (
            mute_signals(pre_save, post_save, pre_delete, post_delete, m2m_changed)
            if request.method == "GET"
            else nullcontext()
        )
        try:
            with transaction.atomic(using=version.db), muted:
                restored = history.restore(version)
                for note in restored.notes:
                    messages.warning(request, note)
                with self.create_revision(request):
                    response = self.changeform_view(
                        request, quote(str(restored.story.pk)), request.path, extra_context
                    )
                    if request.method == "POST" and response.status_code == 302:
                        reversion.set_comment(
                            "Reverted to previous version, saved on "
                            f"{localize(template_localtime(version.revision.date_created))}"
                        )
                    elif response.status_code == 200:
                        response.template_name = template_name
                        response.render()  # With the restored version, before it is undone.
                        raise _ShownNotSaved(response)
                    else:
                        raise history.CannotRestore("This version could not be loaded.")
        except history.CannotRestore as error:
            request.restore_refused = True
            messages.error(request, str(error))
            story_pk = version.object_id
            if Story.objects.filter(pk=story_pk).exists():
                return redirect(f"{self.admin_site.name}:articles_story_history", quote(story_pk))
            return redirect(f"{self.admin_site.name}:articles_story_recoverlist")
        except _ShownNotSaved as shown:
            return shown.response
        return response

    @staticmethod
    def _only_if_saved(request, response):
        """Undo a POSTed revert or recovery that the change form did not save.

        The old version is written first and kept whenever the change form answers
        with a redirect, which it also does when it refuses (an object it cannot find,
        say). Only a save through the form, with all its checks, counts.
        """
        if request.method == "POST" and not getattr(request, "story_saved", False):
            transaction.set_rollback(True)
            if response.status_code == 302 and not getattr(request, "restore_refused", False):
                messages.error(request, "Nothing was reverted: the story could not be saved.")
        return response

    def history_view(self, request, object_id, extra_context=None):
        story = self.get_object(request, unquote(object_id))
        if story is None:
            raise Http404("No such story.")
        rows = []
        if self.has_view_or_change_permission(request, story):
            versions = list(Version.objects.get_for_object(story).select_related("revision__user"))
            checked = {}
            for index, version in enumerate(versions):
                older = versions[index + 1] if index + 1 < len(versions) else None
                rows.append(
                    {
                        "version": version,
                        "revision": version.revision,
                        "revert_url": self._revision_url(story, version),
                        "compare_url": self._compare_url(story, older, version) if older else "",
                        "photo_restored": index > 0
                        and history.restores_photo(version, story.lead_photo_id, checked),
                    }
                )
        context = {
            "story_versions": rows,
            "compare_action": reverse(
                f"{self.admin_site.name}:articles_story_compare", args=[quote(object_id)]
            ),
            "can_revert": self.has_change_permission(request, story),
            "has_photo": story.lead_photo_id is not None,
            **(extra_context or {}),
        }
        # Django's history page (permission check, log entries), without reversion's
        # list of versions: this page lists its own.
        return super(VersionAdmin, self).history_view(request, object_id, context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_view),
                name="articles_story_compare",
            ),
            *super().get_urls(),
        ]

    def _revision_url(self, story, version):
        return reverse(
            f"{self.admin_site.name}:articles_story_revision", args=[quote(story.pk), version.pk]
        )

    def _compare_url(self, story, old, new):
        url = reverse(f"{self.admin_site.name}:articles_story_compare", args=[quote(story.pk)])
        return f"{url}?from={old.pk}&to={new.pk}"

    def compare_view(self, request, object_id):
        """Two versions of a story side by side: headline, dek and body, word by word."""
        story = self.get_object(request, unquote(object_id))
        if story is None:
            raise Http404("No such story.")
        if not self.has_view_or_change_permission(request, story):
            raise PermissionDenied
        versions = Version.objects.get_for_object(story).select_related("revision__user")

        def pick(name, default_index):
            value = request.GET.get(name, "")
            if value.isdigit():
                return get_object_or_404(versions, pk=int(value))
            ordered = list(versions[:2])
            if len(ordered) <= default_index:
                raise Http404("This story has no earlier version to compare with.")
            return ordered[default_index]

        new, old = pick("to", 0), pick("from", 1)
        if old.revision.date_created > new.revision.date_created:
            old, new = new, old
        old_snapshot, new_snapshot = history.snapshot(old), history.snapshot(new)
        sections = Section.objects.in_bulk({old_snapshot.section_id, new_snapshot.section_id})
        authors = Author.objects.in_bulk({*old_snapshot.author_ids, *new_snapshot.author_ids})

        def describe(snapshot):
            section = sections.get(snapshot.section_id)
            return {
                "Status": snapshot.status,
                "Publication time": (
                    workflow.local_time(snapshot.published_at) if snapshot.published_at else "—"
                ),
                "Section": section.name if section else "—",
                "Tags": ", ".join(snapshot.tags) or "—",
                "Bylines": ", ".join(
                    authors[pk].name if pk in authors else f"#{pk}" for pk in snapshot.author_ids
                )
                or "—",
            }

        old_other, new_other = describe(old_snapshot), describe(new_snapshot)
        can_revert = self.has_change_permission(request, story)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Compare versions of “{story}”",
            "subtitle": None,
            "opts": self.opts,
            "original": story,
            "object_id": object_id,
            "old": old,
            "new": new,
            "old_revert_url": self._revision_url(story, old) if can_revert else "",
            "new_revert_url": self._revision_url(story, new) if can_revert else "",
            "diffs": history.compare(old_snapshot, new_snapshot),
            "other_fields": [
                (label, old_other[label], new_other[label], old_other[label] != new_other[label])
                for label in old_other
            ],
            "history_url": reverse(
                f"{self.admin_site.name}:articles_story_history", args=[quote(story.pk)]
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/articles/story/compare.html", context)
