"""The front-page desk's public pages, mounted by newsroom/urls.py in the one public
namespace "articles" beside the core's (articles/urls.py): same paths, same names."""

from django.urls import path

from ..cache import cache_public_page
from ..urls import QUERY_PARAMETERS
from . import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("sections/<uslug:slug>/", views.SectionFrontView.as_view(), name="section_detail"),
]

# Public pages: from the page cache for anonymous readers, as the core's.
for _pattern in urlpatterns:
    _pattern.callback = cache_public_page(
        _pattern.callback, QUERY_PARAMETERS.get(_pattern.name, ())
    )
