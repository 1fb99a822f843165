from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class NewsroomAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the newsroom's site (articles/admin_site.py)."""

    default = False  # "articles" in INSTALLED_APPS still means ArticlesConfig
    default_site = "articles.admin_site.NewsroomAdminSite"


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Newsroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .cache import invalidation

        invalidation.connect_signals()

        # Versioned whatever loads first (admin, importer, shell): see articles/history.py.
        from . import history

        history.register()

        # The story core's own handlers (the photo library's changes, for now).
        from . import signal_handlers

        signal_handlers.connect()
