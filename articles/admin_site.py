"""The newsroom's admin site: Django's, with two views that ask who is looking.

Django's autocomplete answers for any model field that points to a registered model,
checking only that the user may view the model it points to; and its "view on site"
redirect (`r/<content type>/<id>/`) sends any staff account to any object's public
address (a draft's slug is made from its headline). Here both answer only for what the
user may see in the admin: the objects of the ModelAdmin's `get_queryset`, and the
autocomplete fields of forms the user may fill in. How an autocomplete choice is
labelled is said by an `autocomplete_result(request, obj, result, source_field)` method:
of the ModelAdmin or inline whose form has the field (a desk labelling the stories it
pins), else of the chosen model's ModelAdmin; this module names no desk.

Installed by `NewsroomAdminConfig` (articles/apps.py) in INSTALLED_APPS, so
`django.contrib.admin.site` is this site.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import re_path, reverse


class FormAutocompleteView(AutocompleteJsonView):
    """Autocomplete only for a field that is an autocomplete field of a form (or inline
    row) this user may fill in; the choices are the target admin's `get_queryset`."""

    def process_request(self, request):
        term, model_admin, source_field, to_field_name = super().process_request(request)
        if (source_field.model, source_field.name) not in self.admin_site.autocomplete_sources(
            request
        ):
            raise PermissionDenied
        return term, model_admin, source_field, to_field_name

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        hook = self._result_hook()
        if hook is not None:
            return hook(self.request, obj, result, self.source_field)
        return result

    def _result_hook(self):
        """`autocomplete_result(request, obj, result, source_field)` of the admin (or
        inline) of the field's own model if it defines one, else of the chosen model's
        admin, or None: how a choice is labelled is said where it is made (a desk's
        form), or by the model chosen, never here."""
        if not hasattr(self, "_hook"):
            self._hook = None
            for candidate in (*self._source_admins(), self.model_admin):
                if hasattr(candidate, "autocomplete_result"):
                    self._hook = candidate.autocomplete_result
                    break
        return self._hook

    def _source_admins(self):
        """The ModelAdmin or inlines whose forms have the field being filled in."""
        model = self.source_field.model
        for model_admin in self.admin_site._registry.values():
            if model_admin.model is model:
                yield model_admin
            for inline in model_admin.get_inline_instances(self.request):
                if inline.model is model:
                    yield inline


class NewsroomAdminSite(admin.AdminSite):
    def autocomplete_view(self, request):
        return FormAutocompleteView.as_view(admin_site=self)(request)

    def autocomplete_sources(self, request):
        """(model, field name) of every autocomplete field in a form `request.user` may
        fill in: a ModelAdmin's own fields, and those of its inline rows."""
        sources = set()
        for model_admin in self._registry.values():
            if not (
                model_admin.has_add_permission(request)
                or model_admin.has_change_permission(request)
            ):
                continue
            sources |= {
                (model_admin.model, name) for name in model_admin.get_autocomplete_fields(request)
            }
            for inline in model_admin.get_inline_instances(request):
                if inline.has_add_permission(request, None) or inline.has_change_permission(
                    request
                ):
                    sources |= {
                        (inline.model, name) for name in inline.get_autocomplete_fields(request)
                    }
        return sources

    def get_urls(self):
        urls = super().get_urls()
        for pattern in urls:
            if getattr(pattern, "name", None) == "view_on_site":
                pattern.callback = self.admin_view(self.view_on_site)
        # Before the catch-all that answers 404 for an unknown app label.
        return [*self.moved_model_urls(), *urls]

    def moved_model_urls(self):
        """Old addresses of the models that moved from `articles` to their desk's app
        (bookmarks, links in old notes): a permanent redirect to the same page in the
        new app. A moved model keeps its table, so `articles_<model>` names it."""
        patterns = []
        for model in self._registry:
            meta = model._meta
            if meta.app_label == "articles" or meta.db_table != f"articles_{meta.model_name}":
                continue
            new_prefix = f"{meta.app_label}/{meta.model_name}/"
            patterns.append(
                re_path(
                    rf"^articles/{meta.model_name}/(?P<rest>.*)$",
                    self.moved_model_redirect,
                    kwargs={"new_prefix": new_prefix},
                )
            )
        return patterns

    def moved_model_redirect(self, request, rest, new_prefix):
        # The admin's own URL prefix (settings.ADMIN_URL may move it), then the new path.
        target = reverse(f"{self.name}:index") + new_prefix + rest
        query = request.META.get("QUERY_STRING")
        return HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)

    def view_on_site(self, request, content_type_id, object_id):
        """Django's redirect to an object's public address, for objects this user may
        see in the admin; anything else is the same 404 as a missing object."""
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except ContentType.DoesNotExist:
            model = None
        model_admin = self._registry.get(model)
        obj = model_admin.get_object(request, unquote(object_id)) if model_admin else None
        if obj is None or not model_admin.has_view_or_change_permission(request, obj):
            raise Http404("No such object.")
        return contenttype_views.shortcut(request, content_type_id, object_id)
