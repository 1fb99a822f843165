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
        # What a change of a story, its parts, a section, author or tag purges, the
        # scheduled stories' moments, a photo's stories (articles/signal_handlers.py).
        from . import signal_handlers

        signal_handlers.connect()

        # Versioned whatever loads first (admin, importer, shell): see articles/history.py.
        from . import history

        history.register()
