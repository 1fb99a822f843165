"""Live coverage's parts of the story core's pages (articles/extensions.py), registered
from LiveConfig.ready()."""

from articles import extensions

from . import admin, models, views


def register():
    extensions.story_page_parts["live"] = views.live_context
    # A live story's feed item was updated when its newest update was posted.
    extensions.feed_item_times["live_latest_at"] = models.latest_update_time
    extensions.story_admin_parts["live"] = admin.LiveUpdatesAdmin
