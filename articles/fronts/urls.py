"""The front-page desk's public pages, mounted by newsroom/urls.py in the one public
namespace "articles" beside the core's (articles/urls.py): same paths, same names."""

from django.urls import path

from ..urls import QUERY_PARAMETERS, public_pages
from . import views

# Public pages: from the page cache for anonymous readers, as the core's.
urlpatterns = public_pages(
    [
        path("", views.HomeView.as_view(), name="home"),
        path("sections/<uslug:slug>/", views.SectionFrontView.as_view(), name="section_detail"),
    ],
    QUERY_PARAMETERS,
)
