from django.urls import path, register_converter

from . import views
from .converters import UnicodeSlugConverter

register_converter(UnicodeSlugConverter, "uslug")

app_name = "articles"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("stories/", views.LatestView.as_view(), name="story_list"),
    path("stories/<uslug:slug>/", views.StoryDetailView.as_view(), name="story_detail"),
    path("sections/<uslug:slug>/", views.SectionDetailView.as_view(), name="section_detail"),
    path("tags/<uslug:slug>/", views.TagDetailView.as_view(), name="tag_detail"),
    path("authors/<uslug:slug>/", views.AuthorDetailView.as_view(), name="author_detail"),
    path("search/", views.search, name="search"),
]
