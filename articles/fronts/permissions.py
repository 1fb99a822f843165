"""Who may use the front-page desk in the admin: its fronts, layouts, zones, pins and the
breaking-news banner (articles/fronts/admin.py, admin_banner.py)."""

from ..roles import ARRANGE_FRONTS_PERMISSION


class DeskPermissions:
    """Every view of the desk needs `fronts.arrange_fronts`, and nothing else (the
    models' own add/change/delete permissions are not given to anyone)."""

    def _may_arrange(self, request):
        return request.user.is_active and request.user.has_perm(ARRANGE_FRONTS_PERMISSION)

    def has_module_permission(self, request):
        return self._may_arrange(request)

    def has_view_permission(self, request, obj=None):
        return self._may_arrange(request)

    def has_add_permission(self, request, *args):
        return self._may_arrange(request)

    def has_change_permission(self, request, obj=None):
        return self._may_arrange(request)

    def has_delete_permission(self, request, obj=None):
        return self._may_arrange(request)
