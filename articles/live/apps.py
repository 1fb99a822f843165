from django.apps import AppConfig

from articles import extensions


class LiveConfig(AppConfig):
    """Live coverage (articles/live/): above the story core, which never imports it; its
    part of the story page, feeds and admin is registered in articles/extensions.py."""

    name = "articles.live"
    label = "live"
    verbose_name = "Live coverage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import admin, history, models, signal_handlers, views

        signal_handlers.connect()
        # Edited and deleted updates are recorded in their story's history.
        history.register()
        extensions.story_page_parts["live"] = views.live_context
        # A live story's feed item was updated when its newest update was posted.
        extensions.feed_item_times["live_latest_at"] = models.latest_update_time
        extensions.story_admin_parts["live"] = admin.LiveUpdatesAdmin
