"""Live coverage's public URLs, mounted in the public "articles" namespace beside the
story core's (newsroom/urls.py): `articles:live_updates`, `articles:live_update`."""

from django.urls import path

from articles.urls import public_pages

from . import views

urlpatterns = public_pages(
    [
        # The poll: what a live page's script asks every 15–30 s.
        path("stories/<uslug:slug>/updates/", views.live_updates_poll, name="live_updates"),
        path(
            "stories/<uslug:slug>/updates/<int:update_id>/",
            views.live_update_permalink,
            name="live_update",
        ),
    ],
    # The poll's "updates after" and "changes since".
    {"live_updates": ("after", "since")},
)
