from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Newsroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import caching

        caching.connect_signals()

        # Versioned whatever loads first (admin, importer, shell): see articles/history.py.
        from . import history

        history.register()
