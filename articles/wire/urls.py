"""The wire desk's public address, mounted by newsroom/urls.py in the one public
namespace "articles" beside the story core's pages (articles/urls.py)."""

from django.urls import path

from articles.urls import public_pages

from . import views

urlpatterns = public_pages(
    [
        # Agencies push wire copy here, with their source's token (articles/wire/views.py).
        # A POST passes the page cache by; anything else is answered as a public page.
        path("wire/<slug:slug>/", views.push, name="wire_push"),
    ],
    {},
)
