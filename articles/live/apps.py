from django.apps import AppConfig


class LiveConfig(AppConfig):
    """Live coverage (articles/live/): above the story core, which never imports it; its
    part of the story page, feeds and admin is registered in articles/extensions.py."""

    name = "articles.live"
    label = "live"
    verbose_name = "Live coverage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import history, parts, signal_handlers

        signal_handlers.connect()
        # Edited and deleted updates are recorded in their story's history.
        history.register()
        parts.register()
